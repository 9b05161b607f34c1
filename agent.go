package xlrl

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/xlrl/xlrl/internal/agent/tabular"
	"github.com/xlrl/xlrl/internal/agent/zoo"
	"github.com/xlrl/xlrl/internal/ckpt"
)

// Agent acts: Act is the greedy action for an observation (for Discrete
// observation spaces, obs is the one number that is the index).
type Agent interface {
	Act(obs []float64) Action
}

// Learner is an agent that learns. Every algorithm of xlrl is one:
// q-learning, sarsa, expected-sarsa, double-q-learning, dqn, reinforce and
// a2c. It is not safe for concurrent use.
type Learner interface {
	Agent
	// Algorithm is the algorithm's name, as Algorithms lists it.
	Algorithm() string
	// Learn trains on environments made by envs until the budget is spent
	// or ctx is done, calling hooks on the way. Tabular agents continue
	// from their current table; deep agents train their networks afresh
	// each call (their training is one call; Train resumes runs).
	Learn(ctx context.Context, envs EnvFactory, budget Budget, hooks Hooks) (Stats, error)
	// Save writes the agent's state; Load restores state Save wrote for
	// an agent of the same algorithm and spaces.
	Save(w io.Writer) error
	Load(r io.Reader) error
}

// EnvFactory makes fresh instances of the environment to learn on; deep
// agents make more than one (periodic evaluation, parallel environments).
type EnvFactory func() (Env, error)

// EnvByID is the factory of the registered environment id.
func EnvByID(id string, opts ...EnvOption) EnvFactory {
	return func() (Env, error) { return MakeEnv(id, opts...) }
}

// Budget bounds Learn: training stops at whichever limit comes first. Zero
// in both: the tuned budget of the agent's configuration. Deep agents take
// steps only.
type Budget struct {
	Episodes int64
	Steps    int64
}

// Stats is what Learn did.
type Stats struct {
	Episodes int64
	Steps    int64
	// Updates counts gradient steps (deep agents).
	Updates int64
}

// EpisodeEnd describes a finished training episode; Step and Episode are
// totals since the start of Learn.
type EpisodeEnd struct {
	Step, Episode int64
	Return        float64
	Length        int64
}

// Hooks are what Learn reports to, each optional.
type Hooks struct {
	// Episode is called after each training episode.
	Episode func(EpisodeEnd)
	// Update is called after each (logged) gradient update with its
	// statistics under the metric names of metrics.jsonl: loss, epsilon,
	// mean_q, max_q, entropy, ...
	Update func(step int64, stats map[string]float64)
	// Eval is called after each periodic greedy evaluation (deep agents)
	// with eval_mean and train_mean.
	Eval func(step int64, stats map[string]float64)
	// Checkpoint, when not nil, lets the learner save its state while it
	// learns.
	Checkpoint *Checkpointing
}

// Checkpointing is the checkpoint hook of Learn: the learner asks Due at
// episode boundaries and, when it says so (or ctx is done), hands Save its
// state (a nil Due: only when ctx is done); Resume, when not nil, is a state Save received earlier, to
// continue from. Deep agents checkpoint on the go backend only.
type Checkpointing struct {
	Due    func() bool
	Save   func(state []byte, at Stats) error
	Resume []byte
}

// due asks Due; a nil Due is never due (checkpoints only when ctx is done).
func (c *Checkpointing) due() bool { return c.Due != nil && c.Due() }

// Algorithms lists every algorithm name NewAgent and Train take, sorted.
func Algorithms() []string {
	names := append(append([]string(nil), tabular.Algorithms...), zoo.Algos...)
	slices.Sort(names)
	return names
}

// AgentOptions are the options of NewAgent besides the algorithm and the
// environment.
type AgentOptions struct {
	// Seed seeds the agent's random choices and network initialisation.
	Seed uint64
	// Backend runs deep agents' gradient steps (nil: GoBackend()).
	Backend Backend
}

// NewAgent builds the algorithm algo with the tuned defaults for the
// registered environment envID (generic defaults for an environment with
// no tuned entry, such as a user's own).
func NewAgent(algo, envID string, o AgentOptions) (Learner, error) {
	spec, err := LookupEnv(envID)
	if err != nil {
		return nil, err
	}
	switch {
	case tabular.IsAlgorithm(algo):
		cfg := TunedTabular(envID, algo)
		cfg.Seed = o.Seed
		return NewTabular(cfg, spec)
	case zoo.IsAlgo(algo):
		h, _, err := zoo.Defaults(envID, algo)
		if err != nil {
			return nil, err
		}
		switch {
		case h.DQN != nil:
			return NewDQN(*h.DQN, spec, o.Backend, o.Seed)
		case h.REINFORCE != nil:
			return NewREINFORCE(*h.REINFORCE, spec, o.Backend, o.Seed)
		}
		return NewA2C(*h.A2C, spec, o.Backend, o.Seed)
	}
	return nil, fmt.Errorf("unknown algorithm %q: want one of %s", algo, strings.Join(Algorithms(), ", "))
}

// saveCheckpoint writes c in the checkpoint container format.
func saveCheckpoint(w io.Writer, c *ckpt.Checkpoint) error {
	b, err := c.MarshalBinary()
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// loadCheckpoint reads a checkpoint of the given kind.
func loadCheckpoint(r io.Reader, kind string) (*ckpt.Checkpoint, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	c, err := ckpt.Unmarshal("agent state", b)
	if err != nil {
		return nil, err
	}
	if c.Kind != kind {
		return nil, fmt.Errorf("%w: the state holds a %q, want %q", ckpt.ErrBad, c.Kind, kind)
	}
	return c, nil
}
