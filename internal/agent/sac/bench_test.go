package sac

import (
	"context"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/xlrl/xlrl/internal/agent/learncheck"
	"github.com/xlrl/xlrl/internal/backend"
)

// BenchmarkGradientStep is one SAC gradient step with rl-zoo's Pendulum-v1
// settings ([256, 256], batch 256) on the go backend, from a buffer of
// random transitions. cpu-ns/op is the process's CPU time per step (with
// GOMAXPROCS above 1 it counts the helper goroutines' polling too).
func BenchmarkGradientStep(b *testing.B) {
	for _, c := range []struct {
		name string
		sde  bool
	}{{"gaussian", false}, {"sde", true}} {
		b.Run(c.name, func(b *testing.B) {
			cfg := Pendulum()
			cfg.UseSDE = c.sde
			tr, _, err := newTrainer(context.Background(), cfg, learncheck.Maker("Pendulum-v1"), backend.NewGo(), 1)
			if err != nil {
				b.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			obs, next, act := make([]float32, tr.ObsDim), make([]float32, tr.ObsDim), make([]float32, tr.ActDim)
			for range 2000 {
				for i := range obs {
					obs[i], next[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
				}
				for i := range act {
					act[i] = float32(2*rng.Float64() - 1)
				}
				tr.Buf.Add(obs, act, float32(-rng.Float64()), next, false)
			}
			if c.sde {
				tr.sde.resample(tr)
			}
			ctx := context.Background()
			var ru0, ru1 syscall.Rusage
			_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
			for b.Loop() {
				if err := tr.gradientStep(ctx); err != nil {
					b.Fatal(err)
				}
			}
			_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
			cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}
