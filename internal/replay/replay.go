// Package replay is the experience replay buffer of the off-policy agents: a
// ring of transitions in contiguous float32 storage with uniform sampling
// that allocates nothing per sample, and a binary save/restore for
// checkpoints.
//
// A transition stores whether the episode terminated (no bootstrapping from
// the next state) but not whether it was truncated by a time limit: a
// truncated transition keeps its real next observation and is bootstrapped
// through, as Gymnasium's API intends.
package replay

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
)

// Buffer is a fixed-capacity ring of transitions (s, a, r, s', terminated).
type Buffer struct {
	cap, dim   int
	size, next int
	obs, nobs  []float32 // cap*dim each
	act        []int32
	rew        []float32
	term       []bool
}

// New allocates a buffer for capacity transitions of obsDim-dimensional
// observations.
func New(capacity, obsDim int) (*Buffer, error) {
	if capacity <= 0 || obsDim <= 0 {
		return nil, fmt.Errorf("replay: capacity and observation size must be positive, got %d and %d", capacity, obsDim)
	}
	return &Buffer{
		cap: capacity, dim: obsDim,
		obs: make([]float32, capacity*obsDim), nobs: make([]float32, capacity*obsDim),
		act: make([]int32, capacity), rew: make([]float32, capacity), term: make([]bool, capacity),
	}, nil
}

// Len is the number of stored transitions; Cap the capacity; Dim the
// observation size.
func (b *Buffer) Len() int { return b.size }
func (b *Buffer) Cap() int { return b.cap }
func (b *Buffer) Dim() int { return b.dim }

// Add stores one transition, overwriting the oldest when full.
func (b *Buffer) Add(obs []float64, action int, reward float64, nextObs []float64, terminated bool) {
	i := b.next
	o := b.obs[i*b.dim : (i+1)*b.dim]
	no := b.nobs[i*b.dim : (i+1)*b.dim]
	for j := range o {
		o[j] = float32(obs[j])
		no[j] = float32(nextObs[j])
	}
	b.act[i] = int32(action)
	b.rew[i] = float32(reward)
	b.term[i] = terminated
	b.next = (b.next + 1) % b.cap
	if b.size < b.cap {
		b.size++
	}
}

// Batch is a minibatch in the layout the networks take. Allocate it once with
// NewBatch and refill it with Sample.
type Batch struct {
	N, Dim     int
	Obs, Next  []float32 // N*Dim
	Act        []int32
	Rew        []float32
	Terminated []bool
}

// NewBatch allocates a batch of n transitions of obsDim-dimensional observations.
func NewBatch(n, obsDim int) *Batch {
	return &Batch{N: n, Dim: obsDim, Obs: make([]float32, n*obsDim), Next: make([]float32, n*obsDim),
		Act: make([]int32, n), Rew: make([]float32, n), Terminated: make([]bool, n)}
}

// Sample fills dst with dst.N transitions drawn uniformly with replacement.
func (b *Buffer) Sample(rng *rand.Rand, dst *Batch) error {
	if b.size == 0 {
		return errors.New("replay: sampling from an empty buffer")
	}
	if dst.Dim != b.dim {
		return fmt.Errorf("replay: batch has observation size %d, buffer %d", dst.Dim, b.dim)
	}
	d := b.dim
	for k := 0; k < dst.N; k++ {
		i := rng.IntN(b.size)
		copy(dst.Obs[k*d:(k+1)*d], b.obs[i*d:(i+1)*d])
		copy(dst.Next[k*d:(k+1)*d], b.nobs[i*d:(i+1)*d])
		dst.Act[k] = b.act[i]
		dst.Rew[k] = b.rew[i]
		dst.Terminated[k] = b.term[i]
	}
	return nil
}

const magic = "XLRLRPB1"

// Save writes the buffer (capacity, contents and ring position) to w in a
// little-endian binary format.
func (b *Buffer) Save(w io.Writer) error {
	hdr := []uint64{uint64(b.cap), uint64(b.dim), uint64(b.size), uint64(b.next)}
	if _, err := io.WriteString(w, magic); err != nil {
		return fmt.Errorf("replay: saving: %w", err)
	}
	for _, v := range []any{hdr, b.obs, b.nobs, b.act, b.rew, b.term} {
		if err := binary.Write(w, binary.LittleEndian, v); err != nil {
			return fmt.Errorf("replay: saving: %w", err)
		}
	}
	return nil
}

// Load reads a buffer written by Save. Nothing the header claims is trusted:
// the contents are read before the buffer is allocated, so a header that
// claims more than the data holds is an error, never a huge allocation.
func Load(r io.Reader) (*Buffer, error) {
	m := make([]byte, len(magic))
	if _, err := io.ReadFull(r, m); err != nil {
		return nil, fmt.Errorf("replay: loading: %w", err)
	}
	if string(m) != magic {
		return nil, fmt.Errorf("replay: loading: not a replay buffer file (magic %q, want %q)", m, magic)
	}
	hdr := make([]uint64, 4)
	if err := binary.Read(r, binary.LittleEndian, hdr); err != nil {
		return nil, fmt.Errorf("replay: loading the header: %w", err)
	}
	if hdr[0] == 0 || hdr[1] == 0 || hdr[0] > math.MaxInt32 || hdr[1] > 1<<20 || hdr[2] > hdr[0] || hdr[3] >= hdr[0] {
		return nil, fmt.Errorf("replay: loading: corrupt header %v", hdr)
	}
	// Both bounds hold, so these products fit in 64 bits: 2^31 * 2^20 * 8.
	capacity, dim := int64(hdr[0]), int64(hdr[1])
	need := 2*capacity*dim*4 + capacity*(4+4+1)
	var contents bytes.Buffer // grows with what arrives, not with what the header claims
	if n, err := io.CopyN(&contents, r, need); err != nil {
		return nil, fmt.Errorf("replay: loading: the header claims %d x %d transitions (%d bytes), the data holds %d",
			capacity, dim, need, n)
	}
	b, err := New(int(capacity), int(dim))
	if err != nil {
		return nil, err
	}
	b.size, b.next = int(hdr[2]), int(hdr[3])
	cr := bytes.NewReader(contents.Bytes())
	for _, v := range []any{b.obs, b.nobs, b.act, b.rew, b.term} {
		if err := binary.Read(cr, binary.LittleEndian, v); err != nil {
			return nil, fmt.Errorf("replay: loading the contents: %w", err)
		}
	}
	return b, nil
}
