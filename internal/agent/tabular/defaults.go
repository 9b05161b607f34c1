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
//
// Why these values: FrozenLake is slippery, so its targets are noisy and a
// step size that decays to 0.01 lets the table settle; epsilon decays over
// the first half of training. FrozenLake8x8's optimal path is long and values
// differ by little along it, hence gamma 0.999 and 2.5 times the episodes.
// Taxi is deterministic: a large step size converges fast. CliffWalking
// follows Sutton and Barto's example 6.6 (constant epsilon 0.1, no
// discount), so Q-learning learns the cliff edge and SARSA the safe path.
var tuned = map[string]Hyper{
	"FrozenLake-v1": {
		Episodes: 20_000, LR: 0.1, LREnd: 0.01, LRDecayEpisodes: 20_000, Gamma: 0.99, EvalEpisodes: 10_000,
		Explore: policy.Config{Kind: "epsilon-greedy", Schedule: "linear", Start: 1, End: 0.05, DecaySteps: 10_000},
	},
	"FrozenLake8x8-v1": {
		Episodes: 50_000, LR: 0.1, LREnd: 0.01, LRDecayEpisodes: 50_000, Gamma: 0.999, EvalEpisodes: 10_000,
		Explore: policy.Config{Kind: "epsilon-greedy", Schedule: "linear", Start: 1, End: 0.05, DecaySteps: 25_000},
	},
	"Taxi-v3": {
		Episodes: 5_000, LR: 0.5, Gamma: 0.99, EvalEpisodes: 1000,
		Explore: policy.Config{Kind: "epsilon-greedy", Schedule: "linear", Start: 1, End: 0.05, DecaySteps: 2_500},
	},
	// SARSA learns the value of the policy it follows, so it must explore
	// less and less all the way to greedy (GLIE) to end at the optimum.
	"Taxi-v3/sarsa": {
		Episodes: 10_000, LR: 0.5, LREnd: 0.01, LRDecayEpisodes: 10_000, Gamma: 0.99, EvalEpisodes: 1000,
		Explore: policy.Config{Kind: "epsilon-greedy", Schedule: "linear", Start: 1, End: 0, DecaySteps: 8_000},
	},
	"CliffWalking-v0": {
		Episodes: 1000, LR: 0.5, LREnd: 0.01, LRDecayEpisodes: 1000, Gamma: 1, EvalEpisodes: 10,
		Explore: policy.Config{Kind: "epsilon-greedy", Schedule: "constant", Start: 0.1},
	},
}

// aliases share their environment's entries.
var aliases = map[string]string{"Taxi-v4": "Taxi-v3", "CliffWalking-v1": "CliffWalking-v0"}

// generic is used for environments and algorithms without a tuned entry.
var generic = Hyper{
	Episodes: 10_000, LR: 0.1, Gamma: 0.99, EvalEpisodes: 1000,
	Explore: policy.Config{Kind: "epsilon-greedy", Schedule: "linear", Start: 1, End: 0.05, DecaySteps: 5_000},
}

// Defaults returns the tuned hyperparameters for algo on the environment id
// and whether a tuned entry exists (otherwise they are generic).
func Defaults(id, algo string) (Hyper, bool) {
	if of, ok := aliases[id]; ok {
		id = of
	}
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
