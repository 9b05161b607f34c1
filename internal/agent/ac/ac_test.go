package ac

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/nn"
)

// TestOrthogonalKernels: the kernels' shorter side is orthonormal times the
// gain, for tall, wide and square layers, and the biases are zero.
func TestOrthogonalKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	net, err := nn.New(nn.Spec{In: 3, Hidden: []int{8, 8}, Act: nn.Tanh, Out: 2}, rng)
	if err != nil {
		t.Fatal(err)
	}
	for i := range net.Params {
		net.Params[i] = 1
	}
	Orthogonal(net, math.Sqrt2, 0.01, rng)
	for l, ly := range net.Layers {
		gain := math.Sqrt2
		if l == len(net.Layers)-1 {
			gain = 0.01
		}
		k, n := ly.In, ly.Out
		get := func(v, i int) float64 { return float64(ly.W[v*ly.Out+i]) }
		if ly.In > ly.Out {
			k, n = ly.Out, ly.In
			get = func(v, i int) float64 { return float64(ly.W[i*ly.Out+v]) }
		}
		for u := 0; u < k; u++ {
			for v := 0; v < k; v++ {
				var d float64
				for i := 0; i < n; i++ {
					d += get(u, i) * get(v, i)
				}
				want := 0.0
				if u == v {
					want = gain * gain
				}
				if math.Abs(d-want) > 1e-5 {
					t.Fatalf("layer %d: vectors %d and %d have dot product %v, want %v", l, u, v, d, want)
				}
			}
		}
		for _, b := range ly.B {
			if b != 0 {
				t.Fatalf("layer %d: bias %v, want 0", l, b)
			}
		}
	}
}

// TestEvaluateContinuous: evaluation with continuous actions runs whole
// episodes (Pendulum's 200 steps each) and sums their rewards.
func TestEvaluateContinuous(t *testing.T) {
	e, err := env.Make("Pendulum-v1")
	if err != nil {
		t.Fatal(err)
	}
	e.Seed(3)
	calls := 0
	ev, err := Evaluate(context.Background(), e, 5, func(obs []float64) env.Action {
		calls++
		return env.Action{Continuous: []float64{2 * math.Copysign(1, obs[2])}}
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 5*200 || len(ev.Returns) != 5 {
		t.Fatalf("%d actions and %d returns for 5 episodes of 200 steps", calls, len(ev.Returns))
	}
	worst := -200 * (math.Pi*math.Pi + 0.1*64 + 0.001*4)
	for _, r := range ev.Returns {
		if r > 0 || r < worst || r == 0 {
			t.Fatalf("return %v is outside Pendulum's (%v, 0)", r, worst)
		}
	}
}

// TestReplayRing: the buffer keeps the newest transitions once full, and
// sampling returns stored rows whole.
func TestReplayRing(t *testing.T) {
	b, err := NewReplay(3, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		v := float32(i)
		b.Add([]float32{v, v}, []float32{-v}, v, []float32{v + 1, v + 1}, i == 4)
	}
	if b.Len() != 3 {
		t.Fatalf("length %d, want 3", b.Len())
	}
	bt := b.NewBatch(50)
	b.Sample(rand.New(rand.NewPCG(1, 1)), bt)
	seen := map[float32]bool{}
	for r := 0; r < bt.N; r++ {
		v := bt.Rew[r]
		seen[v] = true
		if v < 2 || bt.Obs[2*r] != v || bt.Obs[2*r+1] != v || bt.Act[r] != -v || bt.Next[2*r] != v+1 || bt.Term[r] != (v == 4) {
			t.Fatalf("row %d is not one stored transition: obs %v act %v rew %v next %v term %v", r, bt.Obs[2*r:2*r+2], bt.Act[r], v, bt.Next[2*r], bt.Term[r])
		}
	}
	if len(seen) != 3 {
		t.Fatalf("sampled %d distinct transitions of 3", len(seen))
	}
	if _, err := NewReplay(0, 2, 1); err == nil {
		t.Fatal("a buffer of capacity 0 was accepted")
	}
}

// TestRunningMeanStdMatchesBatchStatistics: folding batches in one by one
// gives the mean and variance of all the data (up to the 1e-4 prior).
func TestRunningMeanStdMatchesBatchStatistics(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	s := NewRunningMeanStd(2)
	var all []float64
	for b := 0; b < 7; b++ {
		n := 1 + rng.IntN(9)
		x := make([]float64, 2*n)
		for i := range x {
			x[i] = 3 + 2*rng.NormFloat64() + float64(i%2)*10
		}
		s.Update(x, n)
		all = append(all, x...)
	}
	n := len(all) / 2
	for j := 0; j < 2; j++ {
		var m, v float64
		for r := 0; r < n; r++ {
			m += all[2*r+j] / float64(n)
		}
		for r := 0; r < n; r++ {
			v += (all[2*r+j] - m) * (all[2*r+j] - m) / float64(n)
		}
		if math.Abs(s.Mean[j]-m) > 1e-4 || math.Abs(s.Var[j]-v) > 1e-3 {
			t.Fatalf("coordinate %d: running %v, %v; batch %v, %v", j, s.Mean[j], s.Var[j], m, v)
		}
	}
	dst := make([]float32, 2)
	s.Normalize(dst, []float64{s.Mean[0], s.Mean[1] + 1e6})
	if dst[0] != 0 || dst[1] != NormClip {
		t.Fatalf("normalised %v, want [0 %v]", dst, NormClip)
	}
}
