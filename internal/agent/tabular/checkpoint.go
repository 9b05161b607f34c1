package tabular

import (
	"fmt"
	"math"

	"github.com/xlrl/xlrl/internal/ckpt"
	"github.com/xlrl/xlrl/internal/policy"
)

// CheckpointKind names tabular checkpoints; the algorithm is stored inside.
const CheckpointKind = "tabular"

type savedState struct {
	Algorithm string        `json:"algorithm"`
	States    int           `json:"states"`
	Actions   int           `json:"actions"`
	Position  int64         `json:"explorer_position"` // also the learning-rate schedule's
	UCBCounts [][]float64   `json:"ucb_counts,omitempty"`
	Explorer  string        `json:"explorer"`
	Config    checkedConfig `json:"config"`
}

// checkedConfig is the part of Config a resumed agent must share with the
// saved one for the continuation to be the same run.
type checkedConfig struct {
	LR, LREnd       float64
	LRDecayEpisodes int64
	Gamma           float64
	Seed            uint64
}

func (a *Agent) checked() checkedConfig {
	c := checkedConfig{a.cfg.LR, a.cfg.LREnd, a.cfg.LRDecayEpisodes, a.cfg.Gamma, a.cfg.Seed}
	if c.LREnd == 0 {
		c.LRDecayEpisodes = 0 // a constant rate has no decay to match
	}
	return c
}

// Save writes the agent's full state into c: the tables, the random
// source, the exploration state and the schedule position. Restored by Load
// into an agent built with the same Config, training continues exactly.
func (a *Agent) Save(c *ckpt.Checkpoint) error {
	st := savedState{Algorithm: a.cfg.Algorithm, States: a.nS, Actions: a.nA,
		Position: a.explorer.Position(), Explorer: a.explorer.String(),
		Config: a.checked()}
	if u, ok := a.explorer.(*policy.UCB); ok {
		st.UCBCounts = u.Counts
	}
	if err := c.PutJSON("agent", st); err != nil {
		return err
	}
	c.PutFloat64s("q", a.q)
	if a.q2 != nil {
		c.PutFloat64s("q2", a.q2)
	}
	rng, err := a.src.MarshalBinary()
	if err != nil {
		return fmt.Errorf("saving the agent's random source: %w", err)
	}
	c.Put("agent_rng", rng)
	return nil
}

// Load restores a state written by Save. The agent must have been built
// with the same algorithm, spaces and hyperparameters; anything else is
// refused with the difference named.
func (a *Agent) Load(c *ckpt.Checkpoint) error {
	var st savedState
	if err := c.GetJSON("agent", &st); err != nil {
		return err
	}
	want := a.checked()
	switch {
	case st.Algorithm != a.cfg.Algorithm:
		return fmt.Errorf("%w: the checkpoint is of %s, this agent is %s", ckpt.ErrBad, st.Algorithm, a.cfg.Algorithm)
	case st.States != a.nS || st.Actions != a.nA:
		return fmt.Errorf("%w: the checkpoint's table is %d states x %d actions, this environment has %d x %d",
			ckpt.ErrBad, st.States, st.Actions, a.nS, a.nA)
	case st.Config != want:
		return fmt.Errorf("%w: the checkpoint was trained with %+v, this agent has %+v "+
			"(tuned schedules stretch with the episode budget: resume with the run's own --episodes)",
			ckpt.ErrBad, st.Config, want)
	case st.Explorer != a.explorer.String():
		return fmt.Errorf("%w: the checkpoint explored with %q, this agent with %q",
			ckpt.ErrBad, st.Explorer, a.explorer.String())
	case st.Position < 0:
		return fmt.Errorf("%w: the checkpoint's schedule position is %d", ckpt.ErrBad, st.Position)
	}
	if err := checkCounts(st.UCBCounts, a.nS, a.nA); err != nil {
		return err
	}
	q, err := c.Float64s("q", len(a.q))
	if err != nil {
		return err
	}
	copy(a.q, q)
	if a.q2 != nil {
		q2, err := c.Float64s("q2", len(a.q2))
		if err != nil {
			return err
		}
		copy(a.q2, q2)
	}
	rng, err := c.Get("agent_rng")
	if err != nil {
		return err
	}
	if err := a.src.UnmarshalBinary(rng); err != nil {
		return fmt.Errorf("%w: the agent's random source: %v", ckpt.ErrBad, err)
	}
	a.explorer.SetPosition(st.Position)
	if u, ok := a.explorer.(*policy.UCB); ok {
		u.Counts = st.UCBCounts
	}
	return nil
}

// checkCounts checks UCB visit counts read from a checkpoint: at most one
// row per state, each empty or one count per action, every count finite and
// not negative.
func checkCounts(counts [][]float64, nS, nA int) error {
	if len(counts) > nS {
		return fmt.Errorf("%w: UCB counts for %d states, the table has %d", ckpt.ErrBad, len(counts), nS)
	}
	for s, row := range counts {
		if len(row) != 0 && len(row) != nA {
			return fmt.Errorf("%w: UCB counts of state %d hold %d actions, the table has %d",
				ckpt.ErrBad, s, len(row), nA)
		}
		for _, n := range row {
			if n < 0 || math.IsNaN(n) || math.IsInf(n, 0) {
				return fmt.Errorf("%w: UCB count %v of state %d", ckpt.ErrBad, n, s)
			}
		}
	}
	return nil
}
