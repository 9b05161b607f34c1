package xlrl_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/xlrl/xlrl"
)

// An environment of one's own: implement Env (and Model, for exact
// solutions), register it, and every part of xlrl finds it by id.
func ExampleRegisterEnv() {
	spec := xlrl.Spec{ID: "Coin-v0", Observation: xlrl.Space{Kind: xlrl.Discrete, N: 1},
		Action: xlrl.Space{Kind: xlrl.Discrete, N: 2}, MaxEpisodeSteps: 1}
	err := xlrl.RegisterEnv(spec, func() (xlrl.Env, error) { return &coin{spec: spec}, nil })
	fmt.Println(err)
	e, _ := xlrl.MakeEnv("Coin-v0")
	e.Reset()
	_, reward, terminated, _ := e.Step(xlrl.DiscreteAction(1))
	fmt.Println(reward, terminated)
	fmt.Println(xlrl.RegisterEnv(spec, nil) != nil) // the id is taken
	// Output:
	// <nil>
	// 1 true
	// true
}

// coin pays 1 for action 1 and ends.
type coin struct{ spec xlrl.Spec }

func (c *coin) Spec() *xlrl.Spec { return &c.spec }
func (c *coin) Seed(uint64)      {}
func (c *coin) Reset() []float64 { return []float64{0} }
func (c *coin) Step(a xlrl.Action) ([]float64, float64, bool, bool) {
	return []float64{0}, float64(a.Discrete), true, false
}

func ExampleEnvs() {
	for _, s := range xlrl.Envs() {
		if s.ID == "CartPole-v1" {
			fmt.Println(s.ID, s.Observation, s.Action, s.MaxEpisodeSteps, *s.RewardThreshold)
		}
	}
	// Output: CartPole-v1 Box(4) Discrete(2) 500 475
}

// The exact optimum of a model: FrozenLake's best success probability
// within its 100-step limit.
func ExampleSolve() {
	e, _ := xlrl.MakeEnv("FrozenLake-v1")
	m, _ := xlrl.ModelOf(e)
	sol, err := xlrl.Solve(m, e.Spec().MaxEpisodeSteps, 1)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%.4f\n", sol.StartValue)
	// Output: 0.7442
}

// An agent by name with the environment's tuned defaults, trained,
// evaluated on fresh episodes.
func ExampleNewAgent() {
	ctx := context.Background()
	agent, err := xlrl.NewAgent("q-learning", "TestGrid-v0", xlrl.AgentOptions{Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	st, err := agent.Learn(ctx, xlrl.EnvByID("TestGrid-v0"), xlrl.Budget{Episodes: 1000}, xlrl.Hooks{})
	if err != nil {
		log.Fatal(err)
	}
	e, _ := xlrl.MakeEnv("TestGrid-v0")
	ev, _ := xlrl.Evaluate(ctx, agent, e, 10, 1)
	fmt.Println(st.Episodes, ev.Mean)
	// Output: 1000 1
}

// A typed configuration: the tuned one, changed.
func ExampleNewTabular() {
	cfg := xlrl.TunedTabular("TestGrid-v0", "sarsa")
	cfg.Gamma, cfg.Seed = 0.9, 3
	spec, _ := xlrl.LookupEnv("TestGrid-v0")
	agent, err := xlrl.NewTabular(cfg, spec)
	fmt.Println(agent.Algorithm(), err)
	// Output: sarsa <nil>
}

// DQN on the go backend, with hooks that see every episode.
func ExampleNewDQN() {
	cfg := xlrl.TunedDQN("TestWalk-v0")
	cfg.Hidden, cfg.LearningStarts = []int{8}, 100
	spec, _ := xlrl.LookupEnv("TestWalk-v0")
	be := xlrl.GoBackend()
	defer be.Close()
	agent, err := xlrl.NewDQN(cfg, spec, be, 1)
	if err != nil {
		log.Fatal(err)
	}
	episodes := 0
	st, err := agent.Learn(context.Background(), xlrl.EnvByID("TestWalk-v0"), xlrl.Budget{Steps: 1000},
		xlrl.Hooks{Episode: func(xlrl.EpisodeEnd) { episodes++ }})
	fmt.Println(st.Steps, int64(episodes) == st.Episodes, err)
	// Output: 1000 true <nil>
}

// Train writes a run directory as `xlrl train` does; Load brings its agent
// back, ready to act.
func ExampleTrain() {
	dir, _ := os.MkdirTemp("", "xlrl-example-")
	defer os.RemoveAll(dir)
	res, err := xlrl.Train(context.Background(), xlrl.TrainOptions{Env: "FrozenLake-v1", Algo: "q-learning",
		Seed: 1, Episodes: 3000, EvalEpisodes: 100, Out: filepath.Join(dir, "run")})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("optimum %.4f\n", *res.Optimum)
	agent, err := xlrl.Load(res.RunDir)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(agent.Algorithm())
	// Output:
	// optimum 0.7442
	// q-learning
}

func ExampleAlgorithms() {
	fmt.Println(xlrl.Algorithms())
	// Output: [a2c double-q-learning dqn expected-sarsa q-learning reinforce sarsa]
}

// The TensorFlow backend runs in the Python worker (pip install -e . for
// pyworker); Close stops the worker.
func ExampleTFBackend() {
	be, err := xlrl.TFBackend(context.Background(), xlrl.WorkerOptions{Python: ".venv/bin/python"})
	if err != nil {
		log.Fatal(err)
	}
	defer be.Close()
	fmt.Println(be.Name())
}
