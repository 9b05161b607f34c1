package ppo

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/xlrl/xlrl/internal/agent/learncheck"
	"github.com/xlrl/xlrl/internal/agent/trainloop"
	"github.com/xlrl/xlrl/internal/backend"
	"github.com/xlrl/xlrl/internal/ckpt"
)

var errStopped = errors.New("stopped by the test")

// stopAt asks for a checkpoint after every rollout and stops the run with
// the first one at step at or later, which it keeps.
type stopAt struct {
	at int
	c  *ckpt.Checkpoint
}

func (s *stopAt) Resumed() *ckpt.Checkpoint { return nil }
func (s *stopAt) Due() bool                 { return true }
func (s *stopAt) Save(c *ckpt.Checkpoint, step, _ int) error {
	if step < s.at {
		return nil
	}
	s.c = c
	return errStopped
}

// TestPolicyNetActsAsTheStoppedAgent: the policy PolicyNet reads from a
// training checkpoint acts as the agent would if it finished there (right
// after an evaluation, so finishing evaluates nothing more): its best
// evaluated weights with their statistics (here earlier than the latest),
// else the latest with the current statistics; Discrete and Box actions,
// with and without normalisation, on the go and tf backends.
func TestPolicyNetActsAsTheStoppedAgent(t *testing.T) {
	for _, c := range []struct {
		name, env, backend string
		evalEvery          int
		normalize          bool
	}{
		{"CartPole/latest", "CartPole-v1", "go", 0, false},
		{"CartPole/best", "CartPole-v1", "go", 64, false},
		{"CartPole/best/normalised/tf", "CartPole-v1", "tf", 64, true},
		{"Pendulum/latest/normalised", "Pendulum-v1", "go", 0, true},
		{"Pendulum/best/normalised", "Pendulum-v1", "go", 64, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := Default()
			cfg.Hidden, cfg.NEnvs, cfg.NSteps, cfg.BatchSize, cfg.Epochs, cfg.Steps, cfg.LR = []int{16}, 2, 32, 32, 2, 100_000, 3e-3
			cfg.EvalEvery, cfg.EvalEpisodes, cfg.NormalizeObs, cfg.NormalizeReward = c.evalEvery, 2, c.normalize, c.normalize
			var be backend.Backend = backend.NewGo()
			if c.backend == "tf" {
				be = backend.NewTF(learncheck.StartWorker(t))
			}
			ctx := context.Background()
			tr, envs, err := newTrainer(ctx, cfg, learncheck.Maker(c.env), be, 2)
			if err != nil {
				t.Fatal(err)
			}
			stop := &stopAt{at: 640}
			if err := tr.run(ctx, envs, &trainloop.Hooks{Checkpoint: stop}); !errors.Is(err, errStopped) {
				t.Fatalf("run: err = %v, want the test's stop", err)
			}
			if c.evalEvery > 0 && (tr.lastEval != tr.res.Steps || tr.best.Step >= tr.res.Steps) {
				t.Fatalf("stopped at step %d, last evaluation at %d, best at %d: want the best before the last", tr.res.Steps, tr.lastEval, tr.best.Step)
			}
			net, norm, err := PolicyNet(stop.c, tr.obsDim, tr.nOut)
			if err != nil {
				t.Fatal(err)
			}
			want, err := tr.finish(ctx)
			if err != nil {
				t.Fatal(err)
			}
			got := &Policy{Net: net, Low: tr.low, High: tr.high, ObsNorm: norm}
			if tr.box {
				got.LogStd = make([]float64, tr.nOut)
			}
			if (norm == nil) != !c.normalize {
				t.Fatalf("statistics %v for normalize=%v", norm, c.normalize)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			obs := make([]float64, tr.obsDim)
			for i := range 300 {
				for j := range obs {
					obs[j] = 3 * rng.NormFloat64()
				}
				a, b := got.Act(obs), want.Policy.Act(obs)
				if a.Discrete != b.Discrete || !slices.Equal(a.Continuous, b.Continuous) {
					t.Fatalf("observation %d %v: the checkpoint's policy acts %+v, the agent %+v", i, obs, a, b)
				}
			}
		})
	}
}

// TestPolicyNetRefusesOtherCheckpoints: a checkpoint of another kind, or
// one whose weights fit another network.
func TestPolicyNetRefusesOtherCheckpoints(t *testing.T) {
	cfg := Default()
	cfg.Hidden, cfg.NEnvs, cfg.NSteps, cfg.BatchSize, cfg.Epochs, cfg.Steps, cfg.EvalEvery = []int{8}, 1, 32, 32, 1, 10_000, 0
	tr, envs, err := newTrainer(context.Background(), cfg, learncheck.Maker("CartPole-v1"), backend.NewGo(), 1)
	if err != nil {
		t.Fatal(err)
	}
	stop := &stopAt{at: 64}
	if err := tr.run(context.Background(), envs, &trainloop.Hooks{Checkpoint: stop}); !errors.Is(err, errStopped) {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		cp        *ckpt.Checkpoint
		obs, nOut int
	}{
		{"another kind", ckpt.New("sac"), 4, 2},
		{"other inputs", stop.c, 6, 2},
		{"other actions", stop.c, 4, 3},
	} {
		if _, _, err := PolicyNet(c.cp, c.obs, c.nOut); !errors.Is(err, ckpt.ErrBad) {
			t.Errorf("%s: err = %v, want ErrBad", c.name, err)
		}
	}
}
