//go:build long

package sac

import (
	"context"
	"testing"

	"github.com/xlrl/xlrl/internal/agent/learncheck"
	"github.com/xlrl/xlrl/internal/backend"
)

// The learning checks of issue 12 for SAC, each seed evaluated on 100
// fresh episodes with the deterministic policy. `make test-long` runs
// them; docs/actor-critic.md has their figures.

// TestLearningPendulumSACGo: rl-zoo's entry ([256, 256]), 3 of 3 seeds.
func TestLearningPendulumSACGo(t *testing.T) {
	learn(t, "Pendulum-v1", Pendulum(), backend.NewGo(), 3, 3, -200)
}

// TestLearningPendulumSACGoSmall: the entry with [64, 64] networks (a
// sixteenth of the gradient cost), 3 of 3 seeds.
func TestLearningPendulumSACGoSmall(t *testing.T) {
	cfg := Pendulum()
	cfg.Hidden = []int{64, 64}
	learn(t, "Pendulum-v1", cfg, backend.NewGo(), 3, 3, -200)
}

func TestLearningPendulumSACTF(t *testing.T) {
	learn(t, "Pendulum-v1", Pendulum(), backend.NewTF(learncheck.StartWorker(t)), 3, 3, -200)
}

// TestLearningMountainCarContinuousSACGo: rl-zoo's entry (gSDE,
// log_std_init -3.67), 2 of 3 seeds reach 90.
func TestLearningMountainCarContinuousSACGo(t *testing.T) {
	learn(t, "MountainCarContinuous-v0", MountainCarContinuous(), backend.NewGo(), 3, 2, 90)
}

func learn(t *testing.T, id string, cfg Config, be backend.Backend, seeds, need int, threshold float64) {
	t.Helper()
	learncheck.OffPolicy(t, "sac", id, be, seeds, need, threshold, func(ctx context.Context, seed uint64) (*Result, error) {
		return Train(ctx, cfg, learncheck.Maker(id), be, seed, nil)
	})
}
