package dqn

import (
	"encoding/json"
	"os"
	"context"
	"testing"

	"github.com/xlrl/xlrl/internal/agent/deep"
	"github.com/xlrl/xlrl/internal/backend"
	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/worker"
)

func TestExperiment(t *testing.T) {
	cfg := Config{Steps: 50000, Hidden: []int{64, 64}, Activation: "relu", LR: 1e-3, Gamma: 0.99, BufferSize: 50000,
		LearningStarts: 1000, BatchSize: 64, TrainFreq: 4, GradientSteps: 4, TargetUpdate: 500, Tau: 1,
		Exploration: deep.Schedule{Initial: 1, Final: 0.02, Fraction: 0.2}, Double: true, Loss: "huber", MaxGradNorm: 10,
		EvalEvery: 2000, EvalEpisodes: 10, StopAt: 500}
	if v := os.Getenv("XP"); v != "" {
		if err := json.Unmarshal([]byte(v), &cfg); err != nil {
			t.Fatal(err)
		}
	}
	for seed := uint64(1); seed <= 3; seed++ {
		mk := func() (env.Env, error) { return newTinyCartPole(), nil }
		var be backend.Backend = backend.NewGo()
		if os.Getenv("BACKEND") == "tf" {
			c, err := worker.Start(context.Background(), worker.Options{Python: "/work/wt-deep/.venv/bin/python"})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			be = backend.NewTF(c)
		}
		res, err := Train(context.Background(), cfg, mk, be, seed, nil)
		if err != nil {
			t.Fatal(err)
		}
		e := newTinyCartPole()
		e.Seed(deep.Mix(seed, deep.StreamFinalEval))
		ev, _ := deep.Evaluate(context.Background(), e, 100, deep.NewGreedy(res.Q).Act)
		t.Logf("seed %d: steps %d best %.1f@%d eval %.1f ± %.1f  %+v", seed, res.Steps, res.Best, res.BestStep, ev.Mean, ev.Std, res.Breakdown)
	}
}
