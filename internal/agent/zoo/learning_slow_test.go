//go:build slow

package zoo

import (
	"context"
	"testing"
	"time"

	"github.com/xlrl/xlrl/internal/backend"
	"github.com/xlrl/xlrl/internal/worker"
	"github.com/xlrl/xlrl/internal/worker/workertest"
)

// The learning checks of issue 5: each trains with the tuned defaults (no
// tuning flags) on several seeds and evaluates the greedy policy on 100
// fresh episodes. Run with `make test-slow`.

func TestLearningCartPoleDQNGoBackend(t *testing.T) {
	learn(t, "CartPole-v1", "dqn", "go", 5, 4, 475)
}

func TestLearningCartPoleDQNTFBackend(t *testing.T) {
	learn(t, "CartPole-v1", "dqn", "tf", 5, 4, 475)
}

func TestLearningCartPoleA2C(t *testing.T) {
	learn(t, "CartPole-v1", "a2c", "go", 5, 3, 475)
}

func TestLearningCartPoleREINFORCE(t *testing.T) {
	learn(t, "CartPole-v1", "reinforce", "go", 5, 3, 475)
}

func TestLearningMountainCarDQN(t *testing.T) {
	learn(t, "MountainCar-v0", "dqn", "tf", 3, 2, -110+1e-9)
}

func TestLearningAcrobotDQN(t *testing.T) {
	learn(t, "Acrobot-v1", "dqn", "tf", 3, 2, -100+1e-9)
}

// The PPO checks of issue 12 with the tuned entries (rl-zoo's ppo.yml,
// 1M steps): more than -100 on Acrobot-v1 and more than -110 on
// MountainCar-v0 on 2 of 3 seeds; 5 to 10 s per seed on the go backend.
// docs/actor-critic.md has the figures.

func TestLearningAcrobotPPO(t *testing.T) {
	learn(t, "Acrobot-v1", "ppo", "go", 3, 2, -100+1e-9)
}

func TestLearningMountainCarPPO(t *testing.T) {
	learn(t, "MountainCar-v0", "ppo", "go", 3, 2, -110+1e-9)
}

// learn requires at least need of seeds runs to reach a mean evaluation
// return of threshold or more (RunAC for the actor-critic algorithms, as
// xlrl train). MountainCar and Acrobot train on the tf backend:
// with batches of 128 (and MountainCar's [256, 256] network) TensorFlow's
// gradient steps are several times faster than Go's.
func learn(t *testing.T, envID, algo, backendName string, seeds, need int, threshold float64) {
	ctx := context.Background()
	var be backend.Backend = backend.NewGo()
	if backendName == "tf" {
		be = backend.NewTF(startWorker(t))
	}
	ok := 0
	for seed := 1; seed <= seeds; seed++ {
		opts := Options{Env: envID, Algo: algo, Seed: uint64(seed)}
		var rep *Report
		if IsACAlgo(algo) {
			r, err := RunAC(ctx, opts, be)
			if err != nil {
				t.Fatal(err)
			}
			rep = &r.Report
		} else {
			r, err := Run(ctx, opts, be)
			if err != nil {
				t.Fatal(err)
			}
			rep = r
		}
		if rep.Eval.Mean >= threshold {
			ok++
		}
		t.Logf("%s %s %s seed %d: eval %.1f ± %.1f over %d episodes, %d steps (stopped at %d), wall %.1fs, time %+v",
			envID, algo, backendName, seed, rep.Eval.Mean, rep.Eval.Std, rep.Eval.Episodes, rep.Steps, rep.StoppedAt, rep.WallS, rep.Breakdown)
	}
	if ok < need {
		t.Errorf("%s %s (%s backend): %d of %d seeds reached %v, want at least %d", envID, algo, backendName, ok, seeds, threshold, need)
	}
}

func startWorker(t *testing.T) *worker.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := worker.Start(ctx, worker.Options{Python: workertest.Python(t)})
	if err != nil {
		t.Fatalf("the tf backend needs the Python worker (run `make venv`, or set XLRL_PYTHON): %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
