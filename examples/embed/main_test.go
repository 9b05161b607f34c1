package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/xlrl/xlrl"
)

// BenchmarkDecision is one decision of CartPole's tuned DQN network (4
// inputs, two hidden layers of 64, 2 actions) loaded from a run directory:
// the goal is under 1 microsecond. The network is trained for a moment
// only; its weights do not change the cost.
func BenchmarkDecision(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "run")
	if _, err := xlrl.Train(context.Background(), xlrl.TrainOptions{Env: "CartPole-v1", Algo: "dqn",
		Steps: 1500, Out: dir}); err != nil {
		b.Fatal(err)
	}
	agent, err := xlrl.Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	obs := []float64{0.01, -0.02, 0.03, 0.04}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		obs[0] = -obs[0]
		_ = agent.Act(obs)
	}
}
