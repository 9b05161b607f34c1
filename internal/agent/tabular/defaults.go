package tabular

import (
	"github.com/xlrl/xlrl/internal/policy"
)

// Hyper is a full set of training hyperparameters.
type Hyper struct {
	Episodes        int64
	LR, LREnd       float64 // LREnd > 0: linear decay from LR over LRDecayEpisodes
	LRDecayEpisodes int64
	Gamma           float64
	Explore         policy.Config
	EvalEpisodes    int
}

// tuned is THE table of per-environment defaults: what `xlrl train` uses when
// no tuning flag is given. docs/tabular.md shows the same table; the learning
// tests (learning_test.go, learning_slow_test.go) check that each row reaches
// its target with the flags left alone. Keys are environment ids; an entry
// "id/algorithm" overrides "id" for one algorithm.
var tuned = map[string]Hyper{}

// generic is used for environments and algorithms without a tuned entry.
var generic = Hyper{
	Episodes: 10_000, LR: 0.1, Gamma: 0.99, EvalEpisodes: 1000,
	Explore: policy.Config{Kind: "epsilon-greedy", Schedule: "linear", Start: 1, End: 0.05, DecaySteps: 5_000},
}

// Defaults returns the tuned hyperparameters for algo on the environment id
// and whether a tuned entry exists (otherwise they are generic).
func Defaults(id, algo string) (Hyper, bool) {
	if h, ok := tuned[id+"/"+algo]; ok {
		return h, true
	}
	if h, ok := tuned[id]; ok {
		return h, true
	}
	return generic, false
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
