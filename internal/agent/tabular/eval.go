package tabular

import (
	"github.com/xlrl/xlrl/internal/agent/trainloop"
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

// SuccessFunc decides whether an episode succeeded from its return and
// whether it ended by termination (not by the time limit).
type SuccessFunc func(ret float64, terminated bool) bool

// Terminated counts an episode as a success when it reached a terminal state.
func Terminated(_ float64, terminated bool) bool { return terminated }

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
