package worker

import (
	"bufio"
	"bytes"
	"io"
	"log/slog"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// FuzzDecodeArray: any ext payload decodes to an Array whose shape and data
// agree, or to an error; never a panic.
func FuzzDecodeArray(f *testing.F) {
	f.Add(append([]byte{1, 1}, append(bytes.Repeat([]byte{0}, 7), 2)...)) // a header only
	good := Float32Array([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	enc, _ := msgpack.Marshal(good)
	f.Add(enc[6:]) // the payload of the ext32 msgpack wrote
	f.Add([]byte{1, 4, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, payload []byte) {
		var hdr bytes.Buffer
		msgpack.NewEncoder(&hdr).EncodeExtHeader(arrayExt, len(payload))
		var a Array
		err := msgpack.Unmarshal(append(hdr.Bytes(), payload...), &a)
		if err != nil {
			return
		}
		if err := a.Validate(); err != nil {
			t.Fatalf("decoded an invalid array: %v", err)
		}
		if n, ok := a.Elements(); !ok || n*dtypeSizes[a.DType] != len(a.Data) {
			t.Fatalf("shape %v does not match %d bytes", a.Shape, len(a.Data))
		}
	})
}

// FuzzHandshake feeds any bytes to the client's reader as the worker's
// stdout: it must end with an error (or the stream's end), never panic nor
// block on a message it cannot deliver.
func FuzzHandshake(f *testing.F) {
	hello, _ := msgpack.Marshal([]any{2, "hello", map[string]any{"protocol": []int{1, 0}, "pid": 7, "methods": []string{"ping"}}})
	f.Add(hello)
	f.Add(append(append([]byte{}, hello...), hello...))
	resp, _ := msgpack.Marshal([]any{1, 1, nil, "pong"})
	f.Add(append(append([]byte{}, hello...), resp...))
	progress, _ := msgpack.Marshal([]any{2, "progress", map[string]any{"msgid": 1, "step": 3}})
	f.Add(append(append([]byte{}, hello...), progress...))
	f.Add([]byte("hello world\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := &Client{
			opts:    Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))},
			pending: map[uint32]*call{1: {method: "ping", result: new(any), done: make(chan error, 1), alive: make(chan struct{}, 1)}},
			helloCh: make(chan Handshake, 1),
			dead:    make(chan struct{}),
		}
		dec := msgpack.NewDecoder(bufio.NewReader(bytes.NewReader(data)))
		for range len(data) + 1 { // every message consumes at least one byte
			if err := c.readMessage(dec); err != nil {
				return
			}
		}
		t.Fatal("the reader did not stop at the end of the input")
	})
}
