package worker

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

func TestChunkWriterKeepsLargeWritesByReference(t *testing.T) {
	big := make([]float32, 100_000)
	for i := range big {
		big[i] = float32(i)
	}
	msg := map[string]any{"a": Float32Array(big, 1000, 100), "b": "small", "c": Int64Array([]int64{1, 2})}

	var w chunkWriter
	enc := msgpack.NewEncoder(&w)
	if err := enc.Encode(msg); err != nil {
		t.Fatal(err)
	}
	var aliased bool
	data := asBytes(big)
	for _, c := range append(w.chunks, w.scratch[w.start:]) {
		aliased = aliased || (len(c) > 0 && &c[0] == &data[0])
	}
	if !aliased {
		t.Error("the large array's data was copied into the message")
	}
	var got bytes.Buffer
	if err := w.writeTo(&got); err != nil {
		t.Fatal(err)
	}
	var decoded map[string]any
	if err := msgpack.Unmarshal(got.Bytes(), &decoded); err != nil {
		t.Fatal(err)
	}
	a, ok := decoded["a"].(Array)
	if !ok || !bytes.Equal(a.Data, data) || fmt.Sprint(a.Shape) != "[1000 100]" || decoded["b"] != "small" {
		t.Fatalf("chunked message decodes to something else: a=%T b=%v", decoded["a"], decoded["b"])
	}
	if len(w.chunks) != 0 || len(w.scratch) != 0 {
		t.Error("writeTo did not reset the writer")
	}
}

func TestArrayShapeMismatchPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Float32Array with a wrong shape did not panic")
		}
	}()
	Float32Array([]float32{1, 2, 3}, 2, 2)
}

func TestArrayValidate(t *testing.T) {
	tests := []struct {
		a    Array
		want string
	}{
		{Array{DType: Float32, Shape: []int{2}, Data: make([]byte, 8)}, ""},
		{Array{DType: Float32, Shape: []int{3}, Data: make([]byte, 8)}, "needs 12 bytes, has 8"},
		{Array{DType: 99, Shape: []int{1}, Data: make([]byte, 1)}, "unknown dtype code 99"},
		{Array{DType: Uint8, Shape: []int{-1}, Data: nil}, "negative dimension"},
	}
	for _, tt := range tests {
		err := tt.a.Validate()
		if (err == nil) != (tt.want == "") || (err != nil && !bytes.Contains([]byte(err.Error()), []byte(tt.want))) {
			t.Errorf("Validate(%v) = %v, want %q", tt.a, err, tt.want)
		}
	}
}

func TestDecodedValuesAreCheckedAgainstTheDtype(t *testing.T) {
	a := Float64Array([]float64{1, 2})
	if _, err := a.Float32s(); err == nil {
		t.Error("Float32s of a float64 array succeeded")
	}
	got, err := a.Float64s()
	if err != nil || got[1] != 2 {
		t.Errorf("Float64s = %v, %v", got, err)
	}
}
