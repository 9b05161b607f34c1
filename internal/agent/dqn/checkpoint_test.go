package dqn

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/xlrl/xlrl/internal/agent/trainloop"
	"github.com/xlrl/xlrl/internal/backend"
	"github.com/xlrl/xlrl/internal/ckpt"
	"github.com/xlrl/xlrl/internal/env"
)

// memCheckpointer keeps the last checkpoint in memory and resumes from one.
type memCheckpointer struct {
	resumed, saved *ckpt.Checkpoint
}

func (m *memCheckpointer) Resumed() *ckpt.Checkpoint { return m.resumed }
func (m *memCheckpointer) Due() bool                 { return true }
func (m *memCheckpointer) Save(c *ckpt.Checkpoint, _, _ int) error {
	m.saved = c
	return nil
}

// savedCheckpoint trains a short run and returns its last checkpoint.
func savedCheckpoint(t *testing.T, cfg Config) *ckpt.Checkpoint {
	t.Helper()
	mk := func() (env.Env, error) { return env.Make("CartPole-v1") }
	ck := &memCheckpointer{}
	if _, err := Train(context.Background(), cfg, mk, backend.NewGo(), 1, &trainloop.Hooks{Checkpoint: ck}); err != nil {
		t.Fatal(err)
	}
	if ck.saved == nil {
		t.Fatal("no checkpoint saved")
	}
	return ck.saved
}

// clone copies a checkpoint through its file format.
func clone(t *testing.T, c *ckpt.Checkpoint) *ckpt.Checkpoint {
	b, err := c.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	out, err := ckpt.Unmarshal("test", b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Crafted checkpoints that pass the container's checksum are refused with
// ErrBadCheckpoint: no panic, no allocation of what a header claims.
func TestRestoreRefusesCraftedCheckpoints(t *testing.T) {
	cfg := smallConfig()
	cfg.Steps = 600
	good := savedCheckpoint(t, cfg)
	replayHeader := func(capacity, dim uint64) []byte {
		var b bytes.Buffer
		b.WriteString("XLRLRPB1")
		binary.Write(&b, binary.LittleEndian, []uint64{capacity, dim, 0, 0})
		return b.Bytes()
	}
	tests := map[string]func(c *ckpt.Checkpoint){
		"replay capacity 2^31-1": func(c *ckpt.Checkpoint) { c.Put("replay", replayHeader(1<<31-1, 4)) },
		"replay dimension 2^20":  func(c *ckpt.Checkpoint) { c.Put("replay", replayHeader(1<<20, 1<<20)) },
		"negative adam step":     func(c *ckpt.Checkpoint) { c.PutJSON("adam_t", -5) },
		"negative next step": func(c *ckpt.Checkpoint) {
			var st loopState
			c.GetJSON("dqn", &st)
			st.Next = -3
			c.PutJSON("dqn", st)
		},
		"last eval after next": func(c *ckpt.Checkpoint) {
			var st loopState
			c.GetJSON("dqn", &st)
			st.LastEval = st.Next + 10
			c.PutJSON("dqn", st)
		},
		"negative episode count": func(c *ckpt.Checkpoint) {
			var st loopState
			c.GetJSON("dqn", &st)
			st.Episodes.Count = -1
			c.PutJSON("dqn", st)
		},
	}
	mk := func() (env.Env, error) { return env.Make("CartPole-v1") }
	for name, change := range tests {
		c := clone(t, good)
		change(c)
		ck := &memCheckpointer{resumed: c}
		_, err := Train(context.Background(), cfg, mk, backend.NewGo(), 1, &trainloop.Hooks{Checkpoint: ck})
		if !errors.Is(err, ckpt.ErrBad) {
			t.Errorf("%s: Train = %v, want ErrBadCheckpoint", name, err)
		}
	}
}
