package train

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestResumeHintNamesTheBinaryAsInvoked: Ctrl-C's hint is a command that
// works as typed, with the binary the user ran.
func TestResumeHintNamesTheBinaryAsInvoked(t *testing.T) {
	for _, tc := range []struct{ command, want string }{
		{"bin/xlrl", "continue with: bin/xlrl train --resume "},
		{"", "continue with: xlrl train --resume "},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		var out bytes.Buffer
		h := Hooks{Progress: &out, Command: tc.command, AfterEpisode: func(ep int64) {
			if ep == 50 {
				cancel()
			}
		}}
		dir := filepath.Join(t.TempDir(), "run")
		_, err := trainArgs(ctx, t, h, "--env", "FrozenLake-v1", "--episodes", "1000", "--out", dir, "--plot=false")
		cancel()
		if !errors.Is(err, ErrInterrupted) {
			t.Fatalf("err = %v, want ErrInterrupted", err)
		}
		if !strings.Contains(out.String(), tc.want+dir) {
			t.Errorf("Command %q: hint %q lacks %q", tc.command, out.String(), tc.want+dir)
		}
	}
}
