package cli

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

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/progress"
	"github.com/xlrl/xlrl/internal/run"
)

// runFlags are the flags of xlrl train that say where the run lives rather
// than what it learns; they are not config keys.
type runFlags struct {
	name, out, root string
	config          string
	resume          string
	checkpointEvery time.Duration
	plot            bool
}

// notConfigKeys are the train flags that config.yaml does not hold.
var notConfigKeys = []string{"name", "out", "config", "resume", "json", "help"}

// alwaysInConfig are written to config.yaml as keys even at their default.
var alwaysInConfig = []string{"env", "algo", "seed"}

// resumeMayChange are the flags a resumed run accepts: the budget and how the
// run is written, never what it learns.
var resumeMayChange = []string{"resume", "episodes", "steps", "eval-episodes", "checkpoint-every", "plot", "json"}

func addRunFlags(f *pflag.FlagSet, rf *runFlags) {
	f.StringVar(&rf.name, "name", "", "run name: the run is written to runs/<name> (default: a timestamp)")
	f.StringVar(&rf.out, "out", "", "run directory, any path (instead of runs/<name>)")
	f.StringVar(&rf.config, "config", "", "YAML file of flag values (keys are flag names, e.g. a run's config.yaml); flags given too override it")
	f.StringVar(&rf.resume, "resume", "", "continue the run in this directory from its checkpoint, with its config.yaml")
	f.DurationVar(&rf.checkpointEvery, "checkpoint-every", 30*time.Second, "time between checkpoints (also written at the end and on Ctrl-C)")
	f.BoolVar(&rf.plot, "plot", plotByDefault, "draw plots/training.png and TensorBoard files at the end (needs the Python worker)")
	rf.root = runsRoot
}

// runsRoot and plotByDefault are variables so that the package's tests write
// their runs to a temporary directory and start no worker (main_test.go).
var (
	runsRoot      = run.DefaultRoot
	plotByDefault = true
	// testAfterEpisode lets tests press "Ctrl-C" at an exact episode.
	testAfterEpisode func(episode int64)
)

// loadTrainConfig applies --config or, with --resume, the run's own
// config.yaml to the flags the user did not set. It runs before any check of
// the values, so a bad file fails before anything starts.
func loadTrainConfig(cmd *cobra.Command, rf *runFlags) error {
	fs := cmd.LocalNonPersistentFlags()
	if rf.resume != "" {
		var refused []string
		// VisitAll, not Visit: LocalNonPersistentFlags is a new set whose
		// flags were set through another one.
		fs.VisitAll(func(f *pflag.Flag) {
			if f.Changed && !slices.Contains(resumeMayChange, f.Name) {
				refused = append(refused, "--"+f.Name)
			}
		})
		if len(refused) > 0 {
			return usageErrorf("--resume continues %s with its own config.yaml; %s would change what it learns. "+
				"A resumed run accepts only --%s", rf.resume, strings.Join(refused, ", "),
				strings.Join(resumeMayChange[1:], ", --"))
		}
		if _, err := run.OpenForResume(rf.resume); err != nil {
			return err
		}
		return run.LoadFlagConfig(fs, filepath.Join(rf.resume, run.ConfigFile), notConfigKeys...)
	}
	if rf.config != "" {
		return run.LoadFlagConfig(fs, rf.config, notConfigKeys...)
	}
	return nil
}

// trainRun is what a trainer writes its run with: metrics, progress,
// checkpoints. A trainer that gets nil (tests, library use) writes nothing.
type trainRun struct {
	dir      *run.Dir
	flags    *runFlags
	metrics  *run.MetricsWriter
	out      io.Writer // progress and messages (stderr)
	bar      *progress.Bar
	seed     uint64
	resumed  *run.Checkpoint // nil for a new run
	counters runCounters     // as of the resumed checkpoint
	lastCkpt time.Time
	started  time.Time
	// interruptSaved: a checkpoint was written after Ctrl-C, so --resume works.
	interruptSaved bool
	now            func() time.Time
}

// runCounters are the "run" section of every checkpoint.
type runCounters struct {
	Steps    int64 `json:"steps"`
	Episodes int64 `json:"episodes"`
}

// errInterrupted marks a run stopped by Ctrl-C after its checkpoint was written.
var errInterrupted = errors.New("interrupted")

// startTrainRun creates (or, with --resume, reopens) the run directory,
// writes config.yaml and opens metrics.jsonl. Nothing has been trained yet,
// so an unwritable --out fails here.
func startTrainRun(cmd *cobra.Command, rf *runFlags, seed uint64) (*trainRun, error) {
	r := &trainRun{flags: rf, out: cmd.ErrOrStderr(), seed: seed, now: time.Now}
	var err error
	if rf.resume != "" {
		if r.dir, err = run.OpenForResume(rf.resume); err != nil {
			return nil, err
		}
		if r.resumed, err = run.ReadCheckpoint(r.dir.Checkpoint(), ""); err != nil {
			return nil, err
		}
		if r.resumed.Kind == policyKind {
			return nil, fmt.Errorf("cannot resume %s: the run is complete (its checkpoint holds the final policy, "+
				"for xlrl eval); start a new run instead", r.dir.Path)
		}
		if err := r.resumed.GetJSON("run", &r.counters); err != nil {
			return nil, err
		}
		// Records after the checkpoint are written again by the resumed run.
		if err := run.TruncateMetrics(r.dir.Metrics(), r.counters.Steps); err != nil {
			return nil, err
		}
	} else if r.dir, err = run.Create(run.Location{Root: rf.root, Name: rf.name, Out: rf.out}); err != nil {
		return nil, err
	}
	fs := cmd.LocalNonPersistentFlags()
	for _, name := range alwaysInConfig {
		// Set to their own value: written as keys even when left at the
		// default, so that plot and eval can read what the run was.
		if f := fs.Lookup(name); f != nil && !f.Changed {
			if err := fs.Set(name, f.Value.String()); err != nil {
				return nil, err
			}
		}
	}
	if err := run.WriteFlagConfig(r.dir.Config(), fs, "", notConfigKeys...); err != nil {
		return nil, err
	}
	if r.metrics, err = run.OpenMetrics(r.dir.Metrics()); err != nil {
		return nil, err
	}
	r.started, r.lastCkpt = r.now(), r.now()
	if r.resumed != nil {
		fmt.Fprintf(r.out, "resuming %s at step %d, episode %d\n", r.dir.Path, r.counters.Steps, r.counters.Episodes)
	}
	return r, nil
}

// startProgress shows the bar (or plain lines when stderr is not a terminal).
func (r *trainRun) startProgress(label, unit string, total, start int64) {
	r.bar = progress.New(r.out, progress.Options{Label: label, Unit: unit, Total: total, Start: start,
		Terminal: progress.IsTerminal(r.out)})
	r.bar.SetEpisodes(r.counters.Episodes)
}

// episode logs one finished episode. step and episode are totals over the
// whole run, resumed parts included.
func (r *trainRun) episode(step, episode int64, ret float64, length int64, extra map[string]float64) error {
	vals := map[string]float64{run.KeyEpisode: float64(episode), run.KeyReturn: ret, run.KeyLength: float64(length)}
	if el := r.now().Sub(r.started).Seconds(); el > 0 {
		vals[run.KeyStepsPerSec] = float64(step-r.counters.Steps) / el
	}
	for k, v := range extra {
		vals[k] = v
	}
	if r.bar != nil {
		r.bar.Episode(ret)
	}
	if testAfterEpisode != nil {
		testAfterEpisode(episode)
	}
	return r.metrics.Write(run.Record{Kind: run.KindEpisode, Step: step, Values: vals})
}

// update logs one update (or a logged batch of them): loss, mean_q, ...
func (r *trainRun) update(step int64, vals map[string]float64) error {
	if r.bar != nil {
		if l, ok := vals[run.KeyLoss]; ok {
			r.bar.Set("loss", l)
		}
	}
	return r.metrics.Write(run.Record{Kind: run.KindUpdate, Step: step, Values: vals})
}

// checkpointDue says whether --checkpoint-every has passed since the last one.
func (r *trainRun) checkpointDue() bool {
	return r.now().Sub(r.lastCkpt) >= r.flags.checkpointEvery
}

// saveCheckpoint writes c, with the run's counters, atomically, and flushes
// the metrics so that they cover at least what the checkpoint does.
func (r *trainRun) saveCheckpoint(c *run.Checkpoint, at runCounters) error {
	if err := c.PutJSON("run", at); err != nil {
		return err
	}
	if err := r.metrics.Flush(); err != nil {
		return err
	}
	if err := run.WriteCheckpoint(r.dir.Checkpoint(), c); err != nil {
		return err
	}
	r.lastCkpt = r.now()
	return nil
}

// finish closes the run: on success it draws the plots and writes
// result.json; on Ctrl-C it says how to continue.
func (r *trainRun) finish(ctx context.Context, res *trainResult, trainErr error) error {
	if r.bar != nil {
		r.bar.Finish()
	}
	if err := r.metrics.Close(); err != nil && trainErr == nil {
		trainErr = err
	}
	if errors.Is(trainErr, errInterrupted) {
		fmt.Fprintf(r.out, "interrupted: checkpoint saved in %s\ncontinue with: xlrl train --resume %s\n",
			r.dir.Path, r.dir.Path)
		return &exitError{code: 130}
	}
	if trainErr != nil && ctx.Err() != nil {
		if r.interruptSaved {
			fmt.Fprintf(r.out, "interrupted: checkpoint saved in %s\ncontinue with: xlrl train --resume %s\n",
				r.dir.Path, r.dir.Path)
		} else {
			// A trainer without checkpoints stopped by Ctrl-C: what it logged stays.
			fmt.Fprintf(r.out, "interrupted (%v): the metrics so far are in %s; this algorithm (or backend) does not "+
				"write resumable checkpoints yet\n", trainErr, r.dir.Path)
		}
		return &exitError{code: 130}
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
	if err := run.WriteFileAtomic(r.dir.Join("result.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	if r.flags.plot {
		title := fmt.Sprintf("%s on %s (%s)", res.Algo, res.Env, filepath.Base(r.dir.Path))
		plot, err := plotRun(ctx, r.dir, res.Env, title)
		if err != nil {
			// The run itself is complete; a missing Python must not lose it.
			fmt.Fprintf(r.out, "no plots (%v); draw them later with: xlrl plot %s\n", err, r.dir.Path)
		} else {
			res.Plot = plot
		}
	}
	return nil
}

// discardIfEmpty removes a new run that failed before it logged anything
// (a bad flag value the trainer found), so that the same command, fixed,
// can use the same --name.
func (r *trainRun) discardIfEmpty() {
	if r.resumed != nil {
		return
	}
	if st, err := os.Stat(r.dir.Metrics()); err != nil || st.Size() > 0 {
		return
	}
	if _, err := os.Stat(r.dir.Checkpoint()); err == nil {
		return
	}
	for _, f := range []string{r.dir.Config(), r.dir.Metrics(), r.dir.WorkerLog()} {
		os.Remove(f)
	}
	os.Remove(r.dir.Path) // only if nothing else is in it
}

// printRunFiles says where the run's files are.
func printRunFiles(w io.Writer, res *trainResult) {
	if res.RunDir == "" {
		return
	}
	fmt.Fprintf(w, "run directory: %s (config.yaml, metrics.jsonl, checkpoint.ckpt)\n", res.RunDir)
	if res.Plot != "" {
		fmt.Fprintf(w, "plot: %s   TensorBoard: tensorboard --logdir %s\n", res.Plot, filepath.Dir(res.RunDir))
	}
}

// plotRun draws runs/<name>/plots/training.png and the TensorBoard files.
func plotRun(ctx context.Context, dir *run.Dir, envID, title string) (string, error) {
	c, err := startWorker(ctx, dir.WorkerLog())
	if err != nil {
		return "", err
	}
	defer c.Close()
	threshold := math.NaN()
	if spec, err := env.Lookup(envID); err == nil && spec.RewardThreshold != nil {
		threshold = *spec.RewardThreshold
	}
	out := filepath.Join(dir.Plots(), plotFile)
	res, err := drawPlot(ctx, c, []string{dir.Path}, out, title, threshold, 100)
	if err != nil {
		return "", err
	}
	if err := c.Call(ctx, "tb.export", map[string]any{"run": dir.Path}, nil); err != nil {
		return "", err
	}
	return res.Path, nil
}

// interrupted wraps a trainer's context error once its checkpoint is saved.
func interrupted(ctx context.Context) error {
	return fmt.Errorf("%w: %w", errInterrupted, context.Cause(ctx))
}
