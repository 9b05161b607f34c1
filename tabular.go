package xlrl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/xlrl/xlrl/internal/agent/tabular"
	"github.com/xlrl/xlrl/internal/agent/zoo"
	"github.com/xlrl/xlrl/internal/ckpt"
	"github.com/xlrl/xlrl/internal/policy"
)

// TabularConfig is the configuration of a tabular agent: the algorithm
// (q-learning, sarsa, expected-sarsa, double-q-learning), the learning
// rate and its decay, the discount, the exploration and the seed.
type TabularConfig = tabular.Config

// Exploration configures how an agent explores: epsilon-greedy, boltzmann
// or ucb, with a constant, linear or exponential schedule.
type Exploration = policy.Config

// TunedTabular is the tuned configuration of algo on environment envID
// (generic values for an environment without a tuned entry); docs/tabular.md
// lists the table.
func TunedTabular(envID, algo string) TabularConfig {
	d, _, _ := zoo.Defaults(envID, algo)
	h := d.Tabular
	if h == nil { // not a tabular algorithm: New will say so
		return TabularConfig{Algorithm: algo}
	}
	return TabularConfig{Algorithm: algo, LR: h.LR, LREnd: h.LREnd, LRDecayEpisodes: h.LRDecayEpisodes,
		Gamma: h.Gamma, Explore: h.Explore}
}

// NewTabular builds a tabular agent for an environment with the spec's
// spaces (both Discrete).
func NewTabular(cfg TabularConfig, spec *Spec) (Learner, error) {
	a, err := tabular.New(cfg, spec.Observation, spec.Action)
	if err != nil {
		return nil, fmt.Errorf("%s on %s: %w", cfg.Algorithm, spec.ID, err)
	}
	return &tabularLearner{a: a, algo: cfg.Algorithm, seed: cfg.Seed, envID: spec.ID}, nil
}

type tabularLearner struct {
	a     *tabular.Agent
	algo  string
	seed  uint64 // of the learning environment
	envID string // for the tuned budget
}

func (l *tabularLearner) Algorithm() string { return l.algo }

func (l *tabularLearner) Act(obs []float64) Action { return DiscreteAction(l.a.Greedy(int(obs[0]))) }

// Policy is the greedy action of every state.
func (l *tabularLearner) Policy() []int { return l.a.Policy() }

func (l *tabularLearner) Save(w io.Writer) error {
	c := ckpt.New(tabular.CheckpointKind)
	if err := l.a.Save(c); err != nil {
		return err
	}
	return saveCheckpoint(w, c)
}

func (l *tabularLearner) Load(r io.Reader) error {
	c, err := loadCheckpoint(r, tabular.CheckpointKind)
	if err != nil {
		return err
	}
	return l.a.Load(c)
}

// tabularChunk is how many episodes run between two checkpoint polls.
const tabularChunk = 256

func (l *tabularLearner) Learn(ctx context.Context, envs EnvFactory, b Budget, h Hooks) (Stats, error) {
	var st Stats
	e, err := envs()
	if err != nil {
		return st, err
	}
	if b.Episodes <= 0 && b.Steps <= 0 {
		d, _, _ := zoo.Defaults(l.envID, l.algo) // l.algo is tabular: NewTabular checked it
		b.Episodes = d.Tabular.Episodes
	}
	e.Seed(l.seed)
	ck := h.Checkpoint
	if ck != nil && ck.Resume != nil {
		if err := l.Load(bytes.NewReader(ck.Resume)); err != nil {
			return st, fmt.Errorf("resuming: %w", err)
		}
	}
	for (b.Episodes <= 0 || st.Episodes < b.Episodes) && (b.Steps <= 0 || st.Steps < b.Steps) {
		chunk := tabular.Budget{Episodes: tabularChunk}
		if b.Episodes > 0 {
			chunk.Episodes = min(chunk.Episodes, b.Episodes-st.Episodes)
		}
		if b.Steps > 0 {
			chunk.Steps = b.Steps - st.Steps
		}
		base := st
		done, err := l.a.Train(ctx, e, chunk, func(s tabular.TrainStats, ret float64, length int64) {
			if h.Episode != nil {
				h.Episode(EpisodeEnd{Step: base.Steps + s.Steps, Episode: base.Episodes + s.Episodes, Return: ret, Length: length})
			}
		})
		st.Episodes += done.Episodes
		st.Steps += done.Steps
		stopped := ctx.Err() != nil
		if ck != nil && (stopped || ck.due()) {
			if err := l.checkpoint(ck, st); err != nil {
				return st, err
			}
		}
		if err != nil && !errors.Is(err, context.Canceled) && !stopped {
			return st, err
		}
		if stopped {
			return st, context.Cause(ctx)
		}
	}
	return st, nil
}

func (l *tabularLearner) checkpoint(ck *Checkpointing, at Stats) error {
	var buf bytes.Buffer
	if err := l.Save(&buf); err != nil {
		return err
	}
	return ck.Save(buf.Bytes(), at)
}
