//go:build long

package td3

import (
	"context"
	"testing"

	"github.com/xlrl/xlrl/internal/agent/learncheck"
	"github.com/xlrl/xlrl/internal/backend"
)

// The learning checks of issue 12 for TD3: Pendulum-v1 at 20k steps, 3
// seeds, each evaluated on 100 fresh episodes with the deterministic
// policy. `make test-long` runs them; docs/actor-critic.md has their
// figures.

// TestLearningPendulumTD3Go: rl-zoo's entry ([400, 300]).
func TestLearningPendulumTD3Go(t *testing.T) {
	learn(t, "Pendulum-v1", Pendulum(), backend.NewGo(), 3, 3, -200)
}

// TestLearningPendulumTD3GoSmall: the entry with [64, 64] networks (a
// 27th of the gradient cost).
func TestLearningPendulumTD3GoSmall(t *testing.T) {
	cfg := Pendulum()
	cfg.Hidden = []int{64, 64}
	learn(t, "Pendulum-v1", cfg, backend.NewGo(), 3, 3, -200)
}

func TestLearningPendulumTD3TF(t *testing.T) {
	learn(t, "Pendulum-v1", Pendulum(), backend.NewTF(learncheck.StartWorker(t)), 3, 3, -200)
}

func learn(t *testing.T, id string, cfg Config, be backend.Backend, seeds, need int, threshold float64) {
	t.Helper()
	learncheck.OffPolicy(t, "td3", id, be, seeds, need, threshold, func(ctx context.Context, seed uint64) (*Result, error) {
		return Train(ctx, cfg, learncheck.Maker(id), be, seed, nil)
	})
}
