//go:build linux

package worker

import (
	"io"
	"os"
	"testing"
	"time"
)

func TestSpinReader(t *testing.T) {
	tests := []struct {
		name       string
		spin       time.Duration
		delay      time.Duration // before the second write
		wantBudget time.Duration // after the second read
	}{
		{"no polling", 0, 10 * time.Millisecond, 0},
		{"reply within the spin", time.Second, 0, time.Second},
		{"slower reply: polls twice as long", time.Millisecond, 5 * time.Millisecond, -1},
		{"reply after the longest polling parks", 100 * time.Microsecond, 30 * time.Millisecond, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			rd := newSpinReader(r, tt.spin, DefaultLinkHoldOff)
			if s, ok := rd.(*spinReader); ok {
				s.switches = func() int64 { return 0 } // a machine with CPUs to spare
			}
			buf := make([]byte, 16)
			for i, msg := range []string{"first", "second"} {
				go func() {
					if i == 1 {
						time.Sleep(tt.delay)
					}
					_, _ = w.WriteString(msg)
				}()
				n, err := rd.Read(buf)
				if err != nil || string(buf[:n]) != msg {
					t.Fatalf("read %d: %q, %v; want %q", i, buf[:n], err, msg)
				}
			}
			if s, ok := rd.(*spinReader); ok != (tt.spin > 0) {
				t.Fatalf("spin %v: got a %T", tt.spin, rd)
			} else if ok {
				got, want := s.budget(time.Now()), tt.wantBudget
				if want < 0 {
					want = 2 * s.last
				}
				if got != want || (tt.wantBudget < 0 && (got <= s.spin || got >= s.maxSpin)) {
					t.Errorf("polling budget after the second reply = %v, want %v (last wait %v)", got, want, s.last)
				}
			}
			w.Close()
			if n, err := rd.Read(buf); n != 0 || err != io.EOF {
				t.Errorf("after close: %d, %v; want 0, EOF", n, err)
			}
		})
	}
}

// TestSpinReaderHoldsOffWhenSwitchedOut: after two reads whose polling the
// kernel switched out the reader stops polling for its hold-off, then polls
// again; with no hold-off it never stops.
func TestSpinReaderHoldsOffWhenSwitchedOut(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	never := newSpinReader(r, time.Second, 0).(*spinReader)
	never.switches = func() int64 { t.Error("a reader without a hold-off looked at the switches"); return 0 }
	for range 3 {
		go func() {
			time.Sleep(time.Millisecond)
			_, _ = w.WriteString("x")
		}()
		if _, err := never.Read(make([]byte, 4)); err != nil {
			t.Fatal(err)
		}
		if b := never.budget(time.Now()); b == 0 {
			t.Fatal("a reader without a hold-off stopped polling")
		}
	}
	s := newSpinReader(r, time.Second, DefaultLinkHoldOff).(*spinReader)
	var count int64
	s.switches = func() int64 { count++; return count } // every look finds a new switch
	buf := make([]byte, 4)
	for i := range 2 {
		go func() {
			time.Sleep(time.Millisecond)
			_, _ = w.WriteString("x")
		}()
		if _, err := s.Read(buf); err != nil {
			t.Fatal(err)
		}
		if b := s.budget(time.Now()); (b == 0) != (i == 1) {
			t.Fatalf("budget after %d switched-out polls = %v", i+1, b)
		}
	}
	now := time.Now()
	if b := s.budget(now); b != 0 {
		t.Fatalf("budget after a switched-out poll = %v, want 0", b)
	}
	if b := s.budget(now.Add(s.holdOff + s.last)); b != 2*s.last && b != s.spin {
		t.Fatalf("budget after the hold-off = %v, want it polling again", b)
	}
}

// TestSpinReaderTrialOfHoldOff: a hold-off is a trial of blocking against
// polling. When its blocked reads waited clearly longer than the polled reads
// before it, the switches are ignored for a while (doubling per win, up to
// maxTrust); otherwise, or on too few blocked reads, the next two switched
// reads hold off again.
func TestSpinReaderTrialOfHoldOff(t *testing.T) {
	us := time.Microsecond
	tests := []struct {
		name          string
		polled, held  time.Duration // each read's wait before and in the hold-off
		heldReads     int
		trials        int // hold-offs in a row with these waits
		wantTrusted   bool
		wantNextTrust time.Duration
	}{
		{"polling clearly faster", 10 * us, 60 * us, minHeldReads, 1, true, 2 * firstTrust},
		{"each win doubles the trust", 10 * us, 60 * us, minHeldReads, 5, true, maxTrust},
		{"blocking faster", 60 * us, 20 * us, minHeldReads, 1, false, firstTrust},
		{"too close to call", 50 * us, 55 * us, minHeldReads, 1, false, firstTrust},
		{"a long call gains a wake-up", 2000 * us, 2060 * us, minHeldReads, 1, true, 2 * firstTrust},
		{"too few blocked reads", 10 * us, 60 * us, minHeldReads - 1, 1, false, firstTrust},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &spinReader{spin: 100 * us, maxSpin: maxSpinFactor * 100 * us, holdOff: DefaultLinkHoldOff, trust: firstTrust}
			now := time.Unix(1000, 0)
			var judged time.Time
			read := func(wait time.Duration, switched bool) {
				held := now.Before(s.holdUntil)
				s.last = wait
				s.account(now, held, !held, !held, switched && !held)
				now = now.Add(wait + us)
			}
			for trial := range tt.trials {
				for range 20 {
					read(tt.polled, false)
				}
				read(tt.polled, true)
				read(tt.polled, true)
				if !now.Before(s.holdUntil) {
					t.Fatalf("trial %d: two switched polls did not hold off", trial)
				}
				for range tt.heldReads {
					read(tt.held, false)
				}
				now = s.holdUntil
				judged = now
				s.judge(now)
				if trusted := now.Before(s.trustUntil); trusted != tt.wantTrusted {
					t.Fatalf("trial %d: polling trusted = %v, want %v", trial, trusted, tt.wantTrusted)
				}
				if tt.wantTrusted {
					now = s.trustUntil // the trust runs out: the next hold-off is a new trial
				}
			}
			if s.trust != tt.wantNextTrust {
				t.Errorf("next trust = %v, want %v", s.trust, tt.wantNextTrust)
			}
			if tt.wantTrusted {
				now = judged // back inside the last trial's trust
				read(tt.polled, true)
				read(tt.polled, true)
				if now.Before(s.holdUntil) {
					t.Error("switched polls held off while polling was trusted")
				}
			}
		})
	}
}

func TestLinkTimingFromEnv(t *testing.T) {
	for _, tt := range []struct {
		name, env string
		read      func() time.Duration
		want      time.Duration
	}{
		{"XLRL_LINK_SPIN_US", "", linkSpin, DefaultLinkSpin},
		{"XLRL_LINK_SPIN_US", "0", linkSpin, 0},
		{"XLRL_LINK_SPIN_US", "250", linkSpin, 250 * time.Microsecond},
		{"XLRL_LINK_SPIN_US", "-1", linkSpin, DefaultLinkSpin},
		{"XLRL_LINK_SPIN_US", "x", linkSpin, DefaultLinkSpin},
		{"XLRL_LINK_HOLDOFF_MS", "", linkHoldOff, DefaultLinkHoldOff},
		{"XLRL_LINK_HOLDOFF_MS", "0", linkHoldOff, 0},
		{"XLRL_LINK_HOLDOFF_MS", "10", linkHoldOff, 10 * time.Millisecond},
		{"XLRL_LINK_HOLDOFF_MS", "1.5", linkHoldOff, DefaultLinkHoldOff},
	} {
		t.Setenv(tt.name, tt.env)
		if got := tt.read(); got != tt.want {
			t.Errorf("%s=%q: %v, want %v", tt.name, tt.env, got, tt.want)
		}
	}
}
