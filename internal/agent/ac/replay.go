package ac

import (
	"fmt"
	"math/rand/v2"
)

// Replay is a ring buffer of transitions with continuous actions for SAC
// and TD3. Terminated transitions do not bootstrap; truncated ones are
// stored as not terminated, with the final observation as next state.
type Replay struct {
	cap, size, next int
	obsDim, actDim  int
	obs, act, nobs  []float32
	rew             []float32
	term            []bool
}

// NewReplay allocates a buffer of capacity transitions.
func NewReplay(capacity, obsDim, actDim int) (*Replay, error) {
	if capacity <= 0 || obsDim <= 0 || actDim <= 0 {
		return nil, fmt.Errorf("replay: capacity %d, observation width %d and action width %d must be positive", capacity, obsDim, actDim)
	}
	return &Replay{cap: capacity, obsDim: obsDim, actDim: actDim,
		obs: make([]float32, capacity*obsDim), nobs: make([]float32, capacity*obsDim),
		act: make([]float32, capacity*actDim), rew: make([]float32, capacity), term: make([]bool, capacity)}, nil
}

// Len is the number of stored transitions.
func (b *Replay) Len() int { return b.size }

// Add stores one transition, overwriting the oldest when full.
func (b *Replay) Add(obs, act []float32, reward float32, next []float32, terminated bool) {
	i := b.next
	copy(b.obs[i*b.obsDim:(i+1)*b.obsDim], obs)
	copy(b.nobs[i*b.obsDim:(i+1)*b.obsDim], next)
	copy(b.act[i*b.actDim:(i+1)*b.actDim], act)
	b.rew[i], b.term[i] = reward, terminated
	b.next = (b.next + 1) % b.cap
	b.size = min(b.size+1, b.cap)
}

// Batch is n sampled transitions, row-major.
type Batch struct {
	N              int
	Obs, Act, Next []float32
	Rew            []float32
	Term           []bool
}

// NewBatch allocates a batch of n rows for b's shapes.
func (b *Replay) NewBatch(n int) *Batch {
	return &Batch{N: n, Obs: make([]float32, n*b.obsDim), Next: make([]float32, n*b.obsDim),
		Act: make([]float32, n*b.actDim), Rew: make([]float32, n), Term: make([]bool, n)}
}

// Sample fills dst with transitions drawn uniformly with replacement.
func (b *Replay) Sample(rng *rand.Rand, dst *Batch) {
	if b.size == 0 {
		panic("replay: sampling an empty buffer")
	}
	od, ad := b.obsDim, b.actDim
	for r := 0; r < dst.N; r++ {
		i := rng.IntN(b.size)
		copy(dst.Obs[r*od:(r+1)*od], b.obs[i*od:(i+1)*od])
		copy(dst.Next[r*od:(r+1)*od], b.nobs[i*od:(i+1)*od])
		copy(dst.Act[r*ad:(r+1)*ad], b.act[i*ad:(i+1)*ad])
		dst.Rew[r], dst.Term[r] = b.rew[i], b.term[i]
	}
}

// Concat writes the rows [x | y] (widths dx and dy) of n rows into dst: a
// critic's input from observations and actions.
func Concat(dst, x []float32, dx int, y []float32, dy, n int) {
	w := dx + dy
	for r := 0; r < n; r++ {
		copy(dst[r*w:r*w+dx], x[r*dx:(r+1)*dx])
		copy(dst[r*w+dx:(r+1)*w], y[r*dy:(r+1)*dy])
	}
}
