package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
)

// runCLI runs the xlrl root command in-process and returns its stdout.
func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRoot(testSettings)
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&bytes.Buffer{})
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

func TestEnvsJSON(t *testing.T) {
	out, err := runCLI(t, "envs", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Envs []struct {
			ID              string         `json:"id"`
			Observation     map[string]any `json:"observation"`
			MaxEpisodeSteps int            `json:"max_episode_steps"`
			RewardThreshold *float64       `json:"reward_threshold"`
		} `json:"envs"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, out)
	}
	byID := map[string]int{}
	for i, e := range res.Envs {
		byID[e.ID] = i
	}
	// The built-in ones, and the one user_env_test.go registers.
	cp, ok := byID["CartPole-v1"]
	if _, user := byID[corridorSpec.ID]; !ok || !user || len(res.Envs) != 11+1 {
		t.Fatalf("%d envs, CartPole-v1 listed %v", len(res.Envs), ok)
	}
	if e := res.Envs[cp]; e.MaxEpisodeSteps != 500 || *e.RewardThreshold != 475 || e.Observation["high"].([]any)[1] != "inf" {
		t.Errorf("CartPole-v1 entry %+v", e)
	}
	text, err := runCLI(t, "envs")
	if err != nil || !strings.Contains(text, "Taxi-v4") || !strings.Contains(text, "same as Taxi-v3") {
		t.Errorf("text listing: %v\n%s", err, text)
	}
}

// TestRolloutReplaysParityFixture drives a recorded Gymnasium episode through
// the rollout command and compares its JSON lines with the recording.
func TestRolloutReplaysParityFixture(t *testing.T) {
	b, err := os.ReadFile("../internal/env/testdata/parity/CartPole-v1.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx struct {
		Episodes []struct {
			Note    string    `json:"note"`
			State   []float64 `json:"state"`
			Actions []int     `json:"actions"`
			Steps   []struct {
				Obs        []float64 `json:"obs"`
				Reward     float64   `json:"reward"`
				Terminated bool      `json:"terminated"`
				Truncated  bool      `json:"truncated"`
			} `json:"steps"`
		} `json:"episodes"`
	}
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatal(err)
	}
	ep := fx.Episodes[len(fx.Episodes)-3] // stepping on past termination
	join := func(v []float64) string {
		s := make([]string, len(v))
		for i, x := range v {
			s[i] = strconv.FormatFloat(x, 'g', -1, 64)
		}
		return strings.Join(s, ",")
	}
	acts := make([]float64, len(ep.Actions))
	for i, a := range ep.Actions {
		acts[i] = float64(a)
	}
	out, err := runCLI(t, "rollout", "--env", "CartPole-v1", "--state", join(ep.State), "--actions", join(acts), "--json")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(ep.Steps) {
		t.Fatalf("%d lines for %d steps (%s)", len(lines), len(ep.Steps), ep.Note)
	}
	for i, line := range lines {
		var got struct {
			Step       int       `json:"step"`
			Obs        []float64 `json:"obs"`
			Reward     float64   `json:"reward"`
			Terminated bool      `json:"terminated"`
			Truncated  bool      `json:"truncated"`
		}
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		w := ep.Steps[i]
		if got.Step != i+1 || got.Reward != w.Reward || got.Terminated != w.Terminated || got.Truncated != w.Truncated {
			t.Fatalf("step %d: %+v, Gymnasium %+v", i+1, got, w)
		}
		for j := range w.Obs {
			if d := got.Obs[j] - w.Obs[j]; d > 1e-6 || d < -1e-6 {
				t.Fatalf("step %d obs %v, Gymnasium %v", i+1, got.Obs, w.Obs)
			}
		}
	}
}

func TestRolloutBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--env", "Nope-v0", "--actions", "0"}, "known ids are Acrobot-v1"},
		{[]string{"--env", "CartPole-v1", "--actions", "0,2"}, "action 2: CartPole-v1: action 2 is outside"},
		{[]string{"--env", "CartPole-v1", "--actions", "0,left"}, `action 2 is "left"`},
		{[]string{"--env", "CartPole-v1", "--state", "1,2", "--actions", "0"}, "state has 2 values, want 4"},
		{[]string{"--env", "CartPole-v1", "--state", "1,x,3,4", "--actions", "0"}, `"x" is not a number`},
		{[]string{"--env", "FrozenLake-v1", "--map", "SFF,FH", "--actions", "0"}, "row 2 has 2 tiles"},
		{[]string{"--env", "CartPole-v1", "--map", "4x4", "--actions", "0"}, `option "map" does not apply`},
		{[]string{"--env", "FrozenLake-v1", "--slippery=maybe", "--actions", "0"}, `invalid argument "maybe" for "--slippery"`},
		{[]string{"--env", "CartPole-v1"}, "--actions is required"},
		{[]string{"--actions", "0"}, "--env is required"},
	} {
		_, err := runCLI(t, append([]string{"rollout"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("rollout %v: error %v, want it to contain %q", tc.args, err, tc.want)
		}
	}
}

func TestRolloutGridMapAndSlippery(t *testing.T) {
	out, err := runCLI(t, "rollout", "--env", "FrozenLake-v1", "--map", "SFH,FFG", "--slippery=false",
		"--actions", "1,2,2", "--json")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := lines[len(lines)-1]
	if !strings.Contains(last, `"obs":[5]`) || !strings.Contains(last, `"reward":1`) || !strings.Contains(last, `"terminated":true`) {
		t.Fatalf("down, right, right on SFH/FFG should reach the goal (5): %s", out)
	}
}

func TestBenchEnvJSON(t *testing.T) {
	out, err := runCLI(t, "bench", "env", "--env", "CartPole-v1", "--steps", "20000", "--min-seconds", "0.001",
		"--envs", "8", "--workers", "2", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, k := range []string{"steps_per_sec", "vectorized_steps_per_sec", "vectorized_one_worker_steps_per_sec",
		"vector_over_one_core", "vector_over_one_worker", "vector_one_worker_over_one_core"} {
		if v, ok := res[k].(float64); !ok || v <= 0 {
			t.Errorf("%s = %v", k, res[k])
		}
	}
	if w := res["workers_used_most"]; w != 1.0 && w != 2.0 {
		t.Errorf("workers_used_most = %v, want 1 or 2", w)
	}
	text, err := runCLI(t, "bench", "env", "--steps", "20000", "--min-seconds", "0.001", "--envs", "8", "--rounds", "3")
	if err != nil || !strings.Contains(text, "3 round(s)") || !strings.Contains(text, "1 worker:") || !strings.Contains(text, "it chose") {
		t.Errorf("bench env --rounds 3: %v\n%s", err, text)
	}
	if _, err := runCLI(t, "bench", "env", "--rounds", "0"); err == nil {
		t.Error("bench env accepted --rounds 0")
	}
	if _, err := runCLI(t, "bench", "env", "--env", "Pendulum-v1", "--steps", "100", "--json"); err == nil ||
		!strings.Contains(err.Error(), "discrete action space") {
		t.Errorf("Pendulum bench: %v", err)
	}
}
