package replay

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
)

func fill(b *Buffer, n int) {
	for i := 0; i < n; i++ {
		v := float64(i)
		b.Add([]float64{v, -v}, i%3, 10*v, []float64{v + 0.5, -v - 0.5}, i%5 == 4)
	}
}

func TestRingOverwritesOldest(t *testing.T) {
	b, err := New(4, 2)
	if err != nil {
		t.Fatal(err)
	}
	fill(b, 6) // transitions 0..5; 0 and 1 are gone
	if b.Len() != 4 {
		t.Fatalf("Len = %d, want 4", b.Len())
	}
	seen := map[float32]bool{}
	batch := NewBatch(200, 2)
	if err := b.Sample(rand.New(rand.NewPCG(1, 1)), batch); err != nil {
		t.Fatal(err)
	}
	for k := 0; k < batch.N; k++ {
		s := batch.Obs[2*k]
		seen[s] = true
		// every field of a sampled transition comes from the same transition
		if batch.Obs[2*k+1] != -s || batch.Next[2*k] != s+0.5 || batch.Rew[k] != 10*s ||
			batch.Act[k] != int32(int(s)%3) || batch.Terminated[k] != (int(s)%5 == 4) {
			t.Fatalf("row %d mixes transitions: obs %v next %v r %v a %v term %v", k,
				batch.Obs[2*k:2*k+2], batch.Next[2*k:2*k+2], batch.Rew[k], batch.Act[k], batch.Terminated[k])
		}
	}
	for _, want := range []float32{2, 3, 4, 5} {
		if !seen[want] {
			t.Errorf("transition %v never sampled", want)
		}
	}
	if seen[0] || seen[1] {
		t.Errorf("overwritten transitions sampled: %v", seen)
	}
}

func TestSampleIsUniform(t *testing.T) {
	b, _ := New(10, 1)
	for i := 0; i < 10; i++ {
		b.Add([]float64{float64(i)}, 0, 0, []float64{0}, false)
	}
	counts := make([]int, 10)
	batch := NewBatch(1000, 1)
	rng := rand.New(rand.NewPCG(2, 2))
	for it := 0; it < 20; it++ {
		_ = b.Sample(rng, batch)
		for _, v := range batch.Obs {
			counts[int(v)]++
		}
	}
	for i, c := range counts { // expected 2000 each, sd about 42
		if c < 1800 || c > 2200 {
			t.Errorf("transition %d sampled %d times out of 20000, want about 2000", i, c)
		}
	}
}

func TestSampleAllocatesNothing(t *testing.T) {
	b, _ := New(100, 4)
	for i := 0; i < 100; i++ {
		b.Add([]float64{1, 2, 3, 4}, 1, 1, []float64{1, 2, 3, 4}, false)
	}
	batch := NewBatch(64, 4)
	rng := rand.New(rand.NewPCG(3, 3))
	if n := testing.AllocsPerRun(100, func() { _ = b.Sample(rng, batch) }); n != 0 {
		t.Fatalf("Sample allocates %.0f times", n)
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	b, _ := New(8, 2)
	fill(b, 11)
	var buf bytes.Buffer
	if err := b.Save(&buf); err != nil {
		t.Fatal(err)
	}
	c, err := Load(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if c.Len() != b.Len() || c.next != b.next || c.Cap() != 8 || c.Dim() != 2 {
		t.Fatalf("restored size %d next %d, want %d %d", c.Len(), c.next, b.Len(), b.next)
	}
	// Adding to both keeps them identical: the ring position survived.
	b.Add([]float64{9, 9}, 2, 1, []float64{9, 9}, true)
	c.Add([]float64{9, 9}, 2, 1, []float64{9, 9}, true)
	for i := range b.obs {
		if b.obs[i] != c.obs[i] || b.nobs[i] != c.nobs[i] {
			t.Fatalf("observations differ at %d", i)
		}
	}
	for i := range b.act {
		if b.act[i] != c.act[i] || b.rew[i] != c.rew[i] || b.term[i] != c.term[i] {
			t.Fatalf("transition %d differs", i)
		}
	}
}

func TestLoadRejectsGarbage(t *testing.T) {
	if _, err := Load(strings.NewReader("not a buffer at all")); err == nil || !strings.Contains(err.Error(), "not a replay buffer") {
		t.Fatalf("err = %v", err)
	}
	b, _ := New(4, 2)
	var buf bytes.Buffer
	_ = b.Save(&buf)
	if _, err := Load(bytes.NewReader(buf.Bytes()[:buf.Len()-3])); err == nil {
		t.Fatal("a truncated file loaded")
	}
}

func TestSampleEmpty(t *testing.T) {
	b, _ := New(4, 2)
	if err := b.Sample(rand.New(rand.NewPCG(1, 1)), NewBatch(2, 2)); err == nil {
		t.Fatal("sampling an empty buffer succeeded")
	}
}
