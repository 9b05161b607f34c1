package train

import (
	"context"
	"fmt"
	"math"

	"github.com/xlrl/xlrl/internal/env"
)

// EvalStepLimit cuts evaluation episodes of environments without a time
// limit (CliffWalking, a user's own), where a poor greedy policy could go
// on for ever. Every algorithm's evaluation uses it (xlrl.Evaluate too).
const EvalStepLimit = 100_000

// Evaluation is the outcome of greedy evaluation episodes.
type Evaluation struct {
	Episodes    int
	Mean, Std   float64
	SuccessRate float64 // the share of episodes success counted
	Returns     []float64
}

// SuccessFunc decides whether an episode succeeded from its return and
// whether it ended by termination (not by the time limit or the cut).
type SuccessFunc func(ret float64, terminated bool) bool

// ReachedThreshold counts an episode as a success when its return reached
// spec's RewardThreshold (never when it has none).
func ReachedThreshold(spec *env.Spec) SuccessFunc {
	return func(ret float64, _ bool) bool { return spec.RewardThreshold != nil && ret >= *spec.RewardThreshold }
}

// EvaluateEpisodes plays episodes episodes of e, seeded with seed first,
// with the deterministic policy act, and returns their returns: the one
// evaluation of every algorithm, for xlrl train, xlrl eval and
// xlrl.Evaluate.
func EvaluateEpisodes(ctx context.Context, e env.Env, act func(obs []float64) env.Action, episodes int, seed uint64, success SuccessFunc) (Evaluation, error) {
	ev := Evaluation{Episodes: episodes}
	if episodes <= 0 {
		return ev, fmt.Errorf("evaluation needs a positive number of episodes, got %d", episodes)
	}
	limit := EvalStepLimit
	if m := e.Spec().MaxEpisodeSteps; m > 0 {
		limit = m
	}
	e.Seed(seed)
	wins := 0
	for ep := range episodes {
		if err := ctx.Err(); err != nil {
			return ev, fmt.Errorf("evaluation stopped after %d episodes: %w", ep, err)
		}
		obs := e.Reset()
		var ret float64
		for t := 1; ; t++ {
			o, r, term, trunc := e.Step(act(obs))
			ret += r
			if term || trunc || t >= limit {
				if success(ret, term) {
					wins++
				}
				break
			}
			obs = o
		}
		ev.Returns = append(ev.Returns, ret)
	}
	var s, s2 float64
	for _, r := range ev.Returns {
		s += r
	}
	ev.Mean = s / float64(episodes)
	for _, r := range ev.Returns {
		s2 += (r - ev.Mean) * (r - ev.Mean)
	}
	ev.Std = math.Sqrt(s2 / float64(episodes))
	ev.SuccessRate = float64(wins) / float64(episodes)
	return ev, nil
}

// fill copies the figures into res.
func (ev Evaluation) fill(res *Result) {
	res.MeanReturn, res.StdReturn, res.SuccessRate, res.EvalEpisodes = ev.Mean, ev.Std, ev.SuccessRate, ev.Episodes
}
