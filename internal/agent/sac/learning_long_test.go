//go:build long

package sac

import (
	"context"
	"testing"

	"github.com/xlrl/xlrl/internal/agent/learncheck"
	"github.com/xlrl/xlrl/internal/backend"
)

// The learning checks of issue 12 for SAC: Pendulum-v1 at 20k steps, 3
// seeds, each evaluated on 100 fresh episodes with the deterministic
// policy. `make test-long` runs them.

func TestLearningPendulumSACGo(t *testing.T) {
	learn(t, "Pendulum-v1", Pendulum(), backend.NewGo(), 3, 3, -200)
}

func TestLearningPendulumSACTF(t *testing.T) {
	learn(t, "Pendulum-v1", Pendulum(), backend.NewTF(startWorker(t)), 3, 3, -200)
}

func learn(t *testing.T, id string, cfg Config, be backend.Backend, seeds, need int, threshold float64) {
	t.Helper()
	learncheck.Seeds(t, "sac", id, be.Name(), maker(id), seeds, need, threshold, func(ctx context.Context, seed uint64) (learncheck.Trained, error) {
		res, err := Train(ctx, cfg, maker(id), be, seed, nil)
		if err != nil {
			return learncheck.Trained{}, err
		}
		return learncheck.Trained{Act: res.Policy.Act, Best: res.Best, BestStep: res.BestStep, GradSteps: res.GradSteps, Breakdown: res.Breakdown}, nil
	})
}
