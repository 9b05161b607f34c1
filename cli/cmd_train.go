package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/xlrl/xlrl/internal/policy"
	"github.com/xlrl/xlrl/internal/train"
	"github.com/xlrl/xlrl/internal/worker"
)

func newTrainCmd(s settings) *cobra.Command {
	fl := train.NewFlags(s.train)
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "train --env ID --algo NAME",
		Short: "Train an agent, evaluate its greedy policy on fresh episodes, compare with the exact optimum",
		Long: `Train an agent on an environment, then evaluate the greedy policy on fresh
episodes (--eval-episodes) and, for the grid environments, print the result
beside the exact optimum (the value 'xlrl solve' computes) as a percentage.

Without tuning flags each environment uses its tuned defaults (see
docs/tabular.md); a flag overrides one value and keeps the rest.

Algorithms: ` + strings.Join(train.Algorithms(), ", ") + `.
Exploration: ` + strings.Join(policy.Kinds, ", ") + `, with a constant, linear or
exponential schedule for epsilon or the temperature.

Every run writes a run directory, runs/<name> (--name, --out; a timestamp by
default): config.yaml (every flag below is a key; --config reads such a file
back, flags given beside it win), metrics.jsonl (one record per episode and
per update), checkpoint.ckpt, result.json, plots/training.png and TensorBoard
files in tb/. Ctrl-C saves a checkpoint; --resume runs/<name> continues the
run exactly (the tabular agents, and DQN, PPO, SAC and TD3 on either backend;
REINFORCE and A2C runs can be evaluated but not resumed). See docs/runs.md.`,
		Example: `  xlrl train --env FrozenLake-v1 --algo q-learning --seed 1
  xlrl train --env CliffWalking-v0 --algo sarsa --explore epsilon-greedy --schedule constant --explore-start 0.1
  xlrl train --env Taxi-v3 --algo double-q-learning --episodes 20000 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTrain(cmd.Context(), cmd, fl, s, asJSON)
		},
	}
	cmd.Flags().AddFlagSet(fl.Set)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as one JSON object on the last line")
	return cmd
}

// runTrain trains as fl says and prints the result (the JSON line last).
func runTrain(ctx context.Context, cmd *cobra.Command, fl *train.Flags, s settings, asJSON bool) error {
	res, err := train.Train(ctx, fl, s.hooks(cmd))
	if errors.Is(err, train.ErrInterrupted) {
		return &exitError{code: 130}
	}
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	printTrainResult(out, res)
	printRunFiles(out, res)
	if asJSON {
		return printJSON(out, res)
	}
	return nil
}

// hooks are the train hooks of a command: progress on its stderr, the
// worker from the global flags, and the settings' test hooks.
func (s settings) hooks(cmd *cobra.Command) train.Hooks {
	h := s.trainHooks
	h.Progress = cmd.ErrOrStderr()
	h.Command = invokedAs()
	h.StartWorker = func(ctx context.Context, logFile string) (*worker.Client, error) {
		return startWorker(ctx, logFile)
	}
	return h
}

func printTrainResult(w io.Writer, r *train.Result) {
	fmt.Fprintf(w, "%s %s (seed %d): %d episodes, %d steps, %.2f s\n",
		r.Env, r.Algo, r.Seed, r.TrainEpisodes, r.TrainSteps, r.WallSeconds)
	fmt.Fprintf(w, "greedy evaluation, %d episodes: mean return %.4f (std %.4f), success %.2f%%\n",
		r.EvalEpisodes, r.MeanReturn, r.StdReturn, 100*r.SuccessRate)
	if line := optimumLine(r); line != "" {
		fmt.Fprintln(w, line)
	}
	if r.Deep != nil {
		printDeepResult(w, r.Deep)
	}
}

func printDeepResult(w io.Writer, d *train.DeepResult) {
	if d.Solved != nil {
		verdict := "not solved"
		if *d.Solved {
			verdict = "solved"
		}
		fmt.Fprintf(w, "%s (mean return against the environment's threshold)\n", verdict)
	}
	t := d.Time
	fmt.Fprintf(w, "time (%s backend, %d gradient steps): env %.2fs, Go forward %.2fs, worker forward %.2fs, gradient steps %.2fs, link %.2fs, periodic eval %.2fs, network setup %.2fs, other %.2fs; training %.2fs",
		d.Backend, d.GradientSteps, t.Env, t.Forward, t.TFForward, t.Train, t.Link, t.Eval, t.Setup, t.Other, t.Total)
	if d.WorkerStartS > 0 {
		fmt.Fprintf(w, ", worker start %.2fs", d.WorkerStartS)
	}
	fmt.Fprintln(w)
}

// printRunFiles says where the run's files are.
func printRunFiles(w io.Writer, res *train.Result) {
	if res.RunDir == "" {
		return
	}
	fmt.Fprintf(w, "run directory: %s (config.yaml, metrics.jsonl, checkpoint.ckpt)\n", res.RunDir)
	if res.Plot != "" {
		fmt.Fprintf(w, "plot: %s   TensorBoard: %s tensorboard %s\n", res.Plot, invokedAs(), filepath.Dir(res.RunDir))
	}
}
