package tune

import (
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xlrl/xlrl/internal/agent/zoo"
)

// The worker runs in a directory of its own, so the study directory and a
// journal storage reach it as absolute paths; a PostgreSQL URL is left as
// it is.
func TestPrepareTuneAbsolutePaths(t *testing.T) {
	t.Chdir(t.TempDir())
	tests := []struct{ storage, wantStorage string }{
		{"", "study/study.journal"},
		{"other.journal", "other.journal"},
		{"postgresql://me@db/optuna", "postgresql://me@db/optuna"},
	}
	for _, tt := range tests {
		o := TuneOptions{Env: "CartPole-v1", Algo: "dqn", Trials: 3, Jobs: 1, Dir: "study", Storage: tt.storage}
		if _, _, _, err := PrepareTune(&o); err != nil {
			t.Fatal(err)
		}
		want := tt.wantStorage
		if tt.storage == "" || tt.storage == "other.journal" {
			want = absPath(want)
		}
		if !filepath.IsAbs(o.Dir) || o.Storage != want {
			t.Errorf("storage %q: dir %q, storage %q; want an absolute dir and %q", tt.storage, o.Dir, o.Storage, want)
		}
	}
}

// The process that ends a study draws its plots; one that stops while
// others still run trials leaves them.
func TestPlotsNotDue(t *testing.T) {
	done := &Summary{Trials: []TrialRow{{State: StateComplete}, {State: StatePruned}}}
	if why := plotsNotDue(done); why != "" {
		t.Errorf("a finished study: %q, want the plots drawn", why)
	}
	busy := &Summary{Trials: []TrialRow{{State: StateComplete}, {State: StateRunning}}}
	if why := plotsNotDue(busy); !strings.Contains(why, "1 trials of other processes still running") {
		t.Errorf("a study with a running trial: %q", why)
	}
}

// --evaluations sets the trials' eval_every to the budget over the count,
// and refuses what it cannot honour before anything is written.
// No trial is pruned before --prune-warmup of its budget, whether
// --budget-steps or the tuned configuration gives the budget.
func TestPruneWarmupSteps(t *testing.T) {
	t.Chdir(t.TempDir())
	h, _, err := zoo.Defaults("CartPole-v1", "dqn")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		budget   int64
		fraction float64
		want     int64
	}{
		{"a third by default", 30000, 0, 10000},
		{"of the configuration's budget", 0, 0, int64(h.Steps() / 3)},
		{"a set fraction", 20000, 0.6, 12000},
	}
	for _, tt := range tests {
		o := TuneOptions{Env: "CartPole-v1", Algo: "dqn", Trials: 3, Jobs: 1, Dir: "study", BudgetSteps: tt.budget, PruneWarmup: tt.fraction}
		b, _, _, err := PrepareTune(&o)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := pruneWarmupSteps(&o, b); err != nil || got != tt.want {
			t.Errorf("%s: %d, %v; want %d", tt.name, got, err, tt.want)
		}
	}
}

func TestPrepareTuneEvaluations(t *testing.T) {
	t.Chdir(t.TempDir())
	h, _, err := zoo.Defaults("CartPole-v1", "dqn")
	if err != nil {
		t.Fatal(err)
	}
	cartPoleSteps := h.Steps()
	tests := []struct {
		name          string
		evaluations   int
		budget        int64
		hp            []string
		wantEvalEvery string // "" : not set
		wantErr       string
	}{
		{name: "default keeps the configuration's", budget: 20000},
		{name: "twenty over 300k", evaluations: 20, budget: 300000, wantEvalEvery: "15000"},
		{name: "the configuration's budget", evaluations: 10, wantEvalEvery: strconv.Itoa(cartPoleSteps / 10)},
		{name: "negative", evaluations: -1, wantErr: "--evaluations -1"},
		{name: "with eval_every", evaluations: 5, budget: 1000, hp: []string{"eval_every=100"}, wantErr: "keep one"},
		{name: "more than steps", evaluations: 2000, budget: 1000, wantErr: "more evaluations than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := TuneOptions{Env: "CartPole-v1", Algo: "dqn", Trials: 3, Jobs: 1, Dir: "study",
				BudgetSteps: tt.budget, Evaluations: tt.evaluations, HP: tt.hp}
			b, _, _, err := PrepareTune(&o)
			if !wantError(t, err, tt.wantErr) {
				return
			}
			if got := b.HP["eval_every"]; got != tt.wantEvalEvery {
				t.Errorf("eval_every %q, want %q", got, tt.wantEvalEvery)
			}
			args := strings.Join(b.TrainArgs(nil, nil, "out"), " ")
			if has := strings.Contains(args, "--hp eval_every="); has != (tt.wantEvalEvery != "") {
				t.Errorf("trial arguments %q: eval_every passed %v, want %v", args, has, tt.wantEvalEvery != "")
			}
		})
	}
}

// The trials' seeds come first from --seed, then the confirming seeds;
// --confirm-seeds alone puts a single seed in a seed directory of its own.
func TestTrialSeeds(t *testing.T) {
	tests := []struct {
		name                string
		trialSeeds, confirm int
		objective           string
		wantSeeds, wantConf []uint64
		wantErr             string
	}{
		{name: "one seed", trialSeeds: 1},
		{name: "three", trialSeeds: 3, wantSeeds: []uint64{7, 8, 9}},
		{name: "three and two confirming", trialSeeds: 3, confirm: 2, wantSeeds: []uint64{7, 8, 9}, wantConf: []uint64{10, 11}},
		{name: "one and one confirming", trialSeeds: 1, confirm: 1, wantSeeds: []uint64{7}, wantConf: []uint64{8}},
		{name: "curve on one seed", trialSeeds: 1, objective: ObjectiveCurve},
		{name: "negative", trialSeeds: 3, confirm: -1, wantErr: "--confirm-seeds -1"},
		{name: "too many", trialSeeds: 3, confirm: maxTrialSeeds + 1, wantErr: "--confirm-seeds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := TuneOptions{Env: "CartPole-v1", Algo: "dqn", Trials: 1, Jobs: 1, Root: t.TempDir(), Seed: 7,
				BudgetSteps: 1000, TrialSeeds: tt.trialSeeds, ConfirmSeeds: tt.confirm, Objective: tt.objective}
			b, _, _, err := PrepareTune(&o)
			if !wantError(t, err, tt.wantErr) {
				return
			}
			seeds, confirm, steps, err := trialSeeds(&o, b)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(seeds, tt.wantSeeds) || !slices.Equal(confirm, tt.wantConf) {
				t.Errorf("seeds %v, confirming %v; want %v, %v", seeds, confirm, tt.wantSeeds, tt.wantConf)
			}
			if want := int64(1000); (seeds != nil || tt.objective == ObjectiveCurve) && steps != want {
				t.Errorf("steps per seed %d, want %d", steps, want)
			}
		})
	}
}

// wantError checks err against want (a part of the message; "": no error)
// and says whether the test goes on: only when neither wanted nor got one.
func wantError(t *testing.T, err error, want string) bool {
	t.Helper()
	if want != "" {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("err %v, want one containing %q", err, want)
		}
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}
