package train

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xlrl/xlrl/internal/run"
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

func TestTunedAlgo(t *testing.T) {
	for id, want := range map[string]string{
		"FrozenLake-v1": "q-learning", "Taxi-v3": "q-learning", "CliffWalking-v0": "q-learning",
		"CartPole-v1": "dqn", "MountainCar-v0": "dqn", "Acrobot-v1": "dqn",
	} {
		if got, ok := TunedAlgo(id); !ok || got != want {
			t.Errorf("TunedAlgo(%s) = %q, %v; want %q", id, got, ok, want)
		}
	}
	for _, id := range []string{"Pendulum-v1", "NoSuchEnv-v0"} {
		if got, ok := TunedAlgo(id); ok {
			t.Errorf("TunedAlgo(%s) = %q: no algorithm here takes it", id, got)
		}
	}
}

// TestTrainWithoutAlgoTakesTheTunedOne: `xlrl train --env CartPole-v1`
// trains DQN (it used to fail with the default q-learning), and says so.
func TestTrainWithoutAlgoTakesTheTunedOne(t *testing.T) {
	var out bytes.Buffer
	dir := filepath.Join(t.TempDir(), "run")
	res, err := trainArgs(context.Background(), t, Hooks{Progress: &out}, "--env", "CartPole-v1", "--backend", "go",
		"--steps", "600", "--out", dir, "--plot=false")
	if err != nil {
		t.Fatal(err)
	}
	if res.Algo != "dqn" || !strings.Contains(out.String(), "algorithm: dqn, the tuned one for CartPole-v1") {
		t.Fatalf("algo %q, progress %q", res.Algo, out.String())
	}
	cfg, err := run.ReadConfigMap(filepath.Join(dir, run.ConfigFile))
	if err != nil || cfg["algo"] != "dqn" {
		t.Fatalf("config.yaml algo = %v (%v), want dqn, so that eval and --resume agree", cfg["algo"], err)
	}
	if _, err := Evaluate(context.Background(), dir, 2, nil); err != nil {
		t.Fatal(err)
	}
}
