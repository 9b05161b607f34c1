package xlrl

import (
	"context"
	"fmt"

	"github.com/xlrl/xlrl/internal/mdp"
	"github.com/xlrl/xlrl/internal/train"
)

// EvalStepLimit cuts evaluation episodes of environments without a time
// limit, where a poor greedy policy could go on forever.
const EvalStepLimit = train.EvalStepLimit

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
	if episodes <= 0 {
		return Evaluation{Episodes: episodes}, fmt.Errorf("evaluate: %d episodes: want a positive number", episodes)
	}
	ev, err := train.EvaluateEpisodes(ctx, e, agent.Act, episodes, seed, train.ReachedThreshold(e.Spec()))
	return Evaluation{Episodes: ev.Episodes, Mean: ev.Mean, Std: ev.Std, SuccessRate: ev.SuccessRate, Returns: ev.Returns}, err
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
