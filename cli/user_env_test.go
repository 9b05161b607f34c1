package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xlrl/xlrl"
	"github.com/xlrl/xlrl/internal/train"
)

// corridor is a user's own environment registered through the public API:
// states 0..5 in a row, start at 1, actions left and right, -1 at state 0
// and +1 at state 5 (both terminal). It has a model, so solve and "% of
// optimal" work for it.
type corridor struct {
	s    int
	spec *xlrl.Spec
}

var corridorSpec = xlrl.Spec{ID: "CliTestCorridor-v0", Observation: xlrl.Space{Kind: xlrl.Discrete, N: 6},
	Action: xlrl.Space{Kind: xlrl.Discrete, N: 2}, MaxEpisodeSteps: 20}

func (c *corridor) Spec() *xlrl.Spec { return c.spec }
func (c *corridor) Seed(uint64)      {}
func (c *corridor) Reset() []float64 { c.s = 1; return []float64{1} }
func (c *corridor) NumStates() int   { return 6 }
func (c *corridor) NumActions() int  { return 2 }
func (c *corridor) InitialDistribution() []float64 {
	return []float64{0, 1, 0, 0, 0, 0}
}

func (c *corridor) Transitions(s, a int) []xlrl.Outcome {
	if s == 0 || s == 5 {
		return []xlrl.Outcome{{Prob: 1, Next: s, Terminal: true}}
	}
	n := s + 2*a - 1
	return []xlrl.Outcome{{Prob: 1, Next: n, Reward: map[int]float64{0: -1, 5: 1}[n], Terminal: n == 0 || n == 5}}
}

func (c *corridor) Step(a xlrl.Action) ([]float64, float64, bool, bool) {
	o := c.Transitions(c.s, a.Discrete)[0]
	c.s = o.Next
	return []float64{float64(o.Next)}, o.Reward, o.Terminal, false
}

func init() {
	err := xlrl.RegisterEnv(corridorSpec, func() (xlrl.Env, error) { s := corridorSpec; return &corridor{spec: &s}, nil })
	if err != nil {
		panic(err)
	}
}

// Every command that takes an environment id finds one registered through
// xlrl.RegisterEnv.
func TestCommandsKnowAUserEnv(t *testing.T) {
	id := corridorSpec.ID
	out, err := runCLI(t, "envs", "--json")
	if err != nil || !strings.Contains(out, `"id":"`+id+`"`) {
		t.Fatalf("envs: %v\n%s", err, out)
	}
	out, err = runCLI(t, "solve", "--env", id, "--json")
	if err != nil || !strings.Contains(out, `"optimal_value":1`) {
		t.Fatalf("solve: %v\n%s", err, out)
	}
	out, err = runCLI(t, "rollout", "--env", id, "--actions", "1,1,1,1", "--json")
	if err != nil || !strings.Contains(out, `"terminated":true`) {
		t.Fatalf("rollout: %v\n%s", err, out)
	}
	if _, err := runCLI(t, "bench", "env", "--env", id, "--steps", "1000", "--min-seconds", "0.001", "--envs", "2", "--workers", "1", "--json"); err != nil {
		t.Fatalf("bench env: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "q")
	out, err = runCmd(t, "train", "--env", id, "--algo", "q-learning", "--episodes", "300", "--eval-episodes", "5", "--out", dir, "--json")
	if err != nil {
		t.Fatalf("train: %v", err)
	}
	var res train.Result
	lastJSON(t, out, &res)
	if res.OptimumPercent == nil || *res.OptimumPercent != 100 {
		t.Fatalf("train: %+v", res)
	}
	out, err = runCmd(t, "eval", dir, "--json")
	if err != nil {
		t.Fatalf("eval: %v", err)
	}
	var ev train.Result
	lastJSON(t, out, &ev)
	if ev.MeanReturn != res.MeanReturn {
		t.Fatalf("eval mean %v, train %v", ev.MeanReturn, res.MeanReturn)
	}
	out, err = runCmd(t, "train", "--env", id, "--algo", "dqn", "--backend", "go", "--steps", "600", "--layers", "8",
		"--eval-episodes", "2", "--out", filepath.Join(t.TempDir(), "dqn"), "--json")
	if err != nil {
		t.Fatalf("train dqn: %v", err)
	}
	var dq map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:])), &dq); err != nil || dq["env"] != id {
		t.Fatalf("train dqn: %v\n%s", err, out)
	}
}
