package train

import (
	"bytes"
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xlrl/xlrl/internal/ckpt"
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
		{"sac", "Pendulum-v1", []string{"--steps", "300", "--hp", "batch_size=16", "--layers", "16", "--hp", "normalize_obs=true", "--hp", "normalize_reward=true"},
			[]string{metric.CriticLoss, metric.ActorLoss}},
		{"sac", "Pendulum-v1", []string{"--steps", "300", "--hp", "batch_size=16", "--layers", "16", "--hp", "use_sde=true", "--hp", "log_std_init=-1"},
			[]string{metric.CriticLoss, metric.ActorLoss, metric.Entropy}},
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

// TestTrainRunActorCriticResumeMatchesUninterrupted: each actor-critic
// agent, stopped by "Ctrl-C" after a training episode and resumed, logs
// the same records, reports the same result and saves the same final
// policy as a run never stopped (go backend; PPO's Discrete and Box
// actions, with and without normalisation; SAC and TD3 with it too; SAC
// with gSDE, interrupted mid-rollout).
func TestTrainRunActorCriticResumeMatchesUninterrupted(t *testing.T) {
	for _, c := range []struct {
		name   string
		args   []string
		stopAt int64
	}{
		{"ppo/CartPole", []string{"--env", "CartPole-v1", "--algo", "ppo", "--steps", "2048", "--hp", "n_epochs=2", "--hp", "eval_every=512"}, 30},
		{"ppo/Pendulum/normalised", []string{"--env", "Pendulum-v1", "--algo", "ppo", "--steps", "1536", "--hp", "n_steps=128", "--hp", "n_envs=2",
			"--hp", "n_epochs=1", "--hp", "normalize_obs=true", "--hp", "normalize_reward=true", "--hp", "eval_every=512"}, 3},
		{"sac/Pendulum", []string{"--env", "Pendulum-v1", "--algo", "sac", "--steps", "900", "--hp", "batch_size=16", "--layers", "16",
			"--hp", "eval_every=300"}, 2},
		{"sac/Pendulum/gSDE", []string{"--env", "Pendulum-v1", "--algo", "sac", "--steps", "900", "--hp", "batch_size=16", "--layers", "16",
			"--hp", "eval_every=300", "--hp", "use_sde=true", "--hp", "train_freq=7", "--hp", "gradient_steps=4", "--hp", "sde_sample_freq=3"}, 2},
		{"td3/Pendulum/normalised", []string{"--env", "Pendulum-v1", "--algo", "td3", "--steps", "900", "--hp", "batch_size=16", "--layers", "16",
			"--hp", "learning_starts=100", "--hp", "eval_every=300", "--hp", "normalize_obs=true", "--hp", "normalize_reward=true"}, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			full, part := filepath.Join(root, "full"), filepath.Join(root, "part")
			args := append([]string{"--backend", "go", "--eval-episodes", "3", "--seed", "5"}, c.args...)
			want := runAndInterrupt(t, args, full, part, c.stopAt)
			mid, err := ckpt.Read(filepath.Join(part, run.CheckpointFile), "")
			if err != nil {
				t.Fatal(err)
			}
			var at Counters
			if err := mid.GetJSON("run", &at); err != nil || at.Steps <= 0 || mid.Kind == ACPolicyKind {
				t.Fatalf("the interrupted run's checkpoint: a %q at step %d (%v)", mid.Kind, at.Steps, err)
			}
			t.Logf("interrupted after step %d (a %q checkpoint)", at.Steps, mid.Kind)
			if n := len(comparableRecords(t, part)); n >= len(comparableRecords(t, full)) {
				t.Fatalf("the interrupted run logged %d records, as many as the whole run", n)
			}
			got, err := trainArgs(context.Background(), t, Hooks{}, "--resume", part)
			if err != nil {
				t.Fatal(err)
			}
			if got.MeanReturn != want.MeanReturn || got.TrainSteps != want.TrainSteps || got.TrainEpisodes != want.TrainEpisodes ||
				got.Deep.GradientSteps != want.Deep.GradientSteps || !reflect.DeepEqual(got.Deep.BestPeriodic, want.Deep.BestPeriodic) {
				t.Fatalf("resumed: %+v %+v\nuninterrupted: %+v %+v", *got, *got.Deep, want, *want.Deep)
			}
			a, b := comparableRecords(t, full), comparableRecords(t, part)
			for i := range min(len(a), len(b)) {
				if a[i] != b[i] {
					t.Fatalf("metrics differ at record %d:\n%s\n%s", i, a[i], b[i])
				}
			}
			if len(a) != len(b) {
				t.Fatalf("metrics differ: %d and %d records", len(a), len(b))
			}
			fa, err := ckpt.Read(filepath.Join(full, run.CheckpointFile), ACPolicyKind)
			if err != nil {
				t.Fatal(err)
			}
			fb, err := ckpt.Read(filepath.Join(part, run.CheckpointFile), ACPolicyKind)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range fa.Sections() {
				if s == "run" {
					continue // wall time
				}
				x, _ := fa.Get(s)
				y, err := fb.Get(s)
				if err != nil || !bytes.Equal(x, y) {
					t.Errorf("final checkpoints differ in section %q (%v)", s, err)
				}
			}
			if _, err := trainArgs(context.Background(), t, Hooks{}, "--resume", part); err == nil || !strings.Contains(err.Error(), "the run is complete") {
				t.Errorf("resuming a finished run: err = %v", err)
			}
		})
	}
}
