package gymenv

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/worker"
)

// BenchmarkLink measures a worker-hosted vector step from Go beside the same
// copies stepped by the worker itself (env.bench: no link) and by
// Gymnasium's SyncVectorEnv in the worker's process, and reports the link's
// cost per step (goal: <= 30 us + 1 us per copy). The three alternate in
// rounds and the median round counts, so that a change of load on a shared
// machine hits all of them alike. The worker also times its env.step handler
// in the linked steps themselves (handler), and transport is the linked
// step less that: the link's cost from one measurement instead of two taken
// apart, which a noisy machine disturbs less. It also reports the CPU time per linked
// step of the Go process (go-cpu) and of the worker's serving thread
// (worker-cpu, handler included), which a loaded machine disturbs less than
// wall time:
//
//	go test -run '^$' -bench Link -benchtime 2000x ./internal/gymenv
func BenchmarkLink(b *testing.B) {
	const rounds = 7
	for _, n := range []int{1, 16, 256} {
		b.Run(fmt.Sprintf("copies=%d", n), func(b *testing.B) {
			h := testHost(b)
			v, err := h.NewVector("gym:CartPole-v1", n, 0, env.ResolverOptions{})
			if err != nil {
				b.Fatal(err)
			}
			defer v.Close()
			c, err := h.Client(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			v.Reset()
			actions := make([]int, n)
			per := max(b.N/rounds, 20)
			var link, transport, inWorker, served, sync, goCPU, workerCPU []float64
			b.ResetTimer()
			for r := 0; r < rounds; r++ {
				cpu0, wcpu0 := selfCPU(), processCPU(b, c.PID())
				start := time.Now()
				for i := 0; i < per; i++ {
					for j := range actions {
						actions[j] = (i + j) & 1
					}
					v.StepDiscrete(actions)
				}
				goStep := time.Since(start).Seconds() / float64(per)
				goCPU = append(goCPU, (selfCPU()-cpu0)/float64(per))
				workerCPU = append(workerCPU, (processCPU(b, c.PID())-wcpu0)/float64(per))
				var ref struct {
					Seconds     float64 `msgpack:"seconds"`
					SyncSeconds float64 `msgpack:"sync_vector_seconds"`
					Served      float64 `msgpack:"served_seconds_per_step"`
				}
				if err := c.Call(context.Background(), "env.bench", map[string]any{"handle": v.hd.id, "steps": per}, &ref); err != nil {
					b.Fatal(err)
				}
				w := ref.Seconds / float64(per)
				inWorker = append(inWorker, w)
				sync = append(sync, ref.SyncSeconds/float64(per))
				served = append(served, ref.Served)
				transport = append(transport, goStep-ref.Served)
				link = append(link, goStep-w)
			}
			b.StopTimer()
			med := func(xs []float64) float64 { slices.Sort(xs); return xs[len(xs)/2] }
			b.ReportMetric(med(inWorker)*1e6, "worker-us/step")
			b.ReportMetric(med(sync)*1e6, "syncvec-us/step")
			b.ReportMetric(med(served)*1e6, "handler-us/step")
			b.ReportMetric(med(transport)*1e6, "transport-us/step")
			b.ReportMetric(med(link)*1e6, "link-us/step")
			b.ReportMetric(med(goCPU)*1e6, "go-cpu-us/step")
			b.ReportMetric(med(workerCPU)*1e6, "worker-cpu-us/step")
			b.ReportMetric(30+float64(n), "goal-link-us/step")
		})
	}
}

// selfCPU is this process's CPU time in seconds (user and system, every thread).
func selfCPU() float64 {
	var r syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r)
	return float64(r.Utime.Nano()+r.Stime.Nano()) / 1e9
}

// processCPU is the CPU time in seconds of process pid's main thread, the
// one that serves env.step (Linux: /proc/pid/schedstat, in nanoseconds).
func processCPU(b *testing.B, pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/schedstat", pid))
	if err != nil {
		b.Fatal(err)
	}
	ns, err := strconv.ParseFloat(strings.Fields(string(data))[0], 64)
	if err != nil {
		b.Fatal(err)
	}
	return ns / 1e9
}

// BenchmarkStepCodec measures the host's msgpack work per env.step: the
// params encoded and a one-copy CartPole result decoded, as the worker
// client does them (msgpack's reflection over the struct tags):
//
//	go test -run '^$' -bench StepCodec ./internal/gymenv
func BenchmarkStepCodec(b *testing.B) {
	wire, err := msgpack.Marshal(stepResult{
		Obs: worker.Float32Array([]float32{1, 2, 3, 4}, 1, 4), Rewards: worker.Float64Array([]float64{1}),
		Terminated: worker.BoolArray([]bool{false}), Truncated: worker.BoolArray([]bool{false}),
		Ended: worker.Int64Array([]int64{}), FinalObs: worker.Float32Array([]float32{}, 0, 4),
	})
	if err != nil {
		b.Fatal(err)
	}
	p := stepParams{Handle: 3, Actions: worker.Int64Array([]int64{1})}
	for range b.N {
		if _, err := msgpack.Marshal(p); err != nil {
			b.Fatal(err)
		}
		var r stepResult
		if err := msgpack.Unmarshal(wire, &r); err != nil || r.Obs.Len() != 4 {
			b.Fatal(err)
		}
	}
}
