package tabular

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/xlrl/xlrl/internal/ckpt"
	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/policy"
	"github.com/xlrl/xlrl/internal/run"
)

// TestResumeMatchesUninterrupted trains 300 episodes of slippery FrozenLake
// straight, and 120 + checkpoint file + a fresh agent and environment + 180:
// the Q-tables must be identical bit for bit.
func TestResumeMatchesUninterrupted(t *testing.T) {
	explorers := map[string]policy.Config{
		"epsilon-linear": {Kind: "epsilon-greedy", Schedule: "linear", Start: 1, End: 0.05, DecaySteps: 200},
		"ucb":            {Kind: "ucb", C: 1},
	}
	for _, algo := range Algorithms {
		for name, ex := range explorers {
			if algo == ExpectedSARSA && ex.Kind == "ucb" {
				continue // Expected SARSA needs explorer probabilities
			}
			t.Run(algo+"/"+name, func(t *testing.T) {
				cfg := Config{Algorithm: algo, LR: 0.5, LREnd: 0.1, LRDecayEpisodes: 300, Gamma: 0.99, Explore: ex, Seed: 7}
				newPair := func() (*Agent, env.Env) {
					e, err := env.Make("FrozenLake-v1")
					if err != nil {
						t.Fatal(err)
					}
					a, err := New(cfg, e.Spec().Observation, e.Spec().Action)
					if err != nil {
						t.Fatal(err)
					}
					return a, e
				}
				straight, e := newPair()
				e.Seed(3)
				if _, err := straight.Train(context.Background(), e, Budget{Episodes: 300}, nil); err != nil {
					t.Fatal(err)
				}

				first, e1 := newPair()
				e1.Seed(3)
				if _, err := first.Train(context.Background(), e1, Budget{Episodes: 120}, nil); err != nil {
					t.Fatal(err)
				}
				c := ckpt.New(CheckpointKind)
				if err := first.Save(c); err != nil {
					t.Fatal(err)
				}
				envState, _ := env.RNGStateOf(e1)
				path := filepath.Join(t.TempDir(), run.CheckpointFile)
				if err := ckpt.Write(path, c); err != nil {
					t.Fatal(err)
				}
				loaded, err := ckpt.Read(path, CheckpointKind)
				if err != nil {
					t.Fatal(err)
				}
				resumed, e2 := newPair()
				if err := resumed.Load(loaded); err != nil {
					t.Fatal(err)
				}
				e2.Seed(envState)
				if _, err := resumed.Train(context.Background(), e2, Budget{Episodes: 180}, nil); err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(resumed.q, straight.q) || !slices.Equal(resumed.q2, straight.q2) {
					t.Fatal("the resumed run's Q-table differs from the uninterrupted run's")
				}
			})
		}
	}
}

func TestLoadRefusesAnotherAgent(t *testing.T) {
	m := miniCliff(3, 5)
	cfg := Config{Algorithm: QLearning, LR: 0.5, Gamma: 0.99, Explore: policy.Config{Kind: "epsilon-greedy", Schedule: "constant", Start: 0.1}, Seed: 1}
	a, _ := New(cfg, discrete(m.NumStates()), discrete(m.NumActions()))
	c := ckpt.New(CheckpointKind)
	a.Save(c)
	tests := map[string]func(*Config) (int, int){
		"algorithm": func(c *Config) (int, int) { c.Algorithm = SARSA; return m.NumStates(), m.NumActions() },
		"gamma":     func(c *Config) (int, int) { c.Gamma = 0.9; return m.NumStates(), m.NumActions() },
		"shape":     func(c *Config) (int, int) { return m.NumStates() + 1, m.NumActions() },
	}
	for name, change := range tests {
		other := cfg
		nS, nA := change(&other)
		b, err := New(other, discrete(nS), discrete(nA))
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Load(c); !errors.Is(err, ckpt.ErrBad) {
			t.Errorf("%s: Load = %v, want ErrBadCheckpoint", name, err)
		}
	}
}
