package xlrl

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/xlrl/xlrl/internal/agent/dqn"
	"github.com/xlrl/xlrl/internal/agent/pg"
	"github.com/xlrl/xlrl/internal/agent/trainloop"
	"github.com/xlrl/xlrl/internal/agent/zoo"
	"github.com/xlrl/xlrl/internal/ckpt"
	"github.com/xlrl/xlrl/internal/nn"
	"github.com/xlrl/xlrl/internal/train"
)

// DQNConfig is DQN's configuration, with Stable-Baselines3's names.
type DQNConfig = dqn.Config

// REINFORCEConfig is REINFORCE's configuration (with value-function
// baseline); A2CConfig is A2C's. Both embed the common pg.Common fields.
type (
	REINFORCEConfig = pg.REINFORCEConfig
	A2CConfig       = pg.A2CConfig
)

// TunedDQN is the tuned DQN configuration for envID (the generic one for an
// environment without a tuned entry); docs/deeprl.md lists the table.
func TunedDQN(envID string) DQNConfig {
	h, _, _ := zoo.Defaults(envID, "dqn")
	return *h.DQN
}

// TunedREINFORCE is the tuned REINFORCE configuration for envID.
func TunedREINFORCE(envID string) REINFORCEConfig {
	h, _, _ := zoo.Defaults(envID, "reinforce")
	return *h.REINFORCE
}

// TunedA2C is the tuned A2C configuration for envID.
func TunedA2C(envID string) A2CConfig {
	h, _, _ := zoo.Defaults(envID, "a2c")
	return *h.A2C
}

// NewDQN builds a DQN agent for an environment with the spec's spaces
// (Discrete actions; Discrete observations are one-hot encoded). be runs
// its gradient steps (nil: GoBackend()); the agent does not close it.
func NewDQN(cfg DQNConfig, spec *Spec, be Backend, seed uint64) (Learner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return newDeep("dqn", spec, be, seed, func(ctx context.Context, mk trainloop.EnvFactory, steps int, be Backend, h *trainloop.Hooks) (*nn.MLP, Stats, error) {
		c := cfg
		if steps > 0 {
			c.Steps = steps
		}
		res, err := dqn.Train(ctx, c, mk, be, seed, h)
		if err != nil {
			return nil, Stats{}, err
		}
		return res.Q, Stats{Episodes: int64(res.Episodes), Steps: int64(res.Steps), Updates: int64(res.GradSteps)}, nil
	})
}

// NewREINFORCE builds a REINFORCE agent (Discrete actions).
func NewREINFORCE(cfg REINFORCEConfig, spec *Spec, be Backend, seed uint64) (Learner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return newDeep("reinforce", spec, be, seed, func(ctx context.Context, mk trainloop.EnvFactory, steps int, be Backend, h *trainloop.Hooks) (*nn.MLP, Stats, error) {
		c := cfg
		if steps > 0 {
			c.Steps = steps
		}
		return pgStats(pg.TrainREINFORCE(ctx, c, mk, be, seed, h))
	})
}

// NewA2C builds an A2C agent (Discrete actions).
func NewA2C(cfg A2CConfig, spec *Spec, be Backend, seed uint64) (Learner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return newDeep("a2c", spec, be, seed, func(ctx context.Context, mk trainloop.EnvFactory, steps int, be Backend, h *trainloop.Hooks) (*nn.MLP, Stats, error) {
		c := cfg
		if steps > 0 {
			c.Steps = steps
		}
		return pgStats(pg.TrainA2C(ctx, c, mk, be, seed, h))
	})
}

func pgStats(res *pg.Result, err error) (*nn.MLP, Stats, error) {
	if err != nil {
		return nil, Stats{}, err
	}
	return res.Policy, Stats{Episodes: int64(res.Episodes), Steps: int64(res.Steps), Updates: int64(res.Updates)}, nil
}

type deepTrain func(ctx context.Context, mk trainloop.EnvFactory, steps int, be Backend, h *trainloop.Hooks) (*nn.MLP, Stats, error)

func newDeep(algo string, spec *Spec, be Backend, seed uint64, fn deepTrain) (*deepLearner, error) {
	if err := trainloop.CheckSpaces(algo, spec); err != nil {
		return nil, err
	}
	if be == nil {
		be = GoBackend()
	}
	return &deepLearner{algo: algo, spec: *spec, be: be, train: fn}, nil
}

// deepLearner is a network-based agent: argmax of the network's outputs.
type deepLearner struct {
	algo   string
	spec   Spec
	be     Backend
	train  deepTrain
	net    *nn.MLP
	greedy *trainloop.Greedy
	onehot []float64
}

func (l *deepLearner) Algorithm() string { return l.algo }

func (l *deepLearner) Act(obs []float64) Action {
	if l.greedy == nil {
		panic(fmt.Sprintf("xlrl: %s agent acts before Learn or Load", l.algo))
	}
	if l.spec.Observation.Kind == Discrete {
		clear(l.onehot)
		l.onehot[int(obs[0])] = 1
		obs = l.onehot
	}
	return DiscreteAction(l.greedy.Act(obs))
}

func (l *deepLearner) setNet(net *nn.MLP) {
	l.net, l.greedy = net, trainloop.NewGreedy(net)
	if l.spec.Observation.Kind == Discrete {
		l.onehot = make([]float64, l.spec.Observation.N)
	}
}

func (l *deepLearner) Learn(ctx context.Context, envs EnvFactory, b Budget, h Hooks) (Stats, error) {
	if b.Episodes > 0 {
		return Stats{}, fmt.Errorf("%s: the budget of a deep agent is in steps (Budget.Steps), not episodes", l.algo)
	}
	rec := &hookRecorder{h: h}
	th := &trainloop.Hooks{Episode: rec.Episode, Update: rec.Update}
	if h.Eval != nil {
		th.Eval = func(step int, m map[string]float64) { h.Eval(int64(step), m) }
	}
	if h.Checkpoint != nil {
		ck, err := newHookCheckpointer(h.Checkpoint)
		if err != nil {
			return Stats{}, err
		}
		th.Checkpoint = ck
	}
	net, st, err := l.train(ctx, trainloop.EnvFactory(envs), int(b.Steps), l.be, th)
	if err != nil {
		return st, err
	}
	l.setNet(net)
	return st, nil
}

func (l *deepLearner) Save(w io.Writer) error {
	if l.net == nil {
		return fmt.Errorf("%s: nothing to save before Learn or Load", l.algo)
	}
	c, err := train.PolicyCheckpoint(l.net)
	if err != nil {
		return err
	}
	return saveCheckpoint(w, c)
}

func (l *deepLearner) Load(r io.Reader) error {
	c, err := loadCheckpoint(r, train.PolicyKind)
	if err != nil {
		return err
	}
	return l.loadPolicy(c)
}

func (l *deepLearner) loadPolicy(c *ckpt.Checkpoint) error {
	net, err := train.LoadPolicy(c)
	if err != nil {
		return err
	}
	in := l.spec.Observation.Dim()
	if l.spec.Observation.Kind == Discrete {
		in = l.spec.Observation.N // one-hot encoded
	}
	if net.In() != in || net.Out() != l.spec.Action.N {
		return fmt.Errorf("%w: the network maps %d inputs to %d actions, %s has %d and %d",
			ckpt.ErrBad, net.In(), net.Out(), l.spec.ID, in, l.spec.Action.N)
	}
	l.setNet(net)
	return nil
}

// hookRecorder passes a deep trainer's episodes and updates to Hooks,
// counting the episodes.
type hookRecorder struct {
	h        Hooks
	episodes int64
}

func (r *hookRecorder) Episode(step int, ret float64, length int) {
	r.episodes++
	if r.h.Episode != nil {
		r.h.Episode(EpisodeEnd{Step: int64(step), Episode: r.episodes, Return: ret, Length: int64(length)})
	}
}

func (r *hookRecorder) Update(step int, values map[string]float64) {
	if r.h.Update != nil {
		r.h.Update(int64(step), values)
	}
}

// hookCheckpointer is a Checkpointing as a trainloop.Checkpointer.
type hookCheckpointer struct {
	c       *Checkpointing
	resumed *ckpt.Checkpoint
}

func newHookCheckpointer(c *Checkpointing) (*hookCheckpointer, error) {
	k := &hookCheckpointer{c: c}
	if c.Resume != nil {
		r, err := ckpt.Unmarshal("resumed state", c.Resume)
		if err != nil {
			return nil, err
		}
		k.resumed = r
	}
	return k, nil
}

func (k *hookCheckpointer) Resumed() *ckpt.Checkpoint { return k.resumed }

func (k *hookCheckpointer) Due() bool { return k.c.due() }

func (k *hookCheckpointer) Save(c *ckpt.Checkpoint, step, episodes int) error {
	var b bytes.Buffer
	if err := saveCheckpoint(&b, c); err != nil {
		return err
	}
	return k.c.Save(b.Bytes(), Stats{Steps: int64(step), Episodes: int64(episodes)})
}
