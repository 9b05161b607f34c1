package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xlrl/xlrl/internal/worker/workertest"
)

// A gen run that fails on bad data leaves no directory behind, so that the
// corrected command may use the same name (its worker.log used to make the
// directory "not empty").
func TestGenFailureOnBadDataLeavesNoRun(t *testing.T) {
	py := workertest.Python(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("a,b\nnot,numbers\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := filepath.Join(dir, "run")
	_, errOut, err := genExec(t, "--python", py, "gen", "train", "--model", "made", "--data", bad, "--out", run)
	if err == nil {
		t.Fatalf("gen train on bad data succeeded:\n%s", errOut)
	}
	if _, err := os.Stat(run); !os.IsNotExist(err) {
		entries, _ := os.ReadDir(run)
		t.Fatalf("the failed run left %s behind: %v", run, entries)
	}
}

// Numeric flags are checked the same way on every command, before any work.
func TestEveryCommandChecksItsNumbers(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"gen", "train", "--model", "vae", "--data", "digits", "--lr", "nan"}, "--lr NaN: must be a finite number"},
		{[]string{"robust", "train", "--lr", "-1"}, "--lr -1: must be greater than 0"},
		{[]string{"robust", "train", "--eps", "inf"}, "--eps +Inf: must be a finite number"},
		{[]string{"train", "--steps", "-5"}, "--steps -5: must be at least 1"},
		{[]string{"train", "--ucb-c", "nan", "--explore", "ucb"}, "--ucb-c NaN"},
		{[]string{"eval", "x", "--episodes", "-3"}, "--episodes -3: must be at least 0"},
		{[]string{"plot", "x", "--window", "-1"}, "--window -1"},
	}
	for _, tt := range tests {
		_, _, err := genExec(t, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err = %v, want %q", tt.args, err, tt.want)
		}
	}
}
