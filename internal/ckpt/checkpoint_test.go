package ckpt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func sampleCheckpoint(t *testing.T) *Checkpoint {
	c := New("dqn")
	c.PutFloat64s("weights", []float64{1, -2.5, math.Inf(1), math.SmallestNonzeroFloat64})
	if err := c.PutJSON("schedule", map[string]int{"step": 1234}); err != nil {
		t.Fatal(err)
	}
	c.Put("rng", []byte{1, 2, 3})
	c.PutFloat32s("w32", []float32{1.5, -0.25, float32(math.Inf(-1))})
	c.Put("empty", nil)
	return c
}

func TestCheckpointRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "checkpoint.ckpt")
	if err := Write(path, sampleCheckpoint(t)); err != nil {
		t.Fatal(err)
	}
	c, err := Read(path, "dqn")
	if err != nil {
		t.Fatal(err)
	}
	w, err := c.Float64s("weights", 4)
	if err != nil || w[1] != -2.5 || !math.IsInf(w[2], 1) || w[3] != math.SmallestNonzeroFloat64 {
		t.Fatalf("weights = %v, %v", w, err)
	}
	var sched map[string]int
	if err := c.GetJSON("schedule", &sched); err != nil || sched["step"] != 1234 {
		t.Fatalf("schedule = %v, %v", sched, err)
	}
	if b, _ := c.Get("rng"); !bytes.Equal(b, []byte{1, 2, 3}) {
		t.Fatalf("rng = %v", b)
	}
	if w32, err := c.Float32s("w32", 3); err != nil || w32[0] != 1.5 || w32[1] != -0.25 || !math.IsInf(float64(w32[2]), -1) {
		t.Fatalf("w32 = %v, %v", w32, err)
	}
	if _, err := c.Float32s("w32", 4); !errors.Is(err, ErrBad) {
		t.Fatalf("w32 with a wrong length: %v", err)
	}
	if got := strings.Join(c.Sections(), ","); got != "empty,rng,schedule,w32,weights" {
		t.Fatalf("sections = %s", got)
	}
}

func TestCheckpointRefusals(t *testing.T) {
	good, err := sampleCheckpoint(t).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	flip := bytes.Clone(good)
	flip[30] ^= 0x40
	otherVersion := bytes.Clone(good)
	binary.LittleEndian.PutUint32(otherVersion[8:], 99)

	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "not an xlrl checkpoint"},
		{"other file", []byte("PK\x03\x04 a zip file"), "not an xlrl checkpoint"},
		{"truncated", good[:len(good)-5], "truncated"},
		{"truncated mid-section", good[:40], "truncated"},
		{"flipped byte", flip, "checksum mismatch"},
		// The version is under the checksum: a real file of another version has a valid sum.
		{"other version", resum(otherVersion), "format version 99"},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "c.ckpt")
			os.WriteFile(path, tt.data, 0o644)
			_, err := Read(path, "")
			if !errors.Is(err, ErrBad) || !strings.Contains(err.Error(), tt.want) ||
				!strings.Contains(err.Error(), path) {
				t.Fatalf("err = %v, want ErrBad naming %s and saying %q", err, path, tt.want)
			}
		})
	}
}

// resum recomputes the checksum of an edited checkpoint.
func resum(data []byte) []byte {
	body := data[:len(data)-len(ckptEnd)-4]
	binary.LittleEndian.PutUint32(data[len(body):], crcOf(body))
	return data
}

func TestCheckpointKindAndShapeMismatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "checkpoint.ckpt")
	Write(path, sampleCheckpoint(t))
	if _, err := Read(path, "q-learning"); !errors.Is(err, ErrBad) ||
		!strings.Contains(err.Error(), `"dqn"`) {
		t.Fatalf("kind mismatch: %v", err)
	}
	c, _ := Read(path, "dqn")
	if _, err := c.Float64s("weights", 10); err == nil || !strings.Contains(err.Error(), "holds 4 values") {
		t.Fatalf("shape mismatch: %v", err)
	}
	if _, err := c.Get("optimizer"); err == nil || !strings.Contains(err.Error(), `"optimizer"`) {
		t.Fatalf("missing section: %v", err)
	}
	if _, err := Read(filepath.Join(t.TempDir(), "none"), ""); err == nil ||
		!strings.Contains(err.Error(), "no checkpoint") {
		t.Fatalf("missing file: %v", err)
	}
}

func TestCheckpointEnvIdentity(t *testing.T) {
	no := false
	trained := EnvIdentity{ID: "FrozenLake-v1", Map: "4x4", Slippery: &no}
	c := New("tabular")
	if err := c.PutEnv(trained); err != nil {
		t.Fatal(err)
	}
	b, _ := c.MarshalBinary()
	c, err := Unmarshal("test", b)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CheckEnv(trained); err != nil {
		t.Fatalf("same environment refused: %v", err)
	}
	yes := true
	for name, other := range map[string]EnvIdentity{
		"slippery":    {ID: "FrozenLake-v1", Map: "4x4", Slippery: &yes},
		"map":         {ID: "FrozenLake-v1", Map: "8x8", Slippery: &no},
		"environment": {ID: "CliffWalking-v0"},
		"options":     {ID: "FrozenLake-v1", Map: "4x4", Slippery: &no, Options: map[string]string{"reward": "shaped"}},
	} {
		err := c.CheckEnv(other)
		if !errors.Is(err, ErrBad) || !strings.Contains(err.Error(), "environment") {
			t.Errorf("%s: CheckEnv = %v, want ErrBad naming the environment", name, err)
		}
	}
	// A checkpoint from before environments were recorded cannot be checked.
	if err := New("tabular").CheckEnv(trained); !errors.Is(err, ErrBad) {
		t.Errorf("checkpoint without an environment: %v", err)
	}
}
