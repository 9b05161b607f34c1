//go:build long

package ppo

import (
	"testing"

	"github.com/xlrl/xlrl/internal/backend"
)

// The learning checks of issue 12 for PPO: rl-zoo's CartPole-v1 settings
// (100k steps), 5 seeds, each evaluated on 100 fresh episodes with the
// deterministic policy. `make test-long` runs them.

func TestLearningCartPolePPOGo(t *testing.T) {
	learn(t, "CartPole-v1", CartPole(), backend.NewGo(), 5, 5, 475)
}

func TestLearningCartPolePPOTF(t *testing.T) {
	learn(t, "CartPole-v1", CartPole(), backend.NewTF(startWorker(t)), 5, 5, 475)
}

func learn(t *testing.T, id string, cfg Config, be backend.Backend, seeds, need int, threshold float64) {
	t.Helper()
	ok := 0
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		ev, res := trainAndEvaluate(t, id, cfg, be, seed)
		if ev.Mean >= threshold {
			ok++
		}
		t.Logf("%s ppo %s seed %d: eval %.1f ± %.1f over 100 episodes, %d steps (stopped at %d), %d gradient steps, time %+v",
			id, be.Name(), seed, ev.Mean, ev.Std, res.Steps, res.StoppedAt, res.Updates, res.Breakdown)
	}
	if ok < need {
		t.Errorf("%s ppo (%s): %d of %d seeds reached %v, want %d", id, be.Name(), ok, seeds, threshold, need)
	}
}
