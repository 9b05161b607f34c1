package xlrl_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xlrl/xlrl"
	"github.com/xlrl/xlrl/internal/worker/workertest"
)

// The package's tests run in the module root: unless $XLRL_PYTHON says
// otherwise, the gym: environments (ExampleMakeEnv_gymnasium included) use
// the checkout's .venv, as `make test` does, and the worker imports this
// tree's pyworker.
func init() {
	wd, err := os.Getwd()
	if err != nil {
		return
	}
	if os.Getenv("XLRL_PYTHON") == "" {
		if p := filepath.Join(wd, ".venv", "bin", "python"); fileExists(p) {
			os.Setenv("XLRL_PYTHON", p)
		}
	}
	if !strings.Contains(os.Getenv("PYTHONPATH"), wd) {
		os.Setenv("PYTHONPATH", strings.Trim(wd+string(os.PathListSeparator)+os.Getenv("PYTHONPATH"), string(os.PathListSeparator)))
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func gymWorker(t *testing.T) {
	t.Helper()
	xlrl.ConfigureGym(xlrl.WorkerOptions{Python: workertest.Python(t)})
	t.Cleanup(func() {
		if err := xlrl.ShutdownGym(); err != nil {
			t.Error(err)
		}
		xlrl.ConfigureGym(xlrl.WorkerOptions{}) // the defaults again, for the examples
	})
}

func TestMakeEnvResolvesGymIDs(t *testing.T) {
	gymWorker(t)
	spec, err := xlrl.LookupEnv("gym:CartPole-v1")
	if err != nil {
		t.Fatal(err)
	}
	goSpec, _ := xlrl.LookupEnv("CartPole-v1")
	if spec.ID != "gym:CartPole-v1" || spec.Observation.String() != goSpec.Observation.String() ||
		spec.Action.String() != goSpec.Action.String() || spec.MaxEpisodeSteps != 500 {
		t.Fatalf("spec of gym:CartPole-v1 = %+v, want CartPole-v1's spaces and time limit", spec)
	}
	e, err := xlrl.MakeEnv("gym:CartPole-v1")
	if err != nil {
		t.Fatal(err)
	}
	defer xlrl.CloseEnv(e)
	episode := func() (first []float64, steps int, ret float64) {
		e.Seed(7)
		first = append(first, e.Reset()...)
		for {
			_, r, term, trunc := e.Step(xlrl.DiscreteAction(steps % 2))
			steps++
			ret += r
			if term || trunc {
				return first, steps, ret
			}
		}
	}
	f1, n1, r1 := episode()
	f2, n2, r2 := episode()
	if len(f1) != 4 || fmt.Sprint(f1) != fmt.Sprint(f2) || n1 != n2 || r1 != r2 {
		t.Fatalf("same seed, different episodes: %v %d %v and %v %d %v", f1, n1, r1, f2, n2, r2)
	}
	if n1 < 5 || n1 >= 500 || r1 != float64(n1) {
		t.Fatalf("alternating actions: %d steps, return %v; want a pole that falls, +1 per step", n1, r1)
	}
}

func TestGymKwargsAndErrors(t *testing.T) {
	gymWorker(t)
	e, err := xlrl.MakeEnv("gym:FrozenLake-v1", xlrl.WithKwarg("is_slippery", "false"), xlrl.WithKwarg("map_name", "4x4"))
	if err != nil {
		t.Fatal(err)
	}
	defer xlrl.CloseEnv(e)
	e.Seed(0)
	if obs := e.Reset(); obs[0] != 0 {
		t.Fatalf("FrozenLake starts at %v, want 0", obs)
	}
	if obs, _, _, _ := e.Step(xlrl.DiscreteAction(2)); obs[0] != 1 { // right, on ice that does not slip
		t.Fatalf("right from 0 reached %v, want 1", obs)
	}
	for _, c := range []struct {
		id   string
		opts []xlrl.EnvOption
		want string
	}{
		{"gym:NoSuchEnv-v0", nil, "NoSuchEnv-v0"},
		{"gym:FrozenLake-v1", []xlrl.EnvOption{xlrl.WithKwarg("no_such_argument", "1")}, "no_such_argument"},
		{"CartPole-v1", []xlrl.EnvOption{xlrl.WithKwarg("x", "1")}, "--env-kwargs"},
	} {
		_, err := xlrl.MakeEnv(c.id, c.opts...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("MakeEnv(%q): error %v, want one that names %q", c.id, err, c.want)
		}
	}
}

func TestLearnerTrainsOnAGymEnv(t *testing.T) {
	gymWorker(t)
	l, err := xlrl.NewAgent("q-learning", "gym:FrozenLake-v1", xlrl.AgentOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	envs := xlrl.EnvByID("gym:FrozenLake-v1", xlrl.WithKwarg("is_slippery", "false"))
	st, err := l.Learn(context.Background(), envs, xlrl.Budget{Episodes: 40}, xlrl.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Episodes != 40 || st.Steps < 40 {
		t.Fatalf("Learn on gym:FrozenLake-v1: %+v, want 40 episodes of at least a step", st)
	}
	// A worker that cannot start is an error that names the fix, not a panic.
	xlrl.ConfigureGym(xlrl.WorkerOptions{Python: filepath.Join(t.TempDir(), "no-python")})
	_, err = xlrl.MakeEnv("gym:CartPole-v1")
	if err == nil || !strings.Contains(err.Error(), "gymnasium") || !strings.Contains(err.Error(), "no-python") {
		t.Fatalf("MakeEnv with a missing interpreter: %v", err)
	}
}

// Gymnasium's environments are ids too: "gym:" and any id Gymnasium
// knows, hosted by the Python worker ($XLRL_PYTHON, or ConfigureGym).
func ExampleMakeEnv_gymnasium() {
	e, err := xlrl.MakeEnv("gym:FrozenLake-v1", xlrl.WithKwarg("is_slippery", "false"))
	if err != nil {
		log.Fatal(err)
	}
	defer xlrl.CloseEnv(e)
	fmt.Println(e.Spec().ID, e.Spec().Observation, e.Spec().Action)
	e.Seed(0)
	e.Reset()
	obs, reward, terminated, truncated := e.Step(xlrl.DiscreteAction(2)) // right
	fmt.Println(obs, reward, terminated, truncated)
	// Output:
	// gym:FrozenLake-v1 Discrete(16) Discrete(4)
	// [1] 0 false false
}
