//go:build long

package ppo

import (
	"context"
	"testing"

	"github.com/xlrl/xlrl/internal/agent/learncheck"
	"github.com/xlrl/xlrl/internal/backend"
)

// The learning checks of issue 12 for PPO at rl-zoo's settings, each seed
// evaluated on 100 fresh episodes with the deterministic policy. `make
// test-long` runs them; docs/actor-critic.md has their figures.

func TestLearningCartPolePPOGo(t *testing.T) {
	learn(t, "CartPole-v1", CartPole(), backend.NewGo(), 5, 5, 475)
}

func TestLearningCartPolePPOTF(t *testing.T) {
	learn(t, "CartPole-v1", CartPole(), backend.NewTF(learncheck.StartWorker(t)), 5, 5, 475)
}

// Acrobot-v1 and MountainCar-v0 (1M steps, a few seconds each) are in the
// slow suite: internal/agent/zoo's TestLearningAcrobotPPO and
// TestLearningMountainCarPPO.

// TestLearningPendulumPPOGo: -200 or more on 2 of 3 seeds (100k steps).
func TestLearningPendulumPPOGo(t *testing.T) {
	learn(t, "Pendulum-v1", Pendulum(), backend.NewGo(), 3, 2, -200)
}

func learn(t *testing.T, id string, cfg Config, be backend.Backend, seeds, need int, threshold float64) {
	t.Helper()
	learncheck.Seeds(t, "ppo", id, be.Name(), learncheck.Maker(id), seeds, need, threshold, func(ctx context.Context, seed uint64) (learncheck.Trained, error) {
		res, err := Train(ctx, cfg, learncheck.Maker(id), be, seed, nil)
		if err != nil {
			return learncheck.Trained{}, err
		}
		return learncheck.Trained{Act: res.Policy.Act, Best: res.Best, BestStep: res.BestStep, GradSteps: res.Updates, Breakdown: res.Breakdown}, nil
	})
}
