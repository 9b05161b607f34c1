// Package progress shows how a long job is going: a one-line bar redrawn in
// place when the output is a terminal, plain periodic lines otherwise (logs,
// CI, pipes). It tracks steps, episodes, the mean return of the last 100
// episodes, steps per second and the time left, and renders the progress
// notifications of worker jobs (step, total and metrics) the same way.
package progress

import (
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// Options configure a Bar. The zero value is usable: plain lines every 10 s.
type Options struct {
	Label    string // what is running, e.g. "train dqn CartPole-v1"
	Unit     string // what a step counts; default "steps"
	Total    int64  // steps to go to; 0 when unknown (no percentage, no ETA)
	Start    int64  // step the job starts at (a resumed run): rates count from here
	Terminal bool   // redraw one line in place; see IsTerminal
	Width    int    // terminal width; 0 asks the terminal, falling back to 100
	// Interval is the least time between two renderings: default 100 ms on a
	// terminal, 10 s for plain lines.
	Interval time.Duration
	Now      func() time.Time // default time.Now; for tests
}

// IsTerminal says whether w is a terminal (and so can take a redrawn bar).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Bar is one job's progress display. Its methods are safe for concurrent use,
// so a worker's notifications may arrive on another goroutine.
type Bar struct {
	mu       sync.Mutex
	w        io.Writer
	o        Options
	started  time.Time
	last     time.Time // last rendering
	rendered bool
	step     int64
	episodes int64
	returns  [100]float64 // ring of the last 100 episode returns
	nReturns int
	extra    map[string]float64
	done     bool
	// The rate is measured over the last rateWindow to rateWindow*2, so a slow
	// start (loading TensorFlow) does not skew the ETA for the whole run.
	winT, prevT time.Time
	winS, prevS int64
}

const rateWindow = 10 * time.Second

// New starts a bar writing to w.
func New(w io.Writer, o Options) *Bar {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Unit == "" {
		o.Unit = "steps"
	}
	if o.Interval == 0 {
		o.Interval = 10 * time.Second
		if o.Terminal {
			o.Interval = 100 * time.Millisecond
		}
	}
	if o.Width == 0 && o.Terminal {
		if f, ok := w.(*os.File); ok {
			o.Width, _, _ = term.GetSize(int(f.Fd()))
		}
	}
	if o.Width <= 0 {
		o.Width = 100
	}
	now := o.Now()
	return &Bar{w: w, o: o, started: now, step: o.Start, extra: map[string]float64{},
		winT: now, winS: o.Start, prevT: now, prevS: o.Start}
}

// Update records the step count reached and renders if it is time.
func (b *Bar) Update(step int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.step = step
	b.maybeRender()
}

// Episode records a finished episode's return.
func (b *Bar) Episode(ret float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.returns[b.nReturns%len(b.returns)] = ret
	b.nReturns++
	b.episodes++
}

// SetEpisodes sets the episode count (a resumed run starts from its own).
func (b *Bar) SetEpisodes(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.episodes = n
}

// Set shows a named figure (loss, epsilon, ...) from the next rendering on.
func (b *Bar) Set(key string, v float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.extra[key] = v
}

// Notify renders a worker progress notification: "step" and "total" drive
// the bar; "return" counts as a finished episode; every other numeric field
// (loss, epoch, ...) is shown by name. "msgid" is the protocol's and is
// ignored.
func (b *Bar) Notify(p map[string]any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for k, v := range p {
		x, ok := Number(v)
		if !ok {
			continue
		}
		switch k {
		case "msgid":
		case "step":
			b.step = int64(x)
		case "total":
			b.o.Total = int64(x)
		case "return":
			b.returns[b.nReturns%len(b.returns)] = x
			b.nReturns++
			b.episodes++
		default:
			b.extra[k] = x
		}
	}
	b.maybeRender()
}

// Number reads a number that msgpack decoded, whatever integer or float type
// it decoded to.
func Number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int8:
		return float64(x), true
	case int16:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint:
		return float64(x), true
	case uint8:
		return float64(x), true
	case uint16:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint64:
		return float64(x), true
	}
	return 0, false
}

// Finish renders the final state and ends the line. Later calls do nothing.
func (b *Bar) Finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return
	}
	b.done = true
	b.render()
	if b.o.Terminal {
		fmt.Fprintln(b.w)
	}
}

func (b *Bar) maybeRender() {
	if b.done {
		return
	}
	now := b.o.Now()
	if b.rendered && now.Sub(b.last) < b.o.Interval {
		return
	}
	b.render()
}

func (b *Bar) render() {
	b.last, b.rendered = b.o.Now(), true
	if b.o.Terminal {
		line := b.line(true)
		if n := b.o.Width - 1; len(line) > n {
			line = line[:n]
		}
		fmt.Fprintf(b.w, "\r%s\x1b[K", line)
		return
	}
	fmt.Fprintln(b.w, b.line(false))
}

// line formats the current state; the bar itself only on a terminal.
func (b *Bar) line(bar bool) string {
	var parts []string
	if b.o.Label != "" {
		parts = append(parts, b.o.Label)
	}
	if b.o.Total > 0 {
		frac := min(max(float64(b.step)/float64(b.o.Total), 0), 1)
		count := fmt.Sprintf("%d/%d %s (%.0f%%)", b.step, b.o.Total, b.o.Unit, 100*frac)
		if bar {
			const width = 20
			full := int(frac * width)
			count = "[" + strings.Repeat("#", full) + strings.Repeat(".", width-full) + "] " + count
		}
		parts = append(parts, count)
	} else {
		parts = append(parts, fmt.Sprintf("%d %s", b.step, b.o.Unit))
	}
	if b.episodes > 0 {
		parts = append(parts, fmt.Sprintf("ep %d", b.episodes))
	}
	if b.nReturns > 0 {
		n := min(b.nReturns, len(b.returns))
		var sum float64
		for _, r := range b.returns[:n] {
			sum += r
		}
		parts = append(parts, fmt.Sprintf("return(last %d) %.4g", n, sum/float64(n)))
	}
	keys := make([]string, 0, len(b.extra))
	for k := range b.extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %.4g", k, b.extra[k]))
	}
	now := b.o.Now()
	elapsed := now.Sub(b.started)
	if now.Sub(b.winT) >= rateWindow {
		b.prevT, b.prevS, b.winT, b.winS = b.winT, b.winS, now, b.step
	}
	if done, span := b.step-b.prevS, now.Sub(b.prevT); span > 0 && done > 0 {
		rate := float64(done) / span.Seconds()
		parts = append(parts, fmt.Sprintf("%.0f %s/s", rate, b.o.Unit))
		if b.o.Total > b.step {
			parts = append(parts, "ETA "+formatDuration(time.Duration(float64(b.o.Total-b.step)/rate*float64(time.Second))))
		}
	}
	parts = append(parts, "elapsed "+formatDuration(elapsed))
	return strings.Join(parts, " | ")
}

// formatDuration prints 5s, 3m07s or 1h02m.
func formatDuration(d time.Duration) string {
	s := int64(math.Round(d.Seconds()))
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	}
	return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
}
