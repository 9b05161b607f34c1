package nn

import (
	"math/rand/v2"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
)

func threadCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(1, &ru) // RUSAGE_THREAD
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestZZAB(t *testing.T) {
	if os.Getenv("ZZAB") == "" {
		t.Skip()
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer SetThreads(SetThreads(1))
	net, _ := New(Spec{In: 4, Hidden: []int{256, 256}, Act: ReLU, Out: 2}, rand.New(rand.NewPCG(1, 2)))
	x, a, y := randBatch(rand.New(rand.NewPCG(3, 4)), 64, 4, 2)
	tr := NewTrainer(net, Huber, 1e-3, 64)
	tr.MaxGradNorm = 10
	for round := 0; round < 6; round++ {
		for _, th := range []int{1, 2} {
			SetThreads(th)
			w0 := time.Now()
			c0 := threadCPU()
			const N = 300
			for range N {
				tr.Step(x, a, y, 64)
			}
			t.Logf("threads %d: %.1f us wall, %.1f us main-thread CPU/step", th, float64(time.Since(w0).Microseconds())/N, float64((threadCPU()-c0).Microseconds())/N)
		}
	}
}
