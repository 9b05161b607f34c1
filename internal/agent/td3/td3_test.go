package td3

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/xlrl/xlrl/internal/agent/learncheck"
	"github.com/xlrl/xlrl/internal/backend"
	"github.com/xlrl/xlrl/internal/env"
)

func small() Config {
	c := Default()
	c.Hidden, c.BatchSize, c.EvalEvery, c.Steps = []int{16, 16}, 32, 0, 400
	return c
}

// TestActorGradMatchesFiniteDifferences: the actor's output gradients,
// backpropagated, are the derivatives of -mean Q1(s, tanh(actor(s))).
func TestActorGradMatchesFiniteDifferences(t *testing.T) {
	tr, _, err := newTrainer(context.Background(), small(), learncheck.Maker("Pendulum-v1"), backend.NewGo(), 4)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	n := tr.cfg.BatchSize
	obs := make([]float32, n*tr.ObsDim)
	for i := range obs {
		obs[i] = float32(rng.NormFloat64())
	}
	loss := func() float64 { return tr.actorGrad(obs, n) }
	loss()
	ws := tr.Actor.NewWorkspace(n)
	tr.Actor.Forward(ws, obs, n)
	copy(tr.Actor.OutputGrad(ws, n), tr.dActor)
	tr.Actor.Backward(ws, n)
	grad := append([]float32(nil), ws.Grad...)
	learncheck.GradMatchesFiniteDifferences(t, tr.Actor.Params, grad, loss, rng)
}

// TestDelayedPolicyUpdates: the actor and the targets move only on every
// policy_delay-th gradient step; the critics on every one.
func TestDelayedPolicyUpdates(t *testing.T) {
	cfg := small()
	cfg.PolicyDelay = 3
	tr, e, err := newTrainer(context.Background(), cfg, learncheck.Maker("Pendulum-v1"), backend.NewGo(), 2)
	if err != nil {
		t.Fatal(err)
	}
	obs := make([]float32, tr.ObsDim)
	copy(obs, []float32{1, 0, 0})
	for i := 0; i < 64; i++ {
		o, r, _, _ := e.Step(env.Action{Continuous: []float64{0.5}})
		next := make([]float32, tr.ObsDim)
		for j, v := range o {
			next[j] = float32(v)
		}
		tr.Buf.Add(obs, []float32{0.25}, float32(r), next, false)
		obs = next
	}
	for k := 1; k <= 6; k++ {
		actor, target, q1 := append([]float32(nil), tr.Actor.Params...), append([]float32(nil), tr.T1.Params...), append([]float32(nil), tr.Q1.Params...)
		if err := tr.gradientStep(context.Background()); err != nil {
			t.Fatal(err)
		}
		delayed := k%3 == 0
		if changed(actor, tr.Actor.Params) != delayed || changed(target, tr.T1.Params) != delayed {
			t.Fatalf("step %d: actor changed %v, target changed %v, want both %v", k, changed(actor, tr.Actor.Params), changed(target, tr.T1.Params), delayed)
		}
		if !changed(q1, tr.Q1.Params) {
			t.Fatalf("step %d: the critic did not change", k)
		}
	}
}

func changed(a, b []float32) bool {
	for i := range a {
		if a[i] != b[i] {
			return true
		}
	}
	return false
}

// TestGoAndTFTrainAlike: a short TD3 run (60 gradient steps: longer runs
// amplify float32 rounding through the min of the critics) ends with
// nearly the same actor and critics on both backends.
func TestGoAndTFTrainAlike(t *testing.T) {
	ctx := context.Background()
	cfg := small()
	cfg.Steps = 160
	g, err := Train(ctx, cfg, learncheck.Maker("Pendulum-v1"), backend.NewGo(), 7, nil)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Train(ctx, cfg, learncheck.Maker("Pendulum-v1"), backend.NewTF(learncheck.StartWorker(t)), 7, nil)
	if err != nil {
		t.Fatal(err)
	}
	if g.GradSteps != 60 || f.GradSteps != 60 {
		t.Fatalf("gradient steps: go %d, tf %d, want 60", g.GradSteps, f.GradSteps)
	}
	learncheck.Near(t, "actor", g.Policy.Net.Params, f.Policy.Net.Params, 2e-3)
	learncheck.Near(t, "q1", g.Q1.Params, f.Q1.Params, 2e-3)
	learncheck.Near(t, "q2", g.Q2.Params, f.Q2.Params, 2e-3)
}

// TestRefusesDiscreteActions: TD3 names the problem.
func TestRefusesDiscreteActions(t *testing.T) {
	if _, err := Train(context.Background(), small(), learncheck.Maker("CartPole-v1"), backend.NewGo(), 1, nil); err == nil {
		t.Fatal("TD3 accepted CartPole's discrete actions")
	}
}
