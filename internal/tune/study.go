package tune

import (
	"context"
	"fmt"
	"time"
)

// Asked is the answer to Study.Ask: a new trial, or Full.
type Asked struct {
	Full        bool           `msgpack:"full"`
	Trials      int            `msgpack:"trials"` // the study's count when Full
	Number      int            `msgpack:"number"`
	Params      map[string]any `msgpack:"params"`
	FailedStale []int          `msgpack:"failed_stale"` // trials found without a live process, now FAIL
}

// Trial states as the worker names them.
const (
	StateComplete = "complete"
	StatePruned   = "pruned"
	StateFail     = "fail"
	StateRunning  = "running"
)

// Study is an Optuna study as the tune loop uses it.
type Study interface {
	// Ask starts a new trial unless the study already holds total trials.
	Ask(ctx context.Context, total int) (*Asked, error)
	// Report records a periodic evaluation and says whether to prune.
	Report(ctx context.Context, number int, step int64, value float64) (bool, error)
	// Heartbeat says the trials are still running.
	Heartbeat(ctx context.Context, numbers []int) error
	// Tell finishes a trial; value counts for StateComplete only.
	Tell(ctx context.Context, number int, state string, value float64, attrs map[string]any) error
	// Summary lists every trial of the study.
	Summary(ctx context.Context) (*Summary, error)
}

// TrialRow is one trial of a study.
type TrialRow struct {
	Number int            `msgpack:"number" json:"number"`
	State  string         `msgpack:"state" json:"state"`
	Value  *float64       `msgpack:"value" json:"value"`
	Params map[string]any `msgpack:"params" json:"params"`
	Attrs  map[string]any `msgpack:"attrs" json:"-"`
	Start  *float64       `msgpack:"start" json:"start,omitempty"`
	End    *float64       `msgpack:"end" json:"end,omitempty"`
	Steps  *int64         `msgpack:"steps" json:"last_eval_step,omitempty"`
	WallS  *float64       `msgpack:"-" json:"wall_s,omitempty"`
	RunDir string         `msgpack:"-" json:"run_dir,omitempty"`
	Reason string         `msgpack:"-" json:"reason,omitempty"`
	// SeedValues are the per-seed final evaluations of a trial trained on
	// several seeds (--trial-seeds).
	SeedValues []float64 `msgpack:"-" json:"seed_values,omitempty"`
}

// Summary is every trial of a study and the best complete one.
type Summary struct {
	Name   string     `msgpack:"name"`
	Trials []TrialRow `msgpack:"trials"`
	Best   *int       `msgpack:"best"`
}

// Caller is the worker client as Study needs it (worker.Client).
type Caller interface {
	Call(ctx context.Context, method string, params, result any) error
}

// StudyOptions choose a study's storage, sampler and pruner.
type StudyOptions struct {
	Storage       string // postgresql://... or the path of a journal file
	Name          string
	Seed          int64  // the sampler's seed
	StartupTrials int    // TPE's random trials before it models (rl-zoo: 10)
	PruneStartup  int    // finished trials before the median rule prunes (rl-zoo: 5)
	WarmupSteps   int64  // steps before which no trial is pruned
	Pruner        string // median (default) or none
	Owner         string
	StaleAfter    time.Duration
}

// WorkerStudy is a Study kept by the Python worker (pyworker/tune.py).
type WorkerStudy struct {
	c      Caller
	handle int
	owner  string
	stale  time.Duration
	Space  []Param
	// Trials is the study's trial count when it was opened.
	Trials int
}

// OpenStudy creates or loads the study in the worker.
func OpenStudy(ctx context.Context, c Caller, o StudyOptions, space []Param) (*WorkerStudy, error) {
	pruner := o.Pruner
	if pruner == "" {
		pruner = "median"
	}
	var r struct {
		Study  int `msgpack:"study"`
		Trials int `msgpack:"trials"`
	}
	err := c.Call(ctx, "tune.open", map[string]any{
		"storage": o.Storage, "study": o.Name, "seed": o.Seed, "startup_trials": o.StartupTrials,
		"prune_startup_trials": o.PruneStartup, "warmup_steps": o.WarmupSteps, "pruner": pruner,
	}, &r)
	if err != nil {
		return nil, fmt.Errorf("opening study %q in %s: %w", o.Name, o.Storage, err)
	}
	return &WorkerStudy{c: c, handle: r.Study, owner: o.Owner, stale: o.StaleAfter, Space: space, Trials: r.Trials}, nil
}

// Ask implements Study.
func (s *WorkerStudy) Ask(ctx context.Context, total int) (*Asked, error) {
	var a Asked
	err := s.c.Call(ctx, "tune.ask", map[string]any{
		"study": s.handle, "total": total, "space": s.Space, "owner": s.owner,
		"stale_after": s.stale.Seconds(),
	}, &a)
	if err != nil {
		return nil, fmt.Errorf("tune.ask: %w", err)
	}
	return &a, nil
}

// Report implements Study.
func (s *WorkerStudy) Report(ctx context.Context, number int, step int64, value float64) (bool, error) {
	var r struct {
		Prune bool `msgpack:"prune"`
	}
	err := s.c.Call(ctx, "tune.report", map[string]any{"study": s.handle, "number": number, "step": step, "value": value}, &r)
	if err != nil {
		return false, fmt.Errorf("tune.report: %w", err)
	}
	return r.Prune, nil
}

// Heartbeat implements Study.
func (s *WorkerStudy) Heartbeat(ctx context.Context, numbers []int) error {
	if err := s.c.Call(ctx, "tune.heartbeat", map[string]any{"study": s.handle, "numbers": numbers}, nil); err != nil {
		return fmt.Errorf("tune.heartbeat: %w", err)
	}
	return nil
}

// Tell implements Study.
func (s *WorkerStudy) Tell(ctx context.Context, number int, state string, value float64, attrs map[string]any) error {
	p := map[string]any{"study": s.handle, "number": number, "state": state, "attrs": attrs}
	if state == StateComplete {
		p["value"] = value
	}
	if err := s.c.Call(ctx, "tune.tell", p, nil); err != nil {
		return fmt.Errorf("tune.tell: %w", err)
	}
	return nil
}

// Summary implements Study.
func (s *WorkerStudy) Summary(ctx context.Context) (*Summary, error) {
	var r Summary
	if err := s.c.Call(ctx, "tune.summary", map[string]any{"study": s.handle}, &r); err != nil {
		return nil, fmt.Errorf("tune.summary: %w", err)
	}
	for i := range r.Trials {
		r.Trials[i].fromAttrs()
	}
	return &r, nil
}

// Plots draws the optimisation history and parameter importances into dir.
func (s *WorkerStudy) Plots(ctx context.Context, dir string) (drawn, skipped map[string]string, err error) {
	var r struct {
		Drawn   map[string]string `msgpack:"drawn"`
		Skipped map[string]string `msgpack:"skipped"`
	}
	if err := s.c.Call(ctx, "tune.plots", map[string]any{"study": s.handle, "out_dir": dir}, &r); err != nil {
		return nil, nil, fmt.Errorf("tune.plots: %w", err)
	}
	return r.Drawn, r.Skipped, nil
}

// Close forgets the study in the worker.
func (s *WorkerStudy) Close(ctx context.Context) error {
	return s.c.Call(ctx, "tune.close", map[string]any{"study": s.handle}, nil)
}

// Trial attributes the tune loop records (besides the worker's owner and heartbeat).
const (
	AttrRunDir = "xlrl_run_dir"
	AttrWallS  = "xlrl_wall_s"
	AttrReason = "xlrl_fail_reason"
	AttrConfig = "xlrl_config"
	AttrHP     = "xlrl_hp"
	// AttrSeedValues are the values of a trial's runs on several seeds, in
	// the order run (confirming seeds last); --trial-value combines them.
	AttrSeedValues = "xlrl_seed_values"
)

func (t *TrialRow) fromAttrs() {
	if v, ok := t.Attrs[AttrWallS]; ok {
		if f, err := asFloat(v); err == nil {
			t.WallS = &f
		}
	}
	if t.WallS == nil && t.Start != nil && t.End != nil {
		w := *t.End - *t.Start
		t.WallS = &w
	}
	if v, ok := t.Attrs[AttrRunDir].(string); ok {
		t.RunDir = v
	}
	if v, ok := t.Attrs[AttrReason].(string); ok {
		t.Reason = v
	}
	switch vs := t.Attrs[AttrSeedValues].(type) {
	case []float64:
		t.SeedValues = vs
	case []any:
		for _, v := range vs {
			if f, err := asFloat(v); err == nil {
				t.SeedValues = append(t.SeedValues, f)
			}
		}
	}
}
