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
			rd := newSpinReader(r, tt.spin)
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
// kernel switched out the reader stops polling for holdOff, then polls again.
func TestSpinReaderHoldsOffWhenSwitchedOut(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	s := newSpinReader(r, time.Second).(*spinReader)
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
	if b := s.budget(now.Add(holdOff + s.last)); b != 2*s.last && b != s.spin {
		t.Fatalf("budget after the hold-off = %v, want it polling again", b)
	}
}

func TestLinkSpinFromEnv(t *testing.T) {
	for _, tt := range []struct {
		env  string
		want time.Duration
	}{
		{"", DefaultLinkSpin}, {"0", 0}, {"250", 250 * time.Microsecond}, {"-1", DefaultLinkSpin}, {"x", DefaultLinkSpin},
	} {
		t.Setenv("XLRL_LINK_SPIN_US", tt.env)
		if got := linkSpin(); got != tt.want {
			t.Errorf("XLRL_LINK_SPIN_US=%q: %v, want %v", tt.env, got, tt.want)
		}
	}
}
