package mdp

import (
	"math"
	"strings"
	"testing"

	"github.com/xlrl/xlrl/internal/env"
)

// chain: states 0..n-1 in a row, action 0 left, 1 right; stepping right from
// n-2 reaches the terminal goal n-1 with reward 1. Start in 0.
func chain(n int) *Tabular {
	m := &Tabular{Init: make([]float64, n)}
	m.Init[0] = 1
	for s := range n {
		left, right := max(s-1, 0), s+1
		var row [][]env.Outcome
		if s == n-1 {
			row = [][]env.Outcome{{{Prob: 1, Next: s, Terminal: true}}, {{Prob: 1, Next: s, Terminal: true}}}
		} else {
			r := env.Outcome{Prob: 1, Next: right}
			if right == n-1 {
				r.Reward, r.Terminal = 1, true
			}
			row = [][]env.Outcome{{{Prob: 1, Next: left}}, {r}}
		}
		m.P = append(m.P, row)
	}
	return m
}

// gamble: one decision. Action 0 ends with 0.5; action 1 ends with 1 with
// probability 0.6 and 0 otherwise.
func gamble() *Tabular {
	return &Tabular{
		Init: []float64{1, 0},
		P: [][][]env.Outcome{
			{{{Prob: 1, Next: 1, Reward: 0.5, Terminal: true}}, {{Prob: 0.6, Next: 1, Reward: 1, Terminal: true}, {Prob: 0.4, Next: 1, Terminal: true}}},
			{{{Prob: 1, Next: 1, Terminal: true}}, {{Prob: 1, Next: 1, Terminal: true}}},
		},
	}
}

// cliff: a corridor 0..4 with -1 per step and goal 4; in state 2, action 2
// ("shortcut") reaches the goal at once but falls back to 0 with reward -100
// with probability 0.5. Walking costs 2 more steps from 2, so the shortcut's
// expected cost (0.5*1 + 0.5*(100 + V(0))) is far worse.
func cliff() *Tabular {
	m := &Tabular{Init: []float64{1, 0, 0, 0, 0}}
	for s := range 5 {
		if s == 4 {
			end := []env.Outcome{{Prob: 1, Next: 4, Terminal: true}}
			m.P = append(m.P, [][]env.Outcome{end, end, end})
			continue
		}
		right := env.Outcome{Prob: 1, Next: s + 1, Reward: -1, Terminal: s+1 == 4}
		left := env.Outcome{Prob: 1, Next: max(s-1, 0), Reward: -1}
		short := []env.Outcome{{Prob: 1, Next: s, Reward: -1}}
		if s == 2 {
			short = []env.Outcome{{Prob: 0.5, Next: 4, Reward: -1, Terminal: true}, {Prob: 0.5, Next: 0, Reward: -100}}
		}
		m.P = append(m.P, [][]env.Outcome{{left}, {right}, short})
	}
	return m
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestFiniteHorizonChain(t *testing.T) {
	m := chain(5) // goal is 4 steps from the start
	for _, tt := range []struct {
		horizon int
		gamma   float64
		want    float64
	}{
		{3, 1, 0},         // the goal is out of reach
		{4, 1, 1},         // just enough steps
		{100, 1, 1},       // more steps change nothing
		{100, 0.9, 0.729}, // discounted: gamma^3 (reward on the 4th step)
	} {
		sol, err := FiniteHorizon(m, tt.horizon, tt.gamma)
		if err != nil {
			t.Fatal(err)
		}
		if got := StartValue(m, sol.V); !near(got, tt.want) {
			t.Errorf("horizon %d gamma %g: start value %v, want %v", tt.horizon, tt.gamma, got, tt.want)
		}
		// With time to spare and no discount, dawdling at the start is optimal too.
		if tt.want > 0 && (tt.horizon == 4 || tt.gamma < 1) && sol.Policy[0] != 1 {
			t.Errorf("horizon %d: policy at start %d, want 1 (right)", tt.horizon, sol.Policy[0])
		}
	}
}

func TestSolversAgree(t *testing.T) {
	for name, m := range map[string]*Tabular{"chain": chain(6), "gamble": gamble(), "cliff": cliff()} {
		vi, err := ValueIteration(m, 0.95, 1e-12, 10000)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		pi, err := PolicyIteration(m, 0.95, 1e-12, 1000)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		fh, err := FiniteHorizon(m, 2000, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		for s := range vi.V {
			if !near(vi.V[s], pi.V[s]) || !near(vi.V[s], fh.V[s]) {
				t.Errorf("%s state %d: VI %v, PI %v, finite-horizon %v", name, s, vi.V[s], pi.V[s], fh.V[s])
			}
			if vi.Policy[s] != pi.Policy[s] {
				t.Errorf("%s state %d: VI action %d, PI action %d", name, s, vi.Policy[s], pi.Policy[s])
			}
		}
		// The optimal policy's own value is the optimal value.
		ev, err := EvaluatePolicy(m, vi.Policy, 2000, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := StartValue(m, ev), StartValue(m, vi.V); !near(got, want) {
			t.Errorf("%s: value of the optimal policy %v, optimal value %v", name, got, want)
		}
	}
}

func TestGambleTakesTheRisk(t *testing.T) {
	sol, err := FiniteHorizon(gamble(), 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !near(sol.V[0], 0.6) || sol.Policy[0] != 1 {
		t.Errorf("V %v, action %d; want 0.6 and the gamble (1)", sol.V[0], sol.Policy[0])
	}
}

func TestUndiscountedShortestPath(t *testing.T) {
	m := cliff()
	sol, err := ValueIteration(m, 1, 1e-12, 10000)
	if err != nil {
		t.Fatal(err)
	}
	if got := StartValue(m, sol.V); !near(got, -4) {
		t.Errorf("start value %v, want -4", got)
	}
	if sol.Policy[2] != 1 {
		t.Errorf("state 2 takes action %d, want 1 (walk, not the shortcut)", sol.Policy[2])
	}
}

func TestErrors(t *testing.T) {
	m := chain(3)
	bad := &Tabular{Init: []float64{1}, P: [][][]env.Outcome{{{{Prob: 0.5, Next: 0}}}}}
	tests := []struct {
		name string
		err  func() error
		want string
	}{
		{"zero horizon", func() error { _, err := FiniteHorizon(m, 0, 1); return err }, "horizon must be positive"},
		{"discount above 1", func() error { _, err := ValueIteration(m, 1.5, 1e-9, 10); return err }, "outside (0, 1]"},
		{"discount zero", func() error { _, err := FiniteHorizon(m, 3, 0); return err }, "outside (0, 1]"},
		{"pi undiscounted", func() error { _, err := PolicyIteration(m, 1, 1e-9, 10); return err }, "discount below 1"},
		{"probabilities", func() error { _, err := FiniteHorizon(bad, 3, 1); return err }, "sum to 0.5"},
		// Going left forever never ends: undiscounted VI on a model with a
		// zero-reward loop still converges, but a -1 loop that can never
		// terminate does not; 3 sweeps are not enough for anything here.
		{"not converged", func() error { _, err := ValueIteration(cliff(), 1, 1e-12, 3); return err }, "did not converge"},
	}
	for _, tt := range tests {
		err := tt.err()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

func TestModelEnvSamplesTheModel(t *testing.T) {
	e := NewModelEnv("gamble", gamble(), 0)
	e.Seed(3)
	wins := 0
	const n = 20000
	for range n {
		e.Reset()
		_, r, term, trunc := e.Step(env.DiscreteAction(1))
		if !term || trunc {
			t.Fatal("the gamble should end after one step")
		}
		if r == 1 {
			wins++
		}
	}
	if f := float64(wins) / n; math.Abs(f-0.6) > 0.015 {
		t.Errorf("win rate %.3f, want 0.6", f)
	}
	var _ env.Model = e
	c := NewModelEnv("chain", chain(10), 5)
	c.Reset()
	for i := 1; i <= 5; i++ {
		_, _, term, trunc := c.Step(env.DiscreteAction(0))
		if term || trunc != (i == 5) {
			t.Fatalf("step %d: terminated %v truncated %v", i, term, trunc)
		}
	}
}
