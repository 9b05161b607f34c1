package run

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"sort"
	"strconv"
	"time"

	"github.com/xlrl/xlrl/internal/atomicfile"
)

// Record is one line of metrics.jsonl: {"kind":..., "step":..., "time":...,
// <key>: <value>, ...}; internal/metric names the kinds and keys. Time is
// seconds since the Unix epoch. A value that is NaN or infinite (a diverged
// loss) is written as null and read back as NaN.
type Record struct {
	Kind   string
	Step   int64
	Time   float64
	Values map[string]float64
}

// Value returns the named value and whether the record has it.
func (r Record) Value(key string) (float64, bool) {
	v, ok := r.Values[key]
	return v, ok
}

// MarshalJSON writes kind, step and time first and the values in key order,
// so that lines are stable and easy to read with jq or by eye.
func (r Record) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"kind":`)
	kind, _ := json.Marshal(r.Kind)
	b.Write(kind)
	b.WriteString(`,"step":`)
	b.WriteString(strconv.FormatInt(r.Step, 10))
	if r.Time != 0 {
		b.WriteString(`,"time":`)
		b.WriteString(strconv.FormatFloat(r.Time, 'f', 3, 64))
	}
	keys := make([]string, 0, len(r.Values))
	for k := range r.Values {
		if k == "kind" || k == "step" || k == "time" {
			return nil, fmt.Errorf("metrics: value key %q is reserved", k)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		name, _ := json.Marshal(k)
		b.WriteByte(',')
		b.Write(name)
		b.WriteByte(':')
		v := r.Values[k]
		if math.IsNaN(v) || math.IsInf(v, 0) {
			b.WriteString("null")
		} else {
			b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON is the inverse of MarshalJSON; every key other than kind,
// step and time must hold a number or null.
func (r *Record) UnmarshalJSON(data []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	*r = Record{Values: make(map[string]float64, len(m))}
	for k, raw := range m {
		var err error
		switch k {
		case "kind":
			err = json.Unmarshal(raw, &r.Kind)
		case "step":
			err = json.Unmarshal(raw, &r.Step)
		case "time":
			err = json.Unmarshal(raw, &r.Time)
		default:
			var v *float64
			if err = json.Unmarshal(raw, &v); err == nil {
				if v == nil {
					r.Values[k] = math.NaN()
				} else {
					r.Values[k] = *v
				}
			}
		}
		if err != nil {
			return fmt.Errorf("key %q: %w", k, err)
		}
	}
	if r.Kind == "" {
		return errors.New(`missing "kind"`)
	}
	return nil
}

// MetricsWriter appends records to metrics.jsonl. It buffers and flushes
// every FlushInterval (checked on each write, so no goroutine is involved),
// on Flush and on Close. It is not safe for concurrent use.
type MetricsWriter struct {
	f             *os.File
	w             *bufio.Writer
	path          string
	lastFlush     time.Time
	FlushInterval time.Duration
	Now           func() time.Time // default time.Now; for tests
}

// OpenMetrics opens path for appending (O_APPEND: every flush lands at the
// end of the file, whatever else appended), creating it if needed. A
// partially written last line (the process died mid-write) is cut off first,
// so that new records start on a line of their own.
func OpenMetrics(path string) (*MetricsWriter, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening metrics: %w", err)
	}
	end, err := completeLinesEnd(f)
	if err == nil {
		err = f.Truncate(end)
	}
	if err == nil {
		_, err = f.Seek(end, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("opening metrics %s: %w", path, err)
	}
	return &MetricsWriter{f: f, w: bufio.NewWriterSize(f, 64<<10), path: path,
		FlushInterval: 2 * time.Second, Now: time.Now, lastFlush: time.Now()}, nil
}

// completeLinesEnd returns the offset just past the last newline of f.
func completeLinesEnd(f *os.File) (int64, error) {
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	size := st.Size()
	buf := make([]byte, 4096)
	for end := size; end > 0; {
		start := max(end-int64(len(buf)), 0)
		chunk := buf[:end-start]
		if _, err := f.ReadAt(chunk, start); err != nil {
			return 0, err
		}
		if i := bytes.LastIndexByte(chunk, '\n'); i >= 0 {
			return start + int64(i) + 1, nil
		}
		end = start
	}
	return 0, nil
}

// Write appends one record. A zero Time is filled with the current time.
func (m *MetricsWriter) Write(r Record) error {
	now := m.Now()
	if r.Time == 0 {
		r.Time = float64(now.UnixMilli()) / 1000
	}
	line, err := r.MarshalJSON()
	if err != nil {
		return err
	}
	m.w.Write(line)
	if err := m.w.WriteByte('\n'); err != nil {
		return fmt.Errorf("writing %s: %w", m.path, err)
	}
	if now.Sub(m.lastFlush) >= m.FlushInterval {
		return m.Flush()
	}
	return nil
}

// Flush hands buffered records to the operating system.
func (m *MetricsWriter) Flush() error {
	m.lastFlush = m.Now()
	if err := m.w.Flush(); err != nil {
		return fmt.Errorf("writing %s: %w", m.path, err)
	}
	return nil
}

// Close flushes, syncs and closes the file.
func (m *MetricsWriter) Close() error {
	err := m.Flush()
	if serr := m.f.Sync(); err == nil && serr != nil {
		err = fmt.Errorf("syncing %s: %w", m.path, serr)
	}
	if cerr := m.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("closing %s: %w", m.path, cerr)
	}
	return err
}

// ReadMetrics reads every record of a metrics.jsonl file. A last line
// without its newline that does not parse is the trace of an interrupted
// write and is ignored; any other bad line is an error naming file and line.
// A missing file is an error that says so.
func ReadMetrics(path string) ([]Record, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: the run has written no metrics yet: %w", path, fs.ErrNotExist)
		}
		return nil, fmt.Errorf("reading metrics: %w", err)
	}
	defer f.Close()
	return DecodeMetrics(path, f)
}

// DecodeMetrics is ReadMetrics on a reader; name is used in error messages.
func DecodeMetrics(name string, r io.Reader) ([]Record, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var out []Record
	for lineNo := 1; ; lineNo++ {
		line, err := br.ReadBytes('\n')
		complete := err == nil
		if err != nil && err != io.EOF {
			return out, fmt.Errorf("reading %s: %w", name, err)
		}
		if trimmed := bytes.TrimSpace(line); len(trimmed) > 0 {
			var rec Record
			if perr := json.Unmarshal(trimmed, &rec); perr != nil {
				if !complete {
					return out, nil // torn last line
				}
				return out, fmt.Errorf("%s:%d: not a metrics record: %v", name, lineNo, perr)
			}
			out = append(out, rec)
		}
		if !complete {
			return out, nil
		}
	}
}

// TruncateMetrics keeps only the records at or before step, rewriting the
// file atomically. A resumed run calls it with its checkpoint's step so the
// episodes logged after that checkpoint, which the resumed run will log
// again, appear once.
func TruncateMetrics(path string, step int64) error {
	recs, err := ReadMetrics(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		for _, r := range recs {
			if r.Step > step {
				continue
			}
			line, err := r.MarshalJSON()
			if err != nil {
				return err
			}
			bw.Write(line)
			bw.WriteByte('\n')
		}
		return bw.Flush()
	})
}
