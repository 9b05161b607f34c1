package ckpt

import (
	"errors"
	"strings"
	"testing"
)

// The container's refusals of bad files are tested where files are read
// (internal/run/checkpoint_test.go); here, the round trip in memory.
func TestMarshalRoundTrip(t *testing.T) {
	c := NewCheckpoint("q-learning")
	c.PutFloat64s("q", []float64{0.5, -1})
	if err := c.PutJSON("run", map[string]int{"steps": 7}); err != nil {
		t.Fatal(err)
	}
	b, err := c.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	got, err := UnmarshalCheckpoint("mem", b)
	if err != nil || got.Kind != "q-learning" {
		t.Fatalf("%+v, %v", got, err)
	}
	if q, err := got.Float64s("q", 2); err != nil || q[1] != -1 {
		t.Fatalf("q = %v, %v", q, err)
	}
	if _, err := UnmarshalCheckpoint("mem", b[:len(b)-1]); !errors.Is(err, ErrBadCheckpoint) ||
		!strings.Contains(err.Error(), "mem") {
		t.Fatalf("truncated: %v", err)
	}
}
