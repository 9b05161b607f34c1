package export

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xlrl/xlrl/internal/agent/ac"
	"github.com/xlrl/xlrl/internal/agent/sac"
	"github.com/xlrl/xlrl/internal/agent/zoo"
	"github.com/xlrl/xlrl/internal/ckpt"
	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/nn"
	"github.com/xlrl/xlrl/internal/run"
	"github.com/xlrl/xlrl/internal/train"
)

// finishedAC is the checkpoint of a finished actor-critic run as
// trainAC writes it: a random network acting by mode, with observation
// statistics norm (nil: none).
func finishedAC(t *testing.T, spec nn.Spec, mode string, norm *ac.RunningMeanStd) *ckpt.Checkpoint {
	t.Helper()
	net, err := nn.New(spec, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for i := range net.Params {
		net.Params[i] = float32(r.NormFloat64())
	}
	c, err := train.PolicyCheckpoint(net)
	if err != nil {
		t.Fatal(err)
	}
	c.Kind = train.ACPolicyKind
	if err := c.PutJSON("act", mode); err != nil {
		t.Fatal(err)
	}
	if norm != nil {
		if err := c.PutJSON("obs_norm", norm); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// goAgent is the deterministic policy xlrl eval acts with from cp
// (train.ACPolicyOf): a finished run's saved network, its "act" mode and
// "obs_norm"; an interrupted run's acting weights.
func goAgent(t *testing.T, cp *ckpt.Checkpoint, algo string, spec *env.Spec) func([]float64) env.Action {
	t.Helper()
	net, mode, norm, err := train.ACPolicyOf(cp, algo, spec)
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

// interrupted trains args on the go backend until "Ctrl-C" after
// stopAt episodes and returns the run directory, which holds the
// agent's training checkpoint only.
func interrupted(t *testing.T, stopAt int64, args ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "run")
	fl := train.NewFlags(train.Defaults{Root: t.TempDir()})
	args = append([]string{"--backend", "go", "--seed", "4", "--eval-episodes", "2", "--steps", "100000", "--out", dir, "--plot=false"}, args...)
	if err := fl.Set.Parse(args); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := train.Hooks{AfterEpisode: func(ep int64) {
		if ep == stopAt {
			cancel()
		}
	}}
	if _, err := train.Train(ctx, fl, h); !errors.Is(err, train.ErrInterrupted) {
		t.Fatalf("%v: err = %v, want ErrInterrupted", args, err)
	}
	return dir
}

// observations are n random observations of spec's size, a few far
// outside the observation statistics' clip.
func observations(spec *env.Spec, n int) [][]float64 {
	r := rand.New(rand.NewPCG(5, 6))
	out := make([][]float64, n)
	for i := range out {
		x := make([]float64, spec.Observation.Dim())
		for j := range x {
			x[j] = 3 * r.NormFloat64()
			if i%50 == 0 {
				x[j] *= 100
			}
		}
		out[i] = x
	}
	return out
}

// numpyActions are load_policy's actions on obs (rows) from file.
func numpyActions(t *testing.T, file string, obs [][]float64) [][]float64 {
	t.Helper()
	obsFile := filepath.Join(t.TempDir(), "obs.npy")
	f, err := os.Create(obsFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeNPYFloat64(f, slices.Concat(obs...), []int{len(obs), len(obs[0])}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out := python(t, `
import json, sys, numpy as np, xlrl_envs
p = xlrl_envs.load_policy(sys.argv[1])
obs = np.load(sys.argv[2])
a = p.act_batch(obs)
one = [p.act(o) for o in obs[:10]]
# one row or many: BLAS sums in another order, so Box actions agree to rounding
assert np.allclose(np.asarray(one).reshape(a[:10].shape), a[:10], rtol=1e-5, atol=1e-5), (one, a)
print(json.dumps(np.asarray(a, dtype=np.float64).reshape(len(obs), -1).tolist()))
`, file, obsFile)
	var got [][]float64
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return got
}

// sameActions compares the Go agent's actions with others: discrete ones
// exactly, continuous ones to float32 rounding (the forward passes sum
// in different orders); it returns how many continuous actions were
// clipped to a bound (clip and tanh saturate) for the caller to check.
func sameActions(t *testing.T, what string, obs [][]float64, want []env.Action, got [][]float64, spec *env.Spec) (atBound int) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d actions for %d observations", what, len(got), len(want))
	}
	distinct := map[int]bool{}
	for i, w := range want {
		if spec.Action.Kind == env.Discrete {
			distinct[w.Discrete] = true
			if len(got[i]) != 1 || got[i][0] != float64(w.Discrete) {
				t.Fatalf("%s: observation %d %v: action %v, the Go agent's %d", what, i, obs[i], got[i], w.Discrete)
			}
			continue
		}
		for j, a := range w.Continuous {
			if math.Abs(got[i][j]-a) > 1e-5*max(1, math.Abs(a)) {
				t.Fatalf("%s: observation %d %v: action %v, the Go agent's %v", what, i, obs[i], got[i], w.Continuous)
			}
			if a == spec.Action.Low[j] || a == spec.Action.High[j] {
				atBound++
			}
		}
	}
	if spec.Action.Kind == env.Discrete && len(distinct) < 2 {
		t.Fatalf("%s: the Go actions are all equal: the test would not see a difference", what)
	}
	return atBound
}

// TestACActionsEqualGo exports the policies of ppo, sac and td3 runs,
// finished and interrupted, and checks that xlrl_envs.load_policy acts
// as the Go agent does at evaluation on the same observations.
func TestACActionsEqualGo(t *testing.T) {
	pendulumNorm := &ac.RunningMeanStd{Mean: []float64{0.3, -0.1, 0.5}, Var: []float64{0.4, 0.2, 9}, Count: 100}
	cartNorm := &ac.RunningMeanStd{Mean: []float64{0, 0.2, 0, -0.1}, Var: []float64{0.01, 1, 0.003, 2}, Count: 100}
	tests := []struct {
		name, env, algo string
		cp              func(t *testing.T) *ckpt.Checkpoint
		kind            string
		version         int
		clips           bool // some actions are at a bound (mlp-clip)
	}{
		{"finished/ppo/CartPole/normalised", "CartPole-v1", "ppo", func(t *testing.T) *ckpt.Checkpoint {
			return finishedAC(t, nn.Spec{In: 4, Hidden: []int{16, 8}, Act: nn.Tanh, Out: 2}, "argmax", cartNorm)
		}, KindArgmax, 2, false},
		{"finished/ppo/CartPole", "CartPole-v1", "ppo", func(t *testing.T) *ckpt.Checkpoint {
			return finishedAC(t, nn.Spec{In: 4, Hidden: []int{8}, Act: nn.ReLU, Out: 2}, "argmax", nil)
		}, KindArgmax, 1, false},
		{"finished/ppo/Pendulum", "Pendulum-v1", "ppo", func(t *testing.T) *ckpt.Checkpoint {
			return finishedAC(t, nn.Spec{In: 3, Hidden: []int{16}, Act: nn.Tanh, Out: 1}, "clip", nil)
		}, KindClip, 2, true},
		{"finished/ppo/Pendulum/normalised", "Pendulum-v1", "ppo", func(t *testing.T) *ckpt.Checkpoint {
			return finishedAC(t, nn.Spec{In: 3, Hidden: []int{16, 16}, Act: nn.ReLU, Out: 1}, "clip", pendulumNorm)
		}, KindClip, 2, true},
		{"finished/sac/Pendulum/normalised", "Pendulum-v1", "sac", func(t *testing.T) *ckpt.Checkpoint {
			return finishedAC(t, nn.Spec{In: 3, Hidden: []int{16, 16}, Act: nn.ReLU, Out: 2}, "tanh", pendulumNorm)
		}, KindTanh, 2, false},
		{"finished/sac/Pendulum/gSDE", "Pendulum-v1", "sac", func(t *testing.T) *ckpt.Checkpoint {
			return finishedAC(t, nn.Spec{In: 3, Hidden: []int{16, 16}, Act: nn.ReLU, Out: 1}, "tanh_clip", nil)
		}, KindTanh, 2, false},
		{"finished/td3/Pendulum", "Pendulum-v1", "td3", func(t *testing.T) *ckpt.Checkpoint {
			return finishedAC(t, nn.Spec{In: 3, Hidden: []int{8}, Act: nn.ReLU, Out: 1}, "tanh", nil)
		}, KindTanh, 2, false},
		{"interrupted/ppo/CartPole", "CartPole-v1", "ppo", func(t *testing.T) *ckpt.Checkpoint {
			return runCheckpoint(t, false, interrupted(t, 12, "--env", "CartPole-v1", "--algo", "ppo", "--layers", "16", "--hp", "n_steps=64", "--hp", "n_envs=2", "--hp", "n_epochs=1"))
		}, KindArgmax, 1, false},
		{"interrupted/ppo/Pendulum/normalised", "Pendulum-v1", "ppo", func(t *testing.T) *ckpt.Checkpoint {
			return runCheckpoint(t, true, interrupted(t, 3, "--env", "Pendulum-v1", "--algo", "ppo", "--layers", "16", "--hp", "n_steps=128", "--hp", "n_envs=2",
				"--hp", "n_epochs=1", "--hp", "normalize_obs=true", "--hp", "eval_every=256"))
		}, KindClip, 2, false},
		{"interrupted/sac/Pendulum/normalised", "Pendulum-v1", "sac", func(t *testing.T) *ckpt.Checkpoint {
			return runCheckpoint(t, true, interrupted(t, 2, "--env", "Pendulum-v1", "--algo", "sac", "--layers", "16", "--hp", "batch_size=16",
				"--hp", "learning_starts=100", "--hp", "normalize_obs=true", "--hp", "eval_every=300"))
		}, KindTanh, 2, false},
		{"interrupted/sac/Pendulum/gSDE", "Pendulum-v1", "sac", func(t *testing.T) *ckpt.Checkpoint {
			return runCheckpoint(t, true, interrupted(t, 2, "--env", "Pendulum-v1", "--algo", "sac", "--layers", "16", "--hp", "batch_size=16",
				"--hp", "learning_starts=100", "--hp", "use_sde=true", "--hp", "eval_every=300"))
		}, KindTanh, 2, false},
		{"interrupted/td3/Pendulum", "Pendulum-v1", "td3", func(t *testing.T) *ckpt.Checkpoint {
			return runCheckpoint(t, false, interrupted(t, 2, "--env", "Pendulum-v1", "--algo", "td3", "--layers", "16", "--hp", "batch_size=16", "--hp", "learning_starts=100"))
		}, KindTanh, 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cp := tt.cp(t)
			spec, err := env.Lookup(tt.env)
			if err != nil {
				t.Fatal(err)
			}
			p, err := FromCheckpoint(cp, tt.env, tt.algo)
			if err != nil {
				t.Fatal(err)
			}
			if p.Arch.Kind != tt.kind || p.Arch.Version != tt.version {
				t.Fatalf("kind %q version %d, want %q and %d", p.Arch.Kind, p.Arch.Version, tt.kind, tt.version)
			}
			if gsde := strings.Contains(tt.name, "gSDE"); (p.Arch.MeanClip == sac.ClipMean) != gsde {
				t.Fatalf("mean_clip %v: a gSDE actor (%v) clips its mean to %v", p.Arch.MeanClip, gsde, sac.ClipMean)
			}
			file := filepath.Join(t.TempDir(), "policy.npz")
			if err := p.WriteNPZ(file); err != nil {
				t.Fatal(err)
			}
			act := goAgent(t, cp, tt.algo, spec)
			obs := observations(spec, 500)
			want := make([]env.Action, len(obs))
			for i, o := range obs {
				want[i] = act(o)
			}
			bound := sameActions(t, "load_policy", obs, want, numpyActions(t, file, obs), spec)
			if tt.clips && (bound == 0 || bound == len(obs)) {
				t.Fatalf("%d of %d actions at a bound: the test would not see a missing or wrong clip", bound, len(obs))
			}
		})
	}
}

// runCheckpoint reads an interrupted run's training checkpoint, which holds
// best evaluated weights when best (else the policy is the latest weights).
func runCheckpoint(t *testing.T, best bool, dir string) *ckpt.Checkpoint {
	t.Helper()
	c, err := ckpt.Read(filepath.Join(dir, run.CheckpointFile), "")
	if err != nil {
		t.Fatal(err)
	}
	if c.Kind == train.ACPolicyKind {
		t.Fatalf("%s: the interrupted run holds a %q", dir, c.Kind)
	}
	if got := slices.Contains(c.Sections(), "best_params"); got != best {
		t.Fatalf("a %q checkpoint with best weights %v, want %v", c.Kind, got, best)
	}
	return c
}

// TestLoadPolicyRefusesUnknownVersionsAndKinds: a file this xlrl_envs
// cannot act from says so rather than acting wrongly.
func TestLoadPolicyRefusesUnknownVersionsAndKinds(t *testing.T) {
	for _, tt := range []struct {
		version int
		kind    string
	}{{3, KindTanh}, {2, "mlp-sde"}, {0, KindArgmax}} {
		p, err := FromCheckpoint(finishedAC(t, nn.Spec{In: 3, Hidden: []int{4}, Act: nn.ReLU, Out: 1}, "tanh", nil), "Pendulum-v1", "td3")
		if err != nil {
			t.Fatal(err)
		}
		p.Arch.Version, p.Arch.Kind = tt.version, tt.kind
		file := filepath.Join(t.TempDir(), "policy.npz")
		if err := p.WriteNPZ(file); err != nil {
			t.Fatal(err)
		}
		out := python(t, `
import sys, xlrl_envs
try:
    xlrl_envs.load_policy(sys.argv[1])
except ValueError as e:
    print(e)
`, file)
		if !strings.Contains(out, "upgrade xlrl_envs") || !strings.Contains(out, tt.kind) {
			t.Errorf("version %d kind %q: %q", tt.version, tt.kind, out)
		}
	}
}
