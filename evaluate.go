package xlrl

import (
	"context"
	"fmt"
	"math"

	"github.com/xlrl/xlrl/internal/mdp"
)

// EvalStepLimit cuts evaluation episodes of environments without a time
// limit, where a poor greedy policy could go on forever.
const EvalStepLimit = 100_000

// Evaluation is the outcome of Evaluate.
type Evaluation struct {
	Episodes int
	Mean     float64
	Std      float64
	// SuccessRate is the share of episodes whose return reached the
	// environment's RewardThreshold (0 when it has none).
	SuccessRate float64
	Returns     []float64
}

// Evaluate runs episodes episodes of e with the agent's greedy action, e
// seeded with seed first, and returns their returns. Every algorithm is
// evaluated the same way.
func Evaluate(ctx context.Context, agent Agent, e Env, episodes int, seed uint64) (Evaluation, error) {
	ev := Evaluation{Episodes: episodes}
	if episodes <= 0 {
		return ev, fmt.Errorf("evaluate: %d episodes: want a positive number", episodes)
	}
	spec := e.Spec()
	limit := EvalStepLimit
	if m := spec.MaxEpisodeSteps; m > 0 {
		limit = m
	}
	e.Seed(seed)
	solved := 0
	for range episodes {
		if err := ctx.Err(); err != nil {
			return ev, err
		}
		obs := e.Reset()
		var ret float64
		for t := 1; ; t++ {
			o, r, term, trunc := e.Step(agent.Act(obs))
			ret += r
			if term || trunc || t >= limit {
				break
			}
			obs = o
		}
		ev.Returns = append(ev.Returns, ret)
		if spec.RewardThreshold != nil && ret >= *spec.RewardThreshold {
			solved++
		}
	}
	var s, s2 float64
	for _, r := range ev.Returns {
		s += r
	}
	ev.Mean = s / float64(episodes)
	for _, r := range ev.Returns {
		s2 += (r - ev.Mean) * (r - ev.Mean)
	}
	ev.Std = math.Sqrt(s2 / float64(episodes))
	ev.SuccessRate = float64(solved) / float64(episodes)
	return ev, nil
}

// Solution is an exact solution of a Model: the optimal value of each
// state, an optimal action per state and the value of the start
// distribution.
type Solution struct {
	V          []float64
	Policy     []int
	StartValue float64
}

// Solve solves m exactly: over horizon steps (0: the infinite-horizon
// problem, by value iteration) with discount gamma in (0, 1].
func Solve(m Model, horizon int, gamma float64) (*Solution, error) {
	sol, err := mdp.Solve(m, horizon, gamma)
	if err != nil {
		return nil, err
	}
	return &Solution{V: sol.V, Policy: sol.Policy, StartValue: mdp.StartValue(m, sol.V)}, nil
}
