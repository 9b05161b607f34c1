package tabular_test

// External tests: they take the tuned values from internal/agent/zoo,
// which imports this package.

import (
	"context"
	"testing"
	"time"

	"github.com/xlrl/xlrl/internal/agent/tabular"
	"github.com/xlrl/xlrl/internal/agent/zoo"
	"github.com/xlrl/xlrl/internal/env"
)

func TestCompareWithOptimumTrainedAgent(t *testing.T) {
	// A learnt greedy policy never shows above 100% of either optimum, and
	// the figures are exact: they do not depend on evaluation episodes.
	e, _ := env.Make("FrozenLake-v1")
	m, _ := env.ModelOf(e)
	d, _, _ := zoo.Defaults("FrozenLake-v1", tabular.QLearning)
	h := d.Tabular
	for seed := range uint64(3) {
		a, err := tabular.New(tabular.Config{Algorithm: tabular.QLearning, LR: h.LR, LREnd: h.LREnd, LRDecayEpisodes: h.LRDecayEpisodes, Gamma: h.Gamma, Explore: h.Explore, Seed: seed},
			e.Spec().Observation, e.Spec().Action)
		if err != nil {
			t.Fatal(err)
		}
		e.Seed(seed)
		if _, err := a.Train(t.Context(), e, tabular.Budget{Episodes: h.Episodes}, nil); err != nil {
			t.Fatal(err)
		}
		o, err := tabular.CompareWithOptimum(m, a.Policy(), 100)
		if err != nil {
			t.Fatal(err)
		}
		if !(o.PolicyValue <= o.BestStationary && o.BestStationary < o.Optimum) ||
			*o.PercentOfOptimum > 100 || *o.PercentOfStationary > 100 || *o.PercentOfOptimum >= *o.PercentOfStationary {
			t.Errorf("seed %d: %+v", seed, o)
		}
	}
}

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
			d, _, _ := zoo.Defaults(id, tabular.QLearning)
			h := d.Tabular
			spec := e.Spec()
			a, err := tabular.New(tabular.Config{Algorithm: tabular.QLearning, LR: h.LR, Gamma: h.Gamma, Explore: h.Explore, Seed: 1},
				spec.Observation, spec.Action)
			if err != nil {
				b.Fatal(err)
			}
			e.Seed(1)
			b.ResetTimer()
			start := time.Now()
			st, err := a.Train(context.Background(), e, tabular.Budget{Steps: int64(b.N)}, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(st.Steps)/time.Since(start).Seconds(), "updates/s")
		})
	}
}
