package train

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xlrl/xlrl/internal/ckpt"
	"github.com/xlrl/xlrl/internal/metric"
	"github.com/xlrl/xlrl/internal/run"
)

// trainArgs trains with the train flags args (as typed after `xlrl train`)
// into runs under the test's temporary directory, with no plots.
func trainArgs(ctx context.Context, t *testing.T, h Hooks, args ...string) (*Result, error) {
	t.Helper()
	fl := NewFlags(Defaults{Root: t.TempDir()})
	if err := fl.Set.Parse(args); err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return Train(ctx, fl, h)
}

func comparableRecords(t *testing.T, dir string) []string {
	t.Helper()
	recs, err := run.ReadMetrics(filepath.Join(dir, run.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(recs))
	for i, r := range recs {
		r.Time = 0
		delete(r.Values, metric.StepsPerSec)
		b, _ := r.MarshalJSON()
		out[i] = string(b)
	}
	return out
}

// runAndInterrupt runs args to the end into full, then again into part,
// cancelled after episode stopAt as Ctrl-C would; it returns the full run's
// result and checks that the interrupted one exited with status 130.
func runAndInterrupt(t *testing.T, args []string, full, part string, stopAt int64) Result {
	t.Helper()
	want, err := trainArgs(context.Background(), t, Hooks{}, append(args, "--out", full)...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := Hooks{AfterEpisode: func(ep int64) {
		if ep == stopAt {
			cancel()
		}
	}}
	_, err = trainArgs(ctx, t, h, append(args, "--out", part)...)
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("interrupted run: err = %v, want ErrInterrupted", err)
	}
	return *want
}

// TestTrainRunResumeMatchesUninterrupted interrupts a run at episode 250
// (as Ctrl-C does), resumes it and compares it with a run never stopped.
func TestTrainRunResumeMatchesUninterrupted(t *testing.T) {
	root := t.TempDir()
	full, part := filepath.Join(root, "full"), filepath.Join(root, "part")
	args := []string{"--env", "FrozenLake-v1", "--algo", "sarsa", "--seed", "3", "--episodes", "600"}
	want := runAndInterrupt(t, args, full, part, 250)
	if n := len(comparableRecords(t, part)); n >= 600 {
		t.Fatalf("the interrupted run logged %d episodes", n)
	}

	res, err := trainArgs(context.Background(), t, Hooks{}, "--resume", part)
	if err != nil {
		t.Fatal(err)
	}
	got := *res
	if got.TrainSteps != want.TrainSteps || got.MeanReturn != want.MeanReturn || got.RunDir != part {
		t.Fatalf("resumed: %+v\nuninterrupted: %+v", got, want)
	}
	a, b := comparableRecords(t, full), comparableRecords(t, part)
	if len(a) != 600 || strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Fatalf("metrics differ: %d and %d records", len(a), len(b))
	}
	for _, name := range []string{run.ConfigFile, run.CheckpointFile, "result.json"} {
		if _, err := os.Stat(filepath.Join(part, name)); err != nil {
			t.Error(err)
		}
	}
}

func TestTrainRunRefusals(t *testing.T) {
	if _, err := Evaluate(context.Background(), filepath.Join(t.TempDir(), "nope"), 0, nil); err == nil ||
		!strings.Contains(err.Error(), "does not exist") {
		t.Errorf("evaluating a missing run: err = %v", err)
	}
	dir := filepath.Join(t.TempDir(), "r")
	if _, err := trainArgs(context.Background(), t, Hooks{}, "--env", "Taxi-v3", "--episodes", "20", "--out", dir); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--out", dir}, "already exists"},
		{[]string{"--resume", dir, "--gamma", "0.5"}, "--gamma"},
		{[]string{"--resume", filepath.Join(dir, "nope")}, "does not exist"},
		{[]string{"--config", filepath.Join(dir, "nope.yaml")}, "nope.yaml"},
	}
	for _, tt := range tests {
		_, err := trainArgs(context.Background(), t, Hooks{}, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err = %v, want it to mention %q", tt.args, err, tt.want)
		}
	}
}

func TestTrainRunDeepRecordsAndEvaluates(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dqn")
	res, err := trainArgs(context.Background(), t, Hooks{}, "--env", "CartPole-v1", "--algo", "dqn", "--backend", "go",
		"--steps", "1600", "--layers", "8", "--eval-episodes", "3", "--out", dir)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := run.ReadMetrics(filepath.Join(dir, run.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	var lastStep int64
	for _, r := range recs {
		kinds[r.Kind]++
		if r.Kind == metric.KindUpdate {
			for _, k := range []string{metric.Loss, metric.Epsilon, metric.MeanQ, metric.MaxQ} {
				if _, ok := r.Values[k]; !ok {
					t.Fatalf("update record without %s: %+v", k, r)
				}
			}
			if r.Values[metric.MaxQ] < r.Values[metric.MeanQ] {
				t.Fatalf("max_q below mean_q: %+v", r)
			}
		}
		if r.Kind == metric.KindEpisode {
			lastStep = r.Step
		}
	}
	if int64(kinds[metric.KindEpisode]) != res.TrainEpisodes || kinds[metric.KindUpdate] == 0 || lastStep > res.TrainSteps {
		t.Fatalf("records %v, result %d episodes %d steps", kinds, res.TrainEpisodes, res.TrainSteps)
	}
	ev, err := Evaluate(context.Background(), dir, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ev.MeanReturn != res.MeanReturn || ev.EvalEpisodes != res.EvalEpisodes {
		t.Fatalf("eval %v over %d, train reported %v over %d", ev.MeanReturn, ev.EvalEpisodes, res.MeanReturn, res.EvalEpisodes)
	}
	if _, err := trainArgs(context.Background(), t, Hooks{}, "--resume", dir); err == nil || !strings.Contains(err.Error(), "final policy") {
		t.Fatalf("resuming a dqn run: err = %v", err)
	}
}

func TestTrainRunFailureBeforeTrainingLeavesNoRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "bad")
	// Tabular Q-learning cannot take CartPole's continuous observations.
	_, err := trainArgs(context.Background(), t, Hooks{}, "--env", "CartPole-v1", "--algo", "q-learning", "--out", dir)
	if err == nil || !strings.Contains(err.Error(), "Discrete") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("the failed run left %s behind (stat: %v)", dir, err)
	}
}

// TestTrainRunDQNResumeMatchesUninterrupted stops a go-backend DQN run with
// "Ctrl-C" during episode 40, resumes it, and compares everything it logged
// and its final evaluation with a run never stopped.
func TestTrainRunDQNResumeMatchesUninterrupted(t *testing.T) {
	root := t.TempDir()
	full, part := filepath.Join(root, "full"), filepath.Join(root, "part")
	args := []string{"--env", "CartPole-v1", "--algo", "dqn", "--backend", "go", "--steps", "5000",
		"--layers", "16", "--eval-episodes", "3", "--hp", "eval_every=1500", "--hp", "train_freq=64",
		"--hp", "gradient_steps=8"}
	want := runAndInterrupt(t, args, full, part, 40)
	ck, err := ckpt.Read(filepath.Join(part, run.CheckpointFile), "dqn")
	if err != nil {
		t.Fatal(err)
	}
	var at Counters
	ck.GetJSON("run", &at)
	if at.Steps <= 0 || at.Steps >= 5000 {
		t.Fatalf("checkpoint at step %d", at.Steps)
	}

	res, err := trainArgs(context.Background(), t, Hooks{}, "--resume", part)
	if err != nil {
		t.Fatal(err)
	}
	got := *res
	if got.MeanReturn != want.MeanReturn || got.TrainSteps != want.TrainSteps || got.TrainEpisodes != want.TrainEpisodes ||
		got.Deep.GradientSteps != want.Deep.GradientSteps || !reflect.DeepEqual(got.Deep.BestPeriodic, want.Deep.BestPeriodic) {
		t.Fatalf("resumed: %+v %+v\nuninterrupted: %+v %+v", got, *got.Deep, want, *want.Deep)
	}
	a, b := comparableRecords(t, full), comparableRecords(t, part)
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		for i := range min(len(a), len(b)) {
			if a[i] != b[i] {
				t.Fatalf("metrics differ at record %d:\n%s\n%s", i, a[i], b[i])
			}
		}
		t.Fatalf("metrics differ: %d and %d records", len(a), len(b))
	}
}

func TestTrainEpisodesStretchTheTunedSchedules(t *testing.T) {
	fl := NewFlags(Defaults{})
	if err := fl.Set.Parse([]string{"--env", "FrozenLake-v1", "--algo", "q-learning", "--episodes", "2000"}); err != nil {
		t.Fatal(err)
	}
	h, err := fl.TabularHyper()
	if err != nil {
		t.Fatal(err)
	}
	// Tuned: 20,000 episodes, lr decay over 20,000, epsilon decay over 10,000.
	if h.Episodes != 2000 || h.LRDecayEpisodes != 2000 || h.Explore.DecaySteps != 1000 {
		t.Errorf("episodes %d, lr decay %d, epsilon decay %d; want 2000, 2000, 1000",
			h.Episodes, h.LRDecayEpisodes, h.Explore.DecaySteps)
	}
	fl = NewFlags(Defaults{})
	if err := fl.Set.Parse([]string{"--env", "Taxi-v3", "--algo", "q-learning", "--lr-end", "0.05"}); err != nil {
		t.Fatal(err)
	}
	if h, _ := fl.TabularHyper(); h.LREnd != 0.05 || h.LRDecayEpisodes != h.Episodes {
		t.Errorf("--lr-end on a constant tuned rate: end %g over %d episodes, want 0.05 over %d",
			h.LREnd, h.LRDecayEpisodes, h.Episodes)
	}
}

// TestTabularHP: --hp sets a tabular entry's values as given (no stretching
// of the schedules), the flags then adjust them, and an unknown name is
// refused before the run directory exists, with the valid names.
func TestTabularHP(t *testing.T) {
	fl := NewFlags(Defaults{})
	if err := fl.Set.Parse([]string{"--env", "FrozenLake-v1", "--algo", "sarsa", "--hp", "episodes=300",
		"--hp", "explore_end=0.2", "--hp", "schedule=exponential", "--hp", "decay=0.99", "--gamma", "0.9"}); err != nil {
		t.Fatal(err)
	}
	h, err := fl.TabularHyper()
	if err != nil {
		t.Fatal(err)
	}
	if h.Episodes != 300 || h.LRDecayEpisodes != 20_000 || h.Explore.End != 0.2 || h.Explore.Schedule != "exponential" ||
		h.Explore.Decay != 0.99 || h.Gamma != 0.9 || h.LR != 0.1 {
		t.Errorf("after --hp and --gamma: %+v", h)
	}
	root := t.TempDir()
	fl = NewFlags(Defaults{Root: root})
	if err := fl.Set.Parse([]string{"--env", "FrozenLake-v1", "--algo", "q-learning", "--hp", "tau=1"}); err != nil {
		t.Fatal(err)
	}
	_, err = Train(t.Context(), fl, Hooks{})
	if err == nil || !strings.Contains(err.Error(), `--hp: unknown hyperparameter "tau": this algorithm has decay, decay_steps, episodes, eval_episodes, explore`) {
		t.Fatalf("unknown tabular --hp: %v", err)
	}
	if entries, _ := os.ReadDir(root); len(entries) != 0 {
		t.Errorf("a refused --hp left %d entries in the runs directory", len(entries))
	}
}

// A run with no periodic evaluation has no best one: result.json leaves the
// field out instead of failing on -Inf.
func TestTrainRunWithoutPeriodicEvaluation(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "r")
	res, err := trainArgs(context.Background(), t, Hooks{}, "--env", "CartPole-v1", "--algo", "dqn", "--backend", "go",
		"--steps", "600", "--layers", "8", "--eval-episodes", "2", "--hp", "eval_every=0", "--out", dir)
	if err != nil {
		t.Fatal(err)
	}
	if res.Deep.BestPeriodic != nil {
		t.Errorf("best periodic evaluation %v, want none", *res.Deep.BestPeriodic)
	}
	b, err := os.ReadFile(filepath.Join(dir, ResultFile))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "best_periodic_eval") {
		t.Errorf("result.json names a best periodic evaluation: %s", b)
	}
}
