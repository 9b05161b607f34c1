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
				got, want := s.budget(), tt.wantBudget
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
