package ac

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/xlrl/xlrl/internal/agent/trainloop"
	"github.com/xlrl/xlrl/internal/env"
)

func newLoop(t *testing.T) (*OffPolicy, env.Env) {
	t.Helper()
	e, err := env.Make("Pendulum-v1")
	if err != nil {
		t.Fatal(err)
	}
	buf, err := NewReplay(100, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	var eps trainloop.Episodes
	l := &OffPolicy{Name: "algo", Steps: 50, LearningStarts: 10, TrainFreq: 4, GradientSteps: 2, EvalEvery: 20,
		Rng: rand.New(rand.NewPCG(1, 2)), Low: []float64{-2}, High: []float64{2}, Buf: buf,
		Clock: &trainloop.Clock{}, Episodes: &eps, Last: map[string]float64{}, GradSteps: new(int),
		Act:          func(obs, a []float32) { a[0] = 0.5 },
		GradientStep: func(context.Context) error { return nil },
		Evaluate:     func(context.Context, int) (float64, error) { return 0, nil }}
	return l, e
}

// TestOffPolicySchedule: gradient steps only after learning_starts, every
// train_freq steps, gradient_steps at a time; evaluations every eval_every;
// every step into the buffer.
func TestOffPolicySchedule(t *testing.T) {
	l, e := newLoop(t)
	var grads, evals []int
	l.GradientStep = func(context.Context) error { *l.GradSteps++; grads = append(grads, l.Buf.Len()); return nil }
	l.Evaluate = func(_ context.Context, s int) (float64, error) { evals = append(evals, s); return -1, nil }
	steps, stopped, err := l.Run(context.Background(), e, nil)
	if err != nil || steps != 50 || stopped != 0 {
		t.Fatalf("Run = %d, %d, %v; want 50, 0, nil", steps, stopped, err)
	}
	want := []int{12, 12, 16, 16, 20, 20, 24, 24, 28, 28, 32, 32, 36, 36, 40, 40, 44, 44, 48, 48}
	if len(grads) != len(want) {
		t.Fatalf("gradient steps at buffer sizes %v, want %v", grads, want)
	}
	for i := range want {
		if grads[i] != want[i] {
			t.Fatalf("gradient steps at buffer sizes %v, want %v", grads, want)
		}
	}
	if len(evals) != 2 || evals[0] != 20 || evals[1] != 40 {
		t.Fatalf("evaluations at %v, want [20 40]", evals)
	}
}

// TestOffPolicyStopAndErrors: reaching StopAt ends the run at that
// evaluation, and a failed gradient step is named with the agent's name
// and the step's number.
func TestOffPolicyStopAndErrors(t *testing.T) {
	l, e := newLoop(t)
	stop := -1.0
	l.StopAt = &stop
	l.Evaluate = func(context.Context, int) (float64, error) { return -1, nil }
	if steps, stopped, err := l.Run(context.Background(), e, nil); err != nil || steps != 20 || stopped != 20 {
		t.Fatalf("Run = %d, %d, %v; want 20, 20, nil", steps, stopped, err)
	}
	l, e = newLoop(t)
	*l.GradSteps = 6
	boom := errors.New("boom")
	l.GradientStep = func(context.Context) error { return boom }
	_, _, err := l.Run(context.Background(), e, nil)
	if !errors.Is(err, boom) || err.Error() != "algo: gradient step 7: boom" {
		t.Fatalf("err = %v, want algo: gradient step 7: boom", err)
	}
}
