package tune

import (
	"path/filepath"
	"strings"
	"testing"
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
