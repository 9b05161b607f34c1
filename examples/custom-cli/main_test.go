package main

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// bin is this example built as a program, as a user would build it.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "custom-cli-")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "custom-cli")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		panic(string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// run runs the binary and decodes the JSON object on the last line of stdout.
func run(t *testing.T, args ...string) map[string]any {
	t.Helper()
	cmd := exec.Command(bin, append(args, "--json")...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var res map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
		t.Fatalf("%v: the last line is not JSON: %v\n%s", args, err, out)
	}
	return res
}

func TestOwnEnvironmentsInEveryCommand(t *testing.T) {
	runs := t.TempDir()
	if res := run(t, "solve", "--env", "Corridor-v0"); res["optimal_value"] != 1.0 {
		t.Errorf("solve: %v", res)
	}
	q := filepath.Join(runs, "q")
	res := run(t, "train", "--env", "Corridor-v0", "--algo", "q-learning", "--episodes", "500", "--out", q, "--plot=false")
	if res["optimum_percent"] != 100.0 {
		t.Errorf("train q-learning: %v", res)
	}
	if ev := run(t, "eval", q); ev["mean_return"] != res["mean_return"] {
		t.Errorf("eval %v, train %v", ev["mean_return"], res["mean_return"])
	}
	res = run(t, "train", "--env", "Reach-v0", "--algo", "dqn", "--backend", "go", "--steps", "8000",
		"--layers", "16", "--eval-episodes", "5", "--hp", "learning_starts=500", "--hp", "train_freq=4",
		"--hp", "gradient_steps=1", "--hp", "target_update_interval=200", "--hp", "exploration_fraction=0.3",
		"--hp", "eval_every=2000", "--out", filepath.Join(runs, "dqn"), "--plot=false")
	// The optimum: 5 moves right, 4 of them at -0.01.
	if m, ok := res["mean_return"].(float64); !ok || math.Abs(m-0.96) > 1e-9 {
		t.Errorf("train dqn: %v", res)
	}
}
