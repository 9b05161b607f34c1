package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/xlrl/xlrl/internal/run"
	"github.com/xlrl/xlrl/internal/tune"
)

func newTuneCmd(s settings) *cobra.Command {
	o := tune.TuneOptions{}
	var asJSON, printSpace bool
	cmd := &cobra.Command{
		Use:   "tune --env ID --algo NAME --trials N",
		Short: "Search hyperparameters with Optuna (TPE, median pruning); every trial is an xlrl train run",
		Long:  tuneLong,
		Example: `  xlrl tune --env CartPole-v1 --algo dqn --trials 30 --budget-steps 20000 --backend go --jobs 2
  xlrl tune --env CartPole-v1 --algo dqn --trials 100 --study cp --storage postgresql://me@db/optuna
  xlrl train --config runs/tune/CartPole-v1-dqn/best.yaml --seed 7`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTune(cmd, s, &o, asJSON, printSpace)
		},
	}
	addTuneFlags(cmd.Flags(), &o, &asJSON, &printSpace)
	return cmd
}

// tuneLong is tune's help text.
const tuneLong = `Search the hyperparameters of a deep RL agent with Optuna: the TPE sampler
proposes each trial's values from the algorithm's search space (rl-zoo's
ranges, see --print-space), the trial is an ordinary 'xlrl train' run in
<dir>/trials/NNNN, its periodic evaluations are reported as it trains and the
median pruner stops it early when it falls behind. The objective is the run's
final evaluation (mean return on fresh episodes); with --trial-seeds K each
trial trains K seeds one after another and its objective is the mean of their
final evaluations (--trial-value min: the worst of them), so that a
configuration wins by working on several seeds, not by one lucky run;
--objective curve scores each run by the mean of its
periodic evaluations over the budget instead (learning early and staying
good, not one lucky snapshot). With --confirm-seeds C a trial whose value is
at least the study's best so far trains on C more seeds before it is told,
and is told the value of all its seeds: no trial becomes the best on its
first few seeds alone.

--trials is the study's total: the same command started again, or on another
machine with the same --study and --storage, joins the study and stops once it
holds N trials (failed and pruned ones count). The default storage is a
journal file in the study directory; --storage postgresql://USER@HOST/DB shares
one study between machines. A trial whose process dies is failed and the
study goes on; trials left running by a killed 'xlrl tune' are failed when it
(or any process of the study) asks for the next trial.

Values fixed by --hp or by --config (an xlrl train config file, e.g. a run's
config.yaml) are not searched. Choices of step-counted parameters
(learning_starts, target_update_interval, train_freq, n_steps) that are not
below a trial's steps are left out: they cannot act within it. --space FILE
overrides ranges (same format as --print-space; a plain value fixes a
parameter).

At the end: a table of the study's trials, <dir>/best.yaml (xlrl train
--config best.yaml trains the best configuration), plots/history.png and
plots/importances.png. See docs/tuning.md.`

// runTune is tune's action: print the space, or run the study and print
// its result.
func runTune(cmd *cobra.Command, s settings, o *tune.TuneOptions, asJSON, printSpace bool) error {
	if printSpace {
		if o.Algo == "" {
			return usageErrorf("--print-space needs --algo (one of %s)", strings.Join(tune.Algorithms(), ", "))
		}
		text := tune.DefaultSpaceText(o.Algo)
		if text == "" {
			return usageErrorf("--algo %q: no search space; known: %s", o.Algo, strings.Join(tune.Algorithms(), ", "))
		}
		fmt.Fprint(cmd.OutOrStdout(), text)
		return nil
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding the xlrl binary for the trials: %w", err)
	}
	o.Exe, o.Root, o.Log = exe, s.runsRoot(), cmd.ErrOrStderr()
	res, err := tune.Tune(cmd.Context(), *o, startTuneWorker)
	var ue *tune.UsageError
	if errors.As(err, &ue) {
		return usageErrorf("%s", ue.Msg)
	}
	if res == nil {
		return err
	}
	out := cmd.OutOrStdout()
	printTuneResult(out, res)
	if asJSON {
		if jerr := printJSON(out, res); jerr != nil {
			return jerr
		}
	}
	if err != nil && cmd.Context().Err() != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "interrupted: running trials stopped and failed; the same command continues the study\n")
		return &exitError{code: 130}
	}
	return err
}

// addTuneFlags declares tune's flags.
func addTuneFlags(f *pflag.FlagSet, o *tune.TuneOptions, asJSON, printSpace *bool) {
	f.StringVar(&o.Env, "env", "", "environment id")
	f.StringVar(&o.Algo, "algo", "", "algorithm: "+strings.Join(tune.Algorithms(), ", "))
	f.StringVar(&o.Config, "config", "", "xlrl train config file every trial starts from (its values stay fixed)")
	f.StringArrayVar(&o.HP, "hp", nil, "fix a hyperparameter for every trial, e.g. --hp double=true (repeatable)")
	f.IntVar(&o.Trials, "trials", 0, "the study's total number of trials")
	f.IntVar(&o.Jobs, "jobs", 1, "trials at once in this process")
	f.StringVar(&o.Study, "study", "", "study name (default <env>-<algo>)")
	f.StringVar(&o.Storage, "storage", "", "postgresql://USER@HOST/DB, or a journal file (default <dir>/study.journal)")
	f.StringVar(&o.Dir, "dir", "", "study directory (default runs/tune/<study>)")
	f.Int64Var(&o.BudgetSteps, "budget-steps", 0, "environment steps per trial (default: the configuration's)")
	f.Uint64Var(&o.Seed, "seed", 1, "training seed of every trial (the sampler's seed is derived from it and the process id)")
	f.StringVar(&o.Objective, "objective", tune.ObjectiveFinal, "a run's value: final (its final evaluation) or curve (the mean of its periodic evaluations over the budget)")
	f.IntVar(&o.TrialSeeds, "trial-seeds", 1, "train each trial on this many seeds (--seed, --seed+1, ...), one after another; its value combines theirs (--trial-value)")
	f.IntVar(&o.ConfirmSeeds, "confirm-seeds", 0, "train a trial that leads the study (its value at least the best so far) on this many more seeds before it is told, and tell it the value of all its seeds, so that no trial wins on fewer (0: none)")
	f.StringVar(&o.TrialValue, "trial-value", tune.TrialValueMean, "how a trial on several seeds combines their values: mean, or min (the worst seed: a configuration must work on every seed)")
	f.StringVar(&o.Backend, "backend", "", "deep RL backend of the trials: go or tf (default: the configuration's, else train's)")
	f.IntVar(&o.EvalEpisodes, "eval-episodes", 0, "episodes of each trial's final evaluation, the objective (default: train's, 100)")
	f.IntVar(&o.Evaluations, "evaluations", 0, "periodic evaluations per trial, each reported to the pruner (sets eval_every to the budget / this; default: the configuration's interval)")
	f.StringVar(&o.SpaceFile, "space", "", "YAML file that overrides the search space (see --print-space)")
	f.StringVar(&o.Pruner, "pruner", "median", "median (stop trials behind the median) or none")
	f.Float64Var(&o.PruneWarmup, "prune-warmup", tune.DefaultPruneWarmup, "the fraction of a trial's budget before which it is never pruned (rl-zoo: a third)")
	f.DurationVar(&o.StaleAfter, "stale-after", 5*time.Minute, "a running trial with no heartbeat for this long is failed")
	f.BoolVar(printSpace, "print-space", false, "print the algorithm's search space and exit")
	f.BoolVar(asJSON, "json", false, "print the result as one JSON object on the last line")
}

// runsRoot is where runs go: runs/ unless the settings say otherwise (tests).
func (s settings) runsRoot() string {
	if s.train.Root != "" {
		return s.train.Root
	}
	return run.DefaultRoot
}

func startTuneWorker(ctx context.Context, logFile string) (tune.Worker, error) {
	c, err := startWorker(ctx, logFile)
	if err != nil {
		return nil, err
	}
	return c, nil
}

func printTuneResult(w io.Writer, r *tune.TuneResult) {
	fmt.Fprintf(w, "study %s (%s): %d of %d trials", r.Study, r.Storage, r.Trials, r.Target)
	for _, s := range []string{tune.StateComplete, tune.StatePruned, tune.StateFail, tune.StateRunning} {
		if n := r.States[s]; n > 0 {
			fmt.Fprintf(w, ", %d %s", n, s)
		}
	}
	fmt.Fprintf(w, "; this process ran %d in %.1f s\n", r.Here.Started, r.WallS)
	_ = tune.WriteTable(w, r.Summary)
	if r.Best != nil {
		fmt.Fprintf(w, "best: trial %d, value %.2f", r.Best.Number, r.Best.Value)
		if r.Best.Config != "" {
			fmt.Fprintf(w, "; train it with: xlrl train --config %s", r.Best.Config)
		}
		fmt.Fprintln(w)
	} else {
		fmt.Fprintln(w, "best: none (no trial completed)")
	}
	for _, name := range []string{"history", "importances"} {
		if p, ok := r.Plots[name]; ok {
			fmt.Fprintf(w, "plot: %s\n", p)
		} else if why, ok := r.PlotsSkipped[name]; ok {
			fmt.Fprintf(w, "no %s plot: %s\n", name, why)
		}
	}
	fmt.Fprintf(w, "study directory: %s\n", filepath.Clean(r.Dir))
}
