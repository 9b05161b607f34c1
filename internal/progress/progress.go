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
	"unicode/utf8"

	"golang.org/x/term"
)

// Options configure a Bar. The zero value is usable: plain lines every 10 s.
type Options struct {
	Label    string // what is running, e.g. "train dqn CartPole-v1"
	Unit     string // what a step counts; default "steps"
	Total    int64  // steps to go to; 0 when unknown (no percentage, no ETA)
	Start    int64  // step the job starts at (a resumed run): rates count from here
	Terminal bool   // redraw one line in place; see IsTerminal
	// Width is a fixed terminal width. 0 asks Size, again on every resize of
	// the terminal (SIGWINCH), falling back to 100 columns.
	Width int
	// Size reports the terminal's width in columns; default asks the
	// terminal that w writes to. Used only when Width is 0.
	Size func() int
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
	width    int // columns of the terminal now
	started  time.Time
	last     time.Time // last rendering
	rendered bool
	step     int64
	stepped  bool // a step was done since the start: the set-up is over
	episodes int64
	returns  [100]float64 // ring of the last 100 episode returns
	nReturns int
	extra    map[string]float64
	done     bool
	stop     func() // stops watching for resizes
	// The rate is measured over the last rateWindow to rateWindow*2, counted
	// from the first step, so a slow start (loading TensorFlow) does not skew
	// the ETA.
	winT, prevT time.Time
	winS, prevS int64
}

const (
	rateWindow   = 10 * time.Second
	defaultWidth = 100
)

// New starts a bar writing to w. On a terminal it draws the line at once
// ("setting up" until the first step) and, when it asks the width (Width 0),
// redraws the line whenever the terminal is resized, until Finish.
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
	if o.Size == nil {
		o.Size = func() int { return terminalWidth(w) }
	}
	now := o.Now()
	b := &Bar{w: w, o: o, started: now, step: o.Start, extra: map[string]float64{},
		winT: now, winS: o.Start, prevT: now, prevS: o.Start, stop: func() {}}
	b.width = b.currentWidth()
	if o.Terminal {
		// Show "setting up" at once: the first step may be far off (a
		// worker loading TensorFlow, a network being built).
		b.render()
		if o.Width <= 0 {
			b.stop = onResize(b.Resize)
		}
	}
	return b
}

// terminalWidth is the width of the terminal w writes to, 0 when w is none.
func terminalWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok {
		return 0
	}
	n, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return n
}

func (b *Bar) currentWidth() int {
	if b.o.Width > 0 {
		return b.o.Width
	}
	if n := b.o.Size(); n > 0 {
		return n
	}
	return defaultWidth
}

// Resize asks the terminal's width again and redraws the line to fit it. The
// bar calls it itself on SIGWINCH.
func (b *Bar) Resize() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.width = b.currentWidth()
	if b.o.Terminal && b.rendered && !b.done {
		b.render()
	}
}

// Update records the step count reached and renders if it is time.
func (b *Bar) Update(step int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.setStep(step)
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
			b.setStep(int64(x))
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

// setStep records the step reached. The first step after the start ends the
// set-up: the rate (and so the ETA) counts from there.
func (b *Bar) setStep(step int64) {
	if !b.stepped && step != b.o.Start {
		b.stepped = true
		now := b.o.Now()
		b.winT, b.prevT, b.winS, b.prevS = now, now, step, step
	}
	b.step = step
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
	b.stop()
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
	fs := b.fields()
	if b.o.Terminal {
		fmt.Fprintf(b.w, "\r%s\x1b[K", fit(fs, b.width-1))
		return
	}
	fmt.Fprintln(b.w, full(fs))
}

// A field is one part of the line. alts are its forms from the shortest to
// the richest; tier 0 holds what a person looks at first (progress, return,
// evaluation, time left), tier 1 the rest (label, episodes, rate, named
// figures, elapsed time).
type field struct {
	alts  []string
	tier  int
	plain string // the form of plain lines, when not the richest
}

const sep = " | "

// fields lays out the current state in display order.
func (b *Bar) fields() []field {
	var fs []field
	if b.o.Label != "" {
		fs = append(fs, field{alts: []string{b.o.Label}, tier: 1})
	}
	if b.o.Total > 0 {
		frac := min(max(float64(b.step)/float64(b.o.Total), 0), 1)
		pct := fmt.Sprintf("%.0f%%", 100*frac)
		count := fmt.Sprintf("%d/%d", b.step, b.o.Total)
		withUnit := fmt.Sprintf("%s %s (%s)", count, b.o.Unit, pct)
		bar := func(width int) string {
			n := int(frac * float64(width))
			return "[" + strings.Repeat("#", n) + strings.Repeat(".", width-n) + "] " + withUnit
		}
		fs = append(fs, field{alts: []string{pct, count + " (" + pct + ")", withUnit, bar(10), bar(20)}, plain: withUnit})
	} else {
		fs = append(fs, field{alts: []string{fmt.Sprintf("%d", b.step), fmt.Sprintf("%d %s", b.step, b.o.Unit)}})
	}
	if b.episodes > 0 {
		fs = append(fs, field{alts: []string{fmt.Sprintf("ep %d", b.episodes)}, tier: 1})
	}
	if b.nReturns > 0 {
		n := min(b.nReturns, len(b.returns))
		var sum float64
		for _, r := range b.returns[:n] {
			sum += r
		}
		mean := sum / float64(n)
		fs = append(fs, field{alts: []string{fmt.Sprintf("ret %.4g", mean), fmt.Sprintf("return(last %d) %.4g", n, mean)}})
	}
	if v, ok := b.extra["eval"]; ok {
		fs = append(fs, field{alts: []string{fmt.Sprintf("eval %.4g", v)}})
	}
	keys := make([]string, 0, len(b.extra))
	for k := range b.extra {
		if k != "eval" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		fs = append(fs, field{alts: []string{fmt.Sprintf("%s %.4g", k, b.extra[k])}, tier: 1})
	}
	now := b.o.Now()
	if !b.stepped {
		fs = append(fs, field{alts: []string{"setting up"}})
	} else {
		if now.Sub(b.winT) >= rateWindow {
			b.prevT, b.prevS, b.winT, b.winS = b.winT, b.winS, now, b.step
		}
		if done, span := b.step-b.prevS, now.Sub(b.prevT); span > 0 && done > 0 {
			rate := float64(done) / span.Seconds()
			fs = append(fs, field{alts: []string{fmt.Sprintf("%.0f %s/s", rate, b.o.Unit)}, tier: 1})
			if b.o.Total > b.step {
				eta := time.Duration(float64(b.o.Total-b.step) / rate * float64(time.Second))
				fs = append(fs, field{alts: []string{"ETA " + formatDuration(eta)}})
			}
		}
	}
	fs = append(fs, field{alts: []string{"elapsed " + formatDuration(now.Sub(b.started))}, tier: 1})
	return fs
}

// full joins every field in its richest form but the drawn bar (plain lines
// for logs, which have no width to fit).
func full(fs []field) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.plain
		if parts[i] == "" {
			parts[i] = f.alts[len(f.alts)-1]
		}
	}
	return strings.Join(parts, sep)
}

// fit joins the fields that fit in width columns, in display order. Tier by
// tier, it first takes each field in its shortest form, in the order of the
// fields, while they fit; then it grows each taken field to the richest form
// that still fits. Fields that do not fit even in their shortest form are
// left out; the first field is cut when nothing else fits.
func fit(fs []field, width int) string {
	choice := make([]int, len(fs)) // index into alts; -1 when left out
	for i := range choice {
		choice[i] = -1
	}
	used := func() int {
		n, k := 0, 0
		for i, c := range choice {
			if c >= 0 {
				n += utf8.RuneCountInString(fs[i].alts[c])
				k++
			}
		}
		if k > 1 {
			n += (k - 1) * len(sep)
		}
		return n
	}
	for tier := 0; tier <= 1; tier++ {
		for i, f := range fs {
			if f.tier != tier {
				continue
			}
			choice[i] = 0
			if used() > width {
				choice[i] = -1
			}
		}
		for i, f := range fs {
			if f.tier != tier || choice[i] < 0 {
				continue
			}
			for c := len(f.alts) - 1; c > choice[i]; c-- {
				prev := choice[i]
				choice[i] = c
				if used() <= width {
					break
				}
				choice[i] = prev
			}
		}
	}
	var parts []string
	for i, c := range choice {
		if c >= 0 {
			parts = append(parts, fs[i].alts[c])
		}
	}
	line := strings.Join(parts, sep)
	if len(parts) == 0 && len(fs) > 0 {
		line = fs[0].alts[0]
	}
	if r := []rune(line); len(r) > width {
		line = string(r[:max(width, 0)])
	}
	return line
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
