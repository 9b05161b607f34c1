package train

import (
	"context"
	"fmt"

	"github.com/xlrl/xlrl/internal/agent/trainloop"
	"github.com/xlrl/xlrl/internal/env"
)

// EvalStepLimit cuts evaluation episodes of environments without a time
// limit (see trainloop.EvalStepLimit; xlrl.Evaluate uses it too).
const EvalStepLimit = trainloop.EvalStepLimit

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
	e.Seed(seed)
	wins := 0
	played, err := trainloop.PlayEpisodes(ctx, e, episodes, act, func(ret float64, terminated bool) {
		if success(ret, terminated) {
			wins++
		}
	})
	if err != nil {
		return ev, err
	}
	ev.Mean, ev.Std, ev.Returns = played.Mean, played.Std, played.Returns
	ev.SuccessRate = float64(wins) / float64(episodes)
	return ev, nil
}

// fill copies the figures into res.
func (ev Evaluation) fill(res *Result) {
	res.MeanReturn, res.StdReturn, res.SuccessRate, res.EvalEpisodes = ev.Mean, ev.Std, ev.SuccessRate, ev.Episodes
}
