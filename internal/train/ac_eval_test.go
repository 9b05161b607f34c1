package train

import (
	"context"
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xlrl/xlrl/internal/agent/zoo"
	"github.com/xlrl/xlrl/internal/ckpt"
	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/run"
)

// TestEvalInterruptedActorCriticRunActsAsTheAgentDid: xlrl eval of a
// ppo, sac or td3 run stopped by "Ctrl-C" (only its training checkpoint
// exists) acts exactly as the agent did when it stopped. The agent's
// policy at that step is the final policy of the same run trained with
// that step as its budget (without periodic evaluation, so that finishing
// keeps the latest weights, and with schedules that do not depend on the
// budget); both are compared on the same observations, action for action,
// and on the evaluation episodes. Evaluating changes no file of the run.
func TestEvalInterruptedActorCriticRunActsAsTheAgentDid(t *testing.T) {
	for _, c := range []struct {
		name   string
		args   []string
		stopAt int64
	}{
		{"ppo/CartPole", []string{"--env", "CartPole-v1", "--algo", "ppo", "--hp", "n_epochs=2",
			"--hp", "linear_lr=false", "--hp", "linear_clip_range=false"}, 30},
		{"ppo/Acrobot/normalised", []string{"--env", "Acrobot-v1", "--algo", "ppo", "--layers", "16", "--hp", "n_envs=2",
			"--hp", "n_steps=64", "--hp", "n_epochs=1"}, 3},
		{"ppo/Pendulum/normalised", []string{"--env", "Pendulum-v1", "--algo", "ppo", "--hp", "n_steps=128", "--hp", "n_envs=2",
			"--hp", "n_epochs=1", "--hp", "normalize_obs=true", "--hp", "normalize_reward=true"}, 3},
		{"sac/Pendulum", []string{"--env", "Pendulum-v1", "--algo", "sac", "--layers", "16", "--hp", "batch_size=16"}, 2},
		{"sac/Pendulum/normalised", []string{"--env", "Pendulum-v1", "--algo", "sac", "--layers", "16", "--hp", "batch_size=16",
			"--hp", "normalize_obs=true", "--hp", "normalize_reward=true"}, 2},
		{"td3/Pendulum/normalised", []string{"--env", "Pendulum-v1", "--algo", "td3", "--layers", "16", "--hp", "batch_size=16",
			"--hp", "learning_starts=100", "--hp", "normalize_obs=true", "--hp", "normalize_reward=true"}, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			part, ref := filepath.Join(root, "part"), filepath.Join(root, "ref")
			args := append([]string{"--backend", "go", "--eval-episodes", "3", "--seed", "4", "--hp", "eval_every=0"}, c.args...)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			h := Hooks{AfterEpisode: func(ep int64) {
				if ep == c.stopAt {
					cancel()
				}
			}}
			if _, err := trainArgs(ctx, t, h, append(args, "--steps", "100000", "--out", part)...); !errors.Is(err, ErrInterrupted) {
				t.Fatalf("interrupted run: err = %v, want ErrInterrupted", err)
			}
			mid, err := ckpt.Read(filepath.Join(part, run.CheckpointFile), "")
			if err != nil {
				t.Fatal(err)
			}
			var at Counters
			if err := mid.GetJSON("run", &at); err != nil || mid.Kind == ACPolicyKind {
				t.Fatalf("the interrupted run's checkpoint: a %q (%v)", mid.Kind, err)
			}
			before := dirState(t, part)
			got, err := Evaluate(context.Background(), part, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			if after := dirState(t, part); !equalDirs(before, after) {
				t.Fatalf("xlrl eval changed the run directory:\nbefore %v\nafter  %v", before, after)
			}
			if !got.Partial || got.TrainSteps != at.Steps {
				t.Fatalf("eval of the interrupted run: partial %v, %d steps, want true and %d", got.Partial, got.TrainSteps, at.Steps)
			}
			want, err := trainArgs(context.Background(), t, Hooks{}, append(args, "--steps", strconv.FormatInt(at.Steps, 10), "--out", ref)...)
			if err != nil {
				t.Fatal(err)
			}
			if want.TrainSteps != at.Steps {
				t.Fatalf("the reference run trained %d steps, the interrupted one %d", want.TrainSteps, at.Steps)
			}
			fin, err := ckpt.Read(filepath.Join(ref, run.CheckpointFile), ACPolicyKind)
			if err != nil {
				t.Fatal(err)
			}
			fl := NewFlags(Defaults{})
			if err := fl.Set.Parse(args); err != nil {
				t.Fatal(err)
			}
			e, _ := env.Make(fl.Env)
			spec := e.Spec()
			actPart, actRef := acAct(t, mid, fl.Algo, spec), acAct(t, fin, fl.Algo, spec)
			for i, obs := range observations(e, 300) {
				if a, b := actPart(obs), actRef(obs); a.Discrete != b.Discrete || !slices.Equal(a.Continuous, b.Continuous) {
					t.Fatalf("observation %d %v: the interrupted run's checkpoint acts %+v, the agent at step %d acted %+v", i, obs, a, at.Steps, b)
				}
			}
			if got.MeanReturn != want.MeanReturn || got.StdReturn != want.StdReturn || got.EvalEpisodes != want.EvalEpisodes {
				t.Fatalf("eval of the interrupted run %v ± %v over %d, the agent at its step %v ± %v over %d",
					got.MeanReturn, got.StdReturn, got.EvalEpisodes, want.MeanReturn, want.StdReturn, want.EvalEpisodes)
			}
			t.Logf("interrupted after step %d (a %q checkpoint): eval %.2f, the same as the agent's", at.Steps, mid.Kind, got.MeanReturn)
		})
	}
}

// acAct is the deterministic policy an actor-critic checkpoint acts with.
func acAct(t *testing.T, cp *ckpt.Checkpoint, algo string, spec *env.Spec) func([]float64) env.Action {
	t.Helper()
	net, mode, norm, err := ACPolicyOf(cp, algo, spec)
	if err != nil {
		t.Fatal(err)
	}
	act, err := zoo.ACPolicy(net, mode, norm, spec)
	if err != nil {
		t.Fatal(err)
	}
	return func(obs []float64) env.Action {
		a := act(obs)
		a.Continuous = slices.Clone(a.Continuous)
		return a
	}
}

// observations plays e with random actions and returns n observations.
func observations(e env.Env, n int) [][]float64 {
	rng := rand.New(rand.NewPCG(8, 9))
	spec := e.Spec()
	e.Seed(7)
	out := [][]float64{slices.Clone(e.Reset())}
	for len(out) < n {
		a := env.DiscreteAction(0)
		if spec.Action.Kind == env.Box {
			a = env.Action{Continuous: []float64{spec.Action.Low[0] + rng.Float64()*(spec.Action.High[0]-spec.Action.Low[0])}}
		} else {
			a = env.DiscreteAction(rng.IntN(spec.Action.N))
		}
		obs, _, term, trunc := e.Step(a)
		if term || trunc {
			obs = e.Reset()
		}
		out = append(out, slices.Clone(obs))
	}
	return out
}

// dirState is every file under dir with its size, mode, modification
// time and contents.
func dirState(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		s := p + " " + info.Mode().String() + " " + info.ModTime().String()
		if !d.IsDir() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			s += " " + strconv.Itoa(len(b)) + " " + strconv.FormatUint(uint64(crc32.ChecksumIEEE(b)), 16)
		}
		out = append(out, s)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func equalDirs(a, b []string) bool { return strings.Join(a, "\n") == strings.Join(b, "\n") }

// TestEvalDamagedCheckpointSaysWhichFileAndWhatToDo: xlrl eval of a run
// whose checkpoint is truncated, corrupted, not a checkpoint, missing or
// inconsistent fails with an error that names the file and what to do,
// and changes nothing in the run.
func TestEvalDamagedCheckpointSaysWhichFileAndWhatToDo(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := Hooks{AfterEpisode: func(ep int64) {
		if ep == 20 {
			cancel()
		}
	}}
	if _, err := trainArgs(ctx, t, h, "--env", "CartPole-v1", "--algo", "ppo", "--backend", "go", "--steps", "100000", "--out", src); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("err = %v, want ErrInterrupted", err)
	}
	good, err := os.ReadFile(filepath.Join(src, run.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		damage func(b []byte) []byte // nil: no checkpoint
		says   string
	}{
		{"truncated", func(b []byte) []byte { return b[:len(b)/2] }, "truncated"},
		{"corrupted", func(b []byte) []byte { b = slices.Clone(b); b[len(b)/2] ^= 0x40; return b }, "corrupted"},
		{"not a checkpoint", func([]byte) []byte { return []byte("hello") }, "not an xlrl checkpoint"},
		{"missing", nil, "before its first checkpoint"},
		{"inconsistent", func(b []byte) []byte {
			cp, err := ckpt.Unmarshal("x", b)
			if err != nil {
				t.Fatal(err)
			}
			cp.PutFloat32s("nets_0", make([]float32, 7))
			out, err := cp.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			return out
		}, `section "nets_0"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "run")
			if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(dir, run.CheckpointFile)
			if c.damage == nil {
				if err := os.Remove(file); err != nil {
					t.Fatal(err)
				}
			} else if err := os.WriteFile(file, c.damage(good), 0o644); err != nil {
				t.Fatal(err)
			}
			before := dirState(t, dir)
			_, err := Evaluate(context.Background(), dir, 0, nil)
			if err == nil {
				t.Fatal("evaluated")
			}
			for _, want := range []string{file, c.says, "xlrl train --config " + filepath.Join(dir, run.ConfigFile)} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("the error does not say %q: %v", want, err)
				}
			}
			if !equalDirs(before, dirState(t, dir)) {
				t.Error("xlrl eval changed the run directory")
			}
			t.Log(err)
		})
	}
}
