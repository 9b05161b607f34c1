package genrun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/pflag"
	"github.com/xlrl/xlrl/internal/metric"
	"github.com/xlrl/xlrl/internal/progress"
	"github.com/xlrl/xlrl/internal/run"
	"github.com/xlrl/xlrl/internal/worker"
)

// MetaFile is what the worker writes into a gen or robust run: the model's
// kind, config and weights file (pyworker/gen/train.py).
const MetaFile = "meta.json"

// Kinds of runs that meta.json names.
const (
	KindGen    = "gen"
	KindRobust = "robust"
)

// StepUnit is the x axis of a gen or robust run: its records are per epoch.
const StepUnit = "epoch"

// Job is one training job of the worker, run into a new run directory.
type Job struct {
	Method   string         // gen.train or robust.train
	Params   map[string]any // its arguments, without run_dir
	Flags    *pflag.FlagSet // the command's flags: config.yaml holds them
	NotKeys  []string       // flags that are not config keys (--name, --out, --json)
	Location run.Location   // where the run goes
	Label    string         // of the progress display
	Title    string         // of the loss plot
}

// Result is the job's result (the worker's object) and the files of the run.
type Result struct {
	Values      map[string]any
	RunDir      string
	Plot        string // plots/training.png, "" when it could not be drawn
	TensorBoard string // the event file under tb/
}

// Run creates the run directory, writes config.yaml, sends the worker's log
// into worker.log, runs the job with one metrics.jsonl record per epoch (the
// epoch's losses, under the names RL runs use: loss), then a final eval
// record of the job's figures, and draws the loss plot and the TensorBoard
// events. A job that fails before it wrote a model leaves no directory.
func Run(ctx context.Context, c *worker.Client, j Job, out io.Writer) (*Result, error) {
	dir, err := run.Create(j.Location)
	var exists *run.ExistsError
	if errors.As(err, &exists) { // its advice (--resume) is for RL runs; gen runs start afresh
		return nil, badInput("run directory %s already exists and is not empty: choose another --name or --out", exists.Path)
	}
	if err != nil {
		return nil, err
	}
	defer dir.Close()
	abs, err := filepath.Abs(dir.Path)
	if err != nil {
		return nil, err
	}
	res, err := runIn(ctx, c, j, dir, abs, out)
	if err != nil {
		discardFailed(dir)
		return nil, err
	}
	return res, nil
}

func runIn(ctx context.Context, c *worker.Client, j Job, dir *run.Dir, abs string, out io.Writer) (*Result, error) {
	if err := c.LogTo(dir.WorkerLog()); err != nil {
		return nil, err
	}
	if err := run.WriteFlagConfig(dir.Config(), j.Flags, "", j.NotKeys...); err != nil {
		return nil, err
	}
	mw, err := run.OpenMetrics(dir.Metrics())
	if err != nil {
		return nil, err
	}
	params := map[string]any{"run_dir": abs}
	for k, v := range j.Params {
		params[k] = v
	}
	fmt.Fprintf(out, "%s into %s\n", j.Label, abs)
	bar := progress.New(out, progress.Options{Label: j.Label, Unit: "epochs", Terminal: progress.IsTerminal(out)})
	rec := &recorder{w: mw}
	var vals map[string]any
	err = c.CallWithProgress(ctx, j.Method, params, &vals, func(p map[string]any) {
		bar.Notify(p)
		rec.epoch(p)
	})
	bar.Finish()
	if err == nil {
		err = rec.err
	}
	if err == nil {
		err = mw.Write(run.Record{Kind: metric.KindEval, Step: rec.last, Values: scalars(vals)})
	}
	if cerr := mw.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	res := &Result{Values: vals, RunDir: abs}
	res.Plot, res.TensorBoard, err = Draw(ctx, c, abs, j.Title)
	if err != nil { // the run itself is complete; say how to draw them later
		fmt.Fprintf(out, "no plot (%v); draw it later with: xlrl plot %s\n", err, abs)
	}
	return res, nil
}

// recorder writes one update record per epoch notification.
type recorder struct {
	w    *run.MetricsWriter
	last int64
	err  error
}

func (r *recorder) epoch(p map[string]any) {
	step, ok := progress.Number(p["step"])
	if !ok || r.err != nil {
		return
	}
	vals := map[string]float64{}
	for k, v := range p {
		if k == "step" || k == "total" {
			continue
		}
		if f, ok := progress.Number(v); ok {
			vals[k] = f
		}
	}
	r.last = int64(step)
	r.err = r.w.Write(run.Record{Kind: metric.KindUpdate, Step: r.last, Values: vals})
}

// scalars are the numbers of a job's result (test_nll, robust_accuracy,
// ...), for the final eval record; nested values and strings stay in
// result.json.
func scalars(m map[string]any) map[string]float64 {
	out := map[string]float64{}
	for k, v := range m {
		if k == "kind" || k == "step" || k == "time" || k == "epoch" {
			continue
		}
		if _, isBool := v.(bool); isBool {
			continue
		}
		if f, ok := progress.Number(v); ok && !math.IsInf(f, 0) {
			out[k] = f
		}
	}
	return out
}

// discardFailed removes the directory of a job that failed before it wrote
// a model (bad data, a bad option): only its config, its empty metrics and
// its worker.log are there, and the same command, corrected, may reuse the
// name.
func discardFailed(dir *run.Dir) {
	if _, err := os.Stat(dir.Join(MetaFile)); err == nil {
		return
	}
	dir.Discard()
}

// PlotFile is where a run's own plot goes, as for RL runs.
const PlotFile = "training.png"

// Draw draws a gen or robust run's loss plot into RUN/plots/training.png and
// its metrics as TensorBoard events into RUN/tb; it returns both paths.
func Draw(ctx context.Context, c *worker.Client, runDir, title string) (plot, tb string, err error) {
	p, err := Plot(ctx, c, []string{runDir}, filepath.Join(runDir, run.PlotsDir, PlotFile), title, nil)
	if err != nil {
		return "", "", err
	}
	var r struct {
		Path string `msgpack:"path"`
	}
	if err := c.Call(ctx, "tb.export", map[string]any{"run": runDir}, &r); err != nil {
		return p.Path, "", err
	}
	return p.Path, r.Path, nil
}

// PlotResult is what the worker's plot.runs reports.
type PlotResult struct {
	Path          string   `msgpack:"path" json:"path"`
	Panels        []string `msgpack:"panels" json:"panels"`
	DifferingKeys []string `msgpack:"differing_keys" json:"differing_keys"`
}

// Plot draws gen or robust runs (the loss of every epoch, against epochs)
// into out, grouped by groupBy (nil: by everything but the seed).
func Plot(ctx context.Context, c *worker.Client, runs []string, out, title string, groupBy []string) (*PlotResult, error) {
	keys, err := lossKeys(runs)
	if err != nil {
		return nil, err
	}
	dir, rel := filepath.Dir(out), filepath.Base(out)
	if len(runs) == 1 {
		if r, err := filepath.Rel(runs[0], out); err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) {
			dir, rel = runs[0], r
		}
	}
	params := map[string]any{"runs": runs, "out": rel, "run_dir": dir, "x_label": StepUnit, "loss_keys": keys,
		"metrics": metric.Plot()}
	if title != "" {
		params["title"] = title
	}
	if len(groupBy) > 0 {
		params["group_by"] = groupBy
	}
	var res PlotResult
	if err := c.Call(ctx, "plot.runs", params, &res); err != nil {
		return nil, fmt.Errorf("plotting %s: %w", strings.Join(runs, ", "), err)
	}
	return &res, nil
}

// lossKeys are the keys of the runs' update records that name a loss (loss;
// a GAN's d_loss and g_loss), "loss" first.
func lossKeys(runs []string) ([]string, error) {
	seen := map[string]bool{}
	for _, d := range runs {
		recs, err := run.ReadMetrics(filepath.Join(d, run.MetricsFile))
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			if r.Kind != metric.KindUpdate {
				continue
			}
			for k := range r.Values {
				if k == metric.Loss || strings.HasSuffix(k, "_loss") {
					seen[k] = true
				}
			}
		}
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool {
		if (keys[a] == metric.Loss) != (keys[b] == metric.Loss) {
			return keys[a] == metric.Loss
		}
		return keys[a] < keys[b]
	})
	return keys, nil
}

// KindOf says which job wrote the run directory dir: KindGen, KindRobust,
// or "" for a directory without a meta.json of theirs (an RL run).
func KindOf(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, MetaFile))
	if err != nil {
		return ""
	}
	var m struct {
		Kind string `json:"kind"`
	}
	if json.Unmarshal(b, &m) != nil || !slices.Contains([]string{KindGen, KindRobust}, m.Kind) {
		return ""
	}
	return m.Kind
}
