//go:build slow

package ppo

import (
	"testing"

	"github.com/xlrl/xlrl/internal/backend"
)

// TestLearningCartPolePPOSlow is the CI share of the PPO learning checks:
// one seed of rl-zoo's CartPole-v1 settings on the go backend (the five
// seeds on both backends are the long suite's, learning_long_test.go).
func TestLearningCartPolePPOSlow(t *testing.T) {
	ev, res := trainAndEvaluate(t, "CartPole-v1", CartPole(), backend.NewGo(), 1)
	t.Logf("CartPole-v1 ppo go seed 1: eval %.1f over 100 episodes, time %+v", ev.Mean, res.Breakdown)
	if ev.Mean < 475 {
		t.Fatalf("CartPole-v1 ppo (go backend) seed 1: eval %.1f, want at least 475", ev.Mean)
	}
}
