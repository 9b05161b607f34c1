package xlrl_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xlrl/xlrl"
)

// grid is the classic 4x4 gridworld: four moves (left, down, right, up),
// +1 on reaching the bottom-right corner, -1 on the top-left one (both
// terminal), 0 elsewhere; a move into a wall stays put. It implements
// xlrl.Model, so that its optimum is known exactly.
type grid struct {
	s    int
	spec *xlrl.Spec
}

var gridSpec = xlrl.Spec{ID: "TestGrid-v0",
	Observation: xlrl.Space{Kind: xlrl.Discrete, N: 16}, Action: xlrl.Space{Kind: xlrl.Discrete, N: 4},
	MaxEpisodeSteps: 50}

func (g *grid) Spec() *xlrl.Spec { return g.spec }
func (g *grid) Seed(uint64)      {}
func (g *grid) Reset() []float64 { g.s = 5; return []float64{float64(g.s)} }
func (g *grid) NumStates() int   { return 16 }
func (g *grid) NumActions() int  { return 4 }
func (g *grid) InitialDistribution() []float64 {
	p := make([]float64, 16)
	p[5] = 1
	return p
}

func (g *grid) next(s, a int) int {
	r, c := s/4, s%4
	switch a {
	case 0:
		c = max(c-1, 0)
	case 1:
		r = min(r+1, 3)
	case 2:
		c = min(c+1, 3)
	case 3:
		r = max(r-1, 0)
	}
	return r*4 + c
}

func (g *grid) Transitions(s, a int) []xlrl.Outcome {
	if s == 0 || s == 15 {
		return []xlrl.Outcome{{Prob: 1, Next: s, Terminal: true}}
	}
	n := g.next(s, a)
	r := map[int]float64{0: -1, 15: 1}[n]
	return []xlrl.Outcome{{Prob: 1, Next: n, Reward: r, Terminal: n == 0 || n == 15}}
}

func (g *grid) Step(a xlrl.Action) ([]float64, float64, bool, bool) {
	o := g.Transitions(g.s, a.Discrete)[0]
	g.s = o.Next
	return []float64{float64(g.s)}, o.Reward, o.Terminal, false
}

// walk is a Box-observation task: a position x in [-0.5, 0.5] starting at
// 0, actions left and right by 0.1, -0.01 per step, +1 and the end at x >=
// 0.5.
type walk struct {
	x    float64
	obs  []float64
	spec *xlrl.Spec
}

var walkSpec = xlrl.Spec{ID: "TestWalk-v0",
	Observation: xlrl.Space{Kind: xlrl.Box, Low: []float64{-0.5}, High: []float64{0.5}},
	Action:      xlrl.Space{Kind: xlrl.Discrete, N: 2}, MaxEpisodeSteps: 100}

func (w *walk) Spec() *xlrl.Spec { return w.spec }
func (w *walk) Seed(uint64)      {}
func (w *walk) Reset() []float64 { w.x = 0; w.obs[0] = 0; return w.obs }
func (w *walk) Step(a xlrl.Action) ([]float64, float64, bool, bool) {
	w.x = max(-0.5, w.x+0.1*float64(2*a.Discrete-1))
	w.obs[0] = w.x
	if w.x >= 0.5-1e-9 {
		return w.obs, 1, true, false
	}
	return w.obs, -0.01, false, false
}

func init() {
	if err := xlrl.RegisterEnv(gridSpec, func() (xlrl.Env, error) { s := gridSpec; return &grid{spec: &s}, nil }); err != nil {
		panic(err)
	}
	if err := xlrl.RegisterEnv(walkSpec, func() (xlrl.Env, error) {
		s := walkSpec
		return &walk{spec: &s, obs: make([]float64, 1)}, nil
	}); err != nil {
		panic(err)
	}
}

func TestRegisterEnvRefusesBadSpecs(t *testing.T) {
	mk := func() (xlrl.Env, error) { return nil, errors.New("unused") }
	tests := []struct {
		name string
		spec xlrl.Spec
		want string
	}{
		{"duplicate", gridSpec, "already registered"},
		{"builtin", xlrl.Spec{ID: "CartPole-v1", Observation: gridSpec.Observation, Action: gridSpec.Action}, "already registered"},
		{"empty id", xlrl.Spec{Observation: gridSpec.Observation, Action: gridSpec.Action}, "empty ID"},
		{"empty discrete", xlrl.Spec{ID: "X-v0", Observation: xlrl.Space{Kind: xlrl.Discrete}, Action: gridSpec.Action}, "N = 0"},
		{"box without bounds", xlrl.Spec{ID: "X-v0", Observation: xlrl.Space{Kind: xlrl.Box}, Action: gridSpec.Action}, "bounds"},
		{"box low > high", xlrl.Spec{ID: "X-v0", Observation: xlrl.Space{Kind: xlrl.Box, Low: []float64{1}, High: []float64{0}}, Action: gridSpec.Action}, "not an interval"},
		{"negative limit", xlrl.Spec{ID: "X-v0", Observation: gridSpec.Observation, Action: gridSpec.Action, MaxEpisodeSteps: -1}, "MaxEpisodeSteps"},
	}
	for _, tt := range tests {
		if err := xlrl.RegisterEnv(tt.spec, mk); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want it to mention %q", tt.name, err, tt.want)
		}
	}
	if _, err := xlrl.MakeEnv("X-v0"); err == nil {
		t.Error("a refused spec was registered")
	}
}

func TestUserEnvsAreListedAndMade(t *testing.T) {
	var ids []string
	for _, s := range xlrl.Envs() {
		ids = append(ids, s.ID)
	}
	for _, id := range []string{"TestGrid-v0", "TestWalk-v0", "CartPole-v1"} {
		if !strings.Contains(strings.Join(ids, " "), id) {
			t.Errorf("Envs() lacks %s: %v", id, ids)
		}
	}
	e, err := xlrl.MakeEnv("TestGrid-v0")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := xlrl.ModelOf(e); !ok {
		t.Error("the grid's model is not found through the time limit")
	}
	e.Reset()
	for i := 0; i < 100; i++ {
		if _, _, term, trunc := e.Step(xlrl.DiscreteAction(2)); term || trunc {
			if i+1 != 50 || !trunc {
				t.Errorf("walking into the wall ended at step %d (truncated %v), want the time limit at 50", i+1, trunc)
			}
			break
		}
	}
}

// The 4x4 grid from the start state (1, 1): the optimum is +1 in 4 moves.
func TestTrainQLearningOnAUserGrid(t *testing.T) {
	res, err := xlrl.Train(context.Background(), xlrl.TrainOptions{Env: "TestGrid-v0", Algo: "q-learning",
		Seed: 1, Episodes: 2000, EvalEpisodes: 10, Out: filepath.Join(t.TempDir(), "run")})
	if err != nil {
		t.Fatal(err)
	}
	if res.Optimum == nil || *res.Optimum != 1 || res.MeanReturn != 1 || res.OptimumPercent == nil || *res.OptimumPercent != 100 {
		t.Fatalf("mean %v, optimum %v (%v%%)", res.MeanReturn, res.Optimum, res.OptimumPercent)
	}
	agent, err := xlrl.Load(res.RunDir)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := xlrl.MakeEnv("TestGrid-v0")
	ev, err := xlrl.Evaluate(context.Background(), agent, e, 5, 1)
	if err != nil || ev.Mean != 1 {
		t.Fatalf("loaded agent: mean %v, err %v", ev.Mean, err)
	}
}

func TestTrainDQNOnAUserBoxEnv(t *testing.T) {
	res, err := xlrl.Train(context.Background(), xlrl.TrainOptions{Env: "TestWalk-v0", Algo: "dqn", Seed: 1,
		Steps: 6000, Layers: []int{16}, EvalEpisodes: 5, Out: filepath.Join(t.TempDir(), "run"),
		Hyper: map[string]string{"learning_starts": "500", "train_freq": "4", "gradient_steps": "1",
			"target_update_interval": "200", "exploration_fraction": "0.3", "eval_every": "2000"}})
	if err != nil {
		t.Fatal(err)
	}
	// Straight to the goal: 5 moves, 4 of them at -0.01.
	if res.Deep == nil || res.Deep.Backend != "go" || math.Abs(res.MeanReturn-0.96) > 1e-9 {
		t.Fatalf("mean return %v (want 0.96, the optimum), deep %+v", res.MeanReturn, res.Deep)
	}
	agent, err := xlrl.Load(res.RunDir)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := xlrl.MakeEnv("TestWalk-v0")
	ev, err := xlrl.Evaluate(context.Background(), agent, e, 3, 7)
	if err != nil || math.Abs(ev.Mean-0.96) > 1e-9 {
		t.Fatalf("loaded agent: mean %v, err %v", ev.Mean, err)
	}
}

func TestLearnerSaveLoadLearn(t *testing.T) {
	ctx := context.Background()
	for _, algo := range []string{"q-learning", "sarsa", "expected-sarsa", "double-q-learning"} {
		l, err := xlrl.NewAgent(algo, "TestGrid-v0", xlrl.AgentOptions{Seed: 2})
		if err != nil {
			t.Fatal(err)
		}
		var episodes int64
		st, err := l.Learn(ctx, xlrl.EnvByID("TestGrid-v0"), xlrl.Budget{Episodes: 1500},
			xlrl.Hooks{Episode: func(e xlrl.EpisodeEnd) { episodes = e.Episode }})
		if err != nil || st.Episodes != 1500 || episodes != 1500 {
			t.Fatalf("%s: %+v, %d episodes seen, err %v", algo, st, episodes, err)
		}
		var buf bytes.Buffer
		if err := l.Save(&buf); err != nil {
			t.Fatal(err)
		}
		fresh, _ := xlrl.NewAgent(algo, "TestGrid-v0", xlrl.AgentOptions{Seed: 2})
		if err := fresh.Load(&buf); err != nil {
			t.Fatal(err)
		}
		for s := 1; s < 15; s++ {
			obs := []float64{float64(s)}
			if a, b := l.Act(obs), fresh.Act(obs); a.Discrete != b.Discrete {
				t.Fatalf("%s: state %d: saved agent acts %v, loaded %v", algo, s, a, b)
			}
		}
		e, _ := xlrl.MakeEnv("TestGrid-v0")
		if ev, _ := xlrl.Evaluate(ctx, fresh, e, 3, 1); ev.Mean != 1 {
			t.Errorf("%s: greedy mean %v, want the optimum 1", algo, ev.Mean)
		}
	}
	if _, err := xlrl.NewAgent("ppo9", "TestGrid-v0", xlrl.AgentOptions{}); err == nil {
		t.Error("an unknown algorithm was accepted")
	}
}

func TestDeepLearnerHooks(t *testing.T) {
	cfg := xlrl.TunedDQN("TestWalk-v0")
	cfg.Hidden, cfg.LearningStarts, cfg.EvalEvery = []int{8}, 100, 500
	spec, _ := xlrl.LookupEnv("TestWalk-v0")
	l, err := xlrl.NewDQN(cfg, spec, xlrl.GoBackend(), 1)
	if err != nil {
		t.Fatal(err)
	}
	var episodes, updates, evals int
	st, err := l.Learn(context.Background(), xlrl.EnvByID("TestWalk-v0"), xlrl.Budget{Steps: 1500}, xlrl.Hooks{
		Episode: func(xlrl.EpisodeEnd) { episodes++ },
		Update: func(_ int64, s map[string]float64) {
			if _, ok := s["loss"]; ok {
				updates++
			}
		},
		Eval: func(int64, map[string]float64) { evals++ },
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.Steps != 1500 || int64(episodes) != st.Episodes || updates == 0 || evals != 3 {
		t.Fatalf("stats %+v; hooks saw %d episodes, %d updates, %d evaluations", st, episodes, updates, evals)
	}
	if _, err := l.Learn(context.Background(), xlrl.EnvByID("TestWalk-v0"), xlrl.Budget{Episodes: 3}, xlrl.Hooks{}); err == nil {
		t.Error("an episode budget was accepted by dqn")
	}
}

func TestPolicyGradientLearners(t *testing.T) {
	for _, algo := range []string{"reinforce", "a2c"} {
		l, err := xlrl.NewAgent(algo, "TestWalk-v0", xlrl.AgentOptions{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		st, err := l.Learn(context.Background(), xlrl.EnvByID("TestWalk-v0"), xlrl.Budget{Steps: 2000}, xlrl.Hooks{})
		if err != nil || st.Steps < 2000 || st.Updates == 0 {
			t.Fatalf("%s: %+v, %v", algo, st, err)
		}
		var buf bytes.Buffer
		if err := l.Save(&buf); err != nil {
			t.Fatal(err)
		}
		fresh, _ := xlrl.NewAgent(algo, "TestWalk-v0", xlrl.AgentOptions{})
		if err := fresh.Load(&buf); err != nil {
			t.Fatal(err)
		}
		for _, x := range []float64{-0.3, 0, 0.4} {
			if a, b := l.Act([]float64{x}), fresh.Act([]float64{x}); a.Discrete != b.Discrete {
				t.Errorf("%s at %v: saved agent acts %d, loaded %d", algo, x, a.Discrete, b.Discrete)
			}
		}
	}
	cfg := xlrl.TunedA2C("TestWalk-v0")
	cfg.NEnvs = 0
	spec, _ := xlrl.LookupEnv("TestWalk-v0")
	if _, err := xlrl.NewA2C(cfg, spec, nil, 1); err == nil || !strings.Contains(err.Error(), "n_envs") {
		t.Errorf("a2c with no environments: err = %v", err)
	}
}
