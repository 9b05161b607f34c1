package train

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xlrl/xlrl/internal/metric"
	"github.com/xlrl/xlrl/internal/run"
)

// TestTrainRunActorCriticRecordsAndEvaluates: ppo (Discrete and Box), sac
// and td3 train through the run loop on the go backend, log their metrics
// per update, and xlrl eval of the run reproduces the training's final
// evaluation from the checkpoint.
func TestTrainRunActorCriticRecordsAndEvaluates(t *testing.T) {
	for _, c := range []struct {
		algo, env string
		args      []string
		keys      []string
	}{
		{"ppo", "CartPole-v1", []string{"--steps", "512", "--hp", "n_epochs=2"},
			[]string{metric.PolicyLoss, metric.ValueLoss, metric.Entropy, metric.ApproxKL, metric.ClipFraction}},
		{"ppo", "CartPole-v1", []string{"--steps", "512", "--hp", "n_epochs=2", "--hp", "normalize_obs=true", "--hp", "normalize_reward=true"},
			[]string{metric.PolicyLoss, metric.ValueLoss}},
		{"ppo", "Pendulum-v1", []string{"--steps", "512", "--hp", "n_steps=128", "--hp", "n_envs=2", "--hp", "n_epochs=1"},
			[]string{metric.PolicyLoss, metric.Entropy, metric.ApproxKL}},
		{"sac", "Pendulum-v1", []string{"--steps", "300", "--hp", "batch_size=16", "--layers", "16"},
			[]string{metric.CriticLoss, metric.ActorLoss, metric.MeanQ, metric.Temperature}},
		{"td3", "Pendulum-v1", []string{"--steps", "300", "--hp", "batch_size=16", "--hp", "learning_starts=100", "--layers", "16"},
			[]string{metric.CriticLoss, metric.MeanQ}},
	} {
		t.Run(c.algo+"/"+c.env+"/"+strings.Join(c.args, " "), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), c.algo)
			args := append([]string{"--env", c.env, "--algo", c.algo, "--backend", "go", "--eval-episodes", "3", "--out", dir}, c.args...)
			res, err := trainArgs(context.Background(), t, Hooks{}, args...)
			if err != nil {
				t.Fatal(err)
			}
			recs, err := run.ReadMetrics(filepath.Join(dir, run.MetricsFile))
			if err != nil {
				t.Fatal(err)
			}
			updates := 0
			for _, r := range recs {
				if r.Kind != metric.KindUpdate {
					continue
				}
				updates++
				for _, k := range c.keys {
					if _, ok := r.Values[k]; !ok {
						t.Fatalf("update record without %s: %+v", k, r)
					}
				}
			}
			if updates == 0 || res.TrainSteps < 300 {
				t.Fatalf("%d update records, %d steps", updates, res.TrainSteps)
			}
			ev, err := Evaluate(context.Background(), dir, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			if ev.MeanReturn != res.MeanReturn || ev.EvalEpisodes != res.EvalEpisodes {
				t.Fatalf("eval %v over %d, train reported %v over %d", ev.MeanReturn, ev.EvalEpisodes, res.MeanReturn, res.EvalEpisodes)
			}
			if _, err := trainArgs(context.Background(), t, Hooks{}, "--resume", dir); err == nil || !strings.Contains(err.Error(), "resume") {
				t.Fatalf("resuming a %s run: err = %v", c.algo, err)
			}
		})
	}
}

// TestTrainRunActorCriticRefusals: SAC and TD3 refuse discrete actions and
// tabular flags, before any run directory exists.
func TestTrainRunActorCriticRefusals(t *testing.T) {
	for _, args := range [][]string{
		{"--env", "CartPole-v1", "--algo", "sac", "--backend", "go"},
		{"--env", "Pendulum-v1", "--algo", "td3", "--backend", "go", "--episodes", "5"},
		{"--env", "Pendulum-v1", "--algo", "ppo", "--backend", "go", "--arch", "seed"},
	} {
		dir := filepath.Join(t.TempDir(), "bad")
		if _, err := trainArgs(context.Background(), t, Hooks{}, append(args, "--out", dir)...); err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
}
