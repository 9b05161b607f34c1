package tune

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func testConfig(t *testing.T, trials, jobs int) Config {
	b, err := NewBase("", []Flag{{"env", "Fake-v0"}, {"algo", "dqn"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return Config{Exe: fakeExe(t), Dir: t.TempDir(), Base: b, Algo: "dqn", Trials: trials, Jobs: jobs,
		Grace: 5 * time.Second, Poll: 10 * time.Millisecond, Heartbeat: 50 * time.Millisecond}
}

// Every outcome of a trial: complete (with its value), pruned by the
// study, failed when the process exits with an error or dies; the study
// holds exactly the total and goes on after each failure.
func TestRunOutcomes(t *testing.T) {
	modes := map[int]string{2: "die", 4: "crash", 5: "slow"}
	st := &fakeStudy{pruneBelow: 1, params: func(n int) map[string]any {
		p := map[string]any{"learning_rate": 0.05 + 0.01*float64(n)}
		if m, ok := modes[n]; ok {
			p["mode"] = m
		}
		if n == 5 {
			p["learning_rate"] = 0.001 // reports 0.1: pruned
		}
		return p
	}}
	var log bytes.Buffer
	cfg := testConfig(t, 7, 3)
	cfg.Log = &log
	stats, err := Run(context.Background(), cfg, st)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.trials) != 7 || stats.Started != 7 {
		t.Fatalf("%d trials, %d started here; want exactly 7", len(st.trials), stats.Started)
	}
	want := map[int]string{0: StateComplete, 1: StateComplete, 2: StateFail, 3: StateComplete, 4: StateFail, 5: StatePruned, 6: StateComplete}
	for n, tr := range st.trials {
		if tr.state != want[n] || tr.tells != 1 {
			t.Errorf("trial %d: %s told %d times, want %s once", n, tr.state, tr.tells, want[n])
		}
		if tr.state == StateComplete {
			if wantV := 100 * (0.05 + 0.01*float64(n)); abs(tr.value-wantV) > 1e-9 {
				t.Errorf("trial %d: value %g, want %g", n, tr.value, wantV)
			}
			if len(tr.reports) != 3 {
				t.Errorf("trial %d: %d reports, want its 3 periodic evaluations", n, len(tr.reports))
			}
			if _, err := os.Stat(filepath.Join(TrialDir(cfg.Dir, n), "metrics.jsonl")); err != nil {
				t.Errorf("trial %d has no run directory: %v", n, err)
			}
			if c, _ := tr.attrs[AttrConfig].(string); strings.Contains(c, "#") || strings.Contains(c, "plot") || !strings.Contains(c, "env: Fake-v0") {
				t.Errorf("trial %d: recorded config %q, want the run's config.yaml without comments and plot", n, c)
			}
		}
	}
	if r := st.trials[2].attrs[AttrReason]; r != "xlrl: boom" {
		t.Errorf("the dying trial's reason is %q, want its error line", r)
	}
	if r, _ := st.trials[4].attrs[AttrReason].(string); !strings.Contains(r, "killed") {
		t.Errorf("the crashed trial's reason is %q, want the signal", r)
	}
	if stats.States[StateComplete] != 4 || stats.States[StatePruned] != 1 || stats.States[StateFail] != 2 {
		t.Errorf("states here %v", stats.States)
	}
	if !strings.Contains(log.String(), "trial 5: pruned") {
		t.Errorf("log:\n%s", log.String())
	}
	sum, _ := st.Summary(context.Background())
	best := filepath.Join(cfg.Dir, "best.yaml")
	b, err := WriteBest(best, sum)
	if err != nil || b.Number != 6 {
		t.Fatalf("best = %+v, %v; want trial 6", b, err)
	}
	data, _ := os.ReadFile(best)
	if !strings.Contains(string(data), "env: Fake-v0") || !strings.HasPrefix(string(data), "# The best trial (6)") {
		t.Errorf("best.yaml:\n%s", data)
	}
	var table bytes.Buffer
	if err := WriteTable(&table, sum); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(table.String()), "\n")
	if len(lines) != 8 || !strings.HasPrefix(lines[1], "6 ") || !strings.Contains(lines[1], "complete *") {
		t.Errorf("table (best first, marked):\n%s", table.String())
	}
}

// Ctrl-C stops the running trials (SIGINT to each child), tells them FAIL
// (interrupted) and starts no more.
func TestRunInterrupt(t *testing.T) {
	st := &fakeStudy{params: func(n int) map[string]any { return map[string]any{"mode": "slow", "learning_rate": 0.5} },
		reported: make(chan int, 100)}
	cfg := testConfig(t, 10, 2)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		seen := map[int]bool{}
		for n := range st.reported {
			seen[n] = true
			if len(seen) == 2 {
				cancel()
				return
			}
		}
	}()
	start := time.Now()
	stats, err := Run(ctx, cfg, st)
	if !errors.Is(err, context.Canceled) || !stats.Interrupted {
		t.Fatalf("err = %v (interrupted %v), want the context's", err, stats.Interrupted)
	}
	if time.Since(start) > 4*time.Second {
		t.Errorf("stopping took %v: the children did not stop at SIGINT", time.Since(start))
	}
	if len(st.trials) != 2 {
		t.Errorf("%d trials started, want the 2 running at Ctrl-C", len(st.trials))
	}
	for n, tr := range st.trials {
		if tr.state != StateFail || tr.attrs[AttrReason] != "interrupted" {
			t.Errorf("trial %d: %s (%v), want fail (interrupted)", n, tr.state, tr.attrs[AttrReason])
		}
	}
}

// A study that fails (the worker died) ends the run with its error.
func TestRunStudyError(t *testing.T) {
	st := &brokenStudy{fakeStudy{params: func(int) map[string]any { return map[string]any{"learning_rate": 0.1} }}}
	_, err := Run(context.Background(), testConfig(t, 3, 1), st)
	if err == nil || !strings.Contains(err.Error(), "worker is gone") {
		t.Fatalf("err = %v, want the study's", err)
	}
}

type brokenStudy struct{ fakeStudy }

func (b *brokenStudy) Ask(ctx context.Context, total int) (*Asked, error) {
	return nil, errors.New("worker is gone")
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// With several training seeds a trial runs one after another in
// trials/NNNN/seed-S and its value is the mean of their final evaluations
// (or the worst: --trial-value min);
// later seeds report at their offset step, and not before the warmup.
func TestRunTrialSeeds(t *testing.T) {
	noLR := func(int) map[string]any { return map[string]any{} } // the fake's value is then its seed
	tests := []struct {
		name       string
		seeds      []uint64
		combine    string // TrialValue
		pruneBelow float64
		state      string
		value      float64
		steps      []int64
		reports    []float64
		log        string
	}{
		{"complete", []uint64{3, 5}, "", 0, StateComplete, 4, []int64{100, 200, 300, 1200, 1300}, []float64{3, 3, 3, 5, 5}, "value 4.00 = mean of seeds 3.00, 5.00"},
		{"the worst seed", []uint64{3, 5}, TrialValueMin, 0, StateComplete, 3, []int64{100, 200, 300, 1200, 1300}, []float64{3, 3, 3, 5, 5}, "value 3.00 = min of seeds 3.00, 5.00"},
		{"pruned on the second seed", []uint64{5, 1}, "", 2, StatePruned, 0, []int64{100, 200, 300, 1200}, []float64{5, 5, 5, 1}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &fakeStudy{pruneBelow: tt.pruneBelow, params: noLR}
			var log bytes.Buffer
			cfg := testConfig(t, 1, 1)
			cfg.Seeds, cfg.StepsPerSeed, cfg.PruneWarmup, cfg.Log, cfg.TrialValue = tt.seeds, 1000, 150, &log, tt.combine
			if _, err := Run(context.Background(), cfg, st); err != nil {
				t.Fatal(err)
			}
			tr := st.trials[0]
			if tr.state != tt.state || tr.value != tt.value {
				t.Fatalf("trial: %s %g, want %s %g (log %s)", tr.state, tr.value, tt.state, tt.value, log.String())
			}
			if !slices.Equal(tr.steps, tt.steps) || !slices.Equal(tr.reports, tt.reports) {
				t.Errorf("reports %v at steps %v, want %v at %v", tr.reports, tr.steps, tt.reports, tt.steps)
			}
			for _, s := range tt.seeds {
				dir := filepath.Join(TrialDir(cfg.Dir, 0), "seed-"+strconv.FormatUint(s, 10))
				if _, err := os.Stat(filepath.Join(dir, "metrics.jsonl")); err != nil {
					t.Errorf("seed %d has no run directory: %v", s, err)
				}
			}
			if c, _ := tr.attrs[AttrConfig].(string); !strings.Contains(c, "seed: "+strconv.FormatUint(tt.seeds[0], 10)) {
				t.Errorf("recorded config %q, want the first seed's", c)
			}
			if tt.state != StateComplete {
				return
			}
			sum, _ := st.Summary(context.Background())
			if got := sum.Trials[0].SeedValues; !slices.Equal(got, []float64{3, 5}) {
				t.Errorf("seed values %v, want [3 5]", got)
			}
			if !strings.Contains(log.String(), tt.log) {
				t.Errorf("log:\n%s", log.String())
			}
		})
	}
}

// --confirm-seeds: a trial whose value on its seeds is at least the study's
// best trains on the confirming seeds too and is told the value of all of
// them; a trial behind the best is told at once. Confirming runs report
// nothing to the pruner.
func TestRunConfirmSeeds(t *testing.T) {
	// The fake's value is its seed plus the trial's bonus. Trial 0 leads an
	// empty study and is confirmed from 4 (seeds 3 and 5) to 3 (seeds 3, 5
	// and 1); trial 1 is the same; trial 2 (-6) is behind the best (3);
	// trial 3 leads with 3.5 and is confirmed to 2.5.
	bonus := []float64{0, 0, -10, -0.5}
	st := &fakeStudy{pruneBelow: -100, params: func(n int) map[string]any { return map[string]any{"bonus": bonus[n]} }}
	var log bytes.Buffer
	cfg := testConfig(t, len(bonus), 1)
	cfg.Seeds, cfg.ConfirmSeeds, cfg.StepsPerSeed, cfg.Log = []uint64{3, 5}, []uint64{1}, 1000, &log
	if _, err := Run(context.Background(), cfg, st); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		value     float64
		seedVals  []float64
		confirmed bool
	}{
		{3, []float64{3, 5, 1}, true},
		{3, []float64{3, 5, 1}, true},
		{-6, []float64{-7, -5}, false},
		{2.5, []float64{2.5, 4.5, 0.5}, true},
	}
	for n, tt := range tests {
		tr := st.trials[n]
		if tr.state != StateComplete || tr.value != tt.value {
			t.Errorf("trial %d: %s %g, want complete %g (log %s)", n, tr.state, tr.value, tt.value, log.String())
		}
		if got, _ := tr.attrs[AttrSeedValues].([]float64); !slices.Equal(got, tt.seedVals) {
			t.Errorf("trial %d: seed values %v, want %v", n, got, tt.seedVals)
		}
		_, err := os.Stat(filepath.Join(TrialDir(cfg.Dir, n), "seed-1", "metrics.jsonl"))
		if (err == nil) != tt.confirmed {
			t.Errorf("trial %d: confirming seed's run exists %v, want %v", n, err == nil, tt.confirmed)
		}
		// Seeds 3 and 5 report at steps 100-300 and 1100-1300 (with no
		// warm-up); seed 1 reports nothing.
		if len(tr.steps) != 6 || tr.steps[5] != 1300 {
			t.Errorf("trial %d: reports at steps %v, want 6 ending at 1300", n, tr.steps)
		}
	}
	if !strings.Contains(log.String(), "value 3.00 = mean of seeds 3.00, 5.00, 1.00 (the last 1 confirming its lead)") {
		t.Errorf("log does not say which seeds confirmed:\n%s", log.String())
	}
}

// --objective curve: a run is worth the area under its periodic
// evaluations over the budget; the last one holds to the end.
func TestCurveMean(t *testing.T) {
	tests := []struct {
		name   string
		evals  []evalPoint
		budget int64
		want   float64
	}{
		{"none: the final evaluation", nil, 1000, 7},
		{"one", []evalPoint{{500, 3}}, 1000, 3},
		{"to the budget", []evalPoint{{0, 1}, {500, 2}, {1000, 4}}, 1000, 3},
		{"stopped early holds its last", []evalPoint{{0, 0}, {250, 2}, {500, 4}}, 1000, 3.5},
		{"past the budget", []evalPoint{{0, 1}, {100, 3}}, 50, 3},
	}
	for _, tt := range tests {
		if got := curveMean(tt.evals, tt.budget, 7); abs(got-tt.want) > 1e-12 {
			t.Errorf("%s: %g, want %g", tt.name, got, tt.want)
		}
	}
}

// The curve objective through Run: two seeds whose evaluations climb to
// their final values 3 and 5 are worth less than those values.
func TestRunCurveObjective(t *testing.T) {
	st := &fakeStudy{params: func(int) map[string]any { return map[string]any{"ramp": 1} }}
	cfg := testConfig(t, 1, 1)
	cfg.Seeds, cfg.StepsPerSeed, cfg.Objective = []uint64{3, 5}, 1000, ObjectiveCurve
	if _, err := Run(context.Background(), cfg, st); err != nil {
		t.Fatal(err)
	}
	// Seed s: evaluations s/3, 2s/3, s at steps 100, 200, 300, then s held
	// to step 1000: (2s/3*100 + s*100 + s*700) / 900 = 26s/27.
	want := (26.0*3/27 + 26.0*5/27) / 2
	if tr := st.trials[0]; tr.state != StateComplete || abs(tr.value-want) > 1e-9 {
		t.Errorf("trial: %s %g, want complete %g", tr.state, tr.value, want)
	}
}
