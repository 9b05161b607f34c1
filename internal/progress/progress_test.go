package progress

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"
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

// midRun is a bar 17% through a DQN run: episodes, returns, an evaluation, a
// loss and a rate, as a deep training shows them.
func midRun(t *testing.T, out *bytes.Buffer, o Options) *Bar {
	t.Helper()
	c := newClock()
	o.Label, o.Total, o.Terminal, o.Now, o.Interval = "dqn CartPole-v1", 100_000, true, c.now, time.Nanosecond
	b := New(out, o)
	b.Update(1) // the first step ends the set-up
	for i := 0; i < 339; i++ {
		b.Episode(83.2)
	}
	b.Set("eval", 500)
	b.Set("loss", 0.0123)
	c.advance(5 * time.Second)
	out.Reset()
	b.Update(16_933)
	return b
}

// lastLine is the last redrawn line of terminal output.
func lastLine(s string) string {
	s = s[strings.LastIndex(s, "\r")+1:]
	return strings.TrimSuffix(s, "\x1b[K")
}

func TestTerminalLineFitsWidth(t *testing.T) {
	for _, tc := range []struct {
		width      int
		want, lack []string
	}{
		// The four that matter come first, in their shortest forms if need be.
		{40, []string{"17%", "ret 83.2", "eval 500", "ETA 25s"}, []string{"dqn", "ep 339", "loss", "elapsed"}},
		{80, []string{"[###.................] 16933/100000 steps (17%)", "ret 83.2", "eval 500", "ETA 25s"}, []string{"loss", "elapsed"}},
		{120, []string{"[###.................] 16933/100000 steps (17%)", "return(last 100) 83.2", "eval 500", "ETA 25s", "dqn CartPole-v1", "ep 339"}, []string{"elapsed"}},
		{200, []string{"dqn CartPole-v1", "[###.................] 16933/100000 steps (17%)", "ep 339", "return(last 100) 83.2", "eval 500", "loss 0.0123", "3386 steps/s", "ETA 25s", "elapsed 5s"}, nil},
	} {
		t.Run(fmt.Sprint(tc.width), func(t *testing.T) {
			var out bytes.Buffer
			midRun(t, &out, Options{Width: tc.width})
			line := lastLine(out.String())
			if n := utf8.RuneCountInString(line); n > tc.width-1 {
				t.Fatalf("line of %d characters on a %d-column terminal: %q", n, tc.width, line)
			}
			for _, w := range tc.want {
				if !strings.Contains(line, w) {
					t.Errorf("line %q lacks %q", line, w)
				}
			}
			for _, w := range tc.lack {
				if strings.Contains(line, w) {
					t.Errorf("line %q has %q, which should have given way", line, w)
				}
			}
			if strings.Contains(line, "| |") || strings.HasSuffix(line, "| ") {
				t.Errorf("line %q has an empty part", line)
			}
		})
	}
}

func TestLongLabelGivesWay(t *testing.T) {
	var out bytes.Buffer
	c := newClock()
	b := New(&out, Options{Label: strings.Repeat("x", 100), Terminal: true, Width: 40, Now: c.now})
	c.advance(time.Second)
	b.Update(1)
	line := lastLine(out.String())
	if len(line) > 39 || strings.Contains(line, "xxx") || !strings.HasPrefix(line, "1 steps") {
		t.Fatalf("on 40 columns the label should give way to the step count: %q", line)
	}
}

func TestSettingUpHasNoETA(t *testing.T) {
	var out bytes.Buffer
	c := newClock()
	b := New(&out, Options{Total: 100_000, Terminal: true, Width: 120, Interval: time.Nanosecond, Now: c.now})
	if line := lastLine(out.String()); !strings.Contains(line, "0/100000 steps (0%) | setting up") {
		t.Fatalf("a terminal bar should show itself at once: %q", line)
	}
	c.advance(40 * time.Second) // TensorFlow starts
	b.Update(0)
	if line := lastLine(out.String()); !strings.Contains(line, "setting up") || strings.Contains(line, "ETA") {
		t.Fatalf("before the first step: %q, want \"setting up\" and no ETA", line)
	}
	b.Update(1) // the first step after 40 s: no rate yet, and no 40 s in it
	c.advance(time.Second)
	b.Update(1001)
	line := lastLine(out.String())
	if strings.Contains(line, "setting up") || !strings.Contains(line, "1000 steps/s") || !strings.Contains(line, "ETA 1m39s") {
		t.Fatalf("after the set-up: %q, want 1000 steps/s and ETA 1m39s", line)
	}
}

func TestRedrawOnResize(t *testing.T) {
	var out bytes.Buffer
	width := 200
	b := midRun(t, &out, Options{Size: func() int { return width }})
	if line := lastLine(out.String()); !strings.Contains(line, "elapsed") {
		t.Fatalf("200 columns: %q", line)
	}
	width = 40
	out.Reset()
	// The terminal sends SIGWINCH to the process on a resize; the bar
	// listens for it.
	if err := syscall.Kill(os.Getpid(), syscall.SIGWINCH); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		b.mu.Lock()
		s := out.String()
		b.mu.Unlock()
		if line := lastLine(s); s != "" && len(line) <= 39 && strings.Contains(line, "17%") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no redraw at 40 columns after SIGWINCH: %q", s)
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.Finish()
	out.Reset()
	b.Resize() // after Finish: nothing more is drawn
	if out.Len() != 0 {
		t.Fatalf("redrawn after Finish: %q", out.String())
	}
}

func TestNotifyRendersWorkerProgress(t *testing.T) {
	var out bytes.Buffer
	c := newClock()
	b := New(&out, Options{Label: "gen vae", Unit: "epochs", Interval: time.Nanosecond, Now: c.now})
	c.advance(2 * time.Second)
	b.Notify(map[string]any{"step": int8(2), "total": uint16(10)}) // the first epoch ends the set-up
	c.advance(2 * time.Second)
	out.Reset()
	// msgpack decodes small integers as int8/uint8 and floats as float32/64.
	b.Notify(map[string]any{"msgid": uint32(7), "step": int8(6), "total": uint16(10), "loss": float32(0.5), "note": "x"})
	line := out.String()
	for _, want := range []string{"6/10 epochs (60%)", "loss 0.5", "2 epochs/s", "ETA 2s"} {
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
