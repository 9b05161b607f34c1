// Command embed is a Go service that trains its own controller: DQN on
// CartPole-v1 with the go backend (no Python anywhere), saved as a run
// directory, reloaded with xlrl.Load and used to act in a control loop.
// main_test.go measures one decision (go test -bench .).
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/xlrl/xlrl"
)

func main() {
	steps := flag.Int64("steps", 30_000, "training environment steps (the tuned budget is 100,000)")
	dir := flag.String("dir", "", "run directory (default: a temporary one, removed at the end)")
	flag.Parse()
	if err := run(*steps, *dir); err != nil {
		log.Fatal(err)
	}
}

func run(steps int64, dir string) error {
	ctx := context.Background()
	if dir == "" {
		tmp, err := os.MkdirTemp("", "xlrl-embed-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = filepath.Join(tmp, "cartpole")
	}
	res, err := xlrl.Train(ctx, xlrl.TrainOptions{Env: "CartPole-v1", Algo: "dqn", Backend: "go",
		Seed: 1, Steps: steps, Out: dir})
	if err != nil {
		return err
	}
	fmt.Printf("trained %d steps in %.1fs: greedy mean return %.1f over %d episodes\n",
		res.TrainSteps, res.WallSeconds, res.MeanReturn, res.EvalEpisodes)

	// Later, elsewhere: load the controller and use it.
	agent, err := xlrl.Load(dir)
	if err != nil {
		return err
	}
	plant, err := xlrl.MakeEnv("CartPole-v1")
	if err != nil {
		return err
	}
	plant.Seed(42)
	obs := plant.Reset()
	total := 0.0
	for {
		next, reward, terminated, truncated := plant.Step(agent.Act(obs))
		total += reward
		if terminated || truncated {
			break
		}
		obs = next
	}
	fmt.Printf("the reloaded controller balanced the pole for %.0f steps\n", total)
	if total < 100 {
		return fmt.Errorf("the reloaded controller balanced only %.0f steps", total)
	}
	return nil
}
