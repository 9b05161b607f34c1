package tune

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary stand in for `xlrl train`: with
// XLRL_FAKE_TRAIN=1 it reads the arguments Base.TrainArgs builds and acts out
// the --hp mode (complete, slow, die, crash). Its value is 100 x
// learning_rate, else its seed, plus --hp bonus; --hp ramp=1 makes its
// periodic evaluations climb to the final value.
func TestMain(m *testing.M) {
	if os.Getenv("XLRL_FAKE_TRAIN") == "1" {
		os.Exit(fakeTrain(os.Args[1:]))
	}
	os.Exit(m.Run())
}

func fakeTrain(args []string) int {
	var out string
	var seed uint64
	hp := map[string]string{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--out":
			i++
			out = args[i]
		case a == "--hp":
			i++
			k, v, _ := strings.Cut(args[i], "=")
			hp[k] = v
		case strings.HasPrefix(a, "--seed="):
			seed, _ = strconv.ParseUint(strings.TrimPrefix(a, "--seed="), 10, 64)
		}
	}
	value, _ := strconv.ParseFloat(hp["learning_rate"], 64)
	value *= 100
	if hp["learning_rate"] == "" {
		value = float64(seed)
	}
	if b, err := strconv.ParseFloat(hp["bonus"], 64); err == nil {
		value += b
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "xlrl:", err)
		return 1
	}
	_ = os.WriteFile(filepath.Join(out, "config.yaml"), []byte(fmt.Sprintf("# the env\nenv: Fake-v0\nseed: %d\nplot: false\n", seed)), 0o644)
	metrics, _ := os.Create(filepath.Join(out, "metrics.jsonl"))
	defer metrics.Close()
	eval := func(step int) {
		fmt.Fprintf(metrics, `{"kind":"episode","step":%d,"return":1}`+"\n", step)
		v := value
		if hp["ramp"] == "1" { // the evaluations climb to the final value
			v = value * float64(step) / 300
		}
		fmt.Fprintf(metrics, `{"kind":"eval","step":%d,"eval_mean":%g}`+"\n", step, v)
	}
	switch hp["mode"] {
	case "die":
		fmt.Fprintln(os.Stderr, "step 1: progress")
		fmt.Fprintln(os.Stderr, "xlrl: boom")
		return 1
	case "crash":
		eval(100)
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	case "slow":
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		for step := 100; ; step += 100 {
			eval(step)
			select {
			case <-sig:
				fmt.Fprintln(os.Stderr, "interrupted: checkpoint saved")
				return 130
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	for step := 100; step <= 300; step += 100 {
		eval(step)
	}
	b, _ := json.Marshal(map[string]any{"env": "Fake-v0", "seed": seed, "mean_return": value, "std_return": 1,
		"train_steps": 300, "run_dir": out})
	fmt.Println("Fake-v0 done")
	fmt.Println(string(b))
	return 0
}

// fakeExe is the test binary as `xlrl`.
func fakeExe(t *testing.T) string {
	t.Setenv("XLRL_FAKE_TRAIN", "1")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

type fakeTrial struct {
	state   string
	value   float64
	reports []float64
	steps   []int64
	attrs   map[string]any
	tells   int
}

// fakeStudy is an in-memory Study: trial n gets params(n); a report below
// pruneBelow prunes.
type fakeStudy struct {
	mu         sync.Mutex
	trials     []*fakeTrial
	params     func(n int) map[string]any
	pruneBelow float64
	reported   chan int // trial numbers as they report (buffered), or nil
}

func (s *fakeStudy) Ask(ctx context.Context, total int) (*Asked, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.trials) >= total {
		return &Asked{Full: true, Trials: len(s.trials)}, nil
	}
	n := len(s.trials)
	s.trials = append(s.trials, &fakeTrial{state: StateRunning})
	return &Asked{Number: n, Params: s.params(n)}, nil
}

func (s *fakeStudy) Report(ctx context.Context, n int, step int64, v float64) (bool, error) {
	s.mu.Lock()
	s.trials[n].reports = append(s.trials[n].reports, v)
	s.trials[n].steps = append(s.trials[n].steps, step)
	s.mu.Unlock()
	if s.reported != nil {
		select {
		case s.reported <- n:
		default:
		}
	}
	return v < s.pruneBelow, nil
}

func (s *fakeStudy) Heartbeat(ctx context.Context, numbers []int) error { return nil }

func (s *fakeStudy) Tell(ctx context.Context, n int, state string, v float64, attrs map[string]any) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.trials[n]
	t.state, t.value, t.attrs = state, v, attrs
	t.tells++
	return nil
}

func (s *fakeStudy) Summary(ctx context.Context) (*Summary, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sum := &Summary{Name: "fake"}
	for i, t := range s.trials {
		row := TrialRow{Number: i, State: t.state, Attrs: t.attrs, Params: s.params(i)}
		if t.state == StateComplete {
			v := t.value
			row.Value = &v
			if sum.Best == nil || v > *sum.Trials[*sum.Best].Value {
				b := i
				sum.Best = &b
			}
		}
		row.fromAttrs()
		sum.Trials = append(sum.Trials, row)
	}
	return sum, nil
}
