package cli

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// runCmd runs the xlrl command line with args and returns stdout.
func runCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRoot(testSettings)
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

func lastJSON(t *testing.T, out string, v any) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), v); err != nil {
		t.Fatalf("last line is not JSON: %v\n%s", err, out)
	}
}

// The exact optima the issue names, to the 4 decimals it gives.
func TestSolveReproducesKnownOptima(t *testing.T) {
	tests := []struct {
		args []string
		want float64
	}{
		{[]string{"--env", "FrozenLake-v1"}, 0.7442},
		{[]string{"--env", "FrozenLake-v1", "--horizon", "100"}, 0.7442},
		{[]string{"--env", "FrozenLake8x8-v1"}, 0.9132},
		{[]string{"--env", "FrozenLake-v1", "--map", "8x8", "--horizon", "200"}, 0.9132},
		{[]string{"--env", "Taxi-v3"}, 7.93},
		{[]string{"--env", "CliffWalking-v0"}, -13},
		{[]string{"--env", "FrozenLake-v1", "--slippery=false"}, 1},
	}
	for _, tt := range tests {
		out, err := runCmd(t, append([]string{"solve", "--json"}, tt.args...)...)
		if err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		var res solveResult
		lastJSON(t, out, &res)
		if math.Abs(res.OptimalValue-tt.want) > 5e-5 {
			t.Errorf("%v: optimal value %.6f, want %.4f", tt.args, res.OptimalValue, tt.want)
		}
		if len(res.Policy) == 0 || len(res.Grid) == 0 {
			t.Errorf("%v: no policy or grid in %s", tt.args, out)
		}
	}
}

func TestSolveDrawsThePolicy(t *testing.T) {
	out, err := runCmd(t, "solve", "--env", "CliffWalking-v0")
	if err != nil {
		t.Fatal(err)
	}
	// The optimal path runs along the cliff edge, right above it.
	want := "↑CCCCCCCCCCG"
	if !strings.Contains(out, want) || !strings.Contains(out, "→→→→→→→→→→→↓\n↑CCCC") {
		t.Errorf("policy drawing lacks the cliff-edge path:\n%s", out)
	}
}

func TestSolveMethodsAgree(t *testing.T) {
	var vi, pi solveResult
	out, err := runCmd(t, "solve", "--env", "Taxi-v3", "--horizon", "0", "--gamma", "0.99", "--json")
	if err != nil {
		t.Fatal(err)
	}
	lastJSON(t, out, &vi)
	out, err = runCmd(t, "solve", "--env", "Taxi-v3", "--method", "policy-iteration", "--gamma", "0.99", "--json")
	if err != nil {
		t.Fatal(err)
	}
	lastJSON(t, out, &pi)
	if vi.Method != "value-iteration" || pi.Method != "policy-iteration" {
		t.Fatalf("methods %q and %q", vi.Method, pi.Method)
	}
	if math.Abs(vi.OptimalValue-pi.OptimalValue) > 1e-6 {
		t.Errorf("value iteration %v, policy iteration %v", vi.OptimalValue, pi.OptimalValue)
	}
}

func TestSolveBadInput(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--env", "CartPole-v1"}, "CartPole-v1 has no transition model to solve"},
		{[]string{"--env", "Nope-v0"}, "unknown environment id"},
		{[]string{"--gamma", "1.5"}, "discount must lie in (0, 1]"},
		{[]string{"--gamma", "0"}, "discount must lie in (0, 1]"},
		{[]string{"--method", "magic"}, "want auto, finite-horizon"},
		{[]string{"--method", "policy-iteration"}, "discount below 1"},
		{[]string{"--map", "SFX"}, "tiles are S"},
	}
	for _, tt := range tests {
		_, err := runCmd(t, append([]string{"solve"}, tt.args...)...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want one containing %q", tt.args, err, tt.want)
		}
	}
}
