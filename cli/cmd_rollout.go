package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/train"
)

// rolloutFlags are xlrl rollout's flags.
type rolloutFlags struct {
	id, stateText, actionsText, mapText string
	seed                                uint64
	slippery                            bool
	maxSteps                            int
	kwargs                              []string
	asJSON                              bool
}

func newRolloutCmd() *cobra.Command {
	var o rolloutFlags
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
			return runRollout(cmd, &o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.id, "env", "", "environment id (see 'xlrl envs')")
	f.Uint64Var(&o.seed, "seed", 0, "seed for the reset")
	f.StringVar(&o.stateText, "state", "", "comma-separated state to start from instead of the reset state")
	f.StringVar(&o.actionsText, "actions", "", "comma-separated actions")
	f.StringVar(&o.mapText, "map", "", "FrozenLake map: 4x4, 8x8, or rows like SFFF,FHFH,FFFH,HFFG")
	f.BoolVar(&o.slippery, "slippery", false, train.SlipperyUsage)
	f.IntVar(&o.maxSteps, "max-episode-steps", 0, "replace the time limit (0: none)")
	f.StringArrayVar(&o.kwargs, "env-kwargs", nil, "constructor argument of a gym: environment, KEY=VALUE (repeatable)")
	f.BoolVar(&o.asJSON, "json", false, "print one JSON object per step")
	return cmd
}

// runRollout makes the environment, checks every action, resets (or sets
// the state) and replays the actions.
func runRollout(cmd *cobra.Command, o *rolloutFlags) error {
	e, err := rolloutEnv(cmd, o)
	if err != nil {
		return err
	}
	actions, err := parseActions(e.Spec(), o.actionsText)
	if err != nil {
		return err
	}
	e.Seed(o.seed)
	obs := e.Reset()
	if o.stateText != "" {
		state, err := parseFloats(o.stateText)
		if err != nil {
			return usageErrorf("--state: %v", err)
		}
		if err := env.SetState(e, state); err != nil {
			return usageErrorf("--state: %v", err)
		}
		obs = nil
	}
	out := cmd.OutOrStdout()
	if !o.asJSON && obs != nil {
		fmt.Fprintf(out, "reset    obs %v\n", obs)
	}
	for i, a := range actions {
		obs, r, term, trunc := e.Step(a)
		if o.asJSON {
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
}

// rolloutEnv makes --env with the options given.
func rolloutEnv(cmd *cobra.Command, o *rolloutFlags) (env.Env, error) {
	if o.id == "" {
		return nil, usageErrorf("--env is required (see 'xlrl envs' for the ids)")
	}
	var opts []env.Option
	if o.mapText != "" {
		opts = append(opts, env.WithMap(o.mapText))
	}
	if cmd.Flags().Changed("slippery") {
		opts = append(opts, env.WithSlippery(o.slippery))
	}
	if cmd.Flags().Changed("max-episode-steps") {
		opts = append(opts, env.WithMaxEpisodeSteps(o.maxSteps))
	}
	kw, err := env.ParseKwargs(o.kwargs)
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	return env.Make(o.id, append(opts, kw...)...)
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
