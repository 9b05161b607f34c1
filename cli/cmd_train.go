package cli

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/xlrl/xlrl/internal/agent/tabular"
	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/mdp"
	"github.com/xlrl/xlrl/internal/policy"
)

// trainOptions are the flags of `xlrl train`, shared by every algorithm
// family. A zero or empty tuning value means "the tuned default for this
// environment and algorithm"; changed() tells which flags the user gave.
type trainOptions struct {
	envID        string
	algo         string
	mapName      string
	slippery     bool
	episodes     int64
	steps        int64
	seed         uint64
	evalEpisodes int
	lr, lrEnd    float64
	gamma        float64
	explore      policy.Config
	asJSON       bool
	deep         deepFlags // dqn, reinforce, a2c (train_deep.go)

	changed func(flag string) bool

	runFlags runFlags
	run      *trainRun // where the trainer writes metrics and checkpoints; nil: nowhere
}

// trainResult is what every family reports; the JSON form is the last line
// of stdout with --json.
type trainResult struct {
	Env            string   `json:"env"`
	Algo           string   `json:"algo"`
	Seed           uint64   `json:"seed"`
	MeanReturn     float64  `json:"mean_return"`
	StdReturn      float64  `json:"std_return"`
	SuccessRate    float64  `json:"success_rate"`
	Optimum        *float64 `json:"optimum,omitempty"`
	OptimumPercent *float64 `json:"optimum_percent,omitempty"`
	// PolicyValue is the exact expected return of the learnt greedy policy,
	// computed from the model (no sampling noise), where there is a model.
	PolicyValue   *float64 `json:"policy_value,omitempty"`
	EvalEpisodes  int      `json:"eval_episodes"`
	TrainEpisodes int64    `json:"train_episodes"`
	TrainSteps    int64    `json:"train_steps"`
	WallSeconds   float64  `json:"wall_seconds"`
	// Hyper records the hyperparameters actually used, defaults included.
	Hyper map[string]any `json:"hyperparameters,omitempty"`
	// Deep is what the deep RL agents add: backend, time breakdown, ...
	Deep *deepResult `json:"deep,omitempty"`
	// RunDir is the run directory; Plot its training plot (when drawn).
	RunDir string `json:"run_dir,omitempty"`
	Plot   string `json:"plot,omitempty"`
}

// trainer trains one algorithm family on o and evaluates the result; it may
// write progress text to w (never the JSON line).
type trainer func(ctx context.Context, w io.Writer, o *trainOptions) (*trainResult, error)

// trainers maps each algorithm name to its family's trainer. Families add
// themselves with registerTrainer (deep-RL backends do so from their own
// file's init), so this file needs no edit for a new family.
var trainers = map[string]trainer{}

func registerTrainer(fn trainer, algos ...string) {
	for _, a := range algos {
		if _, dup := trainers[a]; dup {
			panic("train: algorithm registered twice: " + a)
		}
		trainers[a] = fn
	}
}

func init() { registerTrainer(trainTabular, tabular.Algorithms...) }

func algoNames() []string {
	names := make([]string, 0, len(trainers))
	for a := range trainers {
		names = append(names, a)
	}
	sort.Strings(names)
	return names
}

func newTrainCmd() *cobra.Command {
	cmd, _ := newTrainCommand()
	return cmd
}

// newTrainCommand also returns the options its flags fill, for commands
// (eval) that read a run's config.yaml through the same flags.
func newTrainCommand() (*cobra.Command, *trainOptions) {
	o := &trainOptions{}
	cmd := &cobra.Command{
		Use:   "train --env ID --algo NAME",
		Short: "Train an agent, evaluate its greedy policy on fresh episodes, compare with the exact optimum",
		Long: `Train an agent on an environment, then evaluate the greedy policy on fresh
episodes (--eval-episodes) and, for the grid environments, print the result
beside the exact optimum (the value 'xlrl solve' computes) as a percentage.

Without tuning flags each environment uses its tuned defaults (see
docs/tabular.md); a flag overrides one value and keeps the rest.

Algorithms: ` + strings.Join(algoNames(), ", ") + `.
Exploration: ` + strings.Join(policy.Kinds, ", ") + `, with a constant, linear or
exponential schedule for epsilon or the temperature.

Every run writes a run directory, runs/<name> (--name, --out; a timestamp by
default): config.yaml (every flag below is a key; --config reads such a file
back, flags given beside it win), metrics.jsonl (one record per episode and
per update), checkpoint.ckpt, result.json, plots/training.png and TensorBoard
files in tb/. Ctrl-C saves a checkpoint; --resume runs/<name> continues the
run exactly (tabular agents, DQN on the go backend). See docs/runs.md.`,
		Example: `  xlrl train --env FrozenLake-v1 --algo q-learning --seed 1
  xlrl train --env CliffWalking-v0 --algo sarsa --explore epsilon-greedy --schedule constant --explore-start 0.1
  xlrl train --env Taxi-v3 --algo double-q-learning --episodes 20000 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.changed = func(name string) bool { return cmd.Flags().Changed(name) }
			if err := loadTrainConfig(cmd, &o.runFlags); err != nil {
				return err
			}
			fn, ok := trainers[o.algo]
			if !ok {
				return usageErrorf("--algo %q: unknown algorithm; want one of %s", o.algo, strings.Join(algoNames(), ", "))
			}
			if o.changed("lr") && !(o.lr > 0 && o.lr <= 1) {
				return usageErrorf("--lr %g: the learning rate must lie in (0, 1]", o.lr)
			}
			if o.changed("lr-end") && !(o.lrEnd > 0 && o.lrEnd <= 1) {
				return usageErrorf("--lr-end %g: the learning rate must lie in (0, 1]", o.lrEnd)
			}
			if o.changed("gamma") && !(o.gamma > 0 && o.gamma <= 1) {
				return usageErrorf("--gamma %g: the discount must lie in (0, 1]", o.gamma)
			}
			if o.changed("explore") && !slices.Contains(policy.Kinds, o.explore.Kind) {
				return usageErrorf("--explore %q: unknown exploration; want one of %s", o.explore.Kind, strings.Join(policy.Kinds, ", "))
			}
			if o.changed("eval-episodes") && o.evalEpisodes <= 0 {
				return usageErrorf("--eval-episodes %d: want a positive number", o.evalEpisodes)
			}
			r, err := startTrainRun(cmd, &o.runFlags, o.seed)
			if err != nil {
				return err
			}
			o.run = r
			start := time.Now()
			res, err := fn(cmd.Context(), cmd.ErrOrStderr(), o)
			if res != nil {
				res.WallSeconds = time.Since(start).Seconds()
			}
			if err := r.finish(cmd.Context(), res, err); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			printTrainResult(out, res)
			printRunFiles(out, res)
			if o.asJSON {
				return printJSON(out, res)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.envID, "env", "FrozenLake-v1", "environment id (xlrl envs lists them)")
	f.StringVar(&o.algo, "algo", tabular.QLearning, "algorithm: "+strings.Join(algoNames(), ", "))
	f.StringVar(&o.mapName, "map", "", "FrozenLake map: 4x4, 8x8 or rows such as SFFF,FHFH,FFFH,HFFG")
	f.BoolVar(&o.slippery, "slippery", true, "slippery ice (FrozenLake, CliffWalking); default: the environment's own")
	f.Int64Var(&o.episodes, "episodes", 0, "training episodes (default: tuned per environment)")
	f.Int64Var(&o.steps, "steps", 0, "training environment steps; with --episodes, training stops at whichever comes first")
	f.Uint64Var(&o.seed, "seed", 1, "random seed (agent, training and evaluation environments)")
	f.IntVar(&o.evalEpisodes, "eval-episodes", 0, "greedy evaluation episodes (default: tuned per environment)")
	f.Float64Var(&o.lr, "lr", 0, "learning rate in (0, 1] (default: tuned)")
	f.Float64Var(&o.lrEnd, "lr-end", 0, "final learning rate of a linear decay over the training episodes (default: tuned)")
	f.Float64Var(&o.gamma, "gamma", 0, "discount in (0, 1] (default: tuned)")
	f.StringVar(&o.explore.Kind, "explore", "", "exploration: "+strings.Join(policy.Kinds, ", ")+" (default: tuned)")
	f.StringVar(&o.explore.Schedule, "schedule", "", "schedule of epsilon or the temperature: "+strings.Join(policy.ScheduleKinds, ", "))
	f.Float64Var(&o.explore.Start, "explore-start", 0, "epsilon or temperature at the start")
	f.Float64Var(&o.explore.End, "explore-end", 0, "epsilon or temperature at the end of the schedule")
	f.Int64Var(&o.explore.DecaySteps, "decay-steps", 0, "linear schedule: positions (episodes for tabular agents) from start to end")
	f.Float64Var(&o.explore.Decay, "decay", 0, "exponential schedule: factor per position, in (0, 1)")
	f.Float64Var(&o.explore.C, "ucb-c", 0, "UCB exploration weight")
	f.BoolVar(&o.asJSON, "json", false, "print the result as one JSON object on the last line")
	o.deep.register(f)
	addRunFlags(f, &o.runFlags)
	return cmd, o
}

// envOptions turns --map and --slippery into env options, only when given,
// so that each environment keeps its own defaults.
func (o *trainOptions) envOptions() []env.Option {
	var opts []env.Option
	if o.mapName != "" {
		opts = append(opts, env.WithMap(o.mapName))
	}
	if o.changed("slippery") {
		opts = append(opts, env.WithSlippery(o.slippery))
	}
	return opts
}

// evalSeed keeps evaluation episodes apart from the training ones.
func evalSeed(seed uint64) uint64 { return seed ^ 0x9e3779b97f4a7c15 }

// noLimitEvalSteps cuts greedy evaluation episodes on environments with no
// time limit (CliffWalking), where a poor greedy policy can walk forever.
const noLimitEvalSteps = 1000

// tabularHyper merges the tuned defaults with the flags the user gave.
func (o *trainOptions) tabularHyper() tabular.Hyper {
	h, _ := tabular.Defaults(o.envID, o.algo)
	// A new episode count stretches the tuned decays with it, so that
	// epsilon and the learning rate end where they were tuned to end.
	scale := func(n int64) int64 { return n }
	if o.changed("episodes") {
		tunedEpisodes := h.Episodes
		h.Episodes = o.episodes
		scale = func(n int64) int64 { return max(n*o.episodes/tunedEpisodes, 1) }
	} else if o.changed("steps") {
		h.Episodes = 0 // a step budget alone replaces the tuned episode count
	}
	h.LRDecayEpisodes = scale(h.LRDecayEpisodes)
	h.Explore.DecaySteps = scale(h.Explore.DecaySteps)
	if o.changed("lr") {
		h.LR = o.lr
		if !o.changed("lr-end") {
			h.LREnd = 0 // a given rate is constant unless a decay is asked for too
		}
	}
	if o.changed("lr-end") {
		h.LREnd = o.lrEnd
		if h.LRDecayEpisodes == 0 {
			h.LRDecayEpisodes = max(h.Episodes, 1)
		}
	}
	if o.changed("gamma") {
		h.Gamma = o.gamma
	}
	if o.changed("eval-episodes") {
		h.EvalEpisodes = o.evalEpisodes
	}
	// Exploration: a new kind replaces the tuned block; single values adjust it.
	if o.changed("explore") && o.explore.Kind != h.Explore.Kind {
		h.Explore = policy.Config{Kind: o.explore.Kind, Schedule: "constant", Start: 0.1, C: 1}
		if o.explore.Kind == "boltzmann" {
			h.Explore.Start = 1
		}
	}
	e := &h.Explore
	if o.changed("schedule") {
		e.Schedule = o.explore.Schedule
	}
	if o.changed("explore-start") {
		e.Start = o.explore.Start
	}
	if o.changed("explore-end") {
		e.End = o.explore.End
	}
	if o.changed("decay-steps") {
		e.DecaySteps = o.explore.DecaySteps
	}
	if o.changed("decay") {
		e.Decay = o.explore.Decay
	}
	if o.changed("ucb-c") {
		e.C = o.explore.C
	}
	if e.Schedule == "linear" && e.DecaySteps == 0 {
		e.DecaySteps = max(h.Episodes/2, 1)
	}
	return h
}

func trainTabular(ctx context.Context, w io.Writer, o *trainOptions) (*trainResult, error) {
	trainEnv, agent, h, err := buildTabular(o)
	if err != nil {
		return nil, err
	}
	spec := trainEnv.Spec()
	steps := int64(0)
	if o.changed("steps") {
		steps = o.steps
	}
	fmt.Fprintf(w, "training %s on %s: %d episodes, lr %g, gamma %g, %s\n",
		o.algo, spec.ID, h.Episodes, h.LR, h.Gamma, agent.Explorer())
	trainEnv.Seed(o.seed)
	budget := tabular.Budget{Episodes: h.Episodes, Steps: steps}
	var st tabular.TrainStats
	if o.run != nil {
		st, err = trainTabularInRun(ctx, o.run, agent, trainEnv, budget, o.algo+" "+spec.ID)
	} else {
		st, err = agent.Train(ctx, trainEnv, budget, nil)
	}
	if err != nil {
		return nil, err
	}
	res := &trainResult{
		Env: spec.ID, Algo: o.algo, Seed: o.seed, TrainEpisodes: st.Episodes, TrainSteps: st.Steps,
		Hyper: map[string]any{
			"episodes": h.Episodes, "lr": h.LR, "lr_end": h.LREnd, "gamma": h.Gamma,
			"exploration": agent.Explorer().String(),
		},
	}
	if err := evaluateTabular(ctx, o, agent, h.EvalEpisodes, evalSeed(o.seed), res); err != nil {
		return nil, err
	}
	return res, nil
}

// buildTabular makes the environment and the agent that o describes, with
// the tuned defaults merged in.
func buildTabular(o *trainOptions) (env.Env, *tabular.Agent, tabular.Hyper, error) {
	h := o.tabularHyper()
	e, err := env.Make(o.envID, o.envOptions()...)
	if err != nil {
		return nil, nil, h, err
	}
	spec := e.Spec()
	agent, err := tabular.New(tabular.Config{
		Algorithm: o.algo, LR: h.LR, LREnd: h.LREnd, LRDecayEpisodes: h.LRDecayEpisodes,
		Gamma: h.Gamma, Explore: h.Explore, Seed: o.seed,
	}, spec.Observation, spec.Action)
	if err != nil {
		return nil, nil, h, fmt.Errorf("%s on %s: %w", o.algo, o.envID, err)
	}
	return e, agent, h, nil
}

// evaluateTabular runs the agent's greedy policy for n episodes of a fresh
// environment seeded with seed, and fills res's evaluation figures and, for
// environments with a model, the exact optimum.
func evaluateTabular(ctx context.Context, o *trainOptions, agent *tabular.Agent, n int, seed uint64, res *trainResult) error {
	evalEnv, err := env.Make(o.envID, o.envOptions()...)
	if err != nil {
		return err
	}
	spec := evalEnv.Spec()
	evalEnv.Seed(seed)
	maxSteps := 0
	if spec.MaxEpisodeSteps == 0 {
		maxSteps = noLimitEvalSteps
	}
	ev, err := tabular.Evaluate(ctx, evalEnv, agent.Greedy, n, maxSteps, tabular.Success(spec.ID))
	if err != nil {
		return err
	}
	res.MeanReturn, res.StdReturn, res.SuccessRate, res.EvalEpisodes = ev.MeanReturn, ev.StdReturn, ev.SuccessRate, ev.Episodes
	if m, ok := env.ModelOf(evalEnv); ok {
		sol, err := mdp.Solve(m, spec.MaxEpisodeSteps, 1)
		if err != nil {
			return fmt.Errorf("computing the exact optimum of %s: %w", spec.ID, err)
		}
		opt := mdp.StartValue(m, sol.V)
		res.Optimum = &opt
		if spec.MaxEpisodeSteps > 0 {
			v, err := mdp.EvaluatePolicy(m, agent.Policy(), spec.MaxEpisodeSteps, 1)
			if err != nil {
				return err
			}
			pv := mdp.StartValue(m, v)
			res.PolicyValue = &pv
		}
		if p, ok := percentOfOptimum(ev.MeanReturn, opt); ok {
			res.OptimumPercent = &p
		}
	}
	return nil
}

// percentOfOptimum compares a mean return with the optimum: mean/optimum for
// positive optima (success probabilities, Taxi), optimum/mean for negative
// ones (costs: -13 against -15 is 86.7%). A return of the other sign than the
// optimum has no meaningful ratio (Taxi's -200 against 7.93), so none is given.
func percentOfOptimum(mean, opt float64) (float64, bool) {
	switch {
	case opt > 0 && mean >= 0:
		return 100 * mean / opt, true
	case opt < 0 && mean < 0:
		return 100 * opt / mean, true
	}
	return 0, false
}

func printTrainResult(w io.Writer, r *trainResult) {
	fmt.Fprintf(w, "%s %s (seed %d): %d episodes, %d steps, %.2f s\n",
		r.Env, r.Algo, r.Seed, r.TrainEpisodes, r.TrainSteps, r.WallSeconds)
	fmt.Fprintf(w, "greedy evaluation, %d episodes: mean return %.4f (std %.4f), success %.2f%%\n",
		r.EvalEpisodes, r.MeanReturn, r.StdReturn, 100*r.SuccessRate)
	if r.Optimum != nil {
		line := fmt.Sprintf("exact optimum %.4f", *r.Optimum)
		if r.PolicyValue != nil {
			line = fmt.Sprintf("exact value of the greedy policy %.4f, %s", *r.PolicyValue, line)
		}
		if r.OptimumPercent != nil && !math.IsNaN(*r.OptimumPercent) {
			line += fmt.Sprintf(": %.1f%% of optimal", *r.OptimumPercent)
		}
		fmt.Fprintln(w, line)
	}
	if r.Deep != nil {
		printDeepResult(w, r.Deep)
	}
}
