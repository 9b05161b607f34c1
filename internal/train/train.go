package train

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"

	"github.com/xlrl/xlrl/internal/ckpt"
	"github.com/xlrl/xlrl/internal/flagcheck"

	"github.com/xlrl/xlrl/internal/agent/tabular"
	"github.com/xlrl/xlrl/internal/agent/zoo"
	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/policy"
	"github.com/xlrl/xlrl/internal/run"
)

// Result is what every family reports; the JSON form is result.json and
// the last line of stdout with --json.
type Result struct {
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
	PolicyValue *float64 `json:"policy_value,omitempty"`
	// BestStationary is the value of the best policy with one action per
	// state (mdp.BestStationary): what a greedy tabular policy can reach
	// when the optimum needs a time-dependent policy. Exact unless
	// BestStationaryExact is false (the search hit its node limit).
	BestStationary        *float64 `json:"best_stationary,omitempty"`
	BestStationaryExact   *bool    `json:"best_stationary_exact,omitempty"`
	BestStationaryPercent *float64 `json:"best_stationary_percent,omitempty"`
	EvalEpisodes          int      `json:"eval_episodes"`
	TrainEpisodes         int64    `json:"train_episodes"`
	TrainSteps            int64    `json:"train_steps"`
	WallSeconds           float64  `json:"wall_seconds"`
	// Hyper records the hyperparameters actually used, defaults included.
	Hyper map[string]any `json:"hyperparameters,omitempty"`
	// Deep is what the deep RL agents add: backend, time breakdown, ...
	Deep *DeepResult `json:"deep,omitempty"`
	// RunDir is the run directory; Plot its training plot (when drawn).
	RunDir string `json:"run_dir,omitempty"`
	Plot   string `json:"plot,omitempty"`
	// Partial: xlrl eval of a run interrupted before its end, evaluated from
	// its last training checkpoint (DQN, PPO, SAC and TD3 runs: the best
	// evaluated weights, else the latest).
	Partial bool `json:"partial,omitempty"`
}

// trainer trains one algorithm family as fl describes and evaluates the
// result; r is the run it writes to (nil: nowhere).
type trainer func(ctx context.Context, fl *Flags, r *Run, h Hooks) (*Result, error)

// trainers maps each algorithm name to its family's trainer; evaluators
// to the function that restores and evaluates a saved run.
var (
	trainers   = map[string]trainer{}
	evaluators = map[string]evaluator{}
)

func register(fn trainer, ev evaluator, algos ...string) {
	for _, a := range algos {
		if _, dup := trainers[a]; dup {
			panic("train: algorithm registered twice: " + a)
		}
		trainers[a], evaluators[a] = fn, ev
	}
}

func init() { register(trainTabular, evalTabular, tabular.Algorithms...) }

// Algorithms lists the algorithm names, sorted.
func Algorithms() []string {
	names := make([]string, 0, len(trainers))
	for a := range trainers {
		names = append(names, a)
	}
	sort.Strings(names)
	return names
}

// validate checks the values given, before anything is written.
func (fl *Flags) validate() error {
	o := &fl.Options
	if err := flagcheck.Check(fl.Set); err != nil {
		return err
	}
	hp, err := fl.hpSet()
	if err != nil {
		return err
	}
	if o.Run.Name != "" && o.Run.Out != "" {
		return fmt.Errorf("--name %q and --out %q: give one (--name writes runs/<name>, --out any path)", o.Run.Name, o.Run.Out)
	}
	if _, ok := trainers[o.Algo]; !ok {
		return fmt.Errorf("--algo %q: unknown algorithm; want one of %s", o.Algo, strings.Join(Algorithms(), ", "))
	}
	if len(hp) > 0 {
		// Unknown names and values of the wrong type, before the run starts.
		d, _, err := zoo.Defaults(o.Env, o.Algo)
		if err != nil {
			return err
		}
		if err := d.Set(hp); err != nil {
			return fmt.Errorf("--hp: %w", err)
		}
	}
	if fl.Changed("lr") && !(o.LR > 0 && o.LR <= 1) {
		return fmt.Errorf("--lr %g: the learning rate must lie in (0, 1]", o.LR)
	}
	if fl.Changed("lr-end") && !(o.LREnd > 0 && o.LREnd <= 1) {
		return fmt.Errorf("--lr-end %g: the learning rate must lie in (0, 1]", o.LREnd)
	}
	if fl.Changed("gamma") && !(o.Gamma > 0 && o.Gamma <= 1) {
		return fmt.Errorf("--gamma %g: the discount must lie in (0, 1]", o.Gamma)
	}
	if fl.Changed("explore") && !slices.Contains(policy.Kinds, o.Explore.Kind) {
		return fmt.Errorf("--explore %q: unknown exploration; want one of %s", o.Explore.Kind, strings.Join(policy.Kinds, ", "))
	}
	if _, err := env.ParseKwargs(o.EnvKwargs); err != nil {
		return err
	}
	if fl.Changed("eval-episodes") && o.EvalEpisodes <= 0 {
		return fmt.Errorf("--eval-episodes %d: want a positive number", o.EvalEpisodes)
	}
	return nil
}

// Train is `xlrl train`: it reads --config or the resumed run's
// config.yaml, checks the values, creates the run directory, trains,
// evaluates, writes result.json and the plots. A run stopped by ctx returns
// an error wrapping ErrInterrupted after its checkpoint is saved.
func Train(ctx context.Context, fl *Flags, h Hooks) (*Result, error) {
	h = h.withDefaults()
	if err := fl.loadConfig(); err != nil {
		return nil, err
	}
	if err := fl.pickAlgo(h.Progress); err != nil {
		return nil, err
	}
	if err := fl.validate(); err != nil {
		return nil, err
	}
	r, err := startRun(fl, h)
	if err != nil {
		return nil, err
	}
	res, err := runTrainer(ctx, fl, r, h)
	if res != nil {
		res.WallSeconds = r.wallSeconds() // every part of a resumed run
	}
	if err := r.finish(ctx, res, err); err != nil {
		return nil, err
	}
	return res, nil
}

// runTrainer runs the algorithm's trainer; an environment that fails
// inside Step (an exception in a gym: environment, a worker that died) ends
// the run with that error, and the run keeps its last checkpoint.
func runTrainer(ctx context.Context, fl *Flags, r *Run, h Hooks) (res *Result, err error) {
	defer env.Recover(&err)
	return trainers[fl.Algo](ctx, fl, r, h)
}

// envOptions turns --map and --slippery into env options, only when given,
// so that each environment keeps its own defaults.
func (fl *Flags) envOptions() []env.Option {
	var opts []env.Option
	if fl.Map != "" {
		opts = append(opts, env.WithMap(fl.Map))
	}
	if fl.Changed("slippery") {
		opts = append(opts, env.WithSlippery(fl.Slippery))
	}
	kw, _ := env.ParseKwargs(fl.EnvKwargs) // validate has checked them
	return append(opts, kw...)
}

// evaluator restores a trained agent from a run's checkpoint and fills res
// with the greedy evaluation over episodes episodes (0: the run's own
// number) seeded by seed (nil: the episodes Train evaluated on at the end
// of the run). fl holds the run's configuration, from its config.yaml.
type evaluator func(ctx context.Context, fl *Flags, cp *ckpt.Checkpoint, episodes int, seed *uint64, res *Result) error

// Evaluate is `xlrl eval`: it reads the run directory's config.yaml and
// checkpoint and evaluates the greedy policy on episodes episodes (0: the
// run's --eval-episodes) seeded by seed (nil: those Train evaluated on).
func Evaluate(ctx context.Context, runDir string, episodes int, seed *uint64) (*Result, error) {
	dir, err := run.Open(runDir)
	if err != nil {
		return nil, err
	}
	if episodes < 0 {
		return nil, fmt.Errorf("--episodes %d: want a positive number", episodes)
	}
	fl, err := ReadConfig(dir)
	if err != nil {
		return nil, err
	}
	ev, ok := evaluators[fl.Algo]
	if !ok {
		return nil, fmt.Errorf("%s: xlrl eval cannot evaluate algorithm %q yet (it evaluates %s)",
			dir.Config(), fl.Algo, strings.Join(Algorithms(), ", "))
	}
	cp, err := ckpt.Read(dir.Checkpoint(), "")
	if err != nil {
		return nil, unreadableCheckpoint(dir, err)
	}
	var counters Counters
	if err := cp.GetJSON("run", &counters); err != nil {
		return nil, unreadableCheckpoint(dir, err)
	}
	res := &Result{Env: fl.Env, Algo: fl.Algo, Seed: fl.Seed,
		TrainEpisodes: counters.Episodes, TrainSteps: counters.Steps, RunDir: dir.Path}
	if err := ev(ctx, fl, cp, episodes, seed, res); err != nil {
		return nil, unreadableCheckpoint(dir, err)
	}
	return res, nil
}

// unreadableCheckpoint says what to do about a run whose checkpoint xlrl
// eval cannot use: missing (the run stopped before its first one) or
// unusable (damaged, truncated, inconsistent); other errors only get the
// run's name. Evaluation never writes to the run, so it is as it was.
func unreadableCheckpoint(dir *run.Dir, err error) error {
	again := fmt.Sprintf("xlrl train --config %s --name NEW", dir.Config())
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("evaluating %s: %w: the run stopped before its first checkpoint, so it has no policy; train it again (%s)",
			dir.Path, err, again)
	case errors.Is(err, ckpt.ErrBad):
		from := ""
		if !strings.Contains(err.Error(), dir.Checkpoint()) {
			from = " from " + dir.Checkpoint()
		}
		return fmt.Errorf("evaluating %s%s: %w; xlrl eval changed nothing in the run: to evaluate it, restore %s from a copy or train it again (%s)",
			dir.Path, from, err, run.CheckpointFile, again)
	}
	return fmt.Errorf("evaluating %s: %w", dir.Path, err)
}

// ReadConfig reads a run's config.yaml into fresh train flags.
func ReadConfig(dir *run.Dir) (*Flags, error) {
	fl := NewFlags(Defaults{})
	if err := run.LoadFlagConfig(fl.Set, dir.Config(), notConfigKeys...); err != nil {
		return nil, err
	}
	return fl, nil
}

// hpSet is --hp as names and values.
func (fl *Flags) hpSet() (map[string]string, error) {
	var set map[string]string
	for _, kv := range fl.HP {
		k, v, err := flagcheck.HP(kv)
		if err != nil {
			return nil, err
		}
		if set == nil {
			set = map[string]string{}
		}
		set[k] = v
	}
	return set, nil
}

// tunedEntry is the tuned table's entry for the run's environment and
// algorithm with --hp applied.
func (fl *Flags) tunedEntry() (zoo.Hyper, error) {
	d, _, err := zoo.Defaults(fl.Env, fl.Algo)
	if err != nil {
		return d, err
	}
	hp, err := fl.hpSet()
	if err != nil {
		return d, err
	}
	if err := d.Set(hp); err != nil {
		return d, fmt.Errorf("--hp: %w", err)
	}
	return d, nil
}
