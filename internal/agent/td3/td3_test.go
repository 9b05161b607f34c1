package td3

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/xlrl/xlrl/internal/agent/trainloop"
	"github.com/xlrl/xlrl/internal/backend"
	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/nn"
	"github.com/xlrl/xlrl/internal/worker"
	"github.com/xlrl/xlrl/internal/worker/workertest"
)

func maker(id string) trainloop.EnvFactory {
	return func() (env.Env, error) { return env.Make(id) }
}

func small() Config {
	c := Default()
	c.Hidden, c.BatchSize, c.EvalEvery, c.Steps = []int{16, 16}, 32, 0, 400
	return c
}

// TestActorGradMatchesFiniteDifferences: the actor's output gradients,
// backpropagated, are the derivatives of -mean Q1(s, tanh(actor(s))).
func TestActorGradMatchesFiniteDifferences(t *testing.T) {
	tr, _, err := newTrainer(context.Background(), small(), maker("Pendulum-v1"), backend.NewGo(), 4)
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
	var largest float64
	for c := 0; c < 60; c++ {
		i := rng.IntN(len(tr.Actor.Params))
		orig := tr.Actor.Params[i]
		tr.Actor.Params[i] = orig + 1e-3
		up := loss()
		tr.Actor.Params[i] = orig - 1e-3
		down := loss()
		tr.Actor.Params[i] = orig
		num := (up - down) / 2e-3
		largest = math.Max(largest, math.Abs(num))
		if math.Abs(float64(grad[i])-num) > 3e-3*(1+math.Abs(num)) {
			t.Fatalf("actor parameter %d: backprop %v, finite differences %v", i, grad[i], num)
		}
	}
	if largest == 0 {
		t.Fatal("every sampled derivative is zero: the check proves nothing")
	}
}

// TestDelayedPolicyUpdates: the actor and the targets move only on every
// policy_delay-th gradient step; the critics on every one.
func TestDelayedPolicyUpdates(t *testing.T) {
	cfg := small()
	cfg.PolicyDelay = 3
	tr, e, err := newTrainer(context.Background(), cfg, maker("Pendulum-v1"), backend.NewGo(), 2)
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
	g, err := Train(ctx, cfg, maker("Pendulum-v1"), backend.NewGo(), 7, nil)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Train(ctx, cfg, maker("Pendulum-v1"), backend.NewTF(startWorker(t)), 7, nil)
	if err != nil {
		t.Fatal(err)
	}
	if g.GradSteps != 60 || f.GradSteps != 60 {
		t.Fatalf("gradient steps: go %d, tf %d, want 60", g.GradSteps, f.GradSteps)
	}
	for _, p := range []struct {
		name    string
		go_, tf *nn.MLP
	}{{"actor", g.Policy.Net, f.Policy.Net}, {"q1", g.Q1, f.Q1}, {"q2", g.Q2, f.Q2}} {
		for i, v := range p.go_.Params {
			if math.Abs(float64(v-p.tf.Params[i])) > 2e-3 {
				t.Fatalf("%s parameter %d: go %v, tf %v", p.name, i, v, p.tf.Params[i])
			}
		}
	}
}

// TestRefusesDiscreteActions: TD3 names the problem.
func TestRefusesDiscreteActions(t *testing.T) {
	if _, err := Train(context.Background(), small(), maker("CartPole-v1"), backend.NewGo(), 1, nil); err == nil {
		t.Fatal("TD3 accepted CartPole's discrete actions")
	}
}

func startWorker(t *testing.T) *worker.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := worker.Start(ctx, worker.Options{Python: workertest.Python(t)})
	if err != nil {
		t.Fatalf("the tf backend needs the Python worker (run `make venv`, or set XLRL_PYTHON): %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
