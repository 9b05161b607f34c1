package mdp

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/xlrl/xlrl/internal/env"
)

// randomModel is a small random MDP: each action leads to one to three
// next states with random probabilities and rewards, some of them terminal.
func randomModel(rng *rand.Rand, nS, nA int) *Tabular {
	m := &Tabular{Init: make([]float64, nS)}
	sum := 0.0
	for s := range nS {
		if s == 0 || rng.IntN(3) == 0 {
			m.Init[s] = rng.Float64() + 0.1
			sum += m.Init[s]
		}
	}
	for s := range m.Init {
		m.Init[s] /= sum
	}
	for range nS {
		row := make([][]env.Outcome, nA)
		for a := range row {
			k := 1 + rng.IntN(3)
			total := 0.0
			for range k {
				o := env.Outcome{Prob: rng.Float64() + 0.05, Next: rng.IntN(nS), Reward: math.Round(rng.NormFloat64()*4) / 4, Terminal: rng.IntN(5) == 0}
				total += o.Prob
				row[a] = append(row[a], o)
			}
			for i := range row[a] {
				row[a][i].Prob /= total
			}
		}
		m.P = append(m.P, row)
	}
	return m
}

// bestByEnumeration evaluates every stationary deterministic policy.
func bestByEnumeration(t *testing.T, m env.Model, horizon int, gamma float64) float64 {
	t.Helper()
	nS, nA := m.NumStates(), m.NumActions()
	pi := make([]int, nS)
	best := math.Inf(-1)
	for {
		v, err := EvaluatePolicy(m, pi, horizon, gamma)
		if err != nil {
			t.Fatal(err)
		}
		best = max(best, StartValue(m, v))
		i := 0
		for i < nS && pi[i] == nA-1 {
			pi[i] = 0
			i++
		}
		if i == nS {
			return best
		}
		pi[i]++
	}
}

func TestBestStationaryMatchesEnumeration(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	gaps, firstStepWorse := 0, 0
	for trial := range 400 {
		nS, nA := 2+rng.IntN(4), 2+rng.IntN(2)
		horizon := 1 + rng.IntN(12)
		gamma := []float64{1, 0.9}[trial%2]
		m := randomModel(rng, nS, nA)
		got, err := BestStationary(m, horizon, gamma, 1_000_000)
		if err != nil {
			t.Fatal(err)
		}
		want := bestByEnumeration(t, m, horizon, gamma)
		if !got.Exact || math.Abs(got.Value-want) > 1e-9 || got.Bound != got.Value {
			t.Fatalf("trial %d (%d states, %d actions, horizon %d, gamma %g): got %+v, enumeration %.12f", trial, nS, nA, horizon, gamma, got, want)
		}
		v, _ := EvaluatePolicy(m, got.Policy, horizon, gamma)
		if pv := StartValue(m, v); math.Abs(pv-got.Value) > 1e-12 {
			t.Fatalf("trial %d: the returned policy is worth %g, not the reported %g", trial, pv, got.Value)
		}
		// How often the cases that make the search necessary occurred.
		sol, _ := FiniteHorizon(m, horizon, gamma)
		if StartValue(m, sol.V) > want+1e-9 {
			gaps++
		}
		v, _ = EvaluatePolicy(m, sol.Policy, horizon, gamma)
		if StartValue(m, v) < want-1e-9 {
			firstStepWorse++
		}
	}
	// The comparison must have covered models where no stationary policy
	// reaches the time-dependent optimum, and where the optimal first-step
	// actions used at every step are not the best stationary policy.
	if gaps < 20 || firstStepWorse < 20 {
		t.Fatalf("only %d models with a gap to the time-dependent optimum and %d where its first-step policy is not the best stationary one", gaps, firstStepWorse)
	}
}

func TestBestStationaryFrozenLake(t *testing.T) {
	for _, tt := range []struct {
		id      string
		horizon int
		want    float64 // the best stationary value, rounded
		opt     float64 // the time-dependent optimum, rounded
	}{
		{"FrozenLake-v1", 100, 0.7402, 0.7442},
		{"FrozenLake8x8-v1", 200, 0.8936, 0.9132},
	} {
		e, err := env.Make(tt.id)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := env.ModelOf(e)
		got, err := BestStationary(m, tt.horizon, 1, 100_000)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Exact || math.Abs(got.Value-tt.want) > 5e-5 {
			t.Errorf("%s: best stationary %+v, want %.4f exactly", tt.id, got, tt.want)
		}
		sol, _ := FiniteHorizon(m, tt.horizon, 1)
		if opt := StartValue(m, sol.V); math.Abs(opt-tt.opt) > 5e-5 || got.Value >= opt {
			t.Errorf("%s: time-dependent optimum %.6f, best stationary %.6f: want %.4f above it", tt.id, opt, got.Value, tt.opt)
		}
	}
}

func TestBestStationaryNodeLimit(t *testing.T) {
	e, _ := env.Make("FrozenLake8x8-v1")
	m, _ := env.ModelOf(e)
	exact, err := BestStationary(m, 200, 1, 100_000)
	if err != nil || !exact.Exact {
		t.Fatalf("full search: %+v, %v", exact, err)
	}
	cut, err := BestStationary(m, 200, 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	if cut.Exact || cut.Nodes > 3 {
		t.Fatalf("a 3-node search of FrozenLake 8x8 reports %+v", cut)
	}
	if !(cut.Value <= exact.Value+1e-12 && exact.Value <= cut.Bound+1e-12) {
		t.Fatalf("the cut search's bracket [%g, %g] misses the maximum %g", cut.Value, cut.Bound, exact.Value)
	}
}

func TestBestStationaryBadInput(t *testing.T) {
	m := chain(4)
	if _, err := BestStationary(m, 0, 1, 10); err == nil {
		t.Error("horizon 0 accepted")
	}
	if _, err := BestStationary(m, 5, 0, 10); err == nil {
		t.Error("discount 0 accepted")
	}
	if _, err := BestStationary(m, 5, 1, 0); !errors.Is(err, ErrBadLimit) {
		t.Errorf("node limit 0: %v", err)
	}
	got, err := BestStationary(m, 5, 1, 10)
	if err != nil || !got.Exact || !near(got.Value, 1) {
		t.Errorf("chain: %+v, %v; want 1", got, err)
	}
}

func TestBestStationaryKnownPolicy(t *testing.T) {
	e, _ := env.Make("FrozenLake8x8-v1")
	m, _ := env.ModelOf(e)
	exact, _ := BestStationary(m, 200, 1, 100_000)
	// Cut after one node but given the best policy: it is kept.
	cut, err := BestStationary(m, 200, 1, 1, make([]int, 64), exact.Policy)
	if err != nil {
		t.Fatal(err)
	}
	if cut.Value != exact.Value {
		t.Errorf("given the best policy, a cut search returns %g, not %g", cut.Value, exact.Value)
	}
	if _, err := BestStationary(m, 200, 1, 1, make([]int, 3)); err == nil {
		t.Error("a policy of the wrong length accepted")
	}
	if _, err := BestStationary(m, 200, 1, 1, append(make([]int, 63), 4)); err == nil {
		t.Error("action 4 of 4 accepted")
	}
}
