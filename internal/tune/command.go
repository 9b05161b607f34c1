package tune

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/xlrl/xlrl/internal/agent/zoo"
	"github.com/xlrl/xlrl/internal/env"
)

// Worker is a started Python worker (worker.Client).
type Worker interface {
	Caller
	Close() error
}

// StartWorker starts a worker whose log goes to logFile.
type StartWorker func(ctx context.Context, logFile string) (Worker, error)

// UsageError is a mistake on the command line; the message says the fix.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usagef(format string, args ...any) error { return &UsageError{Msg: fmt.Sprintf(format, args...)} }

// TuneOptions are the flags of `xlrl tune`.
type TuneOptions struct {
	Exe          string // the xlrl binary for the trials
	Env, Algo    string
	Config       string   // an `xlrl train` config file every trial starts from
	HP           []string // fixed --hp settings
	Trials       int
	Jobs         int
	Study        string // default <env>-<algo>
	Storage      string // default Dir/study.journal
	Dir          string // default Root/tune/<study>
	Root         string // the runs root (runs)
	BudgetSteps  int64  // each trial's --steps; 0: the configuration's
	Seed         uint64
	TrialSeeds   int     // training seeds per trial (Seed, Seed+1, ...); 0 or 1: one
	ConfirmSeeds int     // seeds after those that a trial trains on when it leads the study (Config.ConfirmSeeds)
	Objective    string  // ObjectiveFinal (default) or ObjectiveCurve
	TrialValue   string  // TrialValueMean (default) or TrialValueMin: how a trial's seeds combine
	PruneWarmup  float64 // the fraction of a trial's budget before which it is never pruned (0: DefaultPruneWarmup)
	Backend      string  // "" : the configuration's (train's default)
	EvalEpisodes int
	Evaluations  int // periodic evaluations per trial (eval_every = budget / Evaluations); 0: the configuration's interval
	SpaceFile    string
	Pruner       string // median or none
	StaleAfter   time.Duration
	Heartbeat    time.Duration
	Log          io.Writer
}

// TuneResult is what `xlrl tune --json` prints.
type TuneResult struct {
	Study         string            `json:"study"`
	Storage       string            `json:"storage"`
	Dir           string            `json:"dir"`
	Target        int               `json:"trials_target"`
	Trials        int               `json:"trials"`
	States        map[string]int    `json:"states"`
	Best          *Best             `json:"best"`
	Plots         map[string]string `json:"plots,omitempty"`
	PlotsSkipped  map[string]string `json:"plots_skipped,omitempty"`
	Here          *Stats            `json:"here"`
	WallS         float64           `json:"wall_s"`
	TrialsPerHour float64           `json:"trials_per_hour_here"`
	Table         []TrialRow        `json:"table"`
	Summary       *Summary          `json:"-"`
}

// deepHyperKeys are the hyperparameter names (--hp) of algo on envID, and
// the configuration's train_freq (0 when it has none).
func deepHyperKeys(envID, algo string) ([]string, int, error) {
	h, _, err := zoo.Defaults(envID, algo)
	if err != nil {
		return nil, 0, err
	}
	var c any
	switch {
	case h.DQN != nil:
		c = h.DQN
	case h.REINFORCE != nil:
		c = h.REINFORCE
	case h.A2C != nil:
		c = h.A2C
	}
	b, _ := json.Marshal(c)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	tf := 0
	if v, ok := m["train_freq"].(float64); ok {
		tf = int(v)
	}
	return keys, tf, nil
}

// PrepareTune checks the options and builds the trials' base configuration
// and search space. Nothing is written.
func PrepareTune(o *TuneOptions) (*Base, Space, int, error) {
	if o.Trials <= 0 {
		return nil, Space{}, 0, usagef("--trials %d: want the study's total number of trials, e.g. --trials 30", o.Trials)
	}
	if o.Jobs <= 0 {
		return nil, Space{}, 0, usagef("--jobs %d: want at least 1 trial at a time", o.Jobs)
	}
	if o.BudgetSteps < 0 {
		return nil, Space{}, 0, usagef("--budget-steps %d: want a positive number of environment steps", o.BudgetSteps)
	}
	if o.Objective == "" {
		o.Objective = ObjectiveFinal
	}
	if o.Objective != ObjectiveFinal && o.Objective != ObjectiveCurve {
		return nil, Space{}, 0, usagef("--objective %q: want final (the final evaluation) or curve (the mean of the periodic evaluations)", o.Objective)
	}
	if o.TrialValue == "" {
		o.TrialValue = TrialValueMean
	}
	if o.TrialValue != TrialValueMean && o.TrialValue != TrialValueMin {
		return nil, Space{}, 0, usagef("--trial-value %q: want mean or min (of the --trial-seeds seeds' values)", o.TrialValue)
	}
	if o.TrialValue == TrialValueMin && o.TrialSeeds < 2 && o.ConfirmSeeds == 0 {
		return nil, Space{}, 0, usagef("--trial-value min needs --trial-seeds of 2 or more (or --confirm-seeds): with one seed it is the seed's value")
	}
	if o.PruneWarmup == 0 {
		o.PruneWarmup = DefaultPruneWarmup
	}
	if !(o.PruneWarmup > 0 && o.PruneWarmup <= 1) {
		return nil, Space{}, 0, usagef("--prune-warmup %g: want the fraction of a trial's budget before which it is never pruned, in (0, 1]", o.PruneWarmup)
	}
	if o.TrialSeeds < 0 || o.TrialSeeds > maxTrialSeeds {
		return nil, Space{}, 0, usagef("--trial-seeds %d: want 1 to %d training seeds per trial", o.TrialSeeds, maxTrialSeeds)
	}
	if o.ConfirmSeeds < 0 || o.ConfirmSeeds > maxTrialSeeds {
		return nil, Space{}, 0, usagef("--confirm-seeds %d: want 0 (none) to %d more seeds for a trial that leads the study", o.ConfirmSeeds, maxTrialSeeds)
	}
	var flags []Flag
	add := func(name, v string) { flags = append(flags, Flag{name, v}) }
	if o.Env != "" {
		add("env", o.Env)
	}
	if o.Algo != "" {
		add("algo", o.Algo)
	}
	add("seed", strconv.FormatUint(o.Seed, 10))
	if o.BudgetSteps > 0 {
		add("steps", strconv.FormatInt(o.BudgetSteps, 10))
	}
	if o.Backend != "" {
		add("backend", o.Backend)
	}
	if o.EvalEpisodes > 0 {
		add("eval-episodes", strconv.Itoa(o.EvalEpisodes))
	}
	b, err := NewBase(o.Config, flags, o.HP)
	if err != nil {
		return nil, Space{}, 0, err
	}
	envID, _ := b.Get("env")
	algo, _ := b.Get("algo")
	if envID == "" || algo == "" {
		return nil, Space{}, 0, usagef("xlrl tune needs --env and --algo (or a --config that sets them)")
	}
	o.Env, o.Algo = envID, algo
	if _, err := env.Lookup(envID); err != nil {
		return nil, Space{}, 0, usagef("--env: %v", err)
	}
	if !zoo.IsAlgo(algo) {
		return nil, Space{}, 0, usagef("--algo %q: xlrl tune searches the deep RL agents' hyperparameters (%s)", algo, strings.Join(Algorithms(), ", "))
	}
	space, err := LoadSpace(algo, o.SpaceFile)
	if err != nil {
		return nil, Space{}, 0, err
	}
	space.Fix(algo, b)
	keys, trainFreq, err := deepHyperKeys(envID, algo)
	if err != nil {
		return nil, Space{}, 0, err
	}
	if err := space.Check(algo, keys); err != nil {
		return nil, Space{}, 0, err
	}
	for k := range b.HP {
		if !slices.Contains(keys, k) {
			return nil, Space{}, 0, usagef("--hp %s: %s has no hyperparameter %q (it has %s)", k, algo, k, strings.Join(keys, ", "))
		}
	}
	if v, ok := b.HP["train_freq"]; ok {
		if n, err := strconv.Atoi(v); err == nil {
			trainFreq = n
		}
	}
	if len(space.Params) == 0 {
		return nil, Space{}, 0, usagef("nothing to tune: every parameter of the search space is fixed by --hp, --config or --space")
	}
	if err := setEvaluations(o, b, keys); err != nil {
		return nil, Space{}, 0, err
	}
	budget, err := trialSteps(o, b)
	if err != nil {
		return nil, Space{}, 0, err
	}
	space.FitBudget(budget)
	if o.Pruner != "median" && o.Pruner != "none" && o.Pruner != "" {
		return nil, Space{}, 0, usagef("--pruner %q: want median or none", o.Pruner)
	}
	if o.Study == "" {
		o.Study = envID + "-" + algo
	}
	if strings.ContainsAny(o.Study, `/\`) || o.Study == "." || o.Study == ".." {
		return nil, Space{}, 0, usagef("--study %q: a name, not a path (use --dir for the study directory)", o.Study)
	}
	if o.Dir == "" {
		o.Dir = filepath.Join(o.Root, "tune", o.Study)
	}
	if o.Storage == "" {
		o.Storage = filepath.Join(o.Dir, "study.journal")
	} else if strings.Contains(o.Storage, "://") && !isPostgres(o.Storage) {
		return nil, Space{}, 0, usagef("--storage %q: want postgresql://USER@HOST/DB or the path of a journal file", o.Storage)
	}
	// The worker runs in a directory of its own: it gets absolute paths.
	o.Dir = absPath(o.Dir)
	if !isPostgres(o.Storage) {
		o.Storage = absPath(o.Storage)
	}
	return b, space, trainFreq, nil
}

// DefaultPruneWarmup is the fraction of a trial's budget before which the
// median pruner never stops it: a third, as rl-zoo (n_warmup_steps =
// n_evaluations // 3).
const DefaultPruneWarmup = 1.0 / 3

// pruneWarmupSteps is the step of a trial's run before which it is never
// pruned: o.PruneWarmup of its budget, whether --budget-steps or the
// configuration sets that.
func pruneWarmupSteps(o *TuneOptions, b *Base) (int64, error) {
	budget, err := trialSteps(o, b)
	if err != nil {
		return 0, err
	}
	return int64(o.PruneWarmup * float64(budget)), nil
}

// maxTrialSeeds bounds --trial-seeds: each seed is a whole training run.
const maxTrialSeeds = 10

// trialSeeds are the training seeds of every trial (nil for one: the base's
// --seed), the seeds that confirm a trial's lead (the next o.ConfirmSeeds)
// and the steps of each seed's run, which offset the steps that later seeds
// report at and bound the curve objective.
func trialSeeds(o *TuneOptions, b *Base) (seeds, confirm []uint64, steps int64, err error) {
	if o.TrialSeeds <= 1 && o.ConfirmSeeds == 0 && o.Objective != ObjectiveCurve {
		return nil, nil, 0, nil
	}
	next := o.Seed
	take := func(n int) []uint64 {
		s := make([]uint64, n)
		for i := range s {
			s[i] = next
			next++
		}
		return s
	}
	if o.TrialSeeds > 1 || o.ConfirmSeeds > 0 {
		seeds = take(max(o.TrialSeeds, 1))
	}
	confirm = take(o.ConfirmSeeds)
	steps, err = trialSteps(o, b)
	if err != nil {
		return nil, nil, 0, err
	}
	return seeds, confirm, steps, nil
}

// trialSteps is the environment steps of one training run of a trial:
// --budget-steps, else the configuration's steps, else the tuned table's.
func trialSteps(o *TuneOptions, b *Base) (int64, error) {
	if o.BudgetSteps > 0 {
		return o.BudgetSteps, nil
	}
	if v, ok := b.Get("steps"); ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return 0, usagef("steps %q: want a positive number of environment steps", v)
		}
		return n, nil
	}
	h, _, err := zoo.Defaults(o.Env, o.Algo)
	if err != nil {
		return 0, err
	}
	return int64(h.Steps()), nil
}

// setEvaluations fixes the trials' eval_every so that each run evaluates
// (and reports to the pruner) o.Evaluations times over its budget, like
// rl-zoo's --n-evaluations. Every report is a write to the study's storage
// (milliseconds on PostgreSQL), so a long budget with the configuration's
// interval spends more time reporting than a small trial spends training.
func setEvaluations(o *TuneOptions, b *Base, keys []string) error {
	if o.Evaluations < 0 {
		return usagef("--evaluations %d: want the number of periodic evaluations per trial (0: the configuration's interval)", o.Evaluations)
	}
	if o.Evaluations == 0 {
		return nil
	}
	if !slices.Contains(keys, "eval_every") {
		return usagef("--evaluations: %s has no periodic evaluation (eval_every) to set", o.Algo)
	}
	if _, ok := b.HP["eval_every"]; ok {
		return usagef("--evaluations and --hp eval_every both set the evaluation interval: keep one")
	}
	steps, err := trialSteps(o, b)
	if err != nil {
		return err
	}
	if int64(o.Evaluations) > steps {
		return usagef("--evaluations %d: more evaluations than the trial's %d steps", o.Evaluations, steps)
	}
	return b.addHP("eval_every=" + strconv.FormatInt(steps/int64(o.Evaluations), 10))
}

func isPostgres(s string) bool {
	for _, p := range []string{"postgresql://", "postgres://", "postgresql+psycopg://"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// Tune runs `xlrl tune`: it opens the study, runs trials until the study
// holds o.Trials, then writes best.yaml and the plots into the study
// directory. The result is returned even when ctx ended (Ctrl-C), with the
// context's error.
func Tune(ctx context.Context, o TuneOptions, start StartWorker) (*TuneResult, error) {
	b, space, trainFreq, err := PrepareTune(&o)
	if err != nil {
		return nil, err
	}
	seeds, confirm, perSeed, err := trialSeeds(&o, b)
	if err != nil {
		return nil, err
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the study directory: %w", err)
	}
	w, err := start(ctx, filepath.Join(o.Dir, "worker.log"))
	if err != nil {
		return nil, fmt.Errorf("xlrl tune keeps its study in the Python worker: %w", err)
	}
	defer w.Close()
	host, _ := os.Hostname()
	owner := fmt.Sprintf("%s:%d", host, os.Getpid())
	warmup, err := pruneWarmupSteps(&o, b)
	if err != nil {
		return nil, err
	}
	if o.StaleAfter <= 0 {
		o.StaleAfter = 5 * time.Minute
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = min(30*time.Second, o.StaleAfter/4)
	}
	st, err := OpenStudy(ctx, w, StudyOptions{
		Storage: o.Storage, Name: o.Study,
		// Processes that join one study draw different points.
		Seed:          int64(o.Seed)*1_000_003 + int64(os.Getpid()),
		StartupTrials: 10, PruneStartup: 5, WarmupSteps: warmup, Pruner: o.Pruner, Owner: owner, StaleAfter: o.StaleAfter,
	}, space.Params)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(o.Log, "study %s in %s: %d trials so far, target %d; trials in %s\n",
		o.Study, o.Storage, st.Trials, o.Trials, filepath.Join(o.Dir, "trials"))
	if len(space.Unreachable) > 0 {
		fmt.Fprintf(o.Log, "search space: left out %s (not below a trial's %d steps)\n", strings.Join(space.Unreachable, ", "), space.Budget)
	}
	stats, runErr := Run(ctx, Config{
		Exe: o.Exe, Dir: o.Dir, Base: b, Algo: o.Algo, Space: space, TrainFreq: trainFreq,
		Trials: o.Trials, Jobs: o.Jobs, Heartbeat: o.Heartbeat, Log: o.Log,
		Seeds: seeds, ConfirmSeeds: confirm, StepsPerSeed: perSeed, PruneWarmup: warmup, Objective: o.Objective, TrialValue: o.TrialValue,
	}, st)
	if runErr != nil && ctx.Err() == nil {
		return nil, runErr
	}
	// The results are read even after Ctrl-C.
	rctx := context.WithoutCancel(ctx)
	sum, err := st.Summary(rctx)
	if err != nil {
		return nil, err
	}
	res := &TuneResult{Study: o.Study, Storage: o.Storage, Dir: o.Dir, Target: o.Trials, Trials: len(sum.Trials),
		States: Counts(sum), Here: stats, WallS: stats.Wall.Seconds(), Table: sum.Trials, Summary: sum}
	if h := stats.Wall.Hours(); h > 0 {
		res.TrialsPerHour = float64(stats.Started) / h
	}
	res.Best, err = WriteBest(filepath.Join(o.Dir, "best.yaml"), sum)
	if err != nil && !errors.Is(err, ErrNoBest) {
		return nil, err
	}
	if why := plotsNotDue(sum); ctx.Err() == nil && why != "" {
		res.PlotsSkipped = map[string]string{"history": why, "importances": why}
	} else if ctx.Err() == nil {
		res.Plots, res.PlotsSkipped, err = st.Plots(rctx, filepath.Join(o.Dir, "plots"))
		if err != nil {
			return nil, err
		}
	}
	return res, runErr
}

// plotsNotDue says why a process that ran out of trials to start leaves the
// plots to another, or "" when it draws them: while trials of other
// processes of the study still run, the process that ends last draws them
// (each drawing costs a few CPU seconds: matplotlib, fANOVA).
func plotsNotDue(sum *Summary) string {
	if n := Counts(sum)[StateRunning]; n > 0 {
		return fmt.Sprintf("%d trials of other processes still running: the process that ends the study draws the plots", n)
	}
	return ""
}

// SweepOptions are the flags of `xlrl sweep`.
type SweepOptions struct {
	Exe          string
	Config       string
	Env, Algo    string
	HP           []string
	Steps        int64
	Backend      string
	EvalEpisodes int
	Seeds        string
	Jobs         int
	Dir          string // default Root/sweeps/<name>
	Name         string // default a timestamp
	Root         string
	Log          io.Writer
}

// SweepPlan is a checked sweep: its configuration and seeds.
type SweepPlan struct {
	Config SweepConfig
	Env    string
}

// PrepareSweep checks the options; nothing is written.
func PrepareSweep(o *SweepOptions) (*SweepPlan, error) {
	seeds, err := ParseSeeds(o.Seeds)
	if err != nil {
		return nil, &UsageError{Msg: err.Error()}
	}
	if o.Jobs <= 0 {
		return nil, usagef("--jobs %d: want at least 1 run at a time", o.Jobs)
	}
	var flags []Flag
	for _, f := range []Flag{{"env", o.Env}, {"algo", o.Algo}, {"backend", o.Backend}} {
		if f.Value != "" {
			flags = append(flags, f)
		}
	}
	if o.Steps > 0 {
		flags = append(flags, Flag{"steps", strconv.FormatInt(o.Steps, 10)})
	}
	if o.EvalEpisodes > 0 {
		flags = append(flags, Flag{"eval-episodes", strconv.Itoa(o.EvalEpisodes)})
	}
	b, err := NewBase(o.Config, flags, o.HP)
	if err != nil {
		return nil, err
	}
	envID, _ := b.Get("env")
	if envID == "" {
		return nil, usagef("xlrl sweep needs --env (or a --config that sets it)")
	}
	spec, err := env.Lookup(envID)
	if err != nil {
		return nil, usagef("--env: %v", err)
	}
	if o.Dir == "" {
		name := o.Name
		if name == "" {
			name = time.Now().UTC().Format("20060102-150405")
		} else if strings.ContainsAny(name, `/\`) {
			return nil, usagef("--name %q: a name, not a path (use --dir)", name)
		}
		o.Dir = filepath.Join(o.Root, "sweeps", name)
	}
	for _, s := range seeds {
		if d := SeedDir(o.Dir, s); !emptyOrMissing(d) {
			return nil, usagef("%s already holds a run: choose another --dir or --name", d)
		}
	}
	return &SweepPlan{Env: envID, Config: SweepConfig{Exe: o.Exe, Dir: o.Dir, Base: b, Seeds: seeds, Jobs: o.Jobs,
		Threshold: spec.RewardThreshold, Log: o.Log}}, nil
}

func emptyOrMissing(dir string) bool {
	entries, err := os.ReadDir(dir)
	return err != nil || len(entries) == 0
}
