package train

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

// TestResumedWallSecondsCountEveryPart: a run interrupted after 50 of 1000
// episodes and resumed reports the time of both parts, not of the last.
func TestResumedWallSecondsCountEveryPart(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	clock := func() time.Time { return now }
	tick := func(int64) { now = now.Add(time.Second) } // one second an episode
	dir := filepath.Join(t.TempDir(), "run")
	args := []string{"--env", "FrozenLake-v1", "--episodes", "1000", "--plot=false", "--checkpoint-every", "1000h"}
	ctx, cancel := context.WithCancel(context.Background())
	h := Hooks{Now: clock, AfterEpisode: func(ep int64) {
		tick(ep)
		if ep == 50 {
			cancel()
		}
	}}
	_, err := trainArgs(ctx, t, h, append(args, "--out", dir)...)
	cancel()
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("err = %v, want ErrInterrupted", err)
	}
	res, err := trainArgs(context.Background(), t, Hooks{Now: clock, AfterEpisode: tick}, "--resume", dir)
	if err != nil {
		t.Fatal(err)
	}
	if res.WallSeconds < 995 || res.WallSeconds > 1005 {
		t.Fatalf("wall_seconds %g over 1000 one-second episodes in two parts, want about 1000", res.WallSeconds)
	}
}
