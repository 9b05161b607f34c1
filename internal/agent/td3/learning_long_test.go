//go:build long

package td3

import (
	"context"
	"testing"

	"github.com/xlrl/xlrl/internal/agent/ac"
	"github.com/xlrl/xlrl/internal/agent/deep"
	"github.com/xlrl/xlrl/internal/backend"
)

// The learning checks of issue 12 for TD3: Pendulum-v1 at 20k steps, 3
// seeds, each evaluated on 100 fresh episodes with the deterministic
// policy. `make test-long` runs them.

func TestLearningPendulumTD3Go(t *testing.T) {
	learn(t, "Pendulum-v1", Pendulum(), backend.NewGo(), 3, 3, -200)
}

func TestLearningPendulumTD3TF(t *testing.T) {
	learn(t, "Pendulum-v1", Pendulum(), backend.NewTF(startWorker(t)), 3, 3, -200)
}

func learn(t *testing.T, id string, cfg Config, be backend.Backend, seeds, need int, threshold float64) {
	t.Helper()
	ctx := context.Background()
	ok := 0
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		res, err := Train(ctx, cfg, maker(id), be, seed, nil)
		if err != nil {
			t.Fatal(err)
		}
		e, err := maker(id)()
		if err != nil {
			t.Fatal(err)
		}
		e.Seed(deep.Mix(seed, deep.StreamFinalEval))
		ev, err := ac.Evaluate(ctx, e, 100, res.Policy.Act)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Mean >= threshold {
			ok++
		}
		t.Logf("%s td3 %s seed %d: eval %.1f ± %.1f over 100 episodes, best periodic %.1f at %d, %d gradient steps, time %+v",
			id, be.Name(), seed, ev.Mean, ev.Std, res.Best, res.BestStep, res.GradSteps, res.Breakdown)
	}
	if ok < need {
		t.Errorf("%s td3 (%s): %d of %d seeds reached %v, want %d", id, be.Name(), ok, seeds, threshold, need)
	}
}
