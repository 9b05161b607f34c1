package backend

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/xlrl/xlrl/internal/nn"
)

func TestBootstrapTargets(t *testing.T) {
	// One minibatch (k = 1 of 2) of three rows, two actions: a terminal
	// transition (discount 0), and two where the online argmax picks the
	// target network's smaller value.
	b := NewBatches(2, 3, 1)
	d := b.NewBootstrap(2)
	copy(d.R[3:], []float32{1, 1, 0.5})
	copy(d.Discount[3:], []float32{0, 0.5, 0.5})
	copy(d.QTarget[6:], []float32{100, 200, 3, 7, 4, 2})
	qOnline := []float32{0, 0, 9, 1, 1, 5}
	y := make([]float32, 3)
	d.Targets(1, 3, qOnline, y)
	if want := []float32{1, 1 + 0.5*3, 0.5 + 0.5*2}; !slices.Equal(y, want) {
		t.Errorf("Double DQN targets %v, want %v", y, want)
	}
}

// doubleBatches is K minibatches with a Double DQN bootstrap whose next
// states are the states themselves: training moves the online argmax.
func doubleBatches(rng *rand.Rand, k, n, in, nA int) *Batches {
	bs := NewBatches(k, n, in)
	bs.Double = bs.NewBootstrap(nA)
	for j := range bs.X {
		bs.X[j] = float32(rng.NormFloat64())
		bs.Double.Next[j] = float32(rng.NormFloat64())
	}
	for j := range bs.A {
		bs.A[j] = int32(rng.IntN(nA))
		bs.Double.R[j] = float32(rng.NormFloat64())
		bs.Double.Discount[j] = 0.99
		if rng.IntN(10) == 0 {
			bs.Double.Discount[j] = 0
		}
	}
	for j := range bs.Double.QTarget {
		bs.Double.QTarget[j] = float32(3 * rng.NormFloat64())
	}
	return bs
}

// referenceDouble takes the steps of bs by hand: before step k the online
// argmax is that of the weights the previous k steps left (perStep), or of
// the weights at the call's start (the stale argmax this package replaced).
func referenceDouble(init *nn.MLP, cfg NetConfig, bs *Batches, perStep bool) *nn.MLP {
	tr := nn.NewTrainer(init.Clone(), cfg.Loss, cfg.LR, bs.N)
	tr.MaxGradNorm = cfg.MaxGradNorm
	start := init.Clone()
	ws := start.NewWorkspace(bs.N)
	y := make([]float32, bs.N)
	for k := 0; k < bs.K; k++ {
		x, a, _ := bs.Row(k)
		next := bs.Double.Next[k*bs.N*bs.In : (k+1)*bs.N*bs.In]
		online := start
		if perStep {
			online = tr.Net
		}
		bs.Double.Targets(k, bs.N, online.Forward(ws, next, bs.N), y)
		tr.Step(x, a, y, bs.N)
	}
	return tr.Net
}

// TestDoubleTargetsUseEachStepsOnlineNet: the go backend's Double DQN step
// k takes the argmax with the weights after steps 0..k-1, which gives other
// weights than an argmax taken once with the call's starting weights.
func TestDoubleTargetsUseEachStepsOnlineNet(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(21, 22))
	init, err := nn.New(nn.Spec{In: 4, Hidden: []int{16, 16}, Act: nn.ReLU, Out: 3}, rng)
	if err != nil {
		t.Fatal(err)
	}
	cfg := NetConfig{Loss: nn.Huber, LR: 0.05, MaxGradNorm: 10}
	bs := doubleBatches(rng, 6, 32, 4, 3)
	net, err := NewGo().NewNet(ctx, cfg, init)
	if err != nil {
		t.Fatal(err)
	}
	got := init.Clone()
	if _, err := net.Fit(ctx, bs, got); err != nil {
		t.Fatal(err)
	}
	want := referenceDouble(init, cfg, bs, true)
	if !slices.Equal(got.Params, want.Params) {
		t.Fatal("the go backend's Double DQN steps differ from steps taking each step's online argmax")
	}
	if stale := referenceDouble(init, cfg, bs, false); slices.Equal(got.Params, stale.Params) {
		t.Fatal("per-step and call-start argmax gave the same weights: the check would prove nothing")
	}
}

func TestDoubleBootstrapOfTheWrongSize(t *testing.T) {
	ctx := context.Background()
	init, _ := nn.New(nn.Spec{In: 2, Hidden: []int{4}, Act: nn.ReLU, Out: 2}, rand.New(rand.NewPCG(1, 1)))
	net, _ := NewGo().NewNet(ctx, NetConfig{Loss: nn.MSE, LR: 1e-3}, init)
	bs := NewBatches(2, 4, 2)
	bs.Double = bs.NewBootstrap(2)
	bs.Double.QTarget = bs.Double.QTarget[:3]
	if _, err := net.Fit(ctx, bs, nil); err == nil || !strings.Contains(err.Error(), "Double DQN bootstrap") {
		t.Fatalf("Fit with a short bootstrap: %v", err)
	}
}

// TestTFDoubleMatchesGo: the worker computes Double DQN's per-step targets
// as the go backend does (the same weights after the steps).
func TestTFDoubleMatchesGo(t *testing.T) {
	ctx := context.Background()
	tf := NewTF(sharedWorker(t))
	rng := rand.New(rand.NewPCG(23, 24))
	init, err := nn.New(nn.Spec{In: 4, Hidden: []int{16, 16}, Act: nn.ReLU, Out: 3}, rng)
	if err != nil {
		t.Fatal(err)
	}
	cfg := NetConfig{Loss: nn.Huber, LR: 0.01, MaxGradNorm: 10}
	bs := doubleBatches(rng, 5, 32, 4, 3)
	remote, err := tf.NewNet(ctx, cfg, init)
	if err != nil {
		t.Fatal(err)
	}
	got := init.Clone()
	if _, err := remote.Fit(ctx, bs, got); err != nil {
		t.Fatal(err)
	}
	want := referenceDouble(init, cfg, bs, true)
	stale := referenceDouble(init, cfg, bs, false)
	var dWant, dStale float64
	for j := range want.Params {
		if !near(float64(got.Params[j]), float64(want.Params[j]), 2e-5) {
			t.Fatalf("parameter %d after %d Double DQN steps: tf %v, go %v", j, bs.K, got.Params[j], want.Params[j])
		}
		dWant = max(dWant, float64(abs32(got.Params[j]-want.Params[j])))
		dStale = max(dStale, float64(abs32(got.Params[j]-stale.Params[j])))
	}
	if dStale <= 10*dWant {
		t.Fatalf("tf is as close to the call-start argmax (%g) as to the per-step one (%g)", dStale, dWant)
	}
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}
