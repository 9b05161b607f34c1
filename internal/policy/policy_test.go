package policy

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func newRNG() *rand.Rand { return rand.New(rand.NewPCG(1, 2)) }

func TestArgmaxBreaksTiesUniformly(t *testing.T) {
	rng := newRNG()
	q := []float64{1, 3, 0, 3, 3}
	var counts [5]int
	const n = 30000
	for range n {
		counts[Argmax(q, rng)]++
	}
	if counts[0]+counts[2] != 0 {
		t.Fatalf("non-maximal actions chosen: %v", counts)
	}
	for _, a := range []int{1, 3, 4} {
		if f := float64(counts[a]) / n; math.Abs(f-1.0/3) > 0.02 {
			t.Errorf("action %d chosen %.3f of the time, want 1/3", a, f)
		}
	}
	if got := ArgmaxFirst(q); got != 1 {
		t.Errorf("ArgmaxFirst = %d, want 1", got)
	}
}

func TestSchedules(t *testing.T) {
	tests := []struct {
		s    Schedule
		pos  int64
		want float64
	}{
		{Constant{0.1}, 1000, 0.1},
		{Linear{1, 0.1, 100}, 0, 1},
		{Linear{1, 0.1, 100}, 50, 0.55},
		{Linear{1, 0.1, 100}, 100, 0.1},
		{Linear{1, 0.1, 100}, 1e9, 0.1},
		{Exponential{1, 0.1, 0.5}, 0, 1},
		{Exponential{1, 0.1, 0.5}, 1, 0.55},
		{Exponential{1, 0.1, 0.5}, 1000, 0.1},
	}
	for _, tt := range tests {
		if got := tt.s.Value(tt.pos); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("%s at %d = %v, want %v", tt.s, tt.pos, got, tt.want)
		}
	}
}

func TestEpsilonGreedyFollowsSchedule(t *testing.T) {
	e, err := New(Config{Kind: "epsilon-greedy", Schedule: "linear", Start: 1, End: 0, DecaySteps: 10})
	if err != nil {
		t.Fatal(err)
	}
	rng := newRNG()
	q := []float64{0, 0, 5, 0}
	greedyShare := func() float64 {
		hits := 0
		for range 20000 {
			if e.Select(q, rng) == 2 {
				hits++
			}
		}
		return float64(hits) / 20000
	}
	// epsilon 1: uniform, the greedy action gets 1/4.
	if f := greedyShare(); math.Abs(f-0.25) > 0.02 {
		t.Errorf("epsilon 1: greedy share %.3f, want 0.25", f)
	}
	e.SetPosition(5) // epsilon 0.5: 0.5 + 0.5/4
	if f := greedyShare(); math.Abs(f-0.625) > 0.02 {
		t.Errorf("epsilon 0.5: greedy share %.3f, want 0.625", f)
	}
	for range 5 {
		e.Advance()
	}
	if e.Position() != 10 {
		t.Fatalf("position %d, want 10", e.Position())
	}
	if f := greedyShare(); f != 1 {
		t.Errorf("epsilon 0: greedy share %.3f, want 1", f)
	}
}

func TestBoltzmannProbabilities(t *testing.T) {
	b := &Boltzmann{Temperature: Constant{0.5}}
	rng := newRNG()
	q := []float64{1, 0, 1000.5} // the large value checks overflow safety
	q2 := []float64{0, math.Log(3) * 0.5}
	var c [2]int
	for range 40000 {
		c[b.Select(q2, rng)]++
	}
	// exp(0)/(exp(0)+exp(ln 3)) = 1/4
	if f := float64(c[0]) / 40000; math.Abs(f-0.25) > 0.015 {
		t.Errorf("P(action 0) = %.3f, want 0.25", f)
	}
	if a := b.Select(q, rng); a != 2 {
		t.Errorf("large gap: chose %d, want 2", a)
	}
}

func TestUCBTriesEveryActionThenExploits(t *testing.T) {
	u := &UCB{C: 0.1}
	rng := newRNG()
	q := []float64{0, 1, 0.5}
	seen := map[int]bool{}
	for range 3 {
		seen[u.SelectState(7, q, rng)] = true
	}
	if len(seen) != 3 {
		t.Fatalf("first three picks cover %v, want every action", seen)
	}
	best := 0
	for range 100 {
		if u.SelectState(7, q, rng) == 1 {
			best++
		}
	}
	if best < 90 {
		t.Errorf("best action chosen %d of 100 times", best)
	}
	if len(u.Counts) != 8 || u.Counts[7][1] < 90 {
		t.Errorf("counts not kept per state: %v", u.Counts)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		c    Config
		want string
	}{
		{Config{Kind: "thompson"}, "unknown exploration"},
		{Config{Kind: "epsilon-greedy", Schedule: "cosine", Start: 0.1}, "unknown epsilon schedule"},
		{Config{Kind: "epsilon-greedy", Start: 1.5}, "epsilon must lie in [0, 1]"},
		{Config{Kind: "epsilon-greedy", Schedule: "linear", Start: 1}, "decay steps must be positive"},
		{Config{Kind: "boltzmann", Schedule: "exponential", Start: 1, Decay: 1}, "decay factor must lie in (0, 1)"},
		{Config{Kind: "boltzmann", Start: 0}, "temperature must be positive"},
		{Config{Kind: "ucb"}, "must be positive"},
	}
	for _, tt := range tests {
		_, err := New(tt.c)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%+v) error %v, want one containing %q", tt.c, err, tt.want)
		}
	}
}

func TestProbs(t *testing.T) {
	q := []float64{1, 2, 2, 0}
	dst := make([]float64, 4)
	(&EpsilonGreedy{Epsilon: Constant{0.2}}).Probs(q, dst)
	want := []float64{0.05, 0.05 + 0.4, 0.05 + 0.4, 0.05}
	for i := range want {
		if math.Abs(dst[i]-want[i]) > 1e-12 {
			t.Fatalf("epsilon-greedy probs %v, want %v", dst, want)
		}
	}
	(&Greedy{}).Probs(q, dst)
	if dst[0] != 0 || dst[1] != 0.5 || dst[2] != 0.5 || dst[3] != 0 {
		t.Errorf("greedy probs %v", dst)
	}
	(&Boltzmann{Temperature: Constant{1}}).Probs([]float64{0, math.Log(3)}, dst)
	if math.Abs(dst[0]-0.25) > 1e-12 || math.Abs(dst[1]-0.75) > 1e-12 {
		t.Errorf("boltzmann probs %v", dst[:2])
	}
}
