package train

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/xlrl/xlrl/internal/env"
)

// walk is a corridor without a time limit: action 1 moves right and pays
// -1, reaching cell 3 terminates; action 0 stays and pays -1 for ever.
type walk struct{ pos int }

func (w *walk) Spec() *env.Spec {
	return &env.Spec{ID: "Walk-v0", Observation: env.Space{Kind: env.Discrete, N: 4}, Action: env.Space{Kind: env.Discrete, N: 2}}
}
func (w *walk) Seed(uint64)      {}
func (w *walk) Reset() []float64 { w.pos = 0; return []float64{0} }
func (w *walk) Step(a env.Action) ([]float64, float64, bool, bool) {
	w.pos += a.Discrete
	return []float64{float64(w.pos)}, -1, w.pos == 3, false
}

func TestEvaluateEpisodesCutsAndCounts(t *testing.T) {
	right := func([]float64) env.Action { return env.DiscreteAction(1) }
	stay := func([]float64) env.Action { return env.DiscreteAction(0) }
	ended := func(_ float64, terminated bool) bool { return terminated }
	ev, err := EvaluateEpisodes(context.Background(), &walk{}, right, 4, 1, ended)
	if err != nil || ev.Mean != -3 || ev.Std != 0 || ev.SuccessRate != 1 || len(ev.Returns) != 4 || ev.Episodes != 4 {
		t.Fatalf("walking right: %+v, %v", ev, err)
	}
	// A policy that never ends the episode is cut at EvalStepLimit steps.
	ev, err = EvaluateEpisodes(context.Background(), &walk{}, stay, 2, 1, ended)
	if err != nil || ev.Mean != -EvalStepLimit || ev.SuccessRate != 0 {
		t.Fatalf("standing still: %+v, %v", ev, err)
	}
	spec := &env.Spec{RewardThreshold: new(float64)}
	*spec.RewardThreshold = -3
	if !ReachedThreshold(spec)(-3, false) || ReachedThreshold(spec)(-4, true) || ReachedThreshold(&env.Spec{})(1e9, true) {
		t.Error("ReachedThreshold")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := EvaluateEpisodes(ctx, &walk{}, right, 3, 1, ended); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if _, err := EvaluateEpisodes(context.Background(), &walk{}, right, 0, 1, ended); err == nil {
		t.Error("0 episodes accepted")
	}
	// The time limit, when there is one, is the cut (CartPole: 500).
	e, _ := env.Make("CartPole-v1")
	ev, _ = EvaluateEpisodes(context.Background(), e, right, 2, 7, ReachedThreshold(e.Spec()))
	if ev.Mean > 500 || math.IsNaN(ev.Std) {
		t.Errorf("CartPole always right: %+v", ev)
	}
}
