package tabular

import (
	"context"
	"strings"
	"testing"

	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/mdp"
	"github.com/xlrl/xlrl/internal/policy"
)

// miniCliff is Sutton and Barto's cliff walk on a rows x cols grid: start at
// the bottom left, goal at the bottom right, the cells between them are the
// cliff (-100 and back to the start); every other move costs -1. Actions:
// 0 up, 1 right, 2 down, 3 left.
func miniCliff(rows, cols int) *mdp.Tabular {
	idx := func(r, c int) int { return r*cols + c }
	start, goal := idx(rows-1, 0), idx(rows-1, cols-1)
	m := &mdp.Tabular{Init: make([]float64, rows*cols)}
	m.Init[start] = 1
	dr, dc := []int{-1, 0, 1, 0}, []int{0, 1, 0, -1}
	for r := range rows {
		for c := range cols {
			row := make([][]env.Outcome, 4)
			for a := range 4 {
				nr, nc := min(max(r+dr[a], 0), rows-1), min(max(c+dc[a], 0), cols-1)
				o := env.Outcome{Prob: 1, Next: idx(nr, nc), Reward: -1, Terminal: idx(nr, nc) == goal}
				if nr == rows-1 && nc > 0 && nc < cols-1 {
					o = env.Outcome{Prob: 1, Next: start, Reward: -100}
				}
				row[a] = []env.Outcome{o}
			}
			m.P = append(m.P, row)
		}
	}
	return m
}

func discrete(n int) env.Space { return env.Space{Kind: env.Discrete, N: n} }

func greedyReturn(t *testing.T, a *Agent, m env.Model) float64 {
	t.Helper()
	e := mdp.NewModelEnv("eval", m, 0)
	e.Seed(99)
	s, ret := int(e.Reset()[0]), 0.0
	for range 100 { // one greedy episode of at most 100 steps
		obs, r, term, trunc := e.Step(env.DiscreteAction(a.Greedy(s)))
		ret += r
		if term || trunc {
			break
		}
		s = int(obs[0])
	}
	return ret
}

func train(t *testing.T, cfg Config, m env.Model, episodes int64) *Agent {
	t.Helper()
	a, err := New(cfg, discrete(m.NumStates()), discrete(m.NumActions()))
	if err != nil {
		t.Fatal(err)
	}
	e := mdp.NewModelEnv("mini-cliff", m, 0)
	e.Seed(cfg.Seed)
	st, err := a.Train(context.Background(), e, Budget{Episodes: episodes}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Episodes != episodes || st.Steps < episodes {
		t.Fatalf("trained %d episodes, %d steps; want %d episodes", st.Episodes, st.Steps, episodes)
	}
	return a
}

// Sutton and Barto's example 6.6 in miniature, for every algorithm and
// several seeds. With a constant epsilon of 0.1, the off-policy learners
// (Q-learning, Double Q-learning) value the greedy policy and learn the path
// along the cliff edge (-6); the on-policy ones (SARSA, Expected SARSA) value
// the exploring policy, for which a stumble off the edge costs 100, and walk
// the safe top row (-8).
func TestCliffPaths(t *testing.T) {
	m := miniCliff(3, 5)
	explore := policy.Config{Kind: "epsilon-greedy", Start: 0.1}
	want := map[string]float64{QLearning: -6, DoubleQ: -6, SARSA: -8, ExpectedSARSA: -8}
	// The on-policy targets are noisy (they follow the exploring policy), so
	// those learners take smaller steps for longer. Double Q-learning updates
	// each of its two tables half the time and the edge cells are reached
	// only by exploring, so it needs many more episodes to settle there.
	lr := map[string]float64{QLearning: 0.5, DoubleQ: 0.5, SARSA: 0.1, ExpectedSARSA: 0.1}
	episodes := map[string]int64{QLearning: 1000, DoubleQ: 20000, SARSA: 3000, ExpectedSARSA: 3000}
	for _, algo := range Algorithms {
		for seed := uint64(1); seed <= 3; seed++ {
			a := train(t, Config{Algorithm: algo, LR: lr[algo], Gamma: 1, Explore: explore, Seed: seed}, m, episodes[algo])
			if got := greedyReturn(t, a, m); got != want[algo] {
				t.Errorf("%s seed %d: greedy return %v, want %v", algo, seed, got, want[algo])
			}
		}
	}
}

func TestExplorersDriveLearning(t *testing.T) {
	m := miniCliff(3, 5)
	for _, ex := range []policy.Config{
		{Kind: "boltzmann", Schedule: "exponential", Start: 5, End: 0.01, Decay: 0.995},
		{Kind: "ucb", C: 2},
	} {
		a := train(t, Config{Algorithm: QLearning, LR: 0.5, Gamma: 1, Explore: ex, Seed: 2}, m, 1500)
		if got := greedyReturn(t, a, m); got != -6 {
			t.Errorf("%s: greedy return %v, want -6", ex.Kind, got)
		}
	}
}

func TestTrainBudgetInSteps(t *testing.T) {
	m := miniCliff(3, 5)
	a, err := New(Config{Algorithm: QLearning, LR: 0.1, Gamma: 0.9, Explore: policy.Config{Kind: "epsilon-greedy", Start: 0.5}}, discrete(15), discrete(4))
	if err != nil {
		t.Fatal(err)
	}
	e := mdp.NewModelEnv("mini-cliff", m, 0)
	st, err := a.Train(context.Background(), e, Budget{Steps: 777}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Steps != 777 {
		t.Errorf("trained %d steps, want exactly 777", st.Steps)
	}
	if a.Explorer().Position() != st.Episodes {
		t.Errorf("explorer at %d after %d episodes", a.Explorer().Position(), st.Episodes)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := a.Train(ctx, e, Budget{Episodes: 10}, nil); err == nil {
		t.Error("Train ignored a cancelled context")
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	eg := policy.Config{Kind: "epsilon-greedy", Start: 0.1}
	box := env.Space{Kind: env.Box, Low: []float64{-1, -1}, High: []float64{1, 1}}
	tests := []struct {
		name string
		cfg  Config
		obs  env.Space
		want string
	}{
		{"algorithm", Config{Algorithm: "td-lambda", LR: 0.1, Gamma: 0.9, Explore: eg}, discrete(4), "unknown tabular algorithm \"td-lambda\""},
		{"lr zero", Config{Algorithm: QLearning, LR: 0, Gamma: 0.9, Explore: eg}, discrete(4), "learning rate 0 outside (0, 1]"},
		{"lr above one", Config{Algorithm: QLearning, LR: 1.5, Gamma: 0.9, Explore: eg}, discrete(4), "learning rate 1.5 outside (0, 1]"},
		{"discount", Config{Algorithm: SARSA, LR: 0.1, Gamma: 1.01, Explore: eg}, discrete(4), "discount 1.01 outside (0, 1]"},
		{"continuous", Config{Algorithm: QLearning, LR: 0.1, Gamma: 0.9, Explore: eg}, box, "needs Discrete observations"},
		{"exploration", Config{Algorithm: QLearning, LR: 0.1, Gamma: 0.9, Explore: policy.Config{Kind: "noisy"}}, discrete(4), "unknown exploration"},
		{"expected sarsa ucb", Config{Algorithm: ExpectedSARSA, LR: 0.1, Gamma: 0.9, Explore: policy.Config{Kind: "ucb", C: 1}}, discrete(4), "use epsilon-greedy or boltzmann"},
	}
	for _, tt := range tests {
		_, err := New(tt.cfg, tt.obs, discrete(2))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}
