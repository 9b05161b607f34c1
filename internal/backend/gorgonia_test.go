//go:build gorgonia

package backend

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/xlrl/xlrl/internal/nn"
)

// TestGorgoniaAgreesWithGo: from the same weights and minibatches, Gorgonia's
// graph and the hand-written Go MLP reach the same loss and the same weights
// after several Adam steps, for every loss and activation.
func TestGorgoniaAgreesWithGo(t *testing.T) {
	ctx := context.Background()
	be, ok, err := OpenOptional(ctx, "gorgonia")
	if !ok || err != nil {
		t.Fatalf("gorgonia backend not registered in a -tags gorgonia build: %v", err)
	}
	if !slices.Contains(Names(), "gorgonia") {
		t.Errorf("Names() = %v lacks gorgonia", Names())
	}
	tests := []struct {
		loss nn.Loss
		act  nn.Activation
	}{{nn.MSE, nn.ReLU}, {nn.Huber, nn.Tanh}, {nn.Policy, nn.Tanh}, {nn.MSE, nn.Tanh}}
	for i, tt := range tests {
		t.Run(tt.loss.String()+"/"+tt.act.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, uint64(i)))
			init, err := nn.New(nn.Spec{In: 4, Hidden: []int{16, 8}, Act: tt.act, Out: 3}, rng)
			if err != nil {
				t.Fatal(err)
			}
			cfg := NetConfig{Loss: tt.loss, LR: 0.01, EntCoef: 0.05, MaxGradNorm: 0.5}
			gorg, err := be.NewNet(ctx, cfg, init)
			if err != nil {
				t.Fatal(err)
			}
			gonet, err := NewGo().NewNet(ctx, cfg, init)
			if err != nil {
				t.Fatal(err)
			}
			bs := NewBatches(4, 32, 4)
			for j := range bs.X {
				bs.X[j] = float32(rng.NormFloat64())
			}
			for j := range bs.A {
				bs.A[j] = int32(rng.IntN(3))
				bs.Y[j] = float32(3 * rng.NormFloat64())
			}
			gw, ww := init.Clone(), init.Clone()
			lg, err := gorg.Fit(ctx, bs, gw)
			if err != nil {
				t.Fatal(err)
			}
			lw, err := gonet.Fit(ctx, bs, ww)
			if err != nil {
				t.Fatal(err)
			}
			if !near(lg, lw, 1e-5) {
				t.Errorf("mean loss: gorgonia %g, go %g", lg, lw)
			}
			for j := range ww.Params {
				if !near(float64(gw.Params[j]), float64(ww.Params[j]), 1e-4) {
					t.Fatalf("parameter %d after 4 steps: gorgonia %g, go %g", j, gw.Params[j], ww.Params[j])
				}
			}
			if slices.Equal(gw.Params, init.Params) {
				t.Error("the weights did not move")
			}
		})
	}
}

// TestGorgoniaDoubleTargetsPerStep: Gorgonia's Double DQN steps take each
// step's online argmax, as the go backend's do.
func TestGorgoniaDoubleTargetsPerStep(t *testing.T) {
	ctx := context.Background()
	be, _, err := OpenOptional(ctx, "gorgonia")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(25, 26))
	init, err := nn.New(nn.Spec{In: 4, Hidden: []int{16, 16}, Act: nn.ReLU, Out: 3}, rng)
	if err != nil {
		t.Fatal(err)
	}
	cfg := NetConfig{Loss: nn.Huber, LR: 0.01, MaxGradNorm: 10}
	bs := doubleBatches(rng, 5, 32, 4, 3)
	net, err := be.NewNet(ctx, cfg, init)
	if err != nil {
		t.Fatal(err)
	}
	got := init.Clone()
	if _, err := net.Fit(ctx, bs, got); err != nil {
		t.Fatal(err)
	}
	want := referenceDouble(init, cfg, bs, true)
	for j := range want.Params {
		if !near(float64(got.Params[j]), float64(want.Params[j]), 1e-4) {
			t.Fatalf("parameter %d after %d Double DQN steps: gorgonia %g, go %g", j, bs.K, got.Params[j], want.Params[j])
		}
	}
}
