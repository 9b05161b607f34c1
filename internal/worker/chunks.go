package worker

import "io"

// bigWrite is the size from which a write is kept by reference, not copied.
const bigWrite = 64 << 10

// chunkWriter collects an encoded message without copying large writes: an
// Array's data is kept as a reference to the caller's slice and written from
// there. Nothing reaches the pipe until the whole message has encoded, so a
// value that fails to encode never leaves half a message on the wire.
type chunkWriter struct {
	scratch []byte   // small writes, appended
	start   int      // where the current small chunk began in scratch
	chunks  [][]byte // the message, in order
}

func (w *chunkWriter) Write(p []byte) (int, error) {
	if len(p) < bigWrite {
		w.scratch = append(w.scratch, p...)
		return len(p), nil
	}
	w.cut()
	w.chunks = append(w.chunks, p)
	return len(p), nil
}

func (w *chunkWriter) WriteByte(c byte) error {
	w.scratch = append(w.scratch, c)
	return nil
}

// cut ends the current run of small writes. Earlier chunks may point into an
// old scratch array after append grows it; they stay valid because nothing
// writes to them again.
func (w *chunkWriter) cut() {
	if len(w.scratch) > w.start {
		w.chunks = append(w.chunks, w.scratch[w.start:len(w.scratch):len(w.scratch)])
		w.start = len(w.scratch)
	}
}

// writeTo writes the message and resets the writer for the next one.
func (w *chunkWriter) writeTo(dst io.Writer) error {
	w.cut()
	defer w.reset()
	for _, c := range w.chunks {
		if _, err := dst.Write(c); err != nil {
			return err
		}
	}
	return nil
}

func (w *chunkWriter) reset() {
	clear(w.chunks) // drop references to the callers' arrays
	w.chunks = w.chunks[:0]
	w.scratch, w.start = w.scratch[:0], 0
}
