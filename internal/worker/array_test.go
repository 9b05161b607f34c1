package worker

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// arrayExtBytes is a msgpack ext 1 with the given header fields and data.
func arrayExtBytes(t *testing.T, dtype byte, shape []uint64, data []byte) []byte {
	t.Helper()
	payload := []byte{dtype, byte(len(shape))}
	for _, d := range shape {
		payload = binary.LittleEndian.AppendUint64(payload, d)
	}
	payload = append(payload, data...)
	// ext32: c9 len(4, big-endian) type
	out := []byte{0xc9, 0, 0, 0, 0, byte(arrayExt)}
	binary.BigEndian.PutUint32(out[1:], uint32(len(payload)))
	return append(out, payload...)
}

// Shapes whose element count overflows int are refused: [65536]x4 is 2^64
// elements, which wrapped to 0 and passed for an empty array.
func TestArrayValidateRefusesOverflowingShapes(t *testing.T) {
	for name, shape := range map[string][]int{
		"2^16 x 4":         {65536, 65536, 65536, 65536},
		"2^31 x 3":         {1 << 31, 1 << 31, 1 << 31},
		"wraps to 1 x f32": {1 << 62, 4},
	} {
		a := Array{DType: Float32, Shape: shape}
		if err := a.Validate(); err == nil {
			t.Errorf("%s: Validate accepted shape %v with 0 bytes", name, shape)
		}
		if n, ok := a.Elements(); ok {
			t.Errorf("%s: Elements = %d, ok; want overflow", name, n)
		}
	}
	var a Array
	err := msgpack.Unmarshal(arrayExtBytes(t, 1, []uint64{65536, 65536, 65536, 65536}, nil), &a)
	if err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("decoding an overflowing shape: err = %v", err)
	}
}

// Results whose shape is not the expected one are errors the caller can
// report, not panics: a 0-d array where a batch is expected.
func TestArrayBatchRefusesZeroDimensional(t *testing.T) {
	var a Array
	if err := msgpack.Unmarshal(arrayExtBytes(t, 1, nil, make([]byte, 4)), &a); err != nil {
		t.Fatalf("a 0-d array is a valid value: %v", err)
	}
	if _, _, err := a.Batch(); err == nil || !strings.Contains(err.Error(), "0-d") {
		t.Errorf("Batch of a 0-d array: err = %v", err)
	}
	b := Float32Array(make([]float32, 6), 3, 2)
	n, item, err := b.Batch()
	if err != nil || n != 3 || len(item) != 1 || item[0] != 2 {
		t.Errorf("Batch of [3 2] = %d, %v, %v", n, item, err)
	}
}
