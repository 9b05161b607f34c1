package tabular

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"testing"

	"github.com/xlrl/xlrl/internal/ckpt"
	"github.com/xlrl/xlrl/internal/policy"
)

// Crafted checkpoints whose sections pass the container's checksum but hold
// impossible values are refused with ErrBadCheckpoint.
func TestLoadRefusesCraftedState(t *testing.T) {
	m := miniCliff(3, 5)
	nS, nA := m.NumStates(), m.NumActions()
	cfg := Config{Algorithm: QLearning, LR: 0.5, Gamma: 0.99, Explore: policy.Config{Kind: "ucb", C: 1}, Seed: 1}
	a, err := New(cfg, discrete(nS), discrete(nA))
	if err != nil {
		t.Fatal(err)
	}
	c := ckpt.New(CheckpointKind)
	if err := a.Save(c); err != nil {
		t.Fatal(err)
	}
	rows := func(n, width int, v float64) [][]float64 {
		out := make([][]float64, n)
		for i := range out {
			out[i] = make([]float64, width)
			for j := range out[i] {
				out[i][j] = v
			}
		}
		return out
	}
	tests := map[string]func(*savedState){
		"negative position":          func(s *savedState) { s.Position = -1 },
		"more UCB rows than states":  func(s *savedState) { s.UCBCounts = rows(nS+1, nA, 0) },
		"UCB row of the wrong width": func(s *savedState) { s.UCBCounts = rows(1, nA+3, 0) },
		"negative UCB count":         func(s *savedState) { s.UCBCounts = rows(1, nA, -2) },
		"infinite UCB count":         func(s *savedState) { s.UCBCounts = rows(1, nA, math.Inf(1)) },
	}
	for name, change := range tests {
		var st savedState
		if err := c.GetJSON("agent", &st); err != nil {
			t.Fatal(err)
		}
		change(&st)
		bad := ckpt.New(CheckpointKind)
		for _, sec := range c.Sections() {
			b, _ := c.Get(sec)
			bad.Put(sec, b)
		}
		if err := bad.PutJSON("agent", st); err != nil {
			// JSON has no infinity: write the largest float64 times ten by hand.
			inf := math.IsInf(st.UCBCounts[0][0], 1)
			if !inf {
				t.Fatal(err)
			}
			st.UCBCounts = rows(1, nA, 0)
			good, _ := json.Marshal(st)
			bad.Put("agent", bytes.Replace(good, []byte("[0,"), []byte("[1e309,"), 1))
		}
		b, err := New(cfg, discrete(nS), discrete(nA))
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Load(bad); !errors.Is(err, ckpt.ErrBad) {
			t.Errorf("%s: Load = %v, want ErrBadCheckpoint", name, err)
		}
	}
}
