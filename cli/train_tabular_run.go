package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/xlrl/xlrl/internal/agent/tabular"
	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/run"
)

// tabularChunk is how many episodes run between two looks at the clock (for
// checkpoints) and at Ctrl-C.
const tabularChunk = 256

// trainTabularInRun trains agent on e (already seeded) within the run r:
// one metrics record per episode, a checkpoint every --checkpoint-every, on
// Ctrl-C and at the end, and, when r resumes a run, the agent, the
// environment's random state and the counters restored from its checkpoint
// first, so that the result is the one an uninterrupted run gets.
func trainTabularInRun(ctx context.Context, r *trainRun, agent *tabular.Agent, e env.Env, b tabular.Budget, label string) (tabular.TrainStats, error) {
	var done tabular.TrainStats
	if r.resumed != nil {
		if err := agent.Load(r.resumed); err != nil {
			return done, fmt.Errorf("resuming %s: %w", r.dir.Path, err)
		}
		var envState uint64
		if err := r.resumed.GetJSON("env_rng", &envState); err != nil {
			return done, err
		}
		e.Seed(envState)
		done = tabular.TrainStats{Episodes: r.counters.Episodes, Steps: r.counters.Steps}
	}
	save := func() error {
		c := run.NewCheckpoint(tabular.CheckpointKind)
		if err := agent.Save(c); err != nil {
			return err
		}
		envState, ok := env.RNGStateOf(e)
		if !ok {
			return fmt.Errorf("%s cannot save its random state: no checkpoint", e.Spec().ID)
		}
		if err := c.PutJSON("env_rng", envState); err != nil {
			return err
		}
		return r.saveCheckpoint(c, runCounters{Steps: done.Steps, Episodes: done.Episodes})
	}
	if b.Episodes > 0 {
		r.startProgress(label, "episodes", b.Episodes, done.Episodes)
	} else {
		r.startProgress(label, "steps", b.Steps, done.Steps)
	}
	finished := func() bool {
		return (b.Episodes > 0 && done.Episodes >= b.Episodes) || (b.Steps > 0 && done.Steps >= b.Steps)
	}
	var logErr error
	for !finished() {
		if ctx.Err() != nil {
			if err := save(); err != nil {
				return done, err
			}
			return done, interrupted(ctx)
		}
		chunk := tabular.Budget{Episodes: tabularChunk}
		if b.Episodes > 0 {
			chunk.Episodes = min(chunk.Episodes, b.Episodes-done.Episodes)
		}
		if b.Steps > 0 {
			chunk.Steps = b.Steps - done.Steps
		}
		base := done
		st, err := agent.Train(ctx, e, chunk, func(s tabular.TrainStats, ret float64, length int64) {
			if err := r.episode(base.Steps+s.Steps, base.Episodes+s.Episodes, ret, length, nil); err != nil && logErr == nil {
				logErr = err
			}
		})
		done.Episodes += st.Episodes
		done.Steps += st.Steps
		if logErr != nil {
			return done, logErr
		}
		if err != nil && !errors.Is(err, context.Canceled) && ctx.Err() == nil {
			return done, err
		}
		if b.Episodes > 0 {
			r.bar.Update(done.Episodes)
		} else {
			r.bar.Update(done.Steps)
		}
		if r.checkpointDue() {
			if err := save(); err != nil {
				return done, err
			}
		}
	}
	return done, save()
}
