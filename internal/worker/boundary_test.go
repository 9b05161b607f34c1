package worker

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xlrl/xlrl/internal/worker/workertest"
)

func startBroken(t *testing.T, mode string, opts Options) (*Client, error) {
	t.Helper()
	return startBrokenIn(t, mode, opts, workertest.Python(t), testdataDir(t))
}

// startBrokenIn is startBroken with the interpreter and testdata directory
// found already (before a test changes its working directory).
func startBrokenIn(t *testing.T, mode string, opts Options, py, testdata string) (*Client, error) {
	t.Helper()
	opts.Python = py
	opts.Command = []string{py, filepath.Join(testdata, "broken_worker.py")}
	opts.Env = append(opts.Env, "BROKEN_MODE="+mode)
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 10 * time.Second
	}
	opts.GracePeriod = 300 * time.Millisecond
	opts.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	c, err := Start(context.Background(), opts)
	if c != nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, err
}

// A second hello used to block the reader forever (its channel held one).
func TestSecondHelloIsAProtocolError(t *testing.T) {
	c, err := startBroken(t, "second-hello", Options{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = c.Call(ctxTimeout(t, 5*time.Second), "ping", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "second hello") {
		t.Fatalf("call after a second hello: err = %v, want a protocol error naming it", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %s to fail", d)
	}
}

// A stderr line longer than any buffer is cut, and the reader goes on.
func TestLongStderrLineIsCutNotFatal(t *testing.T) {
	log := filepath.Join(t.TempDir(), "worker.log")
	c, err := startBroken(t, "long-stderr-line", Options{LogFile: log})
	if err != nil {
		t.Fatal(err)
	}
	var got string
	if err := c.Call(ctxTimeout(t, 10*time.Second), "ping", nil, &got); err != nil || got != "pong" {
		t.Fatalf("call after a 5 MiB stderr line: %q, %v", got, err)
	}
	c.Close()
	b, _ := os.ReadFile(log)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 || len(lines[0]) > MaxStderrLine+100 || !strings.Contains(lines[0], "bytes cut") ||
		lines[1] != "after the long line" {
		t.Fatalf("worker.log holds %d lines (first %d bytes, ends %q)", len(lines), len(lines[0]),
			lines[0][max(0, len(lines[0])-40):])
	}
}

// A call without a deadline of its own gets the client's default, and the
// error names the method and the setting.
func TestCallsHaveADefaultDeadline(t *testing.T) {
	c, err := startBroken(t, "never-answers", Options{CallTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = c.Call(context.Background(), "ping", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "ping") || !strings.Contains(err.Error(), "XLRL_WORKER_TIMEOUT") {
		t.Fatalf("err = %v, want a timeout naming the method and XLRL_WORKER_TIMEOUT", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %s", d)
	}
}

func TestCallTimeoutFromTheEnvironment(t *testing.T) {
	t.Setenv("XLRL_WORKER_TIMEOUT", "2m")
	if d, err := callTimeout(0); err != nil || d != 2*time.Minute {
		t.Errorf("callTimeout = %s, %v", d, err)
	}
	t.Setenv("XLRL_WORKER_TIMEOUT", "soon")
	if _, err := callTimeout(0); err == nil || !strings.Contains(err.Error(), "XLRL_WORKER_TIMEOUT") {
		t.Errorf("bad value: err = %v", err)
	}
	t.Setenv("XLRL_WORKER_TIMEOUT", "")
	if d, err := callTimeout(0); err != nil || d != DefaultCallTimeout {
		t.Errorf("default: %s, %v", d, err)
	}
}

// The worker starts with a safe import path and in a directory of its own,
// so that a downloaded run or data folder cannot put modules (msgpack.py) or
// configuration (matplotlibrc) in its way.
func TestWorkerRunsWithASafePathInItsOwnDirectory(t *testing.T) {
	here := t.TempDir()
	py, testdata := workertest.Python(t), testdataDir(t)
	t.Chdir(here)
	c, err := startBrokenIn(t, "report-cwd", Options{}, py, testdata)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Cwd      string `msgpack:"cwd"`
		Path0    string `msgpack:"path0"`
		SafePath *bool  `msgpack:"flags_safe_path"`
	}
	if err := c.Call(ctxTimeout(t, 10*time.Second), "ping", nil, &got); err != nil {
		t.Fatal(err)
	}
	if got.Cwd == here || strings.HasPrefix(got.Cwd, here+string(filepath.Separator)) {
		t.Errorf("the worker runs in the host's working directory %s", got.Cwd)
	}
	if got.SafePath != nil && !*got.SafePath {
		t.Errorf("sys.flags.safe_path is false: the working directory is on sys.path")
	}
}

// The working directory's .venv is not picked silently: only the binary's
// own checkout's is.
func TestFindPythonIgnoresTheWorkingDirectorysVenv(t *testing.T) {
	here := t.TempDir()
	venv := filepath.Join(here, ".venv", "bin")
	os.MkdirAll(venv, 0o755)
	os.WriteFile(filepath.Join(venv, "python"), []byte("#!/bin/sh\necho pwned\n"), 0o755)
	t.Chdir(here)
	t.Setenv("XLRL_PYTHON", "")
	interp, err := FindPython("")
	if err == nil && strings.HasPrefix(interp.Path, here) {
		t.Fatalf("FindPython chose %s (%s) from the working directory", interp.Path, interp.Reason)
	}
}
