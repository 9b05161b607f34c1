//go:build long

package gymenv

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/xlrl/xlrl/internal/agent/zoo"
	"github.com/xlrl/xlrl/internal/backend"
)

// The learning checks of worker-hosted environments (issue 11), too long for
// CI: make test-long. Figures in docs/benchmarks/envs.md.

// TestLearningGymCartPoleDQN trains DQN with CartPole-v1's tuned settings on
// the Go CartPole and on Gymnasium's through the worker, seed by seed: every
// seed the Go run solves (>= 475 over 100 fresh episodes) must be solved
// through the worker too. It logs both wall times (the goal: the
// worker-hosted run within 1.5x of the Go one).
func TestLearningGymCartPoleDQN(t *testing.T) {
	t.Setenv("XLRL_PYTHON", pythonFor(t))
	seeds := envInt("XLRL_SEEDS", 3)
	var goWall, gymWall float64
	for seed := 1; seed <= seeds; seed++ {
		res := map[string]*zoo.Report{}
		for _, id := range []string{"CartPole-v1", "gym:CartPole-v1"} {
			rep, err := zoo.Run(context.Background(), zoo.Options{Env: id, Algo: "dqn", Seed: uint64(seed)}, backend.NewGo())
			if err != nil {
				t.Fatal(err)
			}
			res[id] = rep
			t.Logf("%s seed %d: eval %.1f ± %.1f over %d episodes, stopped at %d, wall %.1fs (env %.1fs)",
				id, seed, rep.Eval.Mean, rep.Eval.Std, rep.Eval.Episodes, rep.StoppedAt, rep.WallS, rep.Breakdown.Env)
		}
		g, w := res["CartPole-v1"], res["gym:CartPole-v1"]
		goWall += g.WallS
		gymWall += w.WallS
		if g.Eval.Mean >= 475 && w.Eval.Mean < 475 {
			t.Errorf("seed %d: the Go CartPole is solved (%.1f), gym:CartPole-v1 is not (%.1f)", seed, g.Eval.Mean, w.Eval.Mean)
		}
	}
	t.Logf("wall time over %d seeds: Go %.1fs, gym: %.1fs, ratio %.2f (goal <= 1.5)", seeds, goWall, gymWall, gymWall/goWall)
}

// TestLearningGymLunarLanderDQN: rl-zoo's DQN settings on
// gym:LunarLander-v3 for 100k steps reach rl-zoo's 154 on 2 of 3 seeds.
func TestLearningGymLunarLanderDQN(t *testing.T) {
	t.Setenv("XLRL_PYTHON", pythonFor(t))
	ok := 0
	for seed := 1; seed <= 3; seed++ {
		rep, err := zoo.Run(context.Background(), zoo.Options{Env: "gym:LunarLander-v3", Algo: "dqn", Seed: uint64(seed)}, backend.NewGo())
		if err != nil {
			t.Fatal(err)
		}
		if rep.Eval.Mean >= 154 {
			ok++
		}
		t.Logf("gym:LunarLander-v3 seed %d: eval %.1f ± %.1f over %d episodes, wall %.1fs", seed, rep.Eval.Mean, rep.Eval.Std, rep.Eval.Episodes, rep.WallS)
	}
	if ok < 2 {
		t.Errorf("gym:LunarLander-v3: %d of 3 seeds reached 154, want 2", ok)
	}
}

func pythonFor(t *testing.T) string {
	if p := os.Getenv("XLRL_PYTHON"); p != "" {
		return p
	}
	t.Fatal("set XLRL_PYTHON to the .venv's python (make test-long does)")
	return ""
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
