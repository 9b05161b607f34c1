package ac

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/xlrl/xlrl/internal/agent/trainloop"
	"github.com/xlrl/xlrl/internal/ckpt"
	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/metric"
)

// Rescale maps a in [-1, 1] to [low, high].
func Rescale(a, low, high float64) float64 { return low + 0.5*(a+1)*(high-low) }

// OffPolicy is the environment loop SAC and TD3 share: one step at a time,
// uniform random actions in [-1, 1] for the first LearningStarts steps and
// Act's after, every transition (with the [-1, 1] action) into Buf,
// GradientSteps calls of GradientStep every TrainFreq steps after
// LearningStarts, and Evaluate every EvalEvery steps, stopping once it
// reaches StopAt. The agents differ only in the hooks.
//
// With ObsRMS (RetRMS) set it is Stable-Baselines3's VecNormalize around
// an off-policy algorithm: the statistics are updated with each
// observation the environment returns (the first of the next episode at
// an episode's end, never the final one) and each step's discounted
// return, Act sees normalised observations, and the buffer keeps the raw
// ones, which the agent normalises when it samples (NormalizeBatch).
//
// With Save and Restore set and a trainloop.Checkpointer in the hooks
// (and an environment whose state a Tape can rebuild) it checkpoints after
// any step the checkpointer asks for, and on Ctrl-C after the step under
// way, and a resumed run continues exactly where the checkpoint was taken.
type OffPolicy struct {
	Name                             string // prefixes errors ("sac", "td3") and names the checkpoints
	Steps, LearningStarts, TrainFreq int
	GradientSteps, EvalEvery         int
	StopAt                           *float64
	Rng                              *rand.Rand // the agent's generator, for the random actions
	Low, High                        []float64  // the action space's bounds
	Buf                              *Replay
	Clock                            *trainloop.Clock
	Episodes                         *trainloop.Episodes
	Last                             map[string]float64 // sent to the recorder after each round of gradient steps
	GradSteps                        *int               // the agent's count of gradient steps, for the error of a failed one
	// ObsRMS and RetRMS, when set, normalise observations and rewards;
	// Gamma discounts the return RetRMS follows.
	ObsRMS, RetRMS *RunningMeanStd
	Gamma          float64
	// Act writes the agent's exploring action for obs, in [-1, 1], into a.
	Act func(obs, a []float32)
	// RolloutStep, when set, is called before each step's action (random
	// ones included) with the number of steps collected since the last
	// round of gradient steps: 0 at the start of each of Stable-Baselines3's
	// rollouts of TrainFreq steps (where SAC's gSDE resamples its noise).
	RolloutStep func(collected int)
	// GradientStep takes one gradient step, updating *GradSteps and Last.
	GradientStep func(ctx context.Context) error
	// Evaluate scores the current policy at step.
	Evaluate func(ctx context.Context, step int) (float64, error)
	// Save adds the agent's state to a checkpoint; Restore reads it back.
	// Both nil: the run writes no checkpoints.
	Save, Restore func(ctx context.Context, c *ckpt.Checkpoint) error
}

// loopState is what the loop carries from step to step, for checkpoints.
type loopState struct {
	Next  int       `json:"next_step"`
	EpRet float64   `json:"episode_return"`
	EpLen int       `json:"episode_length"`
	Ret   float64   `json:"discounted_return"` // RetRMS's running return
	Obs   []float64 `json:"-"`                 // the environment's current observation
}

// Run runs the loop on e, which is seeded but not reset, reporting its
// episodes, updates and evaluations to h (may be nil) and checkpointing
// through it. It returns the number of steps taken and the step it
// stopped at for StopAt (0 if it did not).
func (l *OffPolicy) Run(ctx context.Context, e env.Env, h *trainloop.Hooks) (steps, stoppedAt int, err error) {
	d, od := len(l.Low), l.Buf.obsDim
	ctx, ck := NewCheckpoints(ctx, h.Checkpointer(), l.Save != nil && CanSave(e))
	obs, next := make([]float32, od), make([]float32, od)
	a := make([]float32, d)
	scaled := make([]float64, d)
	tape := NewTape(e.Spec(), ck.Active())
	st := loopState{Next: 1}
	raw := make([]float64, od) // the current observation, unnormalised
	t0 := time.Now()
	if c := ck.Resumed(); c != nil {
		if err := l.restore(ctx, c, e, tape, &st); err != nil {
			return 0, 0, err
		}
		copy(raw, st.Obs)
		steps = st.Next - 1
	} else {
		copy(raw, tape.Reset(e))
		if l.ObsRMS != nil {
			l.ObsRMS.Update(raw, 1)
		}
	}
	l.Clock.Env += time.Since(t0)
	ToFloat32(obs, raw)
	for step := st.Next; step <= l.Steps; step++ {
		if err := ck.Check(); err != nil {
			return steps, 0, err
		}
		t0 := time.Now()
		if l.RolloutStep != nil {
			l.RolloutStep((step - 1) % l.TrainFreq)
		}
		if step <= l.LearningStarts {
			for j := range a {
				a[j] = float32(2*l.Rng.Float64() - 1)
			}
		} else {
			if l.ObsRMS != nil {
				l.ObsRMS.Normalize(next, raw) // next is free until the step below
				l.Act(next, a)
			} else {
				l.Act(obs, a)
			}
		}
		for j := range a {
			scaled[j] = Rescale(float64(a[j]), l.Low[j], l.High[j])
		}
		l.Clock.Forward += time.Since(t0)
		t0 = time.Now()
		o, r, term, trunc := tape.Step(e, env.Action{Continuous: scaled})
		l.Clock.Env += time.Since(t0)
		ToFloat32(next, o)
		l.Buf.Add(obs, a, float32(r), next, term)
		st.EpRet += r
		st.EpLen++
		if l.RetRMS != nil {
			st.Ret = st.Ret*l.Gamma + r
			l.RetRMS.Update([]float64{st.Ret}, 1)
		}
		if term || trunc {
			l.Episodes.Record(st.EpRet, st.EpLen)
			h.OnEpisode(step, st.EpRet, st.EpLen)
			st.EpRet, st.EpLen, st.Ret = 0, 0, 0
			t0 := time.Now()
			o = tape.Reset(e)
			l.Clock.Env += time.Since(t0)
			ToFloat32(obs, o)
		} else {
			copy(obs, next)
		}
		copy(raw, o)
		if l.ObsRMS != nil {
			l.ObsRMS.Update(raw, 1)
		}
		steps = step
		if step > l.LearningStarts && step%l.TrainFreq == 0 {
			for g := 0; g < l.GradientSteps; g++ {
				if err := l.GradientStep(ctx); err != nil {
					return steps, 0, fmt.Errorf("%s: gradient step %d: %w", l.Name, *l.GradSteps+1, err)
				}
			}
			h.OnUpdate(step, l.Last)
		}
		if l.EvalEvery > 0 && step%l.EvalEvery == 0 {
			score, err := l.Evaluate(ctx, step)
			if err != nil {
				return steps, 0, err
			}
			h.OnEval(step, map[string]float64{metric.EvalMean: score, metric.TrainMean: l.Episodes.RecentMean()})
			if l.StopAt != nil && score >= *l.StopAt {
				return steps, step, nil
			}
		}
		if step < l.Steps && ck.Due() {
			st.Next, st.Obs = step+1, raw
			c, err := l.save(ctx, tape, &st)
			if err == nil {
				err = ck.Save(l.Name, c, step, l.Episodes.Count)
			}
			if err != nil {
				return steps, 0, err
			}
		}
	}
	return steps, 0, nil
}

// save is the checkpoint after step st.Next-1: the agent's state, the
// buffer, the episode counters, the statistics and the environment's tape.
func (l *OffPolicy) save(ctx context.Context, tape *Tape, st *loopState) (*ckpt.Checkpoint, error) {
	c := ckpt.New(l.Name)
	if err := l.Save(ctx, c); err != nil {
		return nil, err
	}
	if err := c.PutJSON("loop", st); err != nil {
		return nil, err
	}
	c.PutFloat64s("loop_obs", st.Obs)
	if err := c.PutJSON("episodes", l.Episodes.State()); err != nil {
		return nil, err
	}
	if err := l.Buf.Put(c, "replay"); err != nil {
		return nil, err
	}
	if err := PutStats(c, "obs_rms", l.ObsRMS); err != nil {
		return nil, err
	}
	if err := PutStats(c, "ret_rms", l.RetRMS); err != nil {
		return nil, err
	}
	if err := PutMetrics(c, "last", l.Last); err != nil {
		return nil, err
	}
	return c, tape.Put(c, "env")
}

// restore reads what save wrote and rebuilds e's state from the tape.
func (l *OffPolicy) restore(ctx context.Context, c *ckpt.Checkpoint, e env.Env, tape *Tape, st *loopState) error {
	if err := CheckKind(c, l.Name); err != nil {
		return err
	}
	if err := l.Restore(ctx, c); err != nil {
		return err
	}
	if err := c.GetJSON("loop", st); err != nil {
		return err
	}
	if st.Next < 2 || st.Next > l.Steps || st.EpLen < 0 || st.EpLen >= st.Next {
		return fmt.Errorf("%w: %s: next step %d (%d into an episode) in a run of %d steps", ckpt.ErrBad, l.Name, st.Next, st.EpLen, l.Steps)
	}
	var err error
	if st.Obs, err = c.Float64s("loop_obs", l.Buf.obsDim); err != nil {
		return err
	}
	var eps trainloop.EpisodesState
	if err := c.GetJSON("episodes", &eps); err != nil {
		return err
	}
	if eps.Count < 0 || eps.Count >= st.Next || len(eps.Recent) > 100 || len(eps.Recent) > eps.Count {
		return fmt.Errorf("%w: %s: %d episodes (%d recent) before step %d", ckpt.ErrBad, l.Name, eps.Count, len(eps.Recent), st.Next)
	}
	l.Episodes.SetState(eps)
	if err := l.Buf.Get(c, "replay"); err != nil {
		return err
	}
	if err := GetStats(c, "obs_rms", l.ObsRMS, l.Buf.obsDim); err != nil {
		return err
	}
	if err := GetStats(c, "ret_rms", l.RetRMS, 1); err != nil {
		return err
	}
	if err := GetMetrics(c, "last", l.Last); err != nil {
		return err
	}
	if slices.ContainsFunc(st.Obs, func(v float64) bool { return math.IsNaN(v) }) {
		return fmt.Errorf("%w: %s: the saved observation is not a number", ckpt.ErrBad, l.Name)
	}
	return tape.Replay(c, "env", e, st.Obs)
}

// NormalizeBatch normalises a sampled batch's raw observations and rewards
// with the current statistics, as VecNormalize's replay buffer does when
// it samples (obs, ret: nil for none).
func NormalizeBatch(b *Batch, obs, ret *RunningMeanStd) {
	if obs != nil {
		obs.Normalize32(b.Obs)
		obs.Normalize32(b.Next)
	}
	if ret != nil {
		sd := math.Sqrt(ret.Var[0] + 1e-8)
		for i, r := range b.Rew {
			b.Rew[i] = float32(min(max(float64(r)/sd, -NormClip), NormClip))
		}
	}
}
