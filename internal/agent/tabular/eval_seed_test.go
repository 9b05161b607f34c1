package tabular

import (
	"math/bits"
	"testing"

	"github.com/xlrl/xlrl/internal/env"
)

// golden is SplitMix64's increment: env.RNG's state advances by it per draw.
const golden = 0x9e3779b97f4a7c15

// drawsApart is how many draws of env.RNG lead from state a to state b (mod
// 2^64, as a signed distance): every SplitMix64 stream is the same cycle, so
// two seeds always differ by some shift k, with a + k*golden = b.
func drawsApart(a, b uint64) int64 {
	// golden is odd, so it has an inverse mod 2^64 (Newton's iteration).
	inv := uint64(golden)
	for range 6 {
		inv *= 2 - golden*inv
	}
	return int64((b - a) * inv)
}

func TestDrawsApartDetectsShift(t *testing.T) {
	// The detector itself: the old derivation seed ^ golden is one draw ahead
	// of the training stream for the seeds with seed & golden == 0.
	for _, seed := range []uint64{0, 2, 8, 10, 32} {
		if k := drawsApart(seed, seed^golden); k != 1 {
			t.Errorf("seed %d: seed ^ G is %d draws from seed, want 1 (the collision the issue reports)", seed, k)
		}
		r, ev := env.NewRNG(seed), env.NewRNG(seed^golden)
		r.Uint64()
		if r.Uint64() != ev.Uint64() {
			t.Errorf("seed %d: the shifted stream does not repeat the training stream", seed)
		}
	}
}

func TestEvalSeedIndependent(t *testing.T) {
	const minApart = int64(1) << 40 // far more draws than any training run makes
	seeds := []uint64{0, 2, 8, 10, 32, 1<<63 - 1, 1 << 63, ^uint64(0)}
	for s := range uint64(100_000) {
		seeds = append(seeds, s)
	}
	for _, seed := range seeds {
		ev := EvalSeed(seed)
		k := drawsApart(seed, ev)
		if k > -minApart && k < minApart {
			t.Fatalf("seed %d: evaluation seed %#x is the training stream shifted by %d draws", seed, ev, k)
		}
	}
	// Different seeds give different evaluation seeds, and the hash spreads
	// neighbouring seeds over all the bits.
	seen := make(map[uint64]uint64, 100_000)
	for s := range uint64(100_000) {
		ev := EvalSeed(s)
		if prev, dup := seen[ev]; dup {
			t.Fatalf("seeds %d and %d share the evaluation seed %#x", prev, s, ev)
		}
		seen[ev] = s
		if d := bits.OnesCount64(EvalSeed(s) ^ EvalSeed(s+1)); d < 10 {
			t.Errorf("seeds %d and %d: evaluation seeds differ in only %d bits", s, s+1, d)
		}
	}
}

func TestEvalSeedFirstDrawsDiffer(t *testing.T) {
	// The first draws of the two streams share nothing, for the seeds where
	// the old derivation made them equal.
	for _, seed := range []uint64{0, 2, 8, 10, 32} {
		tr, ev := env.NewRNG(seed), env.NewRNG(EvalSeed(seed))
		train := make(map[uint64]bool, 1000)
		for range 1000 {
			train[tr.Uint64()] = true
		}
		for i := range 1000 {
			if x := ev.Uint64(); train[x] {
				t.Errorf("seed %d: evaluation draw %d also appears among the first 1000 training draws", seed, i)
			}
		}
	}
}
