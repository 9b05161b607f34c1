package ac

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/xlrl/xlrl/internal/agent/trainloop"
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
type OffPolicy struct {
	Name                             string // prefixes errors ("sac", "td3")
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
	// Act writes the agent's exploring action for obs, in [-1, 1], into a.
	Act func(obs, a []float32)
	// GradientStep takes one gradient step, updating *GradSteps and Last.
	GradientStep func(ctx context.Context) error
	// Evaluate scores the current policy at step.
	Evaluate func(ctx context.Context, step int) (float64, error)
}

// Run runs the loop on e, which is seeded but not reset, reporting its
// episodes, updates and evaluations to h (may be nil). It returns the number of steps
// taken and the step it stopped at for StopAt (0 if it did not).
func (l *OffPolicy) Run(ctx context.Context, e env.Env, h *trainloop.Hooks) (steps, stoppedAt int, err error) {
	d, od := len(l.Low), l.Buf.obsDim
	obs, next := make([]float32, od), make([]float32, od)
	a := make([]float32, d)
	scaled := make([]float64, d)
	t0 := time.Now()
	ToFloat32(obs, e.Reset())
	l.Clock.Env += time.Since(t0)
	var epRet float64
	epLen := 0
	for step := 1; step <= l.Steps; step++ {
		if err := ctx.Err(); err != nil {
			return steps, 0, err
		}
		t0 := time.Now()
		if step <= l.LearningStarts {
			for j := range a {
				a[j] = float32(2*l.Rng.Float64() - 1)
			}
		} else {
			l.Act(obs, a)
		}
		for j := range a {
			scaled[j] = Rescale(float64(a[j]), l.Low[j], l.High[j])
		}
		l.Clock.Forward += time.Since(t0)
		t0 = time.Now()
		o, r, term, trunc := e.Step(env.Action{Continuous: scaled})
		l.Clock.Env += time.Since(t0)
		ToFloat32(next, o)
		l.Buf.Add(obs, a, float32(r), next, term)
		epRet += r
		epLen++
		if term || trunc {
			l.Episodes.Record(epRet, epLen)
			h.OnEpisode(step, epRet, epLen)
			epRet, epLen = 0, 0
			t0 := time.Now()
			ToFloat32(obs, e.Reset())
			l.Clock.Env += time.Since(t0)
		} else {
			copy(obs, next)
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
	}
	return steps, 0, nil
}
