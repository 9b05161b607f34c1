package train

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xlrl/xlrl/internal/run"
)

// snapshot reads every file of a run directory.
func snapshot(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

func sameFiles(t *testing.T, what string, before, after map[string][]byte) {
	t.Helper()
	if len(before) != len(after) {
		t.Errorf("%s: files %d -> %d", what, len(before), len(after))
	}
	for name, b := range before {
		if !bytes.Equal(b, after[name]) {
			t.Errorf("%s changed %s (%d -> %d bytes)", what, name, len(b), len(after[name]))
		}
	}
}

// A refused --resume changes no file of the run, and a plain --resume still
// works after it.
func TestRefusedResumeChangesNothing(t *testing.T) {
	root := t.TempDir()
	args := []string{"--env", "FrozenLake-v1", "--algo", "sarsa", "--seed", "3", "--episodes", "600",
		"--slippery=false"}
	full, part := filepath.Join(root, "full"), filepath.Join(root, "part")
	runAndInterrupt(t, args, full, part, 250)

	// Checkpoints of another algorithm and of another environment setting.
	other := filepath.Join(root, "other")
	if _, err := trainArgs(context.Background(), t, Hooks{}, "--env", "FrozenLake-v1", "--algo", "q-learning",
		"--seed", "3", "--episodes", "50", "--slippery=false", "--out", other); err != nil {
		t.Fatal(err)
	}
	slippery := filepath.Join(root, "slippery")
	if _, err := trainArgs(context.Background(), t, Hooks{}, "--env", "FrozenLake-v1", "--algo", "sarsa",
		"--seed", "3", "--episodes", "50", "--out", slippery); err != nil {
		t.Fatal(err)
	}
	own, _ := os.ReadFile(filepath.Join(part, run.CheckpointFile))
	otherCkpt := func(dir string) func() {
		return func() {
			b, _ := os.ReadFile(filepath.Join(dir, run.CheckpointFile))
			os.WriteFile(filepath.Join(part, run.CheckpointFile), b, 0o644)
		}
	}
	tests := []struct {
		name  string
		setup func()
		args  []string
		want  string
	}{
		// Tuned schedules stretch with the budget: the agent refuses it.
		{"larger budget", func() {}, []string{"--episodes", "500000"}, "resume with the run's own --episodes"},
		{"another algorithm's checkpoint", otherCkpt(other), nil, "unusable checkpoint"},
		{"another environment's checkpoint", otherCkpt(slippery), nil, "environment"},
		{"a bad value", func() {}, []string{"--episodes", "-5"}, "--episodes"},
	}
	for _, tt := range tests {
		tt.setup()
		before := snapshot(t, part)
		_, err := trainArgs(context.Background(), t, Hooks{}, append([]string{"--resume", part}, tt.args...)...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
		sameFiles(t, tt.name, before, snapshot(t, part))
		os.WriteFile(filepath.Join(part, run.CheckpointFile), own, 0o644)
	}
	if _, err := trainArgs(context.Background(), t, Hooks{}, "--resume", part); err != nil {
		t.Fatalf("plain --resume after the refusals: %v", err)
	}
	a, b := comparableRecords(t, full), comparableRecords(t, part)
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Fatalf("the resumed run differs from the uninterrupted one: %d and %d records", len(a), len(b))
	}
}

// Bad numbers are refused before any directory is made.
func TestBadNumbersAreRefusedBeforeAnything(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--steps", "-5"}, "--steps -5"},
		{[]string{"--episodes", "-5"}, "--episodes -5"},
		{[]string{"--steps", "0"}, "--steps 0"},
		{[]string{"--explore-start", "nan"}, "--explore-start NaN"},
		{[]string{"--explore", "ucb", "--ucb-c", "nan"}, "--ucb-c NaN"},
		{[]string{"--algo", "dqn", "--backend", "go", "--hp", "learning_rate=nan"}, "--hp learning_rate=nan: not a finite number"},
		{[]string{"--gamma", "inf"}, "--gamma +Inf"},
	}
	for _, tt := range tests {
		root := t.TempDir()
		fl := NewFlags(Defaults{Root: root})
		if err := fl.Set.Parse(tt.args); err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		_, err := Train(context.Background(), fl, Hooks{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err = %v, want %q", tt.args, err, tt.want)
		}
		if entries, _ := os.ReadDir(root); len(entries) != 0 {
			t.Errorf("%v: wrote %v", tt.args, entries)
		}
	}
}

// A DQN run interrupted before its end: a resume with another budget is
// refused without a change, and xlrl eval evaluates its training checkpoint
// (it used to say the checkpoint holds a "dqn", not a policy).
func TestEvalOfAnInterruptedDQNRun(t *testing.T) {
	root := t.TempDir()
	args := []string{"--env", "CartPole-v1", "--algo", "dqn", "--backend", "go", "--steps", "3000",
		"--layers", "16", "--eval-episodes", "3", "--hp", "eval_every=1000"}
	part := filepath.Join(root, "part")
	runAndInterrupt(t, args, filepath.Join(root, "full"), part, 30)
	// A larger budget is refused (epsilon's schedule is laid out over
	// --steps), and nothing changes.
	before := snapshot(t, part)
	_, err := trainArgs(context.Background(), t, Hooks{}, "--resume", part, "--steps", "6000")
	if err == nil || !strings.Contains(err.Error(), "resume with the run's own --steps 3000") {
		t.Errorf("resume with --steps 6000: err = %v", err)
	}
	sameFiles(t, "a refused DQN resume", before, snapshot(t, part))
	res, err := Evaluate(context.Background(), part, 5, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Partial || res.EvalEpisodes != 5 || res.MeanReturn <= 0 {
		t.Fatalf("eval of the interrupted run: %+v", res)
	}
}
