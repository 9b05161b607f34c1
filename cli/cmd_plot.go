package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/genrun"
	"github.com/xlrl/xlrl/internal/run"
	"github.com/xlrl/xlrl/internal/train"
	"github.com/xlrl/xlrl/internal/worker"
)

// plotFlags are xlrl plot's flags.
type plotFlags struct {
	out, title string
	threshold  float64 // NaN: the environment's
	window     int
	tb, asJSON bool
	groupBy    []string
}

func newPlotCmd() *cobra.Command {
	var o plotFlags
	cmd := &cobra.Command{
		Use:   "plot RUN [RUN...]",
		Short: "Plot runs: episode returns, Q-values progression and loss trajectory",
		Long: `Plot one or more run directories (runs/<name>) from their metrics.jsonl.

The figure has one panel per kind of data the runs have: episode returns with
a moving average and the environment's solved threshold; the Q-values
progression (mean and max Q of the updates); the loss trajectory. The returns
panel shows the training episodes (which explore) beside the periodic greedy
evaluations (mean and spread, the best one marked) and the final evaluation
of result.json.

Runs whose config.yaml differ only in seed, name, output folder or
bookkeeping flags (--plot, --checkpoint-every) are drawn as one line, their
mean, with a shaded band of one standard deviation; --group-by KEY groups
them by that key alone. The legend names the keys whose values differ.

Runs of 'xlrl gen train' and 'xlrl robust train' are plotted the same way,
their loss per epoch (a GAN's critic and generator losses); they cannot share
a figure with RL runs.

One run is drawn into RUN/plots/training.png; several into compare.png in the
current directory. -o picks another file.`,
		Example: `  xlrl plot runs/cartpole
  xlrl plot runs/seed1 runs/seed2 runs/seed3 -o seeds.png
  xlrl plot runs/lr-* --group-by lr -o lr.png
  xlrl plot runs/cartpole --tensorboard   # also write TensorBoard event files`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("threshold") {
				o.threshold = math.NaN()
			}
			return runPlot(cmd, args, &o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.out, "out", "o", "", "PNG file to write (default: RUN/plots/training.png, or compare.png for several runs)")
	f.StringVar(&o.title, "title", "", "figure title")
	f.Float64Var(&o.threshold, "threshold", 0, "return at which the task counts as solved, drawn as a dashed line (default: the environment's)")
	f.IntVar(&o.window, "window", 100, "episodes in the moving average of the returns")
	f.StringSliceVar(&o.groupBy, "group-by", nil, "group the runs by these config keys (comma-separated or repeated), e.g. lr; default: by everything but the seed")
	f.BoolVar(&o.tb, "tensorboard", false, "also write each run's metrics as TensorBoard event files into RUN/tb")
	f.BoolVar(&o.asJSON, "json", false, "print the result as one JSON object on the last line")
	return cmd
}

// runPlot checks the runs, the keys and the output file before the worker
// starts, then draws.
func runPlot(cmd *cobra.Command, runs []string, o *plotFlags) error {
	gen, err := plotKind(runs)
	if err != nil {
		return err
	}
	if err := checkGroupBy(runs, o.groupBy, gen); err != nil {
		return err
	}
	out := o.out
	if out == "" {
		out = "compare.png"
		if len(runs) == 1 {
			out = filepath.Join(runs[0], run.PlotsDir, train.PlotFile)
		}
	}
	if err := checkWritableFile(out); err != nil {
		return err
	}
	threshold := o.threshold
	if math.IsNaN(threshold) && !gen {
		threshold = solvedThreshold(runs)
	}
	c, err := startWorker(cmd.Context(), "")
	if err != nil {
		return err
	}
	defer c.Close()
	var res any
	var panels []string
	if gen {
		r, err := genrun.Plot(cmd.Context(), c, runs, out, o.title, o.groupBy)
		if err != nil {
			return err
		}
		res, panels, out = r, r.Panels, r.Path
	} else {
		r, err := train.DrawPlotGrouped(cmd.Context(), c, runs, out, o.title, threshold, o.window, o.groupBy)
		if err != nil {
			return err
		}
		res, panels, out = r, r.Panels, r.Path
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "wrote %s (%s)\n", out, strings.Join(panels, ", "))
	if o.tb {
		if err := exportTB(cmd.Context(), w, c, runs); err != nil {
			return err
		}
	}
	if o.asJSON {
		return printJSON(w, res)
	}
	return nil
}

// plotKind checks every run directory and says whether they are gen or
// robust runs (true) or RL runs (false); a mix is refused.
func plotKind(runs []string) (bool, error) {
	gen := 0
	for _, d := range runs {
		if err := checkPlottable(d); err != nil {
			return false, err
		}
		if genrun.KindOf(d) != "" {
			gen++
		}
	}
	if gen > 0 && gen < len(runs) {
		return false, usageErrorf("%d of the %d runs are generative or robust runs (loss per epoch), the others RL runs "+
			"(returns per environment step): plot them in separate figures", gen, len(runs))
	}
	return gen > 0, nil
}

// checkGroupBy refuses --group-by keys that are no config key: for RL runs
// the flags of xlrl train, for gen and robust runs the keys of their
// config.yaml.
func checkGroupBy(runs, groupBy []string, gen bool) error {
	if !gen {
		keys := train.NewFlags(train.Defaults{}).Set
		for _, k := range groupBy {
			if f := keys.Lookup(k); f == nil || f.Name == "help" {
				return usageErrorf("--group-by %q: not a key of config.yaml (keys are the flags of xlrl train, e.g. lr, gamma, layers)", k)
			}
		}
		return nil
	}
	for _, d := range runs {
		cfg, err := run.ReadConfigMap(filepath.Join(d, run.ConfigFile))
		if err != nil {
			return err
		}
		for _, k := range groupBy {
			if _, ok := cfg[k]; !ok {
				return usageErrorf("--group-by %q: not a key of %s", k, filepath.Join(d, run.ConfigFile))
			}
		}
	}
	return nil
}

// exportTB writes each run's metrics as TensorBoard events.
func exportTB(ctx context.Context, w io.Writer, c *worker.Client, runs []string) error {
	for _, d := range runs {
		var r tbExport
		if err := c.Call(ctx, "tb.export", map[string]any{"run": d}, &r); err != nil {
			return err
		}
		fmt.Fprintf(w, "wrote %d TensorBoard scalars to %s (%s tensorboard %s)\n",
			r.Scalars, filepath.Dir(r.Path), invokedAs(), filepath.Dir(filepath.Clean(d)))
	}
	return nil
}

// tbExport is the worker's answer to tb.export.
type tbExport struct {
	Path    string `msgpack:"path"`
	Scalars int    `msgpack:"scalars"`
}

// checkPlottable fails early, before the worker starts, on a path that is
// not a run directory with metrics.
func checkPlottable(dir string) error {
	st, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("run directory %s does not exist", dir)
		}
		return err
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a run directory (it is a file)", dir)
	}
	if _, err := os.Stat(filepath.Join(dir, run.MetricsFile)); err != nil {
		return fmt.Errorf("%s has no %s: is it a run directory? (xlrl train writes runs/<name>/)", dir, run.MetricsFile)
	}
	return nil
}

// checkWritableFile proves that path can be created, so that a bad -o fails
// before the worker starts rather than after the figure is drawn.
func checkWritableFile(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	f, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: directory %s is not writable", path, dir)
	}
	f.Close()
	return os.Remove(f.Name())
}

// solvedThreshold is the environment's reward threshold when every run is
// on the same environment that has one; NaN otherwise.
func solvedThreshold(runs []string) float64 {
	id := ""
	for _, d := range runs {
		cfg, err := run.ReadConfigMap(filepath.Join(d, run.ConfigFile))
		if err != nil {
			return math.NaN()
		}
		e, _ := cfg["env"].(string)
		if e == "" || (id != "" && e != id) {
			return math.NaN()
		}
		id = e
	}
	spec, err := env.Lookup(id)
	if err != nil || spec.RewardThreshold == nil {
		return math.NaN()
	}
	return *spec.RewardThreshold
}
