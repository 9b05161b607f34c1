package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/xlrl/xlrl/internal/progress"
	"github.com/xlrl/xlrl/internal/run"
	"github.com/xlrl/xlrl/internal/worker"
)

// The generative-model and robustness commands (gen, robust) share this: a run
// directory, a worker whose log goes into it, and progress lines drawn from
// the worker's per-epoch notifications.

// genBuiltinData are the data sets the worker knows by name.
var genBuiltinData = []string{"digits", "mnist5k", "moons", "circles", "8gaussians"}

// genRunDir creates the run directory (internal/run's layout: --out, else
// runs/<--name>, else runs/<UTC timestamp>) and returns its absolute path. It
// refuses a directory that is not empty, so a typo in --name never
// overwrites earlier results.
func genRunDir(out, name string, now time.Time) (string, error) {
	if out != "" && name != "" {
		return "", usageErrorf("--name %q and --out %q: give one (--name writes runs/<name>, --out any path)", name, out)
	}
	if out == "" && strings.ContainsAny(name, `/\`) {
		return "", usageErrorf("--name %q: a name, not a path (use --out for a path)", name)
	}
	d, err := run.Create(run.Location{Out: out, Name: name, Now: func() time.Time { return now }})
	var exists *run.ExistsError
	if errors.As(err, &exists) { // its advice (--resume) is for RL runs; gen runs start afresh
		return "", usageErrorf("run directory %s already exists and is not empty: choose another --name or --out",
			exists.Path)
	}
	if err != nil {
		return "", err
	}
	return filepath.Abs(d.Path)
}

// genExistingRun checks that dir is a finished run (it has meta.json) and
// returns its absolute path.
func genExistingRun(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("run directory %s: %w", dir, err)
	}
	if _, err := os.Stat(filepath.Join(abs, "meta.json")); err != nil {
		return "", usageErrorf("%s is not a run directory (no meta.json): give the directory "+
			"that 'xlrl gen train' or 'xlrl robust train' wrote", dir)
	}
	return abs, nil
}

// genData checks --data: a built-in name or an existing .npy/.npz/.csv file,
// which the worker gets as an absolute path.
func genData(data string) (string, error) {
	for _, n := range genBuiltinData {
		if data == n {
			return data, nil
		}
	}
	ext := strings.ToLower(filepath.Ext(data))
	if ext != ".npy" && ext != ".npz" && ext != ".csv" {
		return "", usageErrorf("--data %q: want one of %s, or a .npy, .npz or .csv file",
			data, strings.Join(genBuiltinData, ", "))
	}
	if _, err := os.Stat(data); err != nil {
		return "", usageErrorf("--data %s: %v", data, errors.Unwrap(err))
	}
	return filepath.Abs(data)
}

// genWithWorker starts a worker logging into runDir/worker.log, runs fn, and
// shuts the worker down.
func genWithWorker(ctx context.Context, runDir string, fn func(*worker.Client) error) error {
	c, err := worker.Start(ctx, worker.Options{
		Python:  global.python,
		LogFile: filepath.Join(runDir, run.WorkerLogFile),
		Logger:  slog.Default(),
	})
	if err != nil {
		return err
	}
	defer c.Close()
	return fn(c)
}

// epochBar shows a training job's per-epoch progress notifications (step,
// total, losses, examples_per_s) with the shared progress display: a redrawn
// bar on a terminal, plain lines otherwise.
func epochBar(w io.Writer, label string) *progress.Bar {
	return progress.New(w, progress.Options{Label: label, Unit: "epochs", Terminal: progress.IsTerminal(w)})
}

// num reads a number from a result map (0 when absent).
func num(m map[string]any, k string) float64 {
	v, _ := progress.Number(m[k])
	return v
}

// genDiscardFailed removes the run directory of a gen or robust training
// that failed before it wrote a model (bad data, a bad option): only its
// worker.log is there, and the same command, corrected, may use the name.
func genDiscardFailed(runDir string) {
	if _, err := os.Stat(filepath.Join(runDir, "meta.json")); err == nil {
		return
	}
	(&run.Dir{Path: runDir}).Discard()
}
