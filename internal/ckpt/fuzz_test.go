package ckpt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// FuzzUnmarshalCheckpoint: any bytes decode to a checkpoint or to an
// ErrBad, never a panic or an allocation larger than the input;
// what decodes encodes back to the same bytes.
func FuzzUnmarshalCheckpoint(f *testing.F) {
	c := New("dqn")
	c.PutFloat32s("q", []float32{1, 2, 3})
	c.PutJSON("run", map[string]int{"steps": 10})
	good, _ := c.MarshalBinary()
	f.Add(good)
	f.Add(good[:len(good)-3])
	f.Add([]byte("XLRLCKPT"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Unmarshal("fuzz", data)
		if err != nil {
			if c != nil {
				t.Fatal("a checkpoint and an error")
			}
			return
		}
		out, err := c.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		c2, err := Unmarshal("again", out)
		if err != nil {
			t.Fatalf("re-encoded checkpoint does not decode: %v", err)
		}
		if c2.Kind != c.Kind || len(c2.Sections()) != len(c.Sections()) {
			t.Fatal("round trip changed the checkpoint")
		}
		for _, s := range c.Sections() {
			a, _ := c.Get(s)
			b, _ := c2.Get(s)
			if !bytes.Equal(a, b) {
				t.Fatalf("section %q changed", s)
			}
		}
	})
}

// FuzzCheckpointBody fuzzes what the checksum protects: the body is wrapped
// with a valid magic, CRC and end marker, so that every mutation reaches the
// parser of the sections.
func FuzzCheckpointBody(f *testing.F) {
	c := New("tabular")
	c.PutFloat64s("q", []float64{1, 2})
	c.Put("agent_rng", []byte{1, 2, 3, 4})
	good, _ := c.MarshalBinary()
	f.Add(good[len(ckptMagic) : len(good)-len(ckptEnd)-4])
	f.Fuzz(func(t *testing.T, body []byte) {
		data := append(append([]byte{}, ckptMagic...), body...)
		data = binary.LittleEndian.AppendUint32(data, crcOf(data))
		data = append(data, ckptEnd...)
		c, err := Unmarshal("fuzz", data)
		if err != nil {
			if !errors.Is(err, ErrBad) {
				t.Fatalf("an error that is not ErrBad: %v", err)
			}
			return
		}
		total := 0
		for _, s := range c.Sections() {
			b, _ := c.Get(s)
			total += len(b) + len(s)
		}
		if total > len(data) {
			t.Fatalf("decoded %d bytes of sections from %d bytes", total, len(data))
		}
	})
}
