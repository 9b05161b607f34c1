package tabular

import (
	"context"
	"fmt"
	"math"

	"github.com/xlrl/xlrl/internal/agent/trainloop"
	"github.com/xlrl/xlrl/internal/env"
)

// EvalSeed is the seed of the evaluation environment of a run whose training
// environment is seeded with seed. It is derived the way the deep agents
// derive theirs (trainloop.Mix, the final-evaluation stream): a SplitMix64 hash of
// the seed, not a simple function of it.
//
// Why not seed ^ c: the environments draw from SplitMix64, whose state
// advances by the constant G = 0x9e3779b97f4a7c15 per draw, and seed ^ G
// equals seed + G whenever seed & G == 0 (seeds 0, 2, 8, 10, 32, ...), so the
// evaluation episodes were the training stream shifted by one draw. All
// SplitMix64 streams lie on one cycle; a hashed seed puts the evaluation
// stream an unpredictable distance along it (TestEvalSeedIndependent checks
// that the distance exceeds 2^40 draws in both directions for many seeds).
func EvalSeed(seed uint64) uint64 { return trainloop.Mix(seed, trainloop.StreamFinalEval) }

// EvalResult summarises greedy evaluation episodes.
type EvalResult struct {
	Episodes    int
	MeanReturn  float64
	StdReturn   float64
	SuccessRate float64
	MeanLength  float64
}

// SuccessFunc decides whether an episode succeeded from its return and
// whether it ended by termination (not by the time limit).
type SuccessFunc func(ret float64, terminated bool) bool

// Terminated counts an episode as a success when it reached a terminal state.
func Terminated(_ float64, terminated bool) bool { return terminated }

// Evaluate runs episodes of e with the deterministic policy act and reports
// the return statistics. Environments without a time limit are cut at
// maxSteps steps (a greedy policy can loop forever). e must be seeded.
func Evaluate(ctx context.Context, e env.Env, act func(s int) int, episodes, maxSteps int, success SuccessFunc) (EvalResult, error) {
	if episodes <= 0 {
		return EvalResult{}, fmt.Errorf("evaluation needs a positive number of episodes, got %d", episodes)
	}
	if success == nil {
		success = Terminated
	}
	var sum, sumSq, steps float64
	wins := 0
	for ep := range episodes {
		if ep%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return EvalResult{}, fmt.Errorf("evaluation stopped after %d episodes: %w", ep, err)
			}
		}
		s := int(e.Reset()[0])
		ret, terminated := 0.0, false
		for n := 1; ; n++ {
			obs, r, term, trunc := e.Step(env.DiscreteAction(act(s)))
			ret += r
			s = int(obs[0])
			if term || trunc || (maxSteps > 0 && n >= maxSteps) {
				terminated = term
				steps += float64(n)
				break
			}
		}
		sum += ret
		sumSq += ret * ret
		if success(ret, terminated) {
			wins++
		}
	}
	n := float64(episodes)
	mean := sum / n
	return EvalResult{
		Episodes:    episodes,
		MeanReturn:  mean,
		StdReturn:   math.Sqrt(max(0, sumSq/n-mean*mean)),
		SuccessRate: float64(wins) / n,
		MeanLength:  steps / n,
	}, nil
}

// Success returns how an episode of environment id counts as a success:
// FrozenLake by reaching the goal (the only reward), the others by reaching
// a terminal state before the time limit (Taxi: the delivery; CliffWalking:
// the goal).
func Success(id string) SuccessFunc {
	switch id {
	case "FrozenLake-v1", "FrozenLake8x8-v1":
		return func(ret float64, _ bool) bool { return ret > 0 }
	}
	return Terminated
}
