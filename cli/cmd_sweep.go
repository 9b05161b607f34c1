package cli

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/xlrl/xlrl/internal/train"
	"github.com/xlrl/xlrl/internal/tune"
)

// runSweep is sweep's action: train every seed, then print (and plot)
// the summary across seeds.
func runSweep(cmd *cobra.Command, s settings, o *tune.SweepOptions, asJSON, plot bool) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding the xlrl binary for the runs: %w", err)
	}
	o.Exe, o.Root, o.Log = exe, s.runsRoot(), cmd.ErrOrStderr()
	plan, err := tune.PrepareSweep(o)
	var ue *tune.UsageError
	if errors.As(err, &ue) {
		return usageErrorf("%s", ue.Msg)
	}
	if err != nil {
		return err
	}
	res, err := tune.Sweep(cmd.Context(), plan.Config)
	if err != nil {
		return err
	}
	out := sweepResult{SweepResult: res, Dir: plan.Config.Dir}
	if plot && res.N > 0 && !res.Interrupted {
		if p, err := plotSweep(cmd, plan, res); err != nil {
			fmt.Fprintf(cmd.ErrOrStderr(), "no plot (%v); draw it later with: xlrl plot %s/seed-*\n", err, plan.Config.Dir)
		} else {
			out.Plot = p
		}
	}
	w := cmd.OutOrStdout()
	printSweep(w, &out)
	if asJSON {
		if err := printJSON(w, out); err != nil {
			return err
		}
	}
	if res.Interrupted {
		fmt.Fprintln(cmd.ErrOrStderr(), "interrupted: the runs stopped wrote checkpoints (xlrl train --resume DIR continues one)")
		return &exitError{code: 130}
	}
	if res.Failed > 0 {
		return fmt.Errorf("%d of %d seeds failed (their logs: %s/seed-<s>.log)", res.Failed, len(res.Runs), plan.Config.Dir)
	}
	return nil
}

// sweepResult is what `xlrl sweep --json` prints.
type sweepResult struct {
	*tune.SweepResult
	Dir  string `json:"dir"`
	Plot string `json:"plot,omitempty"`
}

func newSweepCmd(s settings) *cobra.Command {
	o := tune.SweepOptions{}
	var asJSON, plot bool
	cmd := &cobra.Command{
		Use:   "sweep --config FILE --seeds 1-10",
		Short: "Train one configuration on many seeds in parallel and summarise across seeds",
		Long: `Train the same configuration (an xlrl train config file such as a tune
study's best.yaml, and/or flags) on every seed of --seeds, --jobs runs at a
time; each is an ordinary run in <dir>/seed-<s>. At the end: one line per seed
(its final evaluation's mean return), the mean +- standard deviation across
seeds, a 95% bootstrap confidence interval of that mean, how many seeds solved
the environment, and <dir>/seeds.png with all seeds as a mean and a band.`,
		Example: `  xlrl sweep --config runs/tune/CartPole-v1-dqn/best.yaml --seeds 101-105 --jobs 2
  xlrl sweep --env CartPole-v1 --algo dqn --backend go --seeds 1-10 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSweep(cmd, s, &o, asJSON, plot)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Config, "config", "", "xlrl train config file (e.g. a study's best.yaml); flags given too win")
	f.StringVar(&o.Env, "env", "", "environment id")
	f.StringVar(&o.Algo, "algo", "", "algorithm")
	f.StringArrayVar(&o.HP, "hp", nil, "deep RL: set a hyperparameter, e.g. --hp double=false (repeatable)")
	f.Int64Var(&o.Steps, "steps", 0, "training environment steps (default: the configuration's)")
	f.StringVar(&o.Backend, "backend", "", "deep RL backend: go or tf (default: the configuration's)")
	f.IntVar(&o.EvalEpisodes, "eval-episodes", 0, "final evaluation episodes per seed (default: train's)")
	f.StringVar(&o.Seeds, "seeds", "1-5", "seeds: a range 1-10, a list 1,3,5, or both 1-3,7")
	f.IntVar(&o.Jobs, "jobs", 1, "runs at once")
	f.StringVar(&o.Dir, "dir", "", "sweep directory (default runs/sweeps/<name>)")
	f.StringVar(&o.Name, "name", "", "sweep name (default a timestamp)")
	f.BoolVar(&plot, "plot", s.train.Plot, "draw <dir>/seeds.png (needs the Python worker)")
	f.BoolVar(&asJSON, "json", false, "print the result as one JSON object on the last line")
	return cmd
}

func plotSweep(cmd *cobra.Command, plan *tune.SweepPlan, res *tune.SweepResult) (string, error) {
	var dirs []string
	for _, r := range res.Runs {
		if r.Err == "" {
			dirs = append(dirs, r.RunDir)
		}
	}
	c, err := startWorker(cmd.Context(), filepath.Join(plan.Config.Dir, "worker.log"))
	if err != nil {
		return "", err
	}
	defer c.Close()
	threshold := math.NaN()
	if plan.Config.Threshold != nil {
		threshold = *plan.Config.Threshold
	}
	title := fmt.Sprintf("%s: %d seeds", plan.Env, len(dirs))
	p, err := train.DrawPlot(cmd.Context(), c, dirs, filepath.Join(plan.Config.Dir, "seeds.png"), title, threshold, 100)
	if err != nil {
		return "", err
	}
	return p.Path, nil
}

func printSweep(w io.Writer, r *sweepResult) {
	_ = tune.WriteSweepTable(w, r.SweepResult)
	if r.Plot != "" {
		fmt.Fprintf(w, "plot: %s\n", r.Plot)
	}
	fmt.Fprintf(w, "sweep directory: %s\n", r.Dir)
}
