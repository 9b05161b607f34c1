package tune

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is what Run needs besides the study.
type Config struct {
	Exe       string // the xlrl binary that runs each trial
	Dir       string // the study directory; trials go to Dir/trials/NNNN
	Base      *Base
	Algo      string
	Space     Space
	TrainFreq int // train_freq of the base configuration (for subsample_steps)
	// Seeds, when it holds more than one, are the training seeds of every
	// trial, trained one after another (each in Dir/trials/NNNN/seed-S);
	// the trial's value is the mean of their final evaluations (TrialValue
	// min: the worst of them). Seed k's
	// periodic evaluations are reported at step k*StepsPerSeed + step, so
	// that the median pruner compares each seed's curve with the same
	// seed's curves of other trials; seeds after the first report nothing
	// before PruneWarmup (their own step), as the first seed's early
	// evaluations are not pruned either. Empty or one seed: one run with
	// the base's --seed, in Dir/trials/NNNN.
	Seeds        []uint64
	StepsPerSeed int64
	PruneWarmup  int64
	// ConfirmSeeds are the seeds a trial trains on next when its value on
	// Seeds is at least the study's best so far: it is told the value of
	// all its seeds, so that no trial becomes the best on fewer seeds than
	// Seeds and ConfirmSeeds together (the winner of many trials on a few
	// seeds is most often the luckiest). Their runs report nothing to the
	// pruner. Needs Seeds.
	ConfirmSeeds []uint64
	// Objective is what a run's value is: ObjectiveFinal ("" too) or
	// ObjectiveCurve (needs StepsPerSeed).
	Objective string
	// TrialValue is how a trial's value combines its seeds' values:
	// TrialValueMean ("" too) or TrialValueMin.
	TrialValue string
	Trials     int // the study's total
	Jobs       int // trials at once in this process
	Heartbeat  time.Duration
	Grace      time.Duration // SIGINT to SIGKILL for a stopped trial
	Poll       time.Duration // how often a trial's metrics are read
	Log        io.Writer     // one line per trial
}

// Stats is what this process did.
type Stats struct {
	Started     int            `json:"trials_run_here"`
	States      map[string]int `json:"states_here"`
	FailedStale []int          `json:"failed_stale,omitempty"`
	Wall        time.Duration  `json:"-"`
	Interrupted bool           `json:"interrupted"`
}

// Run runs trials until the study holds cfg.Trials or ctx ends: cfg.Jobs
// at a time, each an `xlrl train` child. A trial that fails is told FAIL
// and the study goes on; an error of the study itself (the worker died)
// ends Run. On ctx's end the running trials are stopped and told FAIL
// (attribute xlrl_fail_reason "interrupted").
func Run(ctx context.Context, cfg Config, st Study) (*Stats, error) {
	if cfg.Jobs <= 0 {
		cfg.Jobs = 1
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 30 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if err := os.MkdirAll(filepath.Join(cfg.Dir, "trials"), 0o755); err != nil {
		return nil, fmt.Errorf("creating the study directory: %w", err)
	}
	start := time.Now()
	stats := &Stats{States: map[string]int{}}
	var mu sync.Mutex // guards stats, running, firstErr, the log
	running := map[int]bool{}
	var firstErr error
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
	}
	// A study error stops every job: no new trials, running ones stopped.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	hbDone := make(chan struct{})
	go func() {
		t := time.NewTicker(cfg.Heartbeat)
		defer t.Stop()
		for {
			select {
			case <-hbDone:
				return
			case <-t.C:
				mu.Lock()
				nums := make([]int, 0, len(running))
				for n := range running {
					nums = append(nums, n)
				}
				mu.Unlock()
				if len(nums) > 0 {
					if err := st.Heartbeat(ctx, nums); err != nil && ctx.Err() == nil {
						slog.Warn("tune: heartbeat", "err", err)
					}
				}
			}
		}
	}()

	var wg sync.WaitGroup
	for j := 0; j < cfg.Jobs; j++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				a, err := st.Ask(ctx, cfg.Trials)
				if err != nil {
					if ctx.Err() == nil {
						fail(err)
						cancel(err)
					}
					return
				}
				mu.Lock()
				stats.FailedStale = append(stats.FailedStale, a.FailedStale...)
				for _, n := range a.FailedStale {
					fmt.Fprintf(cfg.Log, "trial %d: left running by a process that is gone: failed\n", n)
				}
				if a.Full {
					mu.Unlock()
					return
				}
				stats.Started++
				running[a.Number] = true
				mu.Unlock()
				state, line, err := runTrial(ctx, cfg, st, a)
				mu.Lock()
				delete(running, a.Number)
				stats.States[state]++
				fmt.Fprintln(cfg.Log, line)
				mu.Unlock()
				if err != nil {
					fail(err)
					cancel(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(hbDone)
	stats.Wall = time.Since(start)
	if firstErr != nil {
		return stats, firstErr
	}
	if context.Cause(ctx) != nil {
		stats.Interrupted = true
		return stats, context.Cause(ctx)
	}
	return stats, nil
}

// TrialDir is the run directory of trial number in the study directory.
func TrialDir(studyDir string, number int) string {
	return filepath.Join(studyDir, "trials", fmt.Sprintf("%04d", number))
}

// runTrial runs one trial (one run per seed of cfg.Seeds) and tells the
// study its outcome. It returns the state told, a line for the log and an
// error only when the study failed.
func runTrial(ctx context.Context, cfg Config, st Study, a *Asked) (string, string, error) {
	values := map[string]any{}
	for k, v := range cfg.Space.Fixed {
		values[k] = v
	}
	for k, v := range a.Params {
		values[k] = v
	}
	// The context of the study's calls outlives Ctrl-C: an interrupted
	// trial is still told.
	tellCtx := context.WithoutCancel(ctx)
	tell := func(state string, value float64, attrs map[string]any) error {
		c, cancel := context.WithTimeout(tellCtx, 60*time.Second)
		defer cancel()
		return st.Tell(c, a.Number, state, value, attrs)
	}
	hp, err := HPSettings(cfg.Algo, values, cfg.TrainFreq)
	if err != nil {
		reason := "bad parameters: " + err.Error()
		return StateFail, fmt.Sprintf("trial %d: failed (%s)", a.Number, reason),
			tell(StateFail, 0, map[string]any{AttrReason: reason})
	}
	dir := TrialDir(cfg.Dir, a.Number)
	attrs := map[string]any{AttrRunDir: absPath(dir), AttrHP: strings.Join(hp, " ")}
	params := formatParams(a.Params)
	runs := []trialRun{{dir: dir}}
	if len(cfg.Seeds) > 1 || len(cfg.ConfirmSeeds) > 0 {
		runs = runs[:0]
		for _, s := range cfg.Seeds {
			runs = append(runs, seedRun(dir, s, false))
		}
	}
	var wall time.Duration
	var finals []float64
	// The runs grow by cfg.ConfirmSeeds when the trial leads after its seeds.
	for i := 0; i < len(runs); i++ {
		r := runs[i]
		offset := int64(i) * cfg.StepsPerSeed
		var studyErr error
		var curve []evalPoint
		ch := Child{
			Exe: cfg.Exe, Args: cfg.Base.TrainArgs(r.extra, hp, r.dir), Metrics: filepath.Join(r.dir, "metrics.jsonl"),
			Log: r.dir + ".log", Grace: cfg.Grace, Poll: cfg.Poll,
			OnEval: func(step int64, value float64) bool {
				curve = append(curve, evalPoint{step, value})
				if r.confirm || i > 0 && step < cfg.PruneWarmup {
					return false
				}
				prune, err := st.Report(tellCtx, a.Number, offset+step, value)
				if err != nil {
					studyErr = err
					return true
				}
				return prune
			},
		}
		if r.multi {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return StateFail, fmt.Sprintf("trial %d: failed (%v)", a.Number, err),
					tell(StateFail, 0, map[string]any{AttrReason: err.Error()})
			}
		}
		out := ch.Run(ctx)
		wall += out.Wall
		attrs[AttrWallS] = wall.Seconds()
		if i == 0 {
			if cfgText, err := CleanConfig(filepath.Join(r.dir, "config.yaml")); err == nil {
				attrs[AttrConfig] = cfgText
			}
		}
		if studyErr != nil {
			return StateFail, fmt.Sprintf("trial %d: the study failed: %v", a.Number, studyErr), studyErr
		}
		switch {
		case out.Stopped:
			err := tell(StatePruned, 0, attrs)
			return StatePruned, fmt.Sprintf("trial %d: pruned at step %d%s (%.1f s) %s", a.Number, out.LastStep, r.of(), wall.Seconds(), params), err
		case out.Canceled:
			attrs[AttrReason] = "interrupted"
			err := tell(StateFail, 0, attrs)
			return StateFail, fmt.Sprintf("trial %d: interrupted (%.1f s)", a.Number, wall.Seconds()), err
		case out.Result == nil:
			reason := "exit status " + fmt.Sprint(out.ExitCode)
			if out.Err != nil {
				reason = out.Err.Error()
			}
			if r.multi {
				reason = fmt.Sprintf("seed %d: %s", r.seed, reason)
			}
			attrs[AttrReason] = reason
			err := tell(StateFail, 0, attrs)
			return StateFail, fmt.Sprintf("trial %d: failed (%s) %s", a.Number, reason, params), err
		}
		v := out.Result.MeanReturn
		if cfg.Objective == ObjectiveCurve {
			v = curveMean(curve, cfg.StepsPerSeed, v)
		}
		finals = append(finals, v)
		if i == len(cfg.Seeds)-1 && len(cfg.ConfirmSeeds) > 0 {
			leads, err := leadsStudy(tellCtx, st, cfg.combine(finals))
			if err != nil {
				return StateFail, fmt.Sprintf("trial %d: the study failed: %v", a.Number, err), err
			}
			if leads {
				for _, s := range cfg.ConfirmSeeds {
					runs = append(runs, seedRun(dir, s, true))
				}
			}
		}
	}
	combine, value := cfg.TrialValue, cfg.combine(finals)
	if combine != TrialValueMin {
		combine = TrialValueMean
	}
	of := ""
	if len(finals) > 1 {
		attrs[AttrSeedValues] = finals
		parts := make([]string, len(finals))
		for i, v := range finals {
			parts[i] = fmt.Sprintf("%.2f", v)
		}
		of = " = " + combine + " of seeds " + strings.Join(parts, ", ")
		if len(runs) > len(cfg.Seeds) {
			of += fmt.Sprintf(" (the last %d confirming its lead)", len(cfg.ConfirmSeeds))
		}
	}
	err = tell(StateComplete, value, attrs)
	return StateComplete, fmt.Sprintf("trial %d: value %.2f%s (%.1f s) %s", a.Number, value, of, wall.Seconds(), params), err
}

// combine is a trial's value from its seeds' values (cfg.TrialValue).
func (cfg *Config) combine(values []float64) float64 {
	if cfg.TrialValue == TrialValueMin {
		return slices.Min(values)
	}
	return mean(values)
}

// leadsStudy says whether value is at least the best value of the study's
// complete trials (true when none is complete yet).
func leadsStudy(ctx context.Context, st Study, value float64) (bool, error) {
	c, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	sum, err := st.Summary(c)
	if err != nil {
		return false, err
	}
	if sum.Best == nil {
		return true, nil
	}
	for _, t := range sum.Trials {
		if t.Number == *sum.Best && t.Value != nil {
			return value >= *t.Value, nil
		}
	}
	return true, nil
}

// How a trial trained on several seeds combines their values (--trial-value).
const (
	// TrialValueMean is the mean of the seeds' values.
	TrialValueMean = "mean"
	// TrialValueMin is the worst seed's value: a configuration scores by
	// working on every seed, which is what a user who trains it on a new
	// seed needs, and the maximum over trials no longer picks the
	// configuration with one lucky seed among middling ones.
	TrialValueMin = "min"
)

// The objectives of a trial's run (--objective).
const (
	// ObjectiveFinal is the run's final evaluation: its kept (best
	// periodic) weights on fresh episodes.
	ObjectiveFinal = "final"
	// ObjectiveCurve is the mean of the run's periodic evaluations over its
	// budget (curveMean): a configuration scores by learning early and
	// staying good, not by one lucky snapshot.
	ObjectiveCurve = "curve"
)

// curveMean is the area under a run's periodic evaluations divided by the
// steps they cover: each evaluation counts for the steps since the one
// before it, and the last one (a run stopped early at its target) also for
// the steps left to the budget. A run with one evaluation is worth it, one
// with none its final evaluation.
func curveMean(evals []evalPoint, budget int64, final float64) float64 {
	switch len(evals) {
	case 0:
		return final
	case 1:
		return evals[0].value
	}
	first, last := evals[0], evals[len(evals)-1]
	end := max(budget, last.step)
	if end <= first.step {
		return last.value
	}
	var area float64
	for i := 1; i < len(evals); i++ {
		area += evals[i].value * float64(evals[i].step-evals[i-1].step)
	}
	area += last.value * float64(end-last.step)
	return area / float64(end-first.step)
}

// trialRun is one training run of a trial: the only one, or one seed's.
type trialRun struct {
	dir     string
	extra   []Flag // --seed for one seed of several
	seed    uint64
	multi   bool
	confirm bool // a seed of cfg.ConfirmSeeds
}

// seedRun is the run of seed s in trial directory dir.
func seedRun(dir string, s uint64, confirm bool) trialRun {
	return trialRun{dir: filepath.Join(dir, fmt.Sprintf("seed-%d", s)),
		extra: []Flag{{"seed", strconv.FormatUint(s, 10)}}, seed: s, multi: true, confirm: confirm}
}

func (r trialRun) of() string {
	switch {
	case r.confirm:
		return fmt.Sprintf(" of confirming seed %d", r.seed)
	case r.multi:
		return fmt.Sprintf(" of seed %d", r.seed)
	}
	return ""
}

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

func formatParams(p map[string]any) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + shortValue(p[k])
	}
	return strings.Join(parts, " ")
}

func shortValue(v any) string {
	if f, ok := v.(float64); ok {
		return fmt.Sprintf("%.4g", f)
	}
	return formatValue(v)
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// notInBest are config keys that say how a trial was run, not what it
// learnt: a best.yaml leaves them to the user.
var notInBest = []string{"plot", "eval-episodes"}

// CleanConfig reads a run's config.yaml and returns it without comments
// and without the keys of notInBest: the trial's configuration, as
// `xlrl train --config` reads it.
func CleanConfig(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return "", fmt.Errorf("%s: not a mapping", path)
	}
	root := doc.Content[0]
	var kept []*yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if slices.Contains(notInBest, k.Value) {
			continue
		}
		k.HeadComment, k.LineComment, k.FootComment = "", "", ""
		v.HeadComment, v.LineComment, v.FootComment = "", "", ""
		kept = append(kept, k, v)
	}
	root.Content = kept
	root.HeadComment, root.FootComment, doc.HeadComment, doc.FootComment = "", "", "", ""
	out, err := yaml.Marshal(root)
	if err != nil {
		return "", err
	}
	return string(out), nil
}

// ErrNoBest says no trial of the study completed.
var ErrNoBest = errors.New("no trial completed")
