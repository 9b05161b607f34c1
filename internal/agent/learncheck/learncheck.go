// Package learncheck is the protocol of the actor-critic agents' learning
// checks (the long tests of internal/agent/ppo, sac and td3): train
// several seeds, evaluate each trained policy's deterministic actions on
// 100 fresh episodes, and require enough seeds to reach a threshold; and
// the helpers those packages' tests share.
package learncheck

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/xlrl/xlrl/internal/agent/ac"
	"github.com/xlrl/xlrl/internal/agent/trainloop"
	"github.com/xlrl/xlrl/internal/backend"
	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/worker"
	"github.com/xlrl/xlrl/internal/worker/workertest"
)

// Trained is what a check needs of a training run.
type Trained struct {
	Act       func(obs []float64) env.Action // the deterministic policy
	Best      float64                        // the best periodic evaluation
	BestStep  int
	GradSteps int
	Breakdown trainloop.Breakdown
}

// Seeds trains seeds 1..seeds of algo on id with train (on the backend
// named backendName), evaluates each on 100 episodes of an environment
// from mk seeded for the final evaluation, and fails t unless need of them
// reach threshold.
func Seeds(t *testing.T, algo, id, backendName string, mk trainloop.EnvFactory, seeds, need int, threshold float64,
	train func(ctx context.Context, seed uint64) (Trained, error)) {
	t.Helper()
	ctx := context.Background()
	ok := 0
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		res, err := train(ctx, seed)
		if err != nil {
			t.Fatal(err)
		}
		e, err := mk()
		if err != nil {
			t.Fatal(err)
		}
		e.Seed(trainloop.Mix(seed, trainloop.StreamFinalEval))
		ev, err := ac.Evaluate(ctx, e, 100, res.Act)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Mean >= threshold {
			ok++
		}
		t.Logf("%s %s %s seed %d: eval %.1f ± %.1f over 100 episodes, best periodic %.1f at %d, %d gradient steps, time %+v",
			id, algo, backendName, seed, ev.Mean, ev.Std, res.Best, res.BestStep, res.GradSteps, res.Breakdown)
	}
	if ok < need {
		t.Errorf("%s %s (%s): %d of %d seeds reached %v, want %d", id, algo, backendName, ok, seeds, threshold, need)
	}
}

// OffPolicy is Seeds for SAC and TD3: train returns the agent's result.
func OffPolicy(t *testing.T, algo, id string, be backend.Backend, seeds, need int, threshold float64,
	train func(ctx context.Context, seed uint64) (*ac.OffResult, error)) {
	t.Helper()
	Seeds(t, algo, id, be.Name(), Maker(id), seeds, need, threshold, func(ctx context.Context, seed uint64) (Trained, error) {
		res, err := train(ctx, seed)
		if err != nil {
			return Trained{}, err
		}
		return Trained{Act: res.Policy.Act, Best: res.Best, BestStep: res.BestStep, GradSteps: res.GradSteps, Breakdown: res.Breakdown}, nil
	})
}

// The helpers below are what the actor-critic agents' tests share.

// Maker is a factory of the registered environment id.
func Maker(id string) trainloop.EnvFactory {
	return func() (env.Env, error) { return env.Make(id) }
}

// StartWorker starts the Python worker for the tf backend; t fails (with
// the fix) when it cannot.
func StartWorker(t *testing.T) *worker.Client {
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

// Near fails t at the first of a's values further than tol from b's.
func Near(t *testing.T, what string, a, b []float32, tol float64) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d and %d values", what, len(a), len(b))
	}
	for i, v := range a {
		if math.Abs(float64(v-b[i])) > tol {
			t.Fatalf("%s %d: %v and %v", what, i, v, b[i])
		}
	}
}

// GradMatchesFiniteDifferences compares grad, the backpropagated gradient
// of loss with respect to params, with central differences of loss at 60
// random parameters, and fails t unless they agree (and some derivative is
// not zero, so that the check proves something).
func GradMatchesFiniteDifferences(t *testing.T, params, grad []float32, loss func() float64, rng *rand.Rand) {
	t.Helper()
	var largest float64
	for c := 0; c < 60; c++ {
		i := rng.IntN(len(params))
		orig := params[i]
		params[i] = orig + 1e-3
		up := loss()
		params[i] = orig - 1e-3
		down := loss()
		params[i] = orig
		num := (up - down) / 2e-3
		largest = math.Max(largest, math.Abs(num))
		if math.Abs(float64(grad[i])-num) > 3e-3*(1+math.Abs(num)) {
			t.Fatalf("parameter %d: backprop %v, finite differences %v", i, grad[i], num)
		}
	}
	if largest == 0 {
		t.Fatal("every sampled derivative is zero: the check proves nothing")
	}
}
