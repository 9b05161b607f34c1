package export

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xlrl/xlrl/internal/agent/ac"
	"github.com/xlrl/xlrl/internal/agent/trainloop"
	"github.com/xlrl/xlrl/internal/ckpt"
	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/nn"
	"github.com/xlrl/xlrl/internal/worker"
	"github.com/xlrl/xlrl/internal/worker/workertest"
)

func root(t testing.TB) string {
	r, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// python runs code with the repository and python/xlrl_envs on the path.
func python(t *testing.T, code string, args ...string) string {
	t.Helper()
	r := root(t)
	cmd := exec.Command(workertest.Python(t), append([]string{"-c", code}, args...)...)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+filepath.Join(r, "python", "xlrl_envs")+string(os.PathListSeparator)+r)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	return string(out)
}

func randomPolicy(t *testing.T, envID string, spec nn.Spec) *Policy {
	t.Helper()
	net, err := nn.New(spec, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for i := range net.Params { // biases too, so that every parameter matters
		net.Params[i] = float32(r.NormFloat64())
	}
	c := ckpt.New(deepPolicyKind)
	if err := c.PutJSON("policy_spec", map[string]any{"in": spec.In, "hidden": spec.Hidden, "activation": spec.Act.String(), "out": spec.Out}); err != nil {
		t.Fatal(err)
	}
	params := make([]float64, len(net.Params))
	for i, p := range net.Params {
		params[i] = float64(p)
	}
	c.PutFloat64s("policy", params)
	p, err := FromCheckpoint(c, envID, "dqn")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestNPZActionsEqualGo exports networks and checks that xlrl_envs.load_policy
// acts as the Go agent's greedy policy does on the same observations.
func TestNPZActionsEqualGo(t *testing.T) {
	tests := []struct {
		env     string
		spec    nn.Spec
		discObs int // > 0: observations are state indices (one-hot for the net)
	}{
		{"CartPole-v1", nn.Spec{In: 4, Hidden: []int{16, 8}, Act: nn.ReLU, Out: 2}, 0},
		{"Acrobot-v1", nn.Spec{In: 6, Hidden: []int{12}, Act: nn.Tanh, Out: 3}, 0},
		{"FrozenLake-v1", nn.Spec{In: 16, Hidden: []int{8}, Act: nn.ReLU, Out: 4}, 16},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			p := randomPolicy(t, tt.env, tt.spec)
			dir := t.TempDir()
			file := filepath.Join(dir, "policy.npz")
			if err := p.WriteNPZ(file); err != nil {
				t.Fatal(err)
			}
			g := trainloop.NewGreedy(p.Net)
			r := rand.New(rand.NewPCG(5, 6))
			const n = 500
			var obs []float64
			var want []string
			for i := 0; i < n; i++ {
				x := make([]float64, tt.spec.In)
				var row []float64
				if tt.discObs > 0 {
					s := r.IntN(tt.discObs)
					x[s] = 1
					row = []float64{float64(s)}
				} else {
					for j := range x {
						x[j] = 3 * r.NormFloat64()
					}
					row = x
				}
				obs = append(obs, row...)
				want = append(want, string(rune('0'+g.Act(x))))
			}
			obsFile := filepath.Join(dir, "obs.npy")
			f, err := os.Create(obsFile)
			if err != nil {
				t.Fatal(err)
			}
			width := tt.spec.In
			if tt.discObs > 0 {
				width = 1
			}
			if err := writeNPYFloat64(f, obs, []int{n, width}); err != nil {
				t.Fatal(err)
			}
			f.Close()
			got := python(t, `
import sys, numpy as np, xlrl_envs
p = xlrl_envs.load_policy(sys.argv[1])
obs = np.load(sys.argv[2])
print("".join(str(a) for a in p.act_batch(obs)))
assert all(p.act(o) == a for o, a in zip(obs[:20], p.act_batch(obs[:20])))
`, file, obsFile)
			if strings.TrimSpace(got) != strings.Join(want, "") {
				t.Fatalf("numpy actions\n%s\nGo actions\n%s", strings.TrimSpace(got), strings.Join(want, ""))
			}
			if c := strings.Count(strings.Join(want, ""), "0"); c == 0 || c == n {
				t.Fatalf("the Go actions are all equal: the test would not see a difference")
			}
		})
	}
}

func TestQTableExport(t *testing.T) {
	c := ckpt.New("tabular")
	if err := c.PutJSON("agent", map[string]any{"algorithm": "q-learning", "states": 3, "actions": 2}); err != nil {
		t.Fatal(err)
	}
	c.PutFloat64s("q", []float64{0, 1, 5, 2, -1, -3})
	p, err := FromCheckpoint(c, "FrozenLake-v1", "q-learning")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	npzFile, npyFile := filepath.Join(dir, "q.npz"), filepath.Join(dir, "q.npy")
	if err := p.WriteNPZ(npzFile); err != nil {
		t.Fatal(err)
	}
	if err := p.WriteNPY(npyFile); err != nil {
		t.Fatal(err)
	}
	got := python(t, `
import sys, numpy as np, xlrl_envs
p = xlrl_envs.load_policy(sys.argv[1])
q = np.load(sys.argv[2])
assert q.shape == (3, 2) and q[1, 0] == 5, q
print(p.kind, [p.act(s) for s in range(3)])
`, npzFile, npyFile)
	if strings.TrimSpace(got) != "q-table [1, 0, 0]" {
		t.Fatalf("got %q", got)
	}
}

func TestCheckTarget(t *testing.T) {
	p := randomPolicy(t, "CartPole-v1", nn.Spec{In: 4, Hidden: []int{4}, Act: nn.ReLU, Out: 2})
	dir := t.TempDir()
	existing := filepath.Join(dir, "old.npz")
	os.WriteFile(existing, nil, 0o644)
	q := &Policy{Arch: Architecture{Kind: "q-table", Algo: "sarsa"}}
	tests := []struct {
		p      *Policy
		format string
		path   string
		want   string
	}{
		{p, "onnx", filepath.Join(dir, "a.onnx"), "want one of npz, npy, keras"},
		{p, "npz", filepath.Join(dir, "a.keras"), "a npz export is a .npz file"},
		{p, "npy", filepath.Join(dir, "a.npy"), "a network exports with --format npz or keras"},
		{q, "keras", filepath.Join(dir, "a.keras"), "has a Q-table, not a network"},
		{p, "npz", filepath.Join(dir, "missing", "a.npz"), "does not exist"},
		{p, "npz", existing, "--force"},
	}
	for _, tt := range tests {
		err := CheckTarget(tt.p, tt.format, tt.path, false)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %s: %v, want %q", tt.format, tt.path, err, tt.want)
		}
	}
	if err := CheckTarget(p, "npz", existing, true); err != nil {
		t.Errorf("--force: %v", err)
	}
}

// TestKerasLoadsWithoutXlrl writes .keras models through the worker and
// loads them with keras.saving.load_model in a Python that cannot import
// pyworker or xlrl_envs: the argmax of a DQN's or Discrete PPO's outputs
// equals the Go agent's actions, and a Box policy's output is the Go
// agent's action (clipped, or tanh rescaled to the bounds, from
// standardised observations), to float32 rounding.
func TestKerasLoadsWithoutXlrl(t *testing.T) {
	norm := &ac.RunningMeanStd{Mean: []float64{0.3, -0.1, 0.5}, Var: []float64{0.4, 0.2, 9}, Count: 100}
	tests := []struct {
		name, env, algo string
		cp              *ckpt.Checkpoint
	}{
		{"dqn/CartPole", "CartPole-v1", "dqn", nil},
		{"ppo/CartPole/normalised", "CartPole-v1", "ppo", finishedAC(t, nn.Spec{In: 4, Hidden: []int{16}, Act: nn.Tanh, Out: 2}, "argmax",
			&ac.RunningMeanStd{Mean: []float64{0, 0.2, 0, -0.1}, Var: []float64{0.01, 1, 0.003, 2}, Count: 10})},
		{"ppo/Pendulum/normalised", "Pendulum-v1", "ppo", finishedAC(t, nn.Spec{In: 3, Hidden: []int{16}, Act: nn.Tanh, Out: 1}, "clip", norm)},
		{"sac/Pendulum/normalised", "Pendulum-v1", "sac", finishedAC(t, nn.Spec{In: 3, Hidden: []int{16, 8}, Act: nn.ReLU, Out: 2}, "tanh", norm)},
		{"td3/Pendulum", "Pendulum-v1", "td3", finishedAC(t, nn.Spec{In: 3, Hidden: []int{8}, Act: nn.ReLU, Out: 1}, "tanh", nil)},
		{"sac/Pendulum/gSDE", "Pendulum-v1", "sac", finishedAC(t, nn.Spec{In: 3, Hidden: []int{16, 8}, Act: nn.ReLU, Out: 1}, "tanh_clip", nil)},
	}
	os.Setenv("PYTHONPATH", root(t))
	c, err := worker.Start(context.Background(), worker.Options{Python: workertest.Python(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	dir := t.TempDir()
	var files, kinds []string
	var wants [][]env.Action
	var obss [][][]float64
	for i, tt := range tests {
		spec, err := env.Lookup(tt.env)
		if err != nil {
			t.Fatal(err)
		}
		var p *Policy
		var act func([]float64) env.Action
		if tt.cp == nil {
			p = randomPolicy(t, tt.env, nn.Spec{In: 4, Hidden: []int{16}, Act: nn.Tanh, Out: 2})
			g := trainloop.NewGreedy(p.Net)
			act = func(o []float64) env.Action { return env.DiscreteAction(g.Act(o)) }
		} else {
			if p, err = FromCheckpoint(tt.cp, tt.env, tt.algo); err != nil {
				t.Fatal(err)
			}
			act = goAgent(t, tt.cp, tt.algo, spec)
		}
		files, kinds = append(files, filepath.Join(dir, strconv.Itoa(i)+".keras")), append(kinds, p.Arch.Kind)
		if err := p.WriteKeras(context.Background(), c, files[i]); err != nil {
			t.Fatal(err)
		}
		obs := observations(spec, 300)
		want := make([]env.Action, len(obs))
		for j, o := range obs {
			want[j] = act(o)
		}
		obss, wants = append(obss, obs), append(wants, want)
	}
	code := `
import json, sys
# The venv may hold xlrl's packages: make them unimportable, so that loading
# proves the files need none of them.
sys.modules["pyworker"] = None
sys.modules["xlrl_envs"] = None
import numpy as np, keras
out = []
for file, obs, kind in zip(sys.argv[1::3], sys.argv[2::3], sys.argv[3::3]):
    m = keras.saving.load_model(file)
    y = m.predict(np.array(json.loads(obs), dtype=np.float32), verbose=0)
    a = np.argmax(y, axis=1)[:, None] if kind == "mlp" else y  # else y is the action
    out.append(np.asarray(a, dtype=np.float64).tolist())
print(json.dumps(out))
`
	args := []string{"-c", code}
	for i, f := range files {
		b, _ := json.Marshal(obss[i])
		args = append(args, f, string(b), kinds[i])
	}
	cmd := exec.Command(workertest.Python(t), args...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "PYTHONPATH=", "TF_CPP_MIN_LOG_LEVEL=3")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("keras: %v\n%s%s", err, out, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var got [][][]float64
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &got); err != nil || len(got) != len(tests) {
		t.Fatalf("keras: %v: %s", err, out)
	}
	for i, tt := range tests {
		spec, _ := env.Lookup(tt.env)
		bound := sameActions(t, tt.name+" keras", obss[i], wants[i], got[i], spec)
		if kinds[i] == KindClip && (bound == 0 || bound == len(obss[i])) {
			t.Errorf("%s: %d of %d actions at a bound: the test would not see a missing or wrong clip", tt.name, bound, len(obss[i]))
		}
	}
}

func pyList(rows [][]float64) string {
	var b strings.Builder
	b.WriteString("[")
	for _, r := range rows {
		b.WriteString("[")
		for _, x := range r {
			b.WriteString(strconv.FormatFloat(x, 'g', -1, 64) + ",")
		}
		b.WriteString("],")
	}
	b.WriteString("]")
	return b.String()
}
