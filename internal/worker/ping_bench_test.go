package worker

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/xlrl/xlrl/internal/worker/workertest"
)

// BenchmarkEmptyCall times the empty call (ping) to a real worker and
// reports what it costs the host besides wall time: CPU time and
// voluntary context switches per call (one is the wait for the reply),
// which a loaded machine disturbs less than the round trip itself:
//
//	go test -run '^$' -bench EmptyCall -benchtime 5000x ./internal/worker
func BenchmarkEmptyCall(b *testing.B) {
	c, err := Start(context.Background(), Options{Python: workertest.Python(b)})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	for range 200 {
		if err := c.Call(ctx, "ping", nil, nil); err != nil {
			b.Fatal(err)
		}
	}
	var r0, r1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := c.Call(ctx, "ping", nil, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r1)
	cpu := time.Duration(r1.Utime.Nano() + r1.Stime.Nano() - r0.Utime.Nano() - r0.Stime.Nano())
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "host-cpu-us/call")
	b.ReportMetric(float64(r1.Nvcsw-r0.Nvcsw)/float64(b.N), "ctxsw/call")
}
