package worker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/xlrl/xlrl/internal/worker/workertest"
)

func testdataDir(t testing.TB) string {
	t.Helper()
	d, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func startWorker(t testing.TB, opts Options) *Client {
	t.Helper()
	if opts.Python == "" {
		opts.Python = workertest.Python(t)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(testWriter{t}, nil))
	}
	// The fixtures, then the caller's path (a checkout's own pyworker).
	opts.Env = append(opts.Env, "PYTHONPATH="+testdataDir(t)+string(os.PathListSeparator)+os.Getenv("PYTHONPATH"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func ctxTimeout(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestHandshake(t *testing.T) {
	c := startWorker(t, Options{})
	h := c.Handshake()
	if len(h.Protocol) != 2 || h.Protocol[0] != 1 {
		t.Errorf("protocol = %v, want [1 x]", h.Protocol)
	}
	if h.PID != c.PID() {
		t.Errorf("handshake pid %d, process pid %d", h.PID, c.PID())
	}
	for _, m := range []string{"ping", "echo", "sleep", "info"} {
		if !contains(h.Methods, m) {
			t.Errorf("handshake methods %v lack %q", h.Methods, m)
		}
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func TestEchoArrays(t *testing.T) {
	c := startWorker(t, Options{})
	ctx := ctxTimeout(t, 20*time.Second)
	tests := []struct {
		name string
		in   Array
	}{
		{"float32 2-D", Float32Array([]float32{1, 2, 3, 4, 5, 6}, 2, 3)},
		{"float64", Float64Array([]float64{-1.5, 1e300, 0})},
		{"int32", Int32Array([]int32{-7, 0, 7})},
		{"int64", Int64Array([]int64{1 << 40, -(1 << 40)})},
		{"uint8", Uint8Array([]uint8{0, 255, 3}, 3, 1)},
		{"bool", BoolArray([]bool{true, false, true, true}, 2, 2)},
		{"zero size", Float32Array([]float32{}, 0, 4)},
		{"scalar shape", Float64Array([]float64{42}, []int{}...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out Array
			if err := c.Call(ctx, "echo", map[string]any{"value": tt.in}, &out); err != nil {
				t.Fatal(err)
			}
			if out.DType != tt.in.DType || fmt.Sprint(out.Shape) != fmt.Sprint(tt.in.Shape) || !bytes.Equal(out.Data, tt.in.Data) {
				t.Errorf("echo returned %v %v %x, want %v %v %x", out.DType, out.Shape, out.Data, tt.in.DType, tt.in.Shape, tt.in.Data)
			}
		})
	}
}

func TestEchoValues(t *testing.T) {
	c := startWorker(t, Options{})
	ctx := ctxTimeout(t, 20*time.Second)
	var out map[string]any
	in := map[string]any{"s": "héllo", "n": int64(-3), "f": 2.5, "list": []any{"a", int64(1)}, "nil": nil}
	if err := c.Call(ctx, "echo", map[string]any{"value": in}, &out); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(out) != fmt.Sprint(in) {
		t.Errorf("echo = %v, want %v", out, in)
	}
	// An array inside a generic result decodes as an Array.
	var generic map[string]any
	if err := c.Call(ctx, "echo", map[string]any{"value": map[string]any{"a": Int64Array([]int64{5})}}, &generic); err != nil {
		t.Fatal(err)
	}
	if a, ok := generic["a"].(Array); !ok || a.DType != Int64 {
		t.Errorf("array inside a map decoded as %T %v", generic["a"], generic["a"])
	}
}

func TestRemoteErrors(t *testing.T) {
	c := startWorker(t, Options{Imports: []string{"fixture_handlers"}})
	ctx := ctxTimeout(t, 20*time.Second)
	nan := float32(0)
	nan = nan / nan
	tests := []struct {
		method   string
		params   map[string]any
		wantType string
		wantMsg  string
	}{
		{"fail", map[string]any{"message": "on purpose"}, "RuntimeError", "on purpose"},
		{"no.such.method", nil, "ArgumentError", "unknown method 'no.such.method'"},
		{"echo", nil, "ArgumentError", "missing a required argument: 'value'"},
		{"echo", map[string]any{"value": 1, "extra": 2}, "ArgumentError", "unexpected keyword argument 'extra'"},
		{"fixture.mean", map[string]any{"x": Float64Array([]float64{1, 2}, 1, 2)}, "ArgumentError", "must have dtype float32"},
		{"fixture.mean", map[string]any{"x": Float32Array([]float32{1, 2})}, "ArgumentError", "must have 2 dimensions"},
		{"fixture.mean", map[string]any{"x": Float32Array([]float32{1, nan}, 1, 2)}, "ArgumentError", "1 NaN or infinite"},
		{"source", map[string]any{"nbytes": 3}, "ArgumentError", "multiple of 4"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.wantMsg, func(t *testing.T) {
			err := c.Call(ctx, tt.method, tt.params, nil)
			var re *RemoteError
			if !errors.As(err, &re) {
				t.Fatalf("err = %v (%T), want *RemoteError", err, err)
			}
			if re.Type != tt.wantType || !strings.Contains(re.Message, tt.wantMsg) {
				t.Errorf("got %s: %s, want %s containing %q", re.Type, re.Message, tt.wantType, tt.wantMsg)
			}
			if re.Traceback == "" {
				t.Error("no traceback")
			}
			// The worker keeps serving after every error.
			if err := c.Call(ctx, "ping", nil, nil); err != nil {
				t.Fatalf("ping after the error: %v", err)
			}
		})
	}
}

func TestResultOfWrongTypeFailsOnlyThatCall(t *testing.T) {
	c := startWorker(t, Options{})
	ctx := ctxTimeout(t, 20*time.Second)
	var n int
	if err := c.Call(ctx, "echo", map[string]any{"value": "not a number"}, &n); err == nil {
		t.Fatal("decoding a string into an int succeeded")
	}
	var s string
	if err := c.Call(ctx, "echo", map[string]any{"value": "fine"}, &s); err != nil || s != "fine" {
		t.Fatalf("next call: %q, %v", s, err)
	}
}

func TestStdoutNoiseDoesNotBreakTheStream(t *testing.T) {
	logFile := filepath.Join(t.TempDir(), "worker.log")
	c := startWorker(t, Options{Imports: []string{"fixture_handlers"}, LogFile: logFile})
	ctx := ctxTimeout(t, 20*time.Second)
	var out string
	if err := c.Call(ctx, "fixture.noisy", map[string]any{"text": "stray output"}, &out); err != nil {
		t.Fatal(err)
	}
	if err := c.Call(ctx, "ping", nil, nil); err != nil {
		t.Fatal(err)
	}
	c.Close()
	log, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(log), "stray output"); n < 4 {
		t.Errorf("worker log has %d copies of the noise, want the print, the os.write, the child's echo and the log line:\n%s", n, log)
	}
}

func TestConcurrentCallsMatchByMsgid(t *testing.T) {
	c := startWorker(t, Options{})
	ctx := ctxTimeout(t, 30*time.Second)
	// A slow call on the compute thread stays in flight while inline calls answer.
	slow := make(chan error, 1)
	go func() { slow <- c.Call(ctx, "sleep", map[string]any{"seconds": 0.5}, nil) }()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var got int64
			if err := c.Call(ctx, "echo", map[string]any{"value": i}, &got); err != nil {
				errs <- err
			} else if got != int64(i) {
				errs <- fmt.Errorf("call %d got the reply %d", i, got)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	select {
	case err := <-slow:
		t.Errorf("the slow call returned (%v) before the fast ones were all answered", err)
	default:
	}
	if err := <-slow; err != nil {
		t.Fatal(err)
	}
}

func TestProgressNotifications(t *testing.T) {
	c := startWorker(t, Options{})
	ctx := ctxTimeout(t, 20*time.Second)
	var mu sync.Mutex
	var seen []map[string]any
	err := c.CallWithProgress(ctx, "sleep", map[string]any{"seconds": 0.3}, nil, func(p map[string]any) {
		mu.Lock()
		seen = append(seen, p)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) < 2 {
		t.Fatalf("got %d progress notifications, want several", len(seen))
	}
	if _, ok := seen[0]["elapsed"]; !ok {
		t.Errorf("progress %v lacks elapsed", seen[0])
	}
}

func TestDeadlineAndCancellation(t *testing.T) {
	c := startWorker(t, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := c.Call(ctx, "sleep", map[string]any{"seconds": 20}, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("the call returned after %s, want about 200ms", d)
	}
	// The cancel notification stopped the sleep: the next compute-thread call
	// runs at once instead of queueing behind 20 seconds.
	var slept float64
	if err := c.Call(ctxTimeout(t, 3*time.Second), "sleep", map[string]any{"seconds": 0}, &slept); err != nil {
		t.Fatalf("call after a cancelled one: %v", err)
	}
}

func TestWorkerKilledMidCall(t *testing.T) {
	c := startWorker(t, Options{})
	done := make(chan error, 1)
	go func() { done <- c.Call(context.Background(), "sleep", map[string]any{"seconds": 30}, nil) }()
	time.Sleep(200 * time.Millisecond)
	if err := syscall.Kill(c.PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		var exit *ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("err = %v (%T), want *ExitError", err, err)
		}
		if !strings.Contains(exit.Status, "killed") || exit.During != "sleep" {
			t.Errorf("exit error %q: want the signal and the method", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the pending call did not fail within 2s of the worker's death")
	}
	// Later calls fail at once with the same cause.
	if err := c.Call(context.Background(), "ping", nil, nil); !errors.As(err, new(*ExitError)) {
		t.Errorf("call after death: %v", err)
	}
}

func TestWorkerDiesOnItsOwn(t *testing.T) {
	c := startWorker(t, Options{Imports: []string{"fixture_handlers"}})
	err := c.Call(ctxTimeout(t, 5*time.Second), "fixture.die", map[string]any{"status": 5}, nil)
	var exit *ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("err = %v, want *ExitError", err)
	}
	if exit.Status != "exit status 5" || !strings.Contains(strings.Join(exit.StderrTail, "\n"), "dying on purpose") {
		t.Errorf("exit error lacks the status or the stderr tail: %v", err)
	}
}

func TestBrokenWorkers(t *testing.T) {
	script := filepath.Join(testdataDir(t), "broken_worker.py")
	tests := []struct {
		mode    string
		call    bool // the failure shows on a call, not at start
		wantErr string
	}{
		{"garbage-at-start", false, "not msgpack-RPC"},
		{"no-handshake", false, "sent no handshake within"},
		{"exit-before-handshake", false, "No module named 'pyworker'"},
		{"wrong-protocol", false, "speaks protocol [2 0]"},
		{"exit-mid-call", true, "exit status 7"},
		{"garbage-mid-call", true, "not msgpack-RPC"},
		{"never-answers", true, "deadline exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			t.Parallel()
			opts := Options{
				Python:       workertest.Python(t),
				Command:      []string{workertest.Python(t), script},
				Env:          []string{"BROKEN_MODE=" + tt.mode},
				StartTimeout: time.Second,
				GracePeriod:  300 * time.Millisecond,
				Logger:       slog.New(slog.NewTextHandler(testWriter{t}, nil)),
			}
			start := time.Now()
			c, err := Start(context.Background(), opts)
			if !tt.call {
				if err == nil {
					c.Close()
					t.Fatal("Start succeeded")
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("Start error %q does not contain %q", err, tt.wantErr)
				}
				if d := time.Since(start); d > 3*time.Second {
					t.Errorf("Start took %s to fail", d)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			err = c.Call(ctxTimeout(t, time.Second), "ping", nil, nil)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("call error %v does not contain %q", err, tt.wantErr)
			}
			if d := time.Since(start); d > 4*time.Second {
				t.Errorf("took %s to fail", d)
			}
		})
	}
}

func TestCloseEscalatesToSIGKILL(t *testing.T) {
	py := workertest.Python(t)
	c, err := Start(context.Background(), Options{
		Python:      py,
		Command:     []string{py, filepath.Join(testdataDir(t), "broken_worker.py")},
		Env:         []string{"BROKEN_MODE=stubborn"},
		GracePeriod: 200 * time.Millisecond,
		Logger:      slog.New(slog.NewTextHandler(testWriter{t}, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	pid := c.PID()
	start := time.Now()
	c.Close()
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Close took %s", d)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("worker %d still exists after Close (kill 0: %v)", pid, err)
	}
}

func TestOrderlyClose(t *testing.T) {
	c := startWorker(t, Options{})
	pid := c.PID()
	start := time.Now()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("orderly Close took %s", d)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("worker still exists after Close")
	}
	if err := c.Call(context.Background(), "ping", nil, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("call after Close: %v, want ErrClosed", err)
	}
}

func TestMissingPython(t *testing.T) {
	_, err := Start(context.Background(), Options{Python: "/nonexistent/python"})
	if err == nil || !strings.Contains(err.Error(), "--python flag") {
		t.Errorf("err = %v, want one naming the --python flag", err)
	}
}

func BenchmarkPing(b *testing.B) {
	c := startWorker(b, Options{})
	ctx := context.Background()
	for b.Loop() {
		if err := c.Call(ctx, "ping", nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// The handshake carries the catalog of the worker's modules (the gen and
// robust entries of pyworker/gen/catalog.py), decoded by name; a name the
// worker does not advertise is an error that says so.
func TestHandshakeCatalog(t *testing.T) {
	c := startWorker(t, Options{})
	var gen struct {
		Models []struct {
			Name   string `msgpack:"name"`
			Epochs int    `msgpack:"epochs"`
		} `msgpack:"models"`
	}
	if err := c.Handshake().CatalogEntry("gen", &gen); err != nil {
		t.Fatal(err)
	}
	if len(gen.Models) == 0 || gen.Models[0].Name == "" || gen.Models[0].Epochs < 1 {
		t.Errorf("gen catalog %+v", gen)
	}
	var none map[string]any
	if err := c.Handshake().CatalogEntry("nope", &none); err == nil || !strings.Contains(err.Error(), `no "nope" catalog`) {
		t.Errorf("an entry the worker lacks: err = %v", err)
	}
}

// LogTo sends the log to a file from then on, starting with the lines
// written before (the worker's start), and fails once the worker is gone.
func TestLogTo(t *testing.T) {
	c := startWorker(t, Options{Imports: []string{"fixture_handlers"}})
	path := filepath.Join(t.TempDir(), "worker.log")
	deadline := time.Now().Add(10 * time.Second)
	for len(c.stderr.tail()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // the "serving" line is on its way
	}
	if err := c.LogTo(path); err != nil {
		t.Fatal(err)
	}
	if err := c.Call(context.Background(), "fixture.noisy", map[string]any{"text": "after LogTo"}, nil); err != nil {
		t.Fatal(err)
	}
	c.Close()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "serving") || !strings.Contains(string(b), "after LogTo") {
		t.Errorf("worker.log lacks the earlier or the later lines:\n%s", b)
	}
	if err := c.LogTo(path); err == nil {
		t.Error("LogTo after the worker exited: no error")
	}
}
