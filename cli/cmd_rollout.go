package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/train"
)

func newRolloutCmd() *cobra.Command {
	var (
		id, stateText, actionsText, mapText string
		seed                                uint64
		slippery                            bool
		maxSteps                            int
		kwargs                              []string
		asJSON                              bool
	)
	cmd := &cobra.Command{
		Use:   "rollout --env ID --actions a1,a2,... [--seed N] [--state v1,v2,...]",
		Short: "Replay a fixed action sequence in an environment and print every step",
		Long: `rollout resets the environment with --seed, optionally sets its state, then
applies the actions in order and prints each step's observation, reward and
flags. It does not reset when an episode ends: steps after the end behave as
Gymnasium's do without a reset.

Actions are comma-separated: integers for discrete action spaces, numbers for
Pendulum's torque. The state vector each environment takes is listed by
'xlrl envs --json' (field "state").`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if id == "" {
				return usageErrorf("--env is required (see 'xlrl envs' for the ids)")
			}
			var opts []env.Option
			if mapText != "" {
				opts = append(opts, env.WithMap(mapText))
			}
			if cmd.Flags().Changed("slippery") {
				opts = append(opts, env.WithSlippery(slippery))
			}
			if cmd.Flags().Changed("max-episode-steps") {
				opts = append(opts, env.WithMaxEpisodeSteps(maxSteps))
			}
			kw, err := env.ParseKwargs(kwargs)
			if err != nil {
				return usageErrorf("%v", err)
			}
			e, err := env.Make(id, append(opts, kw...)...)
			if err != nil {
				return err
			}
			actions, err := parseActions(e.Spec(), actionsText)
			if err != nil {
				return err
			}
			e.Seed(seed)
			obs := e.Reset()
			if stateText != "" {
				state, err := parseFloats(stateText)
				if err != nil {
					return usageErrorf("--state: %v", err)
				}
				if err := env.SetState(e, state); err != nil {
					return usageErrorf("--state: %v", err)
				}
				obs = nil
			}
			out := cmd.OutOrStdout()
			if !asJSON {
				if obs != nil {
					fmt.Fprintf(out, "reset    obs %v\n", obs)
				}
			}
			for i, a := range actions {
				obs, r, term, trunc := e.Step(a)
				if asJSON {
					if err := printJSON(out, map[string]any{
						"step": i + 1, "obs": obs, "reward": r, "terminated": term, "truncated": trunc,
					}); err != nil {
						return err
					}
					continue
				}
				fmt.Fprintf(out, "step %-4d obs %v reward %v terminated %v truncated %v\n", i+1, obs, r, term, trunc)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&id, "env", "", "environment id (see 'xlrl envs')")
	f.Uint64Var(&seed, "seed", 0, "seed for the reset")
	f.StringVar(&stateText, "state", "", "comma-separated state to start from instead of the reset state")
	f.StringVar(&actionsText, "actions", "", "comma-separated actions")
	f.StringVar(&mapText, "map", "", "FrozenLake map: 4x4, 8x8, or rows like SFFF,FHFH,FFFH,HFFG")
	f.BoolVar(&slippery, "slippery", false, train.SlipperyUsage)
	f.IntVar(&maxSteps, "max-episode-steps", 0, "replace the time limit (0: none)")
	f.StringArrayVar(&kwargs, "env-kwargs", nil, "constructor argument of a gym: environment, KEY=VALUE (repeatable)")
	f.BoolVar(&asJSON, "json", false, "print one JSON object per step")
	return cmd
}

func parseFloats(text string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(text, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", strings.TrimSpace(f))
		}
		out = append(out, v)
	}
	return out, nil
}

// parseActions reads and validates every action before any is applied.
func parseActions(spec *env.Spec, text string) ([]env.Action, error) {
	if strings.TrimSpace(text) == "" {
		return nil, usageErrorf("--actions is required: comma-separated actions, e.g. --actions 0,1,1")
	}
	var out []env.Action
	for i, f := range strings.Split(text, ",") {
		f = strings.TrimSpace(f)
		var a env.Action
		if spec.Action.Kind == env.Discrete {
			d, err := strconv.Atoi(f)
			if err != nil {
				return nil, usageErrorf("--actions: action %d is %q, want an integer in 0..%d", i+1, f, spec.Action.N-1)
			}
			a = env.DiscreteAction(d)
		} else {
			v, err := strconv.ParseFloat(f, 64)
			if err != nil {
				return nil, usageErrorf("--actions: action %d is %q, want a number", i+1, f)
			}
			a = env.Action{Continuous: []float64{v}}
		}
		if err := env.ValidateAction(spec, a); err != nil {
			return nil, usageErrorf("--actions: action %d: %v", i+1, err)
		}
		out = append(out, a)
	}
	return out, nil
}
