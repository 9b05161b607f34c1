package ac

import (
	"fmt"
	"math/rand/v2"

	"github.com/xlrl/xlrl/internal/ckpt"
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

// replayState is a saved buffer's position.
type replayState struct {
	Size int `json:"size"`
	Next int `json:"next"`
}

// Put saves the stored transitions as sections name_*.
func (b *Replay) Put(c *ckpt.Checkpoint, name string) error {
	n := b.size
	c.PutFloat32s(name+"_obs", b.obs[:n*b.obsDim])
	c.PutFloat32s(name+"_next", b.nobs[:n*b.obsDim])
	c.PutFloat32s(name+"_act", b.act[:n*b.actDim])
	c.PutFloat32s(name+"_rew", b.rew[:n])
	term := make([]byte, n)
	for i, t := range b.term[:n] {
		if t {
			term[i] = 1
		}
	}
	c.Put(name+"_term", term)
	return c.PutJSON(name, replayState{Size: n, Next: b.next})
}

// Get restores what Put saved into b, which must have the saved buffer's
// capacity and widths.
func (b *Replay) Get(c *ckpt.Checkpoint, name string) error {
	var st replayState
	if err := c.GetJSON(name, &st); err != nil {
		return err
	}
	if st.Size < 0 || st.Size > b.cap || st.Next < 0 || st.Next >= b.cap || (st.Size < b.cap && st.Next != st.Size) {
		return fmt.Errorf("%w: %s: %d transitions, next at %d, in a buffer of %d", ckpt.ErrBad, name, st.Size, st.Next, b.cap)
	}
	n := st.Size
	for _, s := range []struct {
		name string
		dst  []float32
	}{{"_obs", b.obs[:n*b.obsDim]}, {"_next", b.nobs[:n*b.obsDim]}, {"_act", b.act[:n*b.actDim]}, {"_rew", b.rew[:n]}} {
		v, err := c.Float32s(name+s.name, len(s.dst))
		if err != nil {
			return err
		}
		copy(s.dst, v)
	}
	term, err := c.Get(name + "_term")
	if err != nil {
		return err
	}
	if len(term) != n {
		return fmt.Errorf("%w: %s: %d termination flags for %d transitions", ckpt.ErrBad, name, len(term), n)
	}
	for i, t := range term {
		b.term[i] = t != 0
	}
	b.size, b.next = n, st.Next
	return nil
}
