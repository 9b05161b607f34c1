package env

// RNG is the environments' random source: SplitMix64, one word of state, so
// that a step that draws a random number costs a couple of nanoseconds and
// inlines into the caller. It passes BigCrush; it is not cryptographic.
//
// Gymnasium draws from NumPy's PCG64, so the same seed gives different
// episodes here and there: parity is checked from set states, not seeds.
type RNG struct{ state uint64 }

// NewRNG returns a source seeded with seed.
func NewRNG(seed uint64) RNG { return RNG{state: seed} }

// Seed restarts the sequence from seed.
func (r *RNG) Seed(seed uint64) { r.state = seed }

// Uint64 returns 64 uniformly distributed bits.
func (r *RNG) Uint64() uint64 {
	r.state += 0x9e3779b97f4a7c15
	z := r.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Float64 returns a uniform number in [0, 1).
func (r *RNG) Float64() float64 { return float64(r.Uint64()>>11) * 0x1p-53 }

// Uniform returns a uniform number in [lo, hi).
func (r *RNG) Uniform(lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }

// Intn returns a uniform integer in [0, n) for 0 < n < 2^32, by Lemire's
// multiply-shift (bias below 2^-32, no division).
func (r *RNG) Intn(n int) int {
	return int((r.Uint64() >> 32) * uint64(n) >> 32)
}

// float32Round rounds x to the nearest float32, as Gymnasium does when it
// builds an observation with dtype=np.float32.
func float32Round(x float64) float64 { return float64(float32(x)) }
