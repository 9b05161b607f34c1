package sac

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/xlrl/xlrl/internal/agent/trainloop"
	"github.com/xlrl/xlrl/internal/backend"
	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/metric"
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

// TestSquashedDensityIntegratesToOne: exp(squashedLogProb) is a density of
// a = tanh(u) on (-1, 1): it integrates to 1 (up to the 1e-6 that keeps the
// log finite).
func TestSquashedDensityIntegratesToOne(t *testing.T) {
	for _, c := range []struct{ mu, ls float64 }{{0, 0}, {0.7, -1}, {-1.5, 0.5}} {
		const m = 200_000
		var s float64
		for i := 0; i < m; i++ {
			a := -1 + (float64(i)+0.5)*2/m
			u := math.Atanh(a)
			z := (u - c.mu) / math.Exp(c.ls)
			s += math.Exp(squashedLogProb(z, c.ls, a)) * 2 / m
		}
		if math.Abs(s-1) > 2e-3 {
			t.Errorf("mu %v log std %v: the density integrates to %v", c.mu, c.ls, s)
		}
	}
}

// TestActorGradMatchesFiniteDifferences: the actor's output gradients,
// backpropagated, are the derivatives of the actor loss (reparameterised,
// noise held fixed) with respect to the actor's weights.
func TestActorGradMatchesFiniteDifferences(t *testing.T) {
	tr, _, err := newTrainer(context.Background(), small(), maker("Pendulum-v1"), backend.NewGo(), 4)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 5))
	n, d := tr.cfg.BatchSize, tr.actDim
	obs := make([]float32, n*tr.obsDim)
	for i := range obs {
		obs[i] = float32(rng.NormFloat64())
	}
	const alpha = 0.3
	w := &tr.w
	out := tr.sampleActions(w.wsA, obs, n, w.noise, w.u, w.aPi, w.logp)
	copy(w.actorOut, out)
	noise := append([]float32(nil), w.noise...)
	loss := func() float64 { // the same loss, recomputed from the weights with the fixed noise
		out := tr.actor.Forward(tr.actor.NewWorkspace(n), obs, n)
		for r := 0; r < n; r++ {
			var lp float64
			for j := 0; j < d; j++ {
				ls := min(max(float64(out[r*2*d+d+j]), logStdMin), logStdMax)
				z := float64(noise[r*d+j])
				a := math.Tanh(float64(out[r*2*d+j]) + math.Exp(ls)*z)
				w.aPi[r*d+j] = float32(a)
				lp += squashedLogProb(z, ls, a)
			}
			w.logp[r] = float32(lp)
		}
		copy(w.actorOut, out)
		return tr.actorGrad(obs, n, alpha)
	}
	loss()
	ws := tr.actor.NewWorkspace(n)
	tr.actor.Forward(ws, obs, n)
	copy(tr.actor.OutputGrad(ws, n), w.dActor)
	tr.actor.Backward(ws, n)
	grad := append([]float32(nil), ws.Grad...)
	var largest float64
	for c := 0; c < 60; c++ {
		i := rng.IntN(len(tr.actor.Params))
		orig := tr.actor.Params[i]
		tr.actor.Params[i] = orig + 1e-3
		up := loss()
		tr.actor.Params[i] = orig - 1e-3
		down := loss()
		tr.actor.Params[i] = orig
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

// TestGoAndTFTrainAlike: a short SAC run (300 gradient steps) ends with
// nearly the same actor and critics on both backends.
func TestGoAndTFTrainAlike(t *testing.T) {
	ctx := context.Background()
	cfg := small()
	g, err := Train(ctx, cfg, maker("Pendulum-v1"), backend.NewGo(), 7, nil)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Train(ctx, cfg, maker("Pendulum-v1"), backend.NewTF(startWorker(t)), 7, nil)
	if err != nil {
		t.Fatal(err)
	}
	if g.GradSteps != 300 || f.GradSteps != 300 {
		t.Fatalf("gradient steps: go %d, tf %d, want 300", g.GradSteps, f.GradSteps)
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
	if g.Last[metric.Temperature] >= 1 || g.Last[metric.Temperature] <= 0 {
		t.Errorf("the temperature %v did not move down from 1", g.Last[metric.Temperature])
	}
}

// TestRefusesDiscreteActions: SAC names the problem and the alternatives.
func TestRefusesDiscreteActions(t *testing.T) {
	_, err := Train(context.Background(), small(), maker("CartPole-v1"), backend.NewGo(), 1, nil)
	if err == nil {
		t.Fatal("SAC accepted CartPole's discrete actions")
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
