package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/envcheck"
	"github.com/xlrl/xlrl/internal/gymenv"
)

func newCheckEnvCmd() *cobra.Command {
	var (
		kwargs   []string
		seed     uint64
		steps    int
		maxSteps int
		asJSON   bool
	)
	cmd := &cobra.Command{
		Use:   "check-env ID",
		Short: "Check that an environment keeps the contract the agents rely on (like SB3's check_env)",
		Long: `check-env checks an environment (a built-in id, or gym:ID / gym:module:Name hosted
by the worker): its spaces, that observations have the right length and lie inside
their space, finite rewards, the reset/step contract and the time limit, that one seed
gives one trajectory, and that actions outside the space are refused. It exits
non-zero when a check fails; warnings do not fail it.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			defer gymenv.Shutdown()
			opts, err := env.ParseKwargs(kwargs)
			if err != nil {
				return usageErrorf("%v", err)
			}
			if cmd.Flags().Changed("max-episode-steps") {
				opts = append(opts, env.WithMaxEpisodeSteps(maxSteps))
			}
			id := args[0]
			rep, err := envcheck.Run(func() (env.Env, error) { return env.Make(id, opts...) }, envcheck.Options{Seed: seed, Steps: steps})
			if err != nil {
				return err
			}
			if err := printEnvCheck(cmd.OutOrStdout(), rep, asJSON); err != nil {
				return err
			}
			if !rep.OK {
				return fmt.Errorf("%s fails %d checks", rep.ID, rep.Problems)
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&kwargs, "env-kwargs", nil, "constructor argument of a gym: environment, KEY=VALUE (repeatable)")
	cmd.Flags().Uint64Var(&seed, "seed", 0, "seed of the environment and of the random actions")
	cmd.Flags().IntVar(&steps, "steps", 2000, "random-action steps per trajectory")
	cmd.Flags().IntVar(&maxSteps, "max-episode-steps", 0, "replace the time limit (0: none)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as one JSON object")
	return cmd
}

// printEnvCheck prints check-env's report: one JSON object, or a line per check.
func printEnvCheck(out io.Writer, rep *envcheck.Report, asJSON bool) error {
	if asJSON {
		return printJSON(out, rep)
	}
	fmt.Fprintf(out, "%s: observation %s (%s), action %s, time limit %d\n", rep.ID, rep.Observation, rep.ObsDType, rep.Action, rep.MaxSteps)
	for _, c := range rep.Checks {
		mark := "ok  "
		switch {
		case !c.OK:
			mark = "FAIL"
		case c.Warning:
			mark = "warn"
		}
		fmt.Fprintf(out, "  %s %s", mark, c.Name)
		if c.Detail != "" {
			fmt.Fprintf(out, ": %s", c.Detail)
		}
		fmt.Fprintln(out)
	}
	verdict := "passes"
	if !rep.OK {
		verdict = "FAILS"
	}
	fmt.Fprintf(out, "%s %s: %d problems, %d warnings (%d random steps, %d episodes)\n", rep.ID, verdict, rep.Problems, rep.Warnings, rep.Steps, rep.Episodes)
	return nil
}
