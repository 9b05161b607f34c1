package tabular

import (
	"context"
	"testing"
	"time"

	"github.com/xlrl/xlrl/internal/env"
)

// BenchmarkQLearning measures training throughput (environment step,
// epsilon-greedy choice and Q update, all in Go) on the grid environments
// with their tuned hyperparameters; bench/tabular_numpy.py runs it beside a
// numpy implementation of the same loop. One op is one update.
func BenchmarkQLearning(b *testing.B) {
	for _, id := range []string{"FrozenLake-v1", "Taxi-v3"} {
		b.Run(id, func(b *testing.B) {
			e, err := env.Make(id)
			if err != nil {
				b.Fatal(err)
			}
			h, _ := Defaults(id, QLearning)
			spec := e.Spec()
			a, err := New(Config{Algorithm: QLearning, LR: h.LR, Gamma: h.Gamma, Explore: h.Explore, Seed: 1},
				spec.Observation, spec.Action)
			if err != nil {
				b.Fatal(err)
			}
			e.Seed(1)
			b.ResetTimer()
			start := time.Now()
			st, err := a.Train(context.Background(), e, Budget{Steps: int64(b.N)}, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(st.Steps)/time.Since(start).Seconds(), "updates/s")
		})
	}
}
