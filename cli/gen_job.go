package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/xlrl/xlrl/internal/genrun"
	"github.com/xlrl/xlrl/internal/progress"
	"github.com/xlrl/xlrl/internal/run"
	"github.com/xlrl/xlrl/internal/worker"
)

// The generative-model and robustness commands (gen, robust) share this: a
// worker whose handshake says what they offer (internal/genrun reads it; the
// help texts name no model, since --help starts no worker and points at
// 'xlrl gen models' instead), and a run directory of RL's format.

// genSession starts a worker and reads its catalog. Its log goes into the
// run directory once there is one (genrun.Run).
func genSession(ctx context.Context) (*worker.Client, *genrun.Catalog, error) {
	c, err := startWorker(ctx, "")
	if err != nil {
		return nil, nil, err
	}
	cat, err := genrun.ReadCatalog(c.Handshake())
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	return c, cat, nil
}

// genUsage turns the catalog's refusals of a flag value into usage errors.
func genUsage(err error) error {
	if errors.Is(err, genrun.ErrBadInput) {
		return usageErrorf("%s", strings.TrimPrefix(err.Error(), genrun.ErrBadInput.Error()+": "))
	}
	return err
}

// genLocation checks --name and --out (internal/run's layout: --out, else
// runs/<--name>, else runs/<UTC timestamp>).
func genLocation(out, name string) (run.Location, error) {
	if out != "" && name != "" {
		return run.Location{}, usageErrorf("--name %q and --out %q: give one (--name writes runs/<name>, --out any path)", name, out)
	}
	if out == "" && strings.ContainsAny(name, `/\`) {
		return run.Location{}, usageErrorf("--name %q: a name, not a path (use --out for a path)", name)
	}
	return run.Location{Out: out, Name: name}, nil
}

// genExistingRun checks that dir is a finished run (it has meta.json) and
// returns its absolute path.
func genExistingRun(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("run directory %s: %w", dir, err)
	}
	if _, err := os.Stat(filepath.Join(abs, genrun.MetaFile)); err != nil {
		return "", usageErrorf("%s is not a run directory (no meta.json): give the directory "+
			"that 'xlrl gen train' or 'xlrl robust train' wrote", dir)
	}
	return abs, nil
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

// num reads a number from a result map (0 when absent).
func num(m map[string]any, k string) float64 {
	v, _ := progress.Number(m[k])
	return v
}
