package dqn

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/xlrl/xlrl/internal/agent/trainloop"
	"github.com/xlrl/xlrl/internal/agent/trainloop/trainlooptest"
	"github.com/xlrl/xlrl/internal/backend"
	"github.com/xlrl/xlrl/internal/env"
)

func TestTargets(t *testing.T) {
	// Two actions; rows: a terminal transition, a truncated (not terminal)
	// one, and one more.
	r := []float32{1, 1, 0.5}
	term := []bool{true, false, false}
	qTarget := []float32{
		100, 200, // ignored: terminal
		3, 7,
		4, 2,
	}
	y := make([]float32, 3)
	Targets(y, r, term, qTarget, 2, 0.5)
	if want := []float32{1, 1 + 0.5*7, 0.5 + 0.5*4}; !equal(y, want) {
		t.Errorf("DQN targets %v, want %v", y, want)
	}
}

func equal(a, b []float32) bool {
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > 1e-6 {
			return false
		}
	}
	return len(a) == len(b)
}

func smallConfig() Config {
	return Config{Steps: 3000, Hidden: []int{8}, Activation: "relu", LR: 0.01, Gamma: 0.9, BufferSize: 1000,
		LearningStarts: 100, BatchSize: 32, TrainFreq: 4, GradientSteps: 4, TargetUpdate: 100, Tau: 1,
		ExplorationInitial: 1, ExplorationFinal: 0.1, ExplorationFraction: 0.5, Loss: "mse", Double: true}
}

// TestTrainBootstrapsThroughTruncationOnly: on a one-state task paying 1 per
// step, Q learns 1/(1-gamma) = 10 when episodes end by truncation and 1 when
// they terminate.
func TestTrainBootstrapsThroughTruncationOnly(t *testing.T) {
	for _, tc := range []struct {
		terminates bool
		want       float64
	}{{false, 10}, {true, 1}} {
		mk := func() (env.Env, error) { return trainlooptest.NewOneState(tc.terminates, 2), nil }
		res, err := Train(context.Background(), smallConfig(), mk, backend.NewGo(), 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		q := trainloop.NewGreedy(res.Q).Outputs([]float64{1, -1})
		for a, v := range q {
			if math.Abs(float64(v)-tc.want) > 0.15*tc.want {
				t.Errorf("terminates=%v: Q(s, %d) = %.3f, want about %v", tc.terminates, a, v, tc.want)
			}
		}
		if res.Steps != 3000 || res.GradSteps != ((3000-100)/4+1)*4 {
			t.Errorf("steps %d, gradient steps %d", res.Steps, res.GradSteps)
		}
	}
}

func TestTrainRejectsBadConfigAndSpaces(t *testing.T) {
	mk := func() (env.Env, error) { return env.Make("Pendulum-v1") }
	if _, err := Train(context.Background(), smallConfig(), mk, backend.NewGo(), 1, nil); err == nil ||
		!strings.Contains(err.Error(), "dqn needs a discrete action space") {
		t.Errorf("Pendulum: %v", err)
	}
	bad := smallConfig()
	bad.Loss = "l1"
	mk = func() (env.Env, error) { return env.Make("CartPole-v1") }
	if _, err := Train(context.Background(), bad, mk, backend.NewGo(), 1, nil); err == nil || !strings.Contains(err.Error(), `loss "l1"`) {
		t.Errorf("bad loss: %v", err)
	}
}

func TestTrainIsDeterministicPerSeed(t *testing.T) {
	cfg := smallConfig()
	cfg.Steps = 1500
	mk := func() (env.Env, error) { return env.Make("CartPole-v1") }
	run := func(seed uint64) []float32 {
		res, err := Train(context.Background(), cfg, mk, backend.NewGo(), seed, nil)
		if err != nil {
			t.Fatal(err)
		}
		return res.Q.Params
	}
	a, b, c := run(3), run(3), run(4)
	if !equal(a, b) {
		t.Error("two runs with seed 3 differ")
	}
	if equal(a, c) {
		t.Error("seeds 3 and 4 gave the same weights")
	}
}

// A stop_at below zero (MountainCar, Acrobot) ends training too.
func TestTrainStopsAtANegativeThreshold(t *testing.T) {
	cfg := smallConfig()
	stop := -1000.0
	cfg.EvalEvery, cfg.EvalEpisodes, cfg.StopAt = 500, 1, &stop
	mk := func() (env.Env, error) { return env.Make("MountainCar-v0") }
	res, err := Train(context.Background(), cfg, mk, backend.NewGo(), 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.StoppedAt != 500 || res.Steps != 500 || res.Best < -200 {
		t.Fatalf("stopped at %d after %d steps, best %v; want a stop at the first evaluation", res.StoppedAt, res.Steps, res.Best)
	}
}
