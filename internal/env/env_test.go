package env

import (
	"errors"
	"math"
	"sort"
	"strings"
	"testing"
)

var allIDs = []string{"Acrobot-v1", "CartPole-v1", "CliffWalking-v0", "CliffWalking-v1", "FrozenLake-v1",
	"FrozenLake8x8-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Pendulum-v1", "Taxi-v3", "Taxi-v4"}

func TestRegistryListsEveryID(t *testing.T) {
	specs := Specs()
	var ids []string
	for _, s := range specs {
		ids = append(ids, s.ID)
	}
	if strings.Join(ids, " ") != strings.Join(allIDs, " ") {
		t.Fatalf("Specs ids = %v, want %v", ids, allIDs)
	}
	if !sort.StringsAreSorted(ids) {
		t.Fatalf("Specs not sorted: %v", ids)
	}
	// Specs hands out copies.
	specs[0].MaxEpisodeSteps = 12345
	if s, _ := Lookup(specs[0].ID); s.MaxEpisodeSteps == 12345 {
		t.Fatal("Specs returned the registry's own spec")
	}
}

func TestSpecsMatchGymnasiumRegistrations(t *testing.T) {
	tests := []struct {
		id        string
		obs, act  string
		limit     int
		threshold float64 // NaN: none
	}{
		{"CartPole-v1", "Box(4)", "Discrete(2)", 500, 475},
		{"MountainCar-v0", "Box(2)", "Discrete(3)", 200, -110},
		{"Acrobot-v1", "Box(6)", "Discrete(3)", 500, -100},
		{"Pendulum-v1", "Box(3)", "Box(1)", 200, math.NaN()},
		{"FrozenLake-v1", "Discrete(16)", "Discrete(4)", 100, 0.70},
		{"FrozenLake8x8-v1", "Discrete(64)", "Discrete(4)", 200, 0.85},
		{"Taxi-v3", "Discrete(500)", "Discrete(6)", 200, 8},
		{"Taxi-v4", "Discrete(500)", "Discrete(6)", 200, 8},
		{"CliffWalking-v0", "Discrete(48)", "Discrete(4)", 0, math.NaN()},
		{"CliffWalking-v1", "Discrete(48)", "Discrete(4)", 0, math.NaN()},
	}
	for _, tc := range tests {
		s, err := Lookup(tc.id)
		if err != nil {
			t.Fatal(err)
		}
		if s.Observation.String() != tc.obs || s.Action.String() != tc.act || s.MaxEpisodeSteps != tc.limit {
			t.Errorf("%s: %s %s limit %d, want %s %s %d", tc.id, s.Observation, s.Action, s.MaxEpisodeSteps, tc.obs, tc.act, tc.limit)
		}
		if math.IsNaN(tc.threshold) != (s.RewardThreshold == nil) || (s.RewardThreshold != nil && *s.RewardThreshold != tc.threshold) {
			t.Errorf("%s: reward threshold %v, want %v", tc.id, s.RewardThreshold, tc.threshold)
		}
		e, err := Make(tc.id)
		if err != nil {
			t.Fatal(err)
		}
		if e.Spec().ID != tc.id || e.Spec().MaxEpisodeSteps != tc.limit {
			t.Errorf("Make(%s).Spec() = %s limit %d", tc.id, e.Spec().ID, e.Spec().MaxEpisodeSteps)
		}
		if _, wrapped := e.(*TimeLimit); wrapped != (tc.limit > 0) {
			t.Errorf("%s: wrapped in a time limit = %v, want %v", tc.id, wrapped, tc.limit > 0)
		}
	}
}

func TestUnknownIDListsKnownOnes(t *testing.T) {
	_, err := Make("CartPole-v0")
	if !errors.Is(err, ErrUnknownID) {
		t.Fatalf("err = %v, want ErrUnknownID", err)
	}
	for _, id := range allIDs {
		if !strings.Contains(err.Error(), id) {
			t.Errorf("error %q does not list %s", err, id)
		}
	}
	if _, err := Lookup("nope"); !errors.Is(err, ErrUnknownID) {
		t.Errorf("Lookup: %v", err)
	}
}

func TestBadOptions(t *testing.T) {
	tests := []struct {
		name string
		id   string
		opts []Option
		want string
	}{
		{"map on CartPole", "CartPole-v1", []Option{WithMap("4x4")}, `option "map" does not apply`},
		{"slippery on Taxi", "Taxi-v3", []Option{WithSlippery(true)}, `option "slippery" does not apply`},
		{"negative limit", "CartPole-v1", []Option{WithMaxEpisodeSteps(-1)}, "want a positive number"},
		{"ragged map", "FrozenLake-v1", []Option{WithMap("SFF,FH")}, "row 2 has 2 tiles"},
		{"bad tile", "FrozenLake-v1", []Option{WithMap("SFX,FFG")}, `column 3 is 'X'`},
		{"no start", "FrozenLake-v1", []Option{WithMap("FFF,FFG")}, "no start tile"},
		{"empty map", "FrozenLake-v1", []Option{WithMap("")}, "is empty"},
		{"unknown name", "FrozenLake-v1", []Option{WithMap("5x5")}, "tiles are S"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Make(tc.id, tc.opts...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestFrozenLakeMaps(t *testing.T) {
	for _, tc := range []struct {
		id     string
		opts   []Option
		states int
	}{
		{"FrozenLake-v1", nil, 16},
		{"FrozenLake-v1", []Option{WithMap("8x8")}, 64},
		{"FrozenLake8x8-v1", nil, 64},
		{"FrozenLake-v1", []Option{WithMap("SFH,FFG")}, 6},
	} {
		e, err := Make(tc.id, tc.opts...)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := ModelOf(e)
		if m.NumStates() != tc.states || e.Spec().Observation.N != tc.states {
			t.Errorf("%s %d opts: %d states (spec %d), want %d", tc.id, len(tc.opts), m.NumStates(), e.Spec().Observation.N, tc.states)
		}
	}
}

func TestModelsAreDistributions(t *testing.T) {
	for _, id := range []string{"FrozenLake-v1", "FrozenLake8x8-v1", "Taxi-v3", "CliffWalking-v0"} {
		for _, slip := range []bool{false, true} {
			var opts []Option
			if id != "Taxi-v3" {
				opts = append(opts, WithSlippery(slip))
			}
			e, err := Make(id, opts...)
			if err != nil {
				t.Fatal(err)
			}
			m, ok := ModelOf(e)
			if !ok {
				t.Fatalf("%s has no model", id)
			}
			for s := 0; s < m.NumStates(); s++ {
				for a := 0; a < m.NumActions(); a++ {
					sum := 0.0
					for _, o := range m.Transitions(s, a) {
						sum += o.Prob
						if o.Next < 0 || o.Next >= m.NumStates() {
							t.Fatalf("%s P[%d][%d] leads to %d", id, s, a, o.Next)
						}
					}
					if math.Abs(sum-1) > 1e-12 {
						t.Fatalf("%s P[%d][%d] sums to %v", id, s, a, sum)
					}
				}
			}
			sum := 0.0
			for _, p := range m.InitialDistribution() {
				sum += p
			}
			if math.Abs(sum-1) > 1e-12 {
				t.Fatalf("%s initial distribution sums to %v", id, sum)
			}
		}
	}
	if _, ok := ModelOf(must(Make("CartPole-v1"))); ok {
		t.Error("CartPole claims a tabular model")
	}
}

func must(e Env, err error) Env {
	if err != nil {
		panic(err)
	}
	return e
}

// TestSlipperyFrequencies checks that sampling follows the model: from
// FrozenLake's state 6 going down, three outcomes of 1/3 each.
func TestSlipperyFrequencies(t *testing.T) {
	e := must(Make("FrozenLake-v1"))
	m, _ := ModelOf(e)
	outs := m.Transitions(6, 1)
	counts := map[int]int{}
	e.Seed(7)
	const n = 30000
	for i := 0; i < n; i++ {
		e.Reset()
		if err := SetState(e, []float64{6}); err != nil {
			t.Fatal(err)
		}
		obs, _, _, _ := e.Step(DiscreteAction(1))
		counts[int(obs[0])]++
	}
	want := map[int]float64{}
	for _, o := range outs {
		want[o.Next] += o.Prob
	}
	for s, p := range want {
		got := float64(counts[s]) / n
		if math.Abs(got-p) > 0.015 {
			t.Errorf("P(6 -down-> %d) sampled %v, model %v", s, got, p)
		}
	}
}

func TestResetDistributions(t *testing.T) {
	e := must(Make("Taxi-v3"))
	m, _ := ModelOf(e)
	e.Seed(1)
	seen := map[int]bool{}
	for i := 0; i < 5000; i++ {
		s := int(e.Reset()[0])
		if m.InitialDistribution()[s] == 0 {
			t.Fatalf("Taxi reset to %d, outside the initial distribution", s)
		}
		seen[s] = true
	}
	if len(seen) < 290 {
		t.Errorf("Taxi reset reached only %d of 300 start states", len(seen))
	}
	for _, tc := range []struct {
		id     string
		lo, hi []float64
	}{
		{"CartPole-v1", []float64{-0.05, -0.05, -0.05, -0.05}, []float64{0.05, 0.05, 0.05, 0.05}},
		{"MountainCar-v0", []float64{-0.6, 0}, []float64{-0.4, 0}},
	} {
		e := must(Make(tc.id))
		e.Seed(2)
		for i := 0; i < 1000; i++ {
			for j, v := range e.Reset() {
				if v < float32Round(tc.lo[j]) || v > float32Round(tc.hi[j]) {
					t.Fatalf("%s reset obs[%d] = %v outside [%v, %v]", tc.id, j, v, tc.lo[j], tc.hi[j])
				}
			}
		}
	}
}

func TestSeedIsDeterministic(t *testing.T) {
	for _, id := range allIDs {
		run := func() []float64 {
			e := must(Make(id))
			e.Seed(42)
			var out []float64
			out = append(out, e.Reset()...)
			rng := NewRNG(1)
			for i := 0; i < 50; i++ {
				a := Action{Continuous: []float64{rng.Uniform(-2, 2)}}
				if e.Spec().Action.Kind == Discrete {
					a = DiscreteAction(rng.Intn(e.Spec().Action.N))
				}
				obs, r, term, trunc := e.Step(a)
				out = append(out, obs...)
				out = append(out, r)
				if term || trunc {
					out = append(out, e.Reset()...)
				}
			}
			return out
		}
		a, b := run(), run()
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("%s: two runs with seed 42 differ at %d", id, i)
			}
		}
	}
}

func TestTimeLimitTruncatesNeverTerminates(t *testing.T) {
	e := must(Make("Pendulum-v1"))
	e.Seed(1)
	e.Reset()
	for i := 1; i <= 200; i++ {
		_, _, term, trunc := e.Step(Action{Continuous: []float64{0}})
		if term {
			t.Fatal("Pendulum terminated")
		}
		if trunc != (i == 200) {
			t.Fatalf("step %d: truncated = %v", i, trunc)
		}
	}
	e.Reset()
	if _, _, _, trunc := e.Step(Action{Continuous: []float64{0}}); trunc {
		t.Fatal("Reset did not restart the step count")
	}
	// A custom limit, and both flags at once when the end falls on the limit.
	e = must(Make("FrozenLake-v1", WithSlippery(false), WithMaxEpisodeSteps(2)))
	e.Seed(1)
	e.Reset()
	if err := SetState(e, []float64{13}); err != nil {
		t.Fatal(err)
	}
	e.Step(DiscreteAction(3)) // up to 9
	_, r, term, trunc := e.Step(DiscreteAction(1))
	if r != 0 || term || !trunc {
		t.Fatalf("second step: r %v term %v trunc %v", r, term, trunc)
	}
	e.Reset()
	if err := SetState(e, []float64{10}); err != nil {
		t.Fatal(err)
	}
	e.Step(DiscreteAction(1))                     // 14
	_, r, term, trunc = e.Step(DiscreteAction(2)) // goal on the last allowed step
	if r != 1 || !term || !trunc {
		t.Fatalf("goal on the limit: r %v term %v trunc %v, want 1 true true", r, term, trunc)
	}
}

func TestInvalidInput(t *testing.T) {
	e := must(Make("CartPole-v1"))
	e.Reset()
	func() {
		defer func() {
			var ae *ActionError
			if r := recover(); r == nil || !errors.As(r.(error), &ae) {
				t.Fatalf("Step(2) on CartPole: recovered %v, want *ActionError", r)
			}
			if !strings.Contains(ae.Error(), "valid: 0..1") {
				t.Errorf("message %q", ae.Error())
			}
		}()
		e.Step(DiscreteAction(2))
	}()
	if err := ValidateAction(e.Spec(), DiscreteAction(-1)); err == nil {
		t.Error("ValidateAction accepted -1")
	}
	p := must(Make("Pendulum-v1"))
	if err := ValidateAction(p.Spec(), Action{Continuous: []float64{1, 2}}); err == nil {
		t.Error("ValidateAction accepted a 2-vector for Pendulum")
	}
	for _, tc := range []struct {
		id    string
		state []float64
		want  string
	}{
		{"CartPole-v1", []float64{1, 2}, "want 4 values"},
		{"Acrobot-v1", nil, "want 4 values"},
		{"Taxi-v3", []float64{500}, "0..499"},
		{"Taxi-v3", []float64{1.5}, "integer"},
		{"FrozenLake-v1", []float64{1, 2}, "want 1"},
	} {
		err := SetState(must(Make(tc.id)), tc.state)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s SetState(%v): %v, want %q", tc.id, tc.state, err, tc.want)
		}
	}
}

// TestCartPoleAfterTermination: Gymnasium pays 1 on the terminating step and
// 0 on steps taken after it without a reset.
func TestCartPoleAfterTermination(t *testing.T) {
	e := must(Make("CartPole-v1"))
	e.Reset()
	SetState(e, []float64{2.39, 1, 0, 0})
	_, r, term, _ := e.Step(DiscreteAction(1))
	if r != 1 || !term {
		t.Fatalf("terminating step: r %v term %v", r, term)
	}
	if _, r, term, _ = e.Step(DiscreteAction(1)); r != 0 || !term {
		t.Fatalf("step after termination: r %v term %v, want 0 true", r, term)
	}
	e.Reset()
	if _, r, _, _ = e.Step(DiscreteAction(1)); r != 1 {
		t.Fatalf("after reset: r %v", r)
	}
}

func TestRNG(t *testing.T) {
	r := NewRNG(5)
	var counts [3]int
	sum := 0.0
	for i := 0; i < 30000; i++ {
		f := r.Float64()
		if f < 0 || f >= 1 {
			t.Fatalf("Float64 = %v", f)
		}
		sum += f
		counts[r.Intn(3)]++
	}
	if math.Abs(sum/30000-0.5) > 0.01 {
		t.Errorf("mean %v", sum/30000)
	}
	for i, c := range counts {
		if c < 9500 || c > 10500 {
			t.Errorf("Intn(3) gave %d %d times of 30000", i, c)
		}
	}
}
