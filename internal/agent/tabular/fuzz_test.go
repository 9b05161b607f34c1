package tabular

import (
	"context"
	"testing"

	"github.com/xlrl/xlrl/internal/ckpt"
	"github.com/xlrl/xlrl/internal/mdp"
	"github.com/xlrl/xlrl/internal/policy"
)

// FuzzLoad restores an agent from crafted "agent" and "q" sections: Load
// refuses what it cannot use, and an agent it accepts trains without a panic.
func FuzzLoad(f *testing.F) {
	m := miniCliff(3, 5)
	nS, nA := m.NumStates(), m.NumActions()
	cfg := Config{Algorithm: QLearning, LR: 0.5, Gamma: 0.99, Explore: policy.Config{Kind: "ucb", C: 1}, Seed: 1}
	a, err := New(cfg, discrete(nS), discrete(nA))
	if err != nil {
		f.Fatal(err)
	}
	c := ckpt.New(CheckpointKind)
	if err := a.Save(c); err != nil {
		f.Fatal(err)
	}
	agent, _ := c.Get("agent")
	q, _ := c.Get("q")
	rng, _ := c.Get("agent_rng")
	f.Add(agent, q, rng)
	f.Fuzz(func(t *testing.T, agent, q, rng []byte) {
		c := ckpt.New(CheckpointKind)
		c.Put("agent", agent)
		c.Put("q", q)
		c.Put("agent_rng", rng)
		b, err := New(cfg, discrete(nS), discrete(nA))
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Load(c); err != nil {
			return
		}
		e := mdp.NewModelEnv("mini-cliff", m, 0)
		e.Seed(1)
		if _, err := b.Train(context.Background(), e, Budget{Steps: 50}, nil); err != nil {
			t.Fatalf("a loaded agent does not train: %v", err)
		}
	})
}
