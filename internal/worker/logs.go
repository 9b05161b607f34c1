package worker

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
)

// tailLines is how many of the worker's last stderr lines an ExitError carries.
const tailLines = 20

// stderrLog reads the worker's stderr line by line into slog, an optional
// log file, and a ring of the last lines.
type stderrLog struct {
	logger *slog.Logger
	file   *os.File

	mu   sync.Mutex
	ring []string
	next int
	full bool
	// more are the log files added after the start (Client.LogTo); closed
	// stops adding them once the worker has exited.
	more   []*os.File
	closed bool

	done chan struct{}
}

func newStderrLog(logger *slog.Logger, file *os.File) *stderrLog {
	return &stderrLog{logger: logger, file: file, ring: make([]string, tailLines), done: make(chan struct{})}
}

// MaxStderrLine is the longest line of the worker's stderr kept whole; the
// rest of a longer line is dropped (and counted), and reading goes on.
const MaxStderrLine = 64 << 10

func (s *stderrLog) run(r io.Reader) {
	defer close(s.done)
	br := bufio.NewReaderSize(r, MaxStderrLine)
	for {
		line, err := readCappedLine(br)
		if err != nil && line == "" {
			return
		}
		s.mu.Lock()
		s.ring[s.next] = line
		s.next = (s.next + 1) % len(s.ring)
		s.full = s.full || s.next == 0
		for _, f := range s.more {
			_, _ = f.WriteString(line + "\n")
		}
		s.mu.Unlock()
		if s.file != nil {
			_, _ = s.file.WriteString(line + "\n")
		}
		s.logger.Log(context.Background(), levelOf(line), line, "source", "worker")
		if err != nil {
			return
		}
	}
}

// readCappedLine reads one line (without its newline) and keeps at most
// MaxStderrLine bytes of it; the rest of a longer line is read and dropped,
// and the line says how many bytes were cut. err is set at the end of the
// stream, with what was left before it.
func readCappedLine(br *bufio.Reader) (string, error) {
	var line []byte
	cut := 0
	for {
		chunk, err := br.ReadSlice('\n')
		more := errors.Is(err, bufio.ErrBufferFull) // the line goes on
		if !more {
			chunk = bytes.TrimSuffix(chunk, []byte("\n"))
		}
		keep := min(len(chunk), MaxStderrLine-len(line))
		line = append(line, chunk[:keep]...)
		cut += len(chunk) - keep
		if more {
			continue
		}
		s := string(line)
		if cut > 0 {
			s += fmt.Sprintf(" ... (%d bytes cut)", cut)
		}
		return s, err
	}
}

// addFile makes f receive every later line, after the last lines so far
// (the ring). It reports false, and leaves f alone, once the log is closed.
func (s *stderrLog) addFile(f *os.File) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	for _, line := range s.tailLocked() {
		_, _ = f.WriteString(line + "\n")
	}
	s.more = append(s.more, f)
	return true
}

// closeFiles closes the files addFile added.
func (s *stderrLog) closeFiles() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.more {
		_ = f.Close()
	}
	s.more, s.closed = nil, true
}

// tail returns the last lines in order.
func (s *stderrLog) tail() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tailLocked()
}

func (s *stderrLog) tailLocked() []string {
	var out []string
	if s.full {
		out = append(out, s.ring[s.next:]...)
	}
	out = append(out, s.ring[:s.next]...)
	return out
}

// levelOf maps the worker's Python logging prefixes ("WARNING pyworker: ...")
// to slog levels; other lines (TensorFlow's, prints) are info.
func levelOf(line string) slog.Level {
	switch {
	case strings.HasPrefix(line, "DEBUG "):
		return slog.LevelDebug
	case strings.HasPrefix(line, "WARNING "):
		return slog.LevelWarn
	case strings.HasPrefix(line, "ERROR "), strings.HasPrefix(line, "CRITICAL "), strings.HasPrefix(line, "Traceback "):
		return slog.LevelError
	}
	return slog.LevelInfo
}

// tailReader remembers the last bytes read through it, for reporting a worker
// that writes bytes that are not msgpack-RPC.
type tailReader struct {
	r    io.Reader
	last []byte
}

func (t *tailReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n > 0 {
		keep := p[:n]
		if len(keep) > 64 {
			keep = keep[len(keep)-64:]
		}
		t.last = append(t.last[:0], keep...)
	}
	return n, err
}
