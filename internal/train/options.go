// Package train is what `xlrl train`, `xlrl eval` and `xlrl demo` do, as
// functions: the run directory (config.yaml, metrics.jsonl, checkpoints,
// result.json, plots), resume, the training loop of every algorithm family,
// the greedy evaluation and the comparison with the exact optimum. The CLI
// (package cli) parses flags and prints; the root package xlrl calls it for
// library users.
//
// A run's configuration is its flags: every flag of Flags is a key of
// config.yaml, so that a run written by the library, by the CLI or by hand
// is read back the same way (--config, --resume, xlrl eval).
package train

import (
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/xlrl/xlrl/internal/agent/zoo"
	"github.com/xlrl/xlrl/internal/flagcheck"

	"github.com/xlrl/xlrl/internal/policy"
	"github.com/xlrl/xlrl/internal/run"
)

// Options are the values of the train flags, shared by every algorithm
// family. A zero or empty tuning value means "the tuned default for this
// environment and algorithm"; Flags.Changed tells which ones were given.
type Options struct {
	Env          string
	Algo         string
	Map          string
	Slippery     bool
	EnvKwargs    []string // KEY=VALUE constructor arguments of gym: environments
	Episodes     int64
	Steps        int64
	Seed         uint64
	EvalEpisodes int
	LR, LREnd    float64
	Gamma        float64
	Explore      policy.Config
	HP           []string // name=value overrides of the tuned table's entry (--hp)
	Deep         DeepOptions
	Run          RunOptions
}

// DeepOptions are the options only the deep RL algorithms read.
type DeepOptions struct {
	Backend     string
	Layers      string
	Arch        string
	NoEarlyStop bool
}

// RunOptions say where the run lives rather than what it learns; they are
// not config keys.
type RunOptions struct {
	Name, Out, Root string
	Config          string
	Resume          string
	CheckpointEvery time.Duration
	Plot            bool
}

// Defaults are the defaults of the flags that differ between a user's
// command line and tests: where runs go and whether plots are drawn.
type Defaults struct {
	Root string // run.DefaultRoot when empty
	Plot bool
}

// Flags is the flag set of `xlrl train` bound to its Options. The CLI adds
// Set to its command; the library and demo set values with Set.Set, which
// counts as given, like a typed flag.
type Flags struct {
	Set *pflag.FlagSet
	Options
}

// notConfigKeys are the train flags that config.yaml does not hold.
var notConfigKeys = []string{"name", "out", "config", "resume", "json", "help"}

// alwaysInConfig are written to config.yaml as keys even at their default.
var alwaysInConfig = []string{"env", "algo", "seed"}

// resumeMayChange are the flags a resumed run accepts: the budget and how the
// run is written, never what it learns.
var resumeMayChange = []string{"resume", "episodes", "steps", "eval-episodes", "checkpoint-every", "plot", "json"}

// flagRules are the values the numeric train flags accept when given (the
// defaults, 0 for "tuned", are not checked); flagcheck.Check applies them,
// to typed flags and to those read from --config alike.
var flagRules = map[string]string{
	"episodes": "[1,inf)", "steps": "[1,inf)", "eval-episodes": "[1,inf)", "decay-steps": "[1,inf)",
	"decay":         "(0,1)", // --lr, --lr-end and --gamma: finite here, their range in validate, which names it
	"explore-start": "[0,inf)", "explore-end": "[0,inf)", "ucb-c": "[0,inf)",
}

// SlipperyUsage is the help of --slippery in every command: it applies only
// when given, so each environment keeps its own default.
const SlipperyUsage = "slippery ice, Gymnasium's is_slippery (default: the environment's own: true for FrozenLake, false for CliffWalking)"

// NewFlags returns the train flags at their defaults.
func NewFlags(d Defaults) *Flags {
	fl := &Flags{Set: pflag.NewFlagSet("train", pflag.ContinueOnError)}
	o, f := &fl.Options, fl.Set
	f.StringVar(&o.Env, "env", "FrozenLake-v1", "environment id (xlrl envs lists them)")
	f.StringVar(&o.Algo, "algo", "", "algorithm: "+strings.Join(Algorithms(), ", ")+
		" (default: the environment's own, q-learning on the grids, dqn on CartPole, MountainCar and Acrobot)")
	f.StringVar(&o.Map, "map", "", "FrozenLake map: 4x4, 8x8 or rows such as SFFF,FHFH,FFFH,HFFG")
	f.BoolVar(&o.Slippery, "slippery", false, SlipperyUsage)
	f.StringArrayVar(&o.EnvKwargs, "env-kwargs", nil, "constructor argument of a gym: environment (worker-hosted Gymnasium), KEY=VALUE (repeatable)")
	f.Int64Var(&o.Episodes, "episodes", 0, "training episodes (default: tuned per environment)")
	f.Int64Var(&o.Steps, "steps", 0, "training environment steps; with --episodes, training stops at whichever comes first")
	f.Uint64Var(&o.Seed, "seed", 1, "random seed (agent, training and evaluation environments)")
	f.IntVar(&o.EvalEpisodes, "eval-episodes", 0, "greedy evaluation episodes (default: tuned per environment)")
	f.Float64Var(&o.LR, "lr", 0, "learning rate in (0, 1] (default: tuned)")
	f.Float64Var(&o.LREnd, "lr-end", 0, "final learning rate of a linear decay over the training episodes (default: tuned)")
	f.Float64Var(&o.Gamma, "gamma", 0, "discount in (0, 1] (default: tuned)")
	f.StringVar(&o.Explore.Kind, "explore", "", "exploration: "+strings.Join(policy.Kinds, ", ")+" (default: tuned)")
	f.StringVar(&o.Explore.Schedule, "schedule", "", "schedule of epsilon or the temperature: "+strings.Join(policy.ScheduleKinds, ", "))
	f.Float64Var(&o.Explore.Start, "explore-start", 0, "epsilon or temperature at the start")
	f.Float64Var(&o.Explore.End, "explore-end", 0, "epsilon or temperature at the end of the schedule")
	f.Int64Var(&o.Explore.DecaySteps, "decay-steps", 0, "linear schedule: positions (episodes for tabular agents) from start to end")
	f.Float64Var(&o.Explore.Decay, "decay", 0, "exponential schedule: factor per position, in (0, 1)")
	f.Float64Var(&o.Explore.C, "ucb-c", 0, "UCB exploration weight")
	f.StringVar(&o.Deep.Backend, "backend", "tf", "deep RL: where gradient steps run: tf (the Python worker) or go (pure Go, no Python)")
	f.StringVar(&o.Deep.Layers, "layers", "", "deep RL: hidden layer sizes, e.g. 64,64 (default: tuned)")
	f.StringVar(&o.Deep.Arch, "arch", "", "deep RL: a named network instead of --layers: "+zoo.ArchitectureNames())
	f.BoolVar(&o.Deep.NoEarlyStop, "no-early-stop", false, "deep RL: use the whole step budget even after a perfect periodic evaluation")
	f.StringArrayVar(&o.HP, "hp", nil, "set a hyperparameter of the tuned table's entry by name, e.g. --hp double=false --hp train_freq=4, --hp lr_end=0.01 (repeatable; an unknown name lists the valid ones)")
	rf := &o.Run
	f.StringVar(&rf.Name, "name", "", "run name: the run is written to runs/<name> (default: a timestamp)")
	f.StringVar(&rf.Out, "out", "", "run directory, any path (instead of runs/<name>)")
	f.StringVar(&rf.Config, "config", "", "YAML file of flag values (keys are flag names, e.g. a run's config.yaml); flags given too override it")
	f.StringVar(&rf.Resume, "resume", "", "continue the run in this directory from its checkpoint, with its config.yaml")
	f.DurationVar(&rf.CheckpointEvery, "checkpoint-every", 30*time.Second, "time between checkpoints (also written at the end and on Ctrl-C)")
	f.BoolVar(&rf.Plot, "plot", d.Plot, "draw plots/training.png and TensorBoard files at the end (needs the Python worker)")
	for name, rule := range flagRules {
		flagcheck.Declare(f, name, rule)
	}
	rf.Root = d.Root
	if rf.Root == "" {
		rf.Root = run.DefaultRoot
	}
	return fl
}

// Changed reports whether the flag name was given (typed, set with Set.Set,
// or read from --config or a resumed run's config.yaml).
func (fl *Flags) Changed(name string) bool { return fl.Set.Changed(name) }
