package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/xlrl/xlrl/internal/agent/tabular"
	"github.com/xlrl/xlrl/internal/run"
)

// evaluator restores a trained agent from a run's checkpoint and fills res
// with the greedy evaluation over episodes episodes (0: the run's own
// number) seeded by seed (nil: the episodes xlrl train evaluated on at the
// end of the run). o holds the run's configuration, from its config.yaml.
type evaluator func(ctx context.Context, o *trainOptions, ckpt *run.Checkpoint, episodes int, seed *uint64, res *trainResult) error

// evaluators maps algorithm names to their family's evaluator, as trainers
// does for training.
var evaluators = map[string]evaluator{}

func registerEvaluator(fn evaluator, algos ...string) {
	for _, a := range algos {
		if _, dup := evaluators[a]; dup {
			panic("eval: algorithm registered twice: " + a)
		}
		evaluators[a] = fn
	}
}

func init() { registerEvaluator(evalTabular, tabular.Algorithms...) }

func evalTabular(ctx context.Context, o *trainOptions, ckpt *run.Checkpoint, episodes int, seed *uint64, res *trainResult) error {
	if ckpt.Kind != tabular.CheckpointKind {
		return fmt.Errorf("%w: a %s run's checkpoint holds a %q, want %q", run.ErrBadCheckpoint, o.algo, ckpt.Kind, tabular.CheckpointKind)
	}
	_, agent, h, err := buildTabular(o)
	if err != nil {
		return err
	}
	if err := agent.Load(ckpt); err != nil {
		return err
	}
	if episodes == 0 {
		episodes = h.EvalEpisodes
	}
	s := evalSeed(o.seed)
	if seed != nil {
		s = *seed
	}
	return evaluateTabular(ctx, o, agent, episodes, s, res)
}

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
			dir, err := run.Open(args[0])
			if err != nil {
				return err
			}
			if episodes < 0 {
				return usageErrorf("--episodes %d: want a positive number", episodes)
			}
			trainCmd, o := newTrainCommand()
			fs := trainCmd.Flags()
			if err := run.LoadFlagConfig(fs, dir.Config(), notConfigKeys...); err != nil {
				return err
			}
			o.changed = fs.Changed
			ev, ok := evaluators[o.algo]
			if !ok {
				return fmt.Errorf("%s: xlrl eval cannot evaluate algorithm %q yet (it evaluates %s)",
					dir.Config(), o.algo, strings.Join(evaluatorNames(), ", "))
			}
			ckpt, err := run.ReadCheckpoint(dir.Checkpoint(), "")
			if err != nil {
				return err
			}
			var counters runCounters
			if err := ckpt.GetJSON("run", &counters); err != nil {
				return err
			}
			var seedp *uint64
			if cmd.Flags().Changed("seed") {
				seedp = &seed
			}
			res := &trainResult{Env: o.envID, Algo: o.algo, Seed: o.seed,
				TrainEpisodes: counters.Episodes, TrainSteps: counters.Steps, RunDir: dir.Path}
			if err := ev(cmd.Context(), o, ckpt, episodes, seedp, res); err != nil {
				return fmt.Errorf("evaluating %s: %w", dir.Path, err)
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

func printEvalResult(w io.Writer, r *trainResult) {
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

func evaluatorNames() []string {
	names := make([]string, 0, len(evaluators))
	for a := range evaluators {
		names = append(names, a)
	}
	sort.Strings(names)
	return names
}
