// Package learncheck is the protocol of the off-policy agents' learning
// checks (the long tests of internal/agent/sac and td3): train several
// seeds, evaluate each trained policy's deterministic actions on 100 fresh
// episodes, and require enough seeds to reach a threshold.
package learncheck

import (
	"context"
	"testing"

	"github.com/xlrl/xlrl/internal/agent/ac"
	"github.com/xlrl/xlrl/internal/agent/trainloop"
	"github.com/xlrl/xlrl/internal/env"
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
