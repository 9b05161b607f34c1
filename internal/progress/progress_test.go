package progress

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newClock() *clock { return &clock{t: time.Unix(1_000_000, 0)} }

func TestPlainLinesArePeriodic(t *testing.T) {
	var out bytes.Buffer
	c := newClock()
	b := New(&out, Options{Label: "train", Total: 1000, Interval: 10 * time.Second, Now: c.now})
	b.Update(0) // the first update always renders
	for step := int64(100); step <= 1000; step += 100 {
		c.advance(5 * time.Second)
		if step%200 == 0 {
			b.Episode(float64(step))
		}
		b.Update(step)
	}
	b.Finish()
	b.Finish()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	// t=0, then every 10 s over 50 s (5 lines), then the final one.
	if len(lines) != 7 {
		t.Fatalf("%d lines, want 7:\n%s", len(lines), out.String())
	}
	if strings.Contains(out.String(), "\r") || strings.Contains(out.String(), "\x1b") {
		t.Fatalf("plain output has terminal control characters: %q", out.String())
	}
	last := lines[len(lines)-1]
	for _, want := range []string{"train", "1000/1000 steps (100%)", "ep 5", "return(last 5) 600", "20 steps/s", "elapsed 50s"} {
		if !strings.Contains(last, want) {
			t.Errorf("final line %q lacks %q", last, want)
		}
	}
	mid := lines[2] // t=20s, step 400: 20 steps/s, 600 steps left -> 30 s
	if !strings.Contains(mid, "400/1000") || !strings.Contains(mid, "ETA 30s") {
		t.Errorf("line %q: want 400/1000 and ETA 30s", mid)
	}
}

func TestTerminalRedrawsOneLine(t *testing.T) {
	var out bytes.Buffer
	c := newClock()
	b := New(&out, Options{Total: 200, Terminal: true, Width: 200, Now: c.now})
	for step := int64(0); step <= 200; step += 50 {
		b.Update(step)
		c.advance(time.Second)
	}
	b.Finish()
	s := out.String()
	if strings.Count(s, "\n") != 1 || !strings.HasSuffix(s, "\n") {
		t.Fatalf("terminal output should end one line once: %q", s)
	}
	if strings.Count(s, "\r") != 6 { // 5 updates + Finish
		t.Fatalf("want 6 redraws, got %d: %q", strings.Count(s, "\r"), s)
	}
	if !strings.Contains(s, "[##########..........] 100/200") || !strings.Contains(s, "[####################] 200/200") {
		t.Fatalf("bar not drawn as expected: %q", s)
	}
}

func TestTerminalLineFitsWidth(t *testing.T) {
	var out bytes.Buffer
	c := newClock()
	b := New(&out, Options{Label: strings.Repeat("x", 100), Terminal: true, Width: 40, Now: c.now})
	b.Update(1)
	line := strings.TrimSuffix(strings.TrimPrefix(out.String(), "\r"), "\x1b[K")
	if len(line) != 39 {
		t.Fatalf("line of %d characters on a 40-column terminal: %q", len(line), line)
	}
}

func TestNotifyRendersWorkerProgress(t *testing.T) {
	var out bytes.Buffer
	c := newClock()
	b := New(&out, Options{Label: "gen vae", Unit: "epochs", Interval: time.Nanosecond, Now: c.now})
	c.advance(2 * time.Second)
	// msgpack decodes small integers as int8/uint8 and floats as float32/64.
	b.Notify(map[string]any{"msgid": uint32(7), "step": int8(4), "total": uint16(10), "loss": float32(0.5), "note": "x"})
	line := out.String()
	for _, want := range []string{"4/10 epochs (40%)", "loss 0.5", "2 epochs/s", "ETA 3s"} {
		if !strings.Contains(line, want) {
			t.Errorf("line %q lacks %q", line, want)
		}
	}
	if strings.Contains(line, "msgid") || strings.Contains(line, "note") {
		t.Errorf("line %q shows protocol or non-numeric fields", line)
	}
}

func TestResumedRunRatesCountFromStart(t *testing.T) {
	var out bytes.Buffer
	c := newClock()
	b := New(&out, Options{Total: 2000, Start: 1000, Now: c.now})
	c.advance(10 * time.Second)
	b.Finish()
	if !strings.Contains(out.String(), "1000/2000") || strings.Contains(out.String(), "steps/s") {
		t.Fatalf("no step since the start: no rate expected: %q", out.String())
	}
}

func TestConcurrentUse(t *testing.T) {
	var out bytes.Buffer
	b := New(&out, Options{Total: 1000})
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 250; i++ {
				b.Update(int64(i))
				b.Episode(1)
				b.Set("loss", 0.1)
				b.Notify(map[string]any{"step": i})
			}
		}()
	}
	wg.Wait()
	b.Finish()
	if !strings.Contains(out.String(), "ep 1000") {
		t.Fatalf("episodes lost under concurrency: %q", out.String())
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		4 * time.Second: "4s", 187 * time.Second: "3m07s", 3720 * time.Second: "1h02m",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestIsTerminalFalseForBuffer(t *testing.T) {
	if IsTerminal(&bytes.Buffer{}) {
		t.Fatal("a buffer is not a terminal")
	}
}

func TestRateForgetsASlowStart(t *testing.T) {
	var out bytes.Buffer
	c := newClock()
	b := New(&out, Options{Total: 100_000, Interval: time.Second, Now: c.now})
	c.advance(60 * time.Second) // start-up: nothing done
	b.Update(10)
	for i := int64(1); i <= 30; i++ { // then 1000 steps/s
		c.advance(time.Second)
		b.Update(10 + 1000*i)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if last := lines[len(lines)-1]; !strings.Contains(last, "1000 steps/s") {
		t.Fatalf("rate after a slow start: %q, want 1000 steps/s", last)
	}
}
