package train

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
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/xlrl/xlrl/internal/atomicfile"
	"github.com/xlrl/xlrl/internal/ckpt"
	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/metric"
	"github.com/xlrl/xlrl/internal/progress"
	"github.com/xlrl/xlrl/internal/run"
	"github.com/xlrl/xlrl/internal/worker"
)

// Hooks are what a run needs from its caller besides its options: where
// progress goes, the clock, the Python worker, and a test's look at each
// episode. Zero fields get the defaults (io.Discard, time.Now, no worker).
type Hooks struct {
	// Progress receives the progress bar and messages (the CLI's stderr).
	Progress io.Writer
	// Now is the clock of checkpoint intervals and steps per second.
	Now func() time.Time
	// StartWorker starts the Python worker (the tf backend, plots); its log
	// goes to logFile when that is not empty.
	StartWorker func(ctx context.Context, logFile string) (*worker.Client, error)
	// AfterEpisode is called after each logged training episode with its
	// number over the whole run (tests press "Ctrl-C" at an exact episode).
	AfterEpisode func(episode int64)
	// Command is the xlrl binary as the user invoked it (bin/xlrl, xlrl),
	// for the commands the hints name; default "xlrl".
	Command string
}

func (h Hooks) withDefaults() Hooks {
	if h.Progress == nil {
		h.Progress = io.Discard
	}
	if h.Now == nil {
		h.Now = time.Now
	}
	if h.Command == "" {
		h.Command = "xlrl"
	}
	if h.StartWorker == nil {
		h.StartWorker = func(context.Context, string) (*worker.Client, error) {
			return nil, errors.New("no Python worker in this program (train.Hooks.StartWorker is nil)")
		}
	}
	return h
}

// ErrInterrupted marks a run stopped by Ctrl-C (its context cancelled); the
// message says whether a checkpoint was written and how to continue.
var ErrInterrupted = errors.New("interrupted")

// loadConfig applies --config or, with --resume, the run's own config.yaml
// to the flags not given. It runs before any check of the values, so a bad
// file fails before anything starts.
func (fl *Flags) loadConfig() error {
	rf := &fl.Run
	if rf.Resume != "" {
		var refused []string
		fl.Set.VisitAll(func(f *pflag.Flag) {
			if f.Changed && !slices.Contains(resumeMayChange, f.Name) {
				refused = append(refused, "--"+f.Name)
			}
		})
		if len(refused) > 0 {
			return fmt.Errorf("--resume continues %s with its own config.yaml; %s would change what it learns. "+
				"A resumed run accepts only --%s", rf.Resume, strings.Join(refused, ", "),
				strings.Join(resumeMayChange[1:], ", --"))
		}
		d, err := run.OpenForResume(rf.Resume)
		if err != nil {
			return err
		}
		d.Close()
		return run.LoadFlagConfig(fl.Set, filepath.Join(rf.Resume, run.ConfigFile), notConfigKeys...)
	}
	if rf.Config != "" {
		return run.LoadFlagConfig(fl.Set, rf.Config, notConfigKeys...)
	}
	return nil
}

// Run is a training run's directory as its trainer writes it: metrics,
// progress, checkpoints. A trainer that gets nil writes nothing.
type Run struct {
	dir      *run.Dir
	opts     *RunOptions
	metrics  *run.MetricsWriter
	hooks    Hooks
	bar      *progress.Bar
	resumed  *ckpt.Checkpoint // nil for a new run
	counters Counters         // as of the resumed checkpoint
	lastCkpt time.Time
	started  time.Time
	// interruptSaved: a checkpoint was written after Ctrl-C, so --resume works.
	interruptSaved bool
	// commitResume, for a resumed run, truncates the metrics to the
	// checkpoint, rewrites config.yaml and opens the metrics: it runs when
	// the trainer first writes (after it restored the checkpoint), so that a
	// refused resume changes no file.
	commitResume func() error
	envID        ckpt.EnvIdentity
}

// Counters are the "run" section of every checkpoint.
type Counters struct {
	Steps    int64 `json:"steps"`
	Episodes int64 `json:"episodes"`
	// WallSeconds is the training time up to the checkpoint, over every
	// part of a resumed run (0 in checkpoints written before it was kept).
	WallSeconds float64 `json:"wall_seconds,omitempty"`
}

// startRun creates (or, with --resume, reopens) the run directory, writes
// config.yaml and opens metrics.jsonl. Nothing has been trained yet, so an
// unwritable --out fails here.
func startRun(fl *Flags, h Hooks) (_ *Run, err error) {
	rf := &fl.Run
	r := &Run{opts: rf, hooks: h, envID: fl.envIdentity()}
	defer func() {
		if err != nil && r.dir != nil {
			r.dir.Close() // refused: the directory is not in use
		}
	}()
	if rf.Resume != "" {
		if r.dir, err = run.OpenForResume(rf.Resume); err != nil {
			return nil, err
		}
		if r.resumed, err = ckpt.Read(r.dir.Checkpoint(), ""); err != nil {
			return nil, err
		}
		if r.resumed.Kind == PolicyKind {
			return nil, fmt.Errorf("cannot resume %s: the run is complete (its checkpoint holds the final policy, "+
				"for xlrl eval); start a new run instead", r.dir.Path)
		}
		if err := r.resumed.GetJSON("run", &r.counters); err != nil {
			return nil, err
		}
		if r.counters.Steps < 0 || r.counters.Episodes < 0 || r.counters.Episodes > r.counters.Steps {
			return nil, fmt.Errorf("%w: %s: impossible counters %+v", ckpt.ErrBad, r.dir.Checkpoint(), r.counters)
		}
		if err := r.resumed.CheckEnv(r.envID); err != nil {
			return nil, fmt.Errorf("cannot resume %s: %w", r.dir.Path, err)
		}
		// Every check the trainer makes (the agent's own, in its restore)
		// happens before it writes: the files change only then.
		r.commitResume = func() error {
			// Records after the checkpoint are written again by the resumed run.
			if err := run.TruncateMetrics(r.dir.Metrics(), r.counters.Steps); err != nil {
				return err
			}
			if err := r.writeConfig(fl); err != nil {
				return err
			}
			r.metrics, err = run.OpenMetrics(r.dir.Metrics())
			return err
		}
	} else {
		if r.dir, err = run.Create(run.Location{Root: rf.Root, Name: rf.Name, Out: rf.Out}); err != nil {
			return nil, err
		}
		if err := r.writeConfig(fl); err != nil {
			return nil, err
		}
		if r.metrics, err = run.OpenMetrics(r.dir.Metrics()); err != nil {
			return nil, err
		}
	}
	r.started, r.lastCkpt = h.Now(), h.Now()
	if r.resumed != nil {
		fmt.Fprintf(h.Progress, "resuming %s at step %d, episode %d\n", r.dir.Path, r.counters.Steps, r.counters.Episodes)
	}
	return r, nil
}

// writeConfig writes config.yaml from the flags.
func (r *Run) writeConfig(fl *Flags) error {
	for _, name := range alwaysInConfig {
		// Set to their own value: written as keys even when left at the
		// default, so that plot and eval can read what the run was.
		if f := fl.Set.Lookup(name); f != nil && !f.Changed {
			if err := fl.Set.Set(name, f.Value.String()); err != nil {
				return err
			}
		}
	}
	return run.WriteFlagConfig(r.dir.Config(), fl.Set, "", notConfigKeys...)
}

// ready makes the run writable: for a resumed run, the first write commits
// the resume (see commitResume).
func (r *Run) ready() error {
	if r.commitResume == nil {
		return nil
	}
	commit := r.commitResume
	r.commitResume = nil
	return commit()
}

// envIdentity is the environment a checkpoint of this run was trained on.
func (fl *Flags) envIdentity() ckpt.EnvIdentity {
	id := ckpt.EnvIdentity{ID: fl.Env, Map: fl.Map}
	if fl.Changed("slippery") {
		s := fl.Slippery
		id.Slippery = &s
	}
	return id
}

// Dir is the run's directory.
func (r *Run) Dir() *run.Dir { return r.dir }

// startProgress shows the bar (or plain lines when the output is not a terminal).
func (r *Run) startProgress(label, unit string, total, start int64) {
	out := r.hooks.Progress
	r.bar = progress.New(out, progress.Options{Label: label, Unit: unit, Total: total, Start: start,
		Terminal: progress.IsTerminal(out)})
	r.bar.SetEpisodes(r.counters.Episodes)
}

// episode logs one finished episode. step and episode are totals over the
// whole run, resumed parts included.
func (r *Run) episode(step, episode int64, ret float64, length int64, extra map[string]float64) error {
	vals := map[string]float64{metric.Episode: float64(episode), metric.Return: ret, metric.Length: float64(length)}
	if el := r.hooks.Now().Sub(r.started).Seconds(); el > 0 {
		vals[metric.StepsPerSec] = float64(step-r.counters.Steps) / el
	}
	for k, v := range extra {
		vals[k] = v
	}
	if r.bar != nil {
		r.bar.Episode(ret)
	}
	if r.hooks.AfterEpisode != nil {
		r.hooks.AfterEpisode(episode)
	}
	if err := r.ready(); err != nil {
		return err
	}
	return r.metrics.Write(run.Record{Kind: metric.KindEpisode, Step: step, Values: vals})
}

// update logs one update (or a logged batch of them): loss, mean_q, ...
func (r *Run) update(step int64, vals map[string]float64) error {
	if r.bar != nil {
		if l, ok := vals[metric.Loss]; ok {
			r.bar.Set(metric.Loss, l)
		}
	}
	if err := r.ready(); err != nil {
		return err
	}
	return r.metrics.Write(run.Record{Kind: metric.KindUpdate, Step: step, Values: vals})
}

// checkpointDue says whether --checkpoint-every has passed since the last one.
func (r *Run) checkpointDue() bool {
	return r.hooks.Now().Sub(r.lastCkpt) >= r.opts.CheckpointEvery
}

// saveCheckpoint writes c, with the run's counters, atomically, and flushes
// the metrics so that they cover at least what the checkpoint does.
func (r *Run) saveCheckpoint(c *ckpt.Checkpoint, at Counters) error {
	at.WallSeconds = r.wallSeconds()
	if err := c.PutJSON("run", at); err != nil {
		return err
	}
	if err := c.PutEnv(r.envID); err != nil {
		return err
	}
	if err := r.ready(); err != nil {
		return err
	}
	if err := r.metrics.Flush(); err != nil {
		return err
	}
	if err := ckpt.Write(r.dir.Checkpoint(), c); err != nil {
		return err
	}
	r.lastCkpt = r.hooks.Now()
	return nil
}

// wallSeconds is the run's training time so far: the parts before the
// resumed checkpoint and this one.
func (r *Run) wallSeconds() float64 {
	return r.counters.WallSeconds + r.hooks.Now().Sub(r.started).Seconds()
}

// finish closes the run: on success it draws the plots and writes
// result.json; on Ctrl-C it says how to continue and returns an error
// wrapping ErrInterrupted.
func (r *Run) finish(ctx context.Context, res *Result, trainErr error) error {
	defer r.dir.Close() // a library caller's process goes on: the run is no longer in use
	if r.bar != nil {
		r.bar.Finish()
	}
	if trainErr == nil {
		trainErr = r.ready()
	}
	if r.metrics != nil {
		if err := r.metrics.Close(); err != nil && trainErr == nil {
			trainErr = err
		}
	}
	out := r.hooks.Progress
	if errors.Is(trainErr, ErrInterrupted) || (trainErr != nil && ctx.Err() != nil) {
		_, statErr := os.Stat(r.dir.Checkpoint())
		switch {
		case errors.Is(trainErr, ErrInterrupted) || r.interruptSaved:
			fmt.Fprintf(out, "interrupted: checkpoint saved in %s\ncontinue with: %s train --resume %s\n",
				r.dir.Path, r.hooks.Command, r.dir.Path)
		case r.resumed != nil || statErr == nil:
			fmt.Fprintf(out, "interrupted (%v): the last checkpoint in %s is kept\ncontinue with: %s train --resume %s\n",
				trainErr, r.dir.Path, r.hooks.Command, r.dir.Path)
		default:
			// Stopped before any checkpoint (or by a trainer that writes
			// none): there is nothing to resume; what it logged stays.
			fmt.Fprintf(out, "interrupted (%v) before the first checkpoint: there is nothing to resume "+
				"(the metrics so far are in %s).\nstart again with the same command after: rm -r %s\n",
				trainErr, r.dir.Path, r.dir.Path)
		}
		if errors.Is(trainErr, ErrInterrupted) {
			return trainErr
		}
		return fmt.Errorf("%w: %w", ErrInterrupted, trainErr)
	}
	if trainErr != nil {
		r.discardIfEmpty()
		return trainErr
	}
	res.RunDir = r.dir.Path
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(r.dir.Join(ResultFile), append(b, '\n'), 0o644); err != nil {
		return err
	}
	if r.opts.Plot {
		title := fmt.Sprintf("%s on %s (%s)", res.Algo, res.Env, filepath.Base(r.dir.Path))
		plot, err := r.plot(ctx, res.Env, title)
		if err != nil {
			// The run itself is complete; a missing Python must not lose it.
			fmt.Fprintf(out, "no plots (%v); draw them later with: xlrl plot %s\n", err, r.dir.Path)
		} else {
			res.Plot = plot
		}
	}
	return nil
}

// ResultFile is the run's result, the JSON of Result.
const ResultFile = "result.json"

// discardIfEmpty removes a new run that failed before it logged anything
// (a bad flag value the trainer found), so that the same command, fixed,
// can use the same --name.
func (r *Run) discardIfEmpty() {
	if r.resumed == nil {
		r.dir.Discard()
	}
}

// plot draws runs/<name>/plots/training.png and the TensorBoard files.
func (r *Run) plot(ctx context.Context, envID, title string) (string, error) {
	c, err := r.hooks.StartWorker(ctx, r.dir.WorkerLog())
	if err != nil {
		return "", err
	}
	defer c.Close()
	threshold := math.NaN()
	if spec, err := env.Lookup(envID); err == nil && spec.RewardThreshold != nil {
		threshold = *spec.RewardThreshold
	}
	out := filepath.Join(r.dir.Plots(), PlotFile)
	res, err := DrawPlot(ctx, c, []string{r.dir.Path}, out, title, threshold, 100)
	if err != nil {
		return "", err
	}
	if err := c.Call(ctx, "tb.export", map[string]any{"run": r.dir.Path}, nil); err != nil {
		return "", err
	}
	return res.Path, nil
}

// PlotFile is where a run's own plot goes: runs/<name>/plots/training.png.
const PlotFile = "training.png"

// PlotResult is what the worker's plot.runs reports.
type PlotResult struct {
	Path   string   `msgpack:"path" json:"path"`
	Panels []string `msgpack:"panels" json:"panels"`
	Groups []struct {
		Label string   `msgpack:"label" json:"label"`
		Runs  []string `msgpack:"runs" json:"runs"`
	} `msgpack:"groups" json:"groups"`
	// DifferingKeys are the config keys that tell the groups apart.
	DifferingKeys []string `msgpack:"differing_keys" json:"differing_keys"`
}

// DrawPlot asks the worker to draw the runs' metrics into out; a NaN
// threshold draws none. Runs that differ only in seed are one group.
func DrawPlot(ctx context.Context, c *worker.Client, runs []string, out, title string, threshold float64, window int) (*PlotResult, error) {
	return DrawPlotGrouped(ctx, c, runs, out, title, threshold, window, nil)
}

// DrawPlotGrouped is DrawPlot with the runs grouped by the values of the
// config keys groupBy (none: by everything but the seed).
func DrawPlotGrouped(ctx context.Context, c *worker.Client, runs []string, out, title string, threshold float64, window int, groupBy []string) (*PlotResult, error) {
	// The worker writes only inside the directory it is given: the run's
	// own for its plot (a plots/ that links elsewhere is refused), else the
	// directory of out, which the user chose.
	dir, rel := filepath.Dir(out), filepath.Base(out)
	if len(runs) == 1 {
		if r, err := filepath.Rel(runs[0], out); err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) {
			dir, rel = runs[0], r
		}
	}
	params := map[string]any{"runs": runs, "out": rel, "run_dir": dir, "window": window, "metrics": metric.Plot()}
	if len(groupBy) > 0 {
		params["group_by"] = groupBy
	}
	if !math.IsNaN(threshold) {
		params["threshold"] = threshold
	}
	if title != "" {
		params["title"] = title
	}
	var res PlotResult
	if err := c.Call(ctx, "plot.runs", params, &res); err != nil {
		return nil, fmt.Errorf("plotting %s: %w", strings.Join(runs, ", "), err)
	}
	return &res, nil
}

// interrupted wraps a trainer's context error once its checkpoint is saved.
func interrupted(ctx context.Context) error {
	return fmt.Errorf("%w: %w", ErrInterrupted, context.Cause(ctx))
}
