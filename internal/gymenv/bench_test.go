package gymenv

import (
	"context"
	"fmt"
	"testing"

	"github.com/xlrl/xlrl/internal/env"
)

// BenchmarkLink measures a worker-hosted vector step from Go beside the same
// copies stepped by the worker itself (env.bench: no link) and by
// Gymnasium's SyncVectorEnv in the worker's process, and reports the link's
// cost per step (goal: <= 30 us + 1 us per copy):
//
//	go test -run '^$' -bench Link -benchtime 2000x ./internal/gymenv
func BenchmarkLink(b *testing.B) {
	for _, n := range []int{1, 16, 256} {
		b.Run(fmt.Sprintf("copies=%d", n), func(b *testing.B) {
			h := testHost(b)
			v, err := h.NewVector("gym:CartPole-v1", n, 0, env.ResolverOptions{})
			if err != nil {
				b.Fatal(err)
			}
			defer v.Close()
			v.Reset()
			actions := make([]int, n)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for j := range actions {
					actions[j] = (i + j) & 1
				}
				v.StepDiscrete(actions)
			}
			b.StopTimer()
			perStep := b.Elapsed().Seconds() / float64(b.N)
			var ref struct {
				Seconds     float64 `msgpack:"seconds"`
				SyncSeconds float64 `msgpack:"sync_vector_seconds"`
				Steps       int     `msgpack:"steps"`
			}
			c, _ := h.Client(context.Background())
			if err := c.Call(context.Background(), "env.bench", map[string]any{"handle": v.hd.id, "steps": max(b.N, 50)}, &ref); err != nil {
				b.Fatal(err)
			}
			inWorker := ref.Seconds / float64(ref.Steps)
			b.ReportMetric(inWorker*1e6, "worker-us/step")
			b.ReportMetric(ref.SyncSeconds/float64(ref.Steps)*1e6, "syncvec-us/step")
			b.ReportMetric(30+float64(n), "goal-link-us/step")
			b.ReportMetric((perStep-inWorker)*1e6, "link-us/step")
			b.ReportMetric(float64(n)/perStep, "env-steps/s")
		})
	}
}
