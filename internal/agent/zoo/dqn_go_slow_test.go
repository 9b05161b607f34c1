//go:build slow

package zoo

import (
	"context"
	"slices"
	"testing"

	"github.com/xlrl/xlrl/internal/backend"
)

// TestLearningCartPoleDQNGoBackendUntunedSeeds: DQN with the tuned
// CartPole-v1 defaults on the go backend solves (mean >= 475 over 100
// fresh episodes) every one of five seeds that no other test and no tuning
// used. The median wall time to the solved evaluation is logged
// (docs/benchmarks/deeprl.md records it; a timing is no test).
func TestLearningCartPoleDQNGoBackendUntunedSeeds(t *testing.T) {
	var walls []float64
	solved := 0
	for _, seed := range []uint64{11, 12, 13, 14, 15} {
		rep, err := Run(context.Background(), Options{Env: "CartPole-v1", Algo: "dqn", Seed: seed}, backend.NewGo())
		if err != nil {
			t.Fatal(err)
		}
		if rep.Eval.Mean >= 475 {
			solved++
		}
		walls = append(walls, rep.WallS)
		t.Logf("seed %d: eval %.1f ± %.1f, stopped at %d of %d steps, wall %.1fs", seed, rep.Eval.Mean, rep.Eval.Std, rep.StoppedAt, rep.Steps, rep.WallS)
	}
	slices.Sort(walls)
	t.Logf("median wall %.1fs", walls[len(walls)/2])
	if solved < 5 {
		t.Errorf("CartPole-v1 DQN (go backend): %d of 5 untuned seeds solved, want 5", solved)
	}
}
