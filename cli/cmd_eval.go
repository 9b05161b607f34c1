package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/xlrl/xlrl/internal/train"
)

func newEvalCmd() *cobra.Command {
	var (
		episodes int
		seed     uint64
		asJSON   bool
	)
	cmd := &cobra.Command{
		Use:   "eval RUN",
		Short: "Evaluate a trained run's greedy policy from its checkpoint",
		Long: `Load the checkpoint of a run directory (runs/<name>) and run its greedy
policy on fresh episodes: the mean and standard deviation of the return, the
success rate and, for environments with an exact optimum, the percentage of
it reached.

Without --seed the episodes are the ones xlrl train evaluated on at the end
of the run, so the figures match its report; --seed draws other episodes.`,
		Example: `  xlrl eval runs/frozenlake
  xlrl eval runs/frozenlake --episodes 10000 --seed 7 --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var seedp *uint64
			if cmd.Flags().Changed("seed") {
				seedp = &seed
			}
			res, err := train.Evaluate(cmd.Context(), args[0], episodes, seedp)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			printEvalResult(out, res)
			if asJSON {
				return printJSON(out, res)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&episodes, "episodes", 0, "evaluation episodes (default: the run's --eval-episodes)")
	f.Uint64Var(&seed, "seed", 0, "seed of the evaluation episodes (default: those xlrl train evaluated on)")
	f.BoolVar(&asJSON, "json", false, "print the result as one JSON object on the last line")
	return cmd
}

func printEvalResult(w io.Writer, r *train.Result) {
	fmt.Fprintf(w, "%s: %s %s (seed %d), trained %d episodes, %d steps\n",
		r.RunDir, r.Env, r.Algo, r.Seed, r.TrainEpisodes, r.TrainSteps)
	fmt.Fprintf(w, "greedy evaluation, %d episodes: mean return %.4f (std %.4f), success %.2f%%\n",
		r.EvalEpisodes, r.MeanReturn, r.StdReturn, 100*r.SuccessRate)
	if r.Optimum != nil {
		line := fmt.Sprintf("exact optimum %.4f", *r.Optimum)
		if r.OptimumPercent != nil {
			line += fmt.Sprintf(": %.1f%% of optimal", *r.OptimumPercent)
		}
		fmt.Fprintln(w, line)
	}
}
