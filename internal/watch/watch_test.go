package watch

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/worker"
	"github.com/xlrl/xlrl/internal/worker/workertest"
)

// lean pushes the cart the way the pole leans: a fair CartPole policy.
func lean(obs []float64) int {
	if obs[2]+0.5*obs[3] > 0 {
		return 1
	}
	return 0
}

func TestRecordKeepsEveryStateOnce(t *testing.T) {
	e, err := env.Make("CartPole-v1")
	if err != nil {
		t.Fatal(err)
	}
	e.Seed(3)
	eps, err := Record(context.Background(), e, 2, 0, lean)
	if err != nil {
		t.Fatal(err)
	}
	if len(eps) != 2 {
		t.Fatalf("%d episodes, want 2", len(eps))
	}
	for i, ep := range eps {
		if len(ep.States) != len(ep.Actions)+1 || len(ep.Rewards) != len(ep.Actions) {
			t.Fatalf("episode %d: %d states, %d actions, %d rewards", i, len(ep.States), len(ep.Actions), len(ep.Rewards))
		}
		if ep.Return() != float64(len(ep.Rewards)) { // CartPole pays 1 a step
			t.Errorf("episode %d: return %g over %d steps", i, ep.Return(), len(ep.Rewards))
		}
		// The env reuses its observation slice: every state must be a copy.
		if &ep.States[0][0] == &ep.States[1][0] || ep.States[0][0] == ep.States[len(ep.States)-1][0] {
			t.Errorf("episode %d: states alias one another", i)
		}
		for j, a := range ep.Actions {
			if a != lean(ep.States[j]) {
				t.Fatalf("episode %d step %d: action %d is not the policy's in the recorded state", i, j, a)
			}
		}
	}
}

func TestRecordStopsAtLimits(t *testing.T) {
	e, _ := env.Make("CartPole-v1")
	e.Seed(1)
	eps, err := Record(context.Background(), e, 1, 7, lean)
	if err != nil || len(eps[0].Actions) != 7 {
		t.Fatalf("maxSteps 7: %v, %d actions", err, len(eps[0].Actions))
	}
	// The time limit of the environment (500 steps) applies, and MaxFrames
	// over all episodes: a perfect policy would record 10 x 501 states.
	e.Seed(1)
	eps, err = Record(context.Background(), e, 10, 0, lean)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ep := range eps {
		n += len(ep.States)
		if len(ep.Actions) > 500 {
			t.Fatalf("an episode of %d steps past the time limit", len(ep.Actions))
		}
	}
	if n > MaxFrames {
		t.Fatalf("%d states recorded, more than %d", n, MaxFrames)
	}
	if _, err := Record(context.Background(), e, 0, 0, lean); err == nil {
		t.Fatal("0 episodes accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Record(ctx, e, 1, 0, lean); err == nil {
		t.Fatal("a cancelled context should stop the recording")
	}
}

func TestGrid(t *testing.T) {
	for _, tc := range []struct {
		env, mapText string
		want         string
	}{
		{"FrozenLake-v1", "", "SFFF,FHFH,FFFH,HFFG"},
		{"FrozenLake8x8-v1", "", "SFFFFFFF,FFFFFFFF,FFFHFFFF,FFFFFHFF,FFFHFFFF,FHHFFFHF,FHFFHFHF,FFFHFFFG"},
		{"FrozenLake-v1", "SFH,FFG", "SFH,FFG"},
		{"CliffWalking-v0", "", ""},
		{"CartPole-v1", "", ""},
	} {
		g, err := Grid(tc.env, tc.mapText)
		if err != nil || strings.Join(g, ",") != tc.want {
			t.Errorf("Grid(%s, %q) = %v, %v; want %s", tc.env, tc.mapText, g, err, tc.want)
		}
	}
	if _, err := Grid("FrozenLake-v1", "SF,F"); err == nil {
		t.Error("a ragged map accepted")
	}
}

func TestCheckOut(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		f    Format
		err  string // "" for none
	}{
		{filepath.Join(dir, "a.gif"), GIF, ""},
		{filepath.Join(dir, "a.GIF"), GIF, ""},
		{filepath.Join(dir, "a.mp4"), MP4, ""},
		{filepath.Join(dir, "a.png"), GIF, "--gif " + filepath.Join(dir, "a.png") + ": the file must end in .gif"},
		{filepath.Join(dir, "a.gif"), MP4, "--video"},
		{filepath.Join(dir, "nope", "a.gif"), GIF, "does not exist"},
		{filepath.Join(file, "a.gif"), GIF, "is not a directory"},
		{filepath.Join(dir, "a.avi"), "avi", "unknown format"},
	} {
		err := CheckOut(tc.path, tc.f)
		if (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("CheckOut(%s, %s) = %v, want %q", tc.path, tc.f, err, tc.err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("CheckOut left files behind: %v", entries)
	}
}

type fakeCaller struct {
	method string
	params map[string]any
}

func (f *fakeCaller) Call(_ context.Context, method string, params, result any) error {
	f.method, f.params = method, params.(map[string]any)
	result.(*Result).Frames = 3
	return nil
}

func TestRenderSendsEpisodesAndGrid(t *testing.T) {
	var c fakeCaller
	eps := []Episode{{States: [][]float64{{0}, {4}}, Actions: []int{1}, Rewards: []float64{0}}}
	res, err := Render(context.Background(), &c, "FrozenLake-v1", eps, []string{"SF", "FG"}, "x.gif", 10, 1)
	if err != nil || res.Frames != 3 {
		t.Fatal(res, err)
	}
	if c.method != "render.episodes" || c.params["env"] != "FrozenLake-v1" || c.params["out"] != "x.gif" ||
		c.params["fps"] != 10 || len(c.params["grid"].([]string)) != 2 {
		t.Fatalf("call %s %v", c.method, c.params)
	}
	if _, err := Render(context.Background(), &c, "CartPole-v1", eps, nil, "x.gif", 10, 1); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.params["grid"]; ok {
		t.Fatal("no grid should be sent for CartPole")
	}
}

// TestRenderWithTheWorker draws recorded CartPole and FrozenLake episodes
// with the real worker and checks the GIFs it writes.
func TestRenderWithTheWorker(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := worker.Start(ctx, worker.Options{Python: workertest.Python(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	dir := t.TempDir()
	e, _ := env.Make("CartPole-v1")
	e.Seed(1)
	eps, err := Record(ctx, e, 1, 40, lean)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "cp.gif")
	res, err := Render(ctx, c, "CartPole-v1", eps, nil, out, 20, 2)
	if err != nil {
		t.Fatal(err)
	}
	if res.Episodes != 1 || res.Frames < len(eps[0].States)/2 || res.Frames > len(eps[0].States) || res.Path != out {
		t.Fatalf("result %+v for %d states", res, len(eps[0].States))
	}
	head := make([]byte, 6)
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Read(head); err != nil || string(head) != "GIF89a" {
		t.Fatalf("%s does not start as a GIF: %q %v", out, head, err)
	}
	lake, _ := env.Make("FrozenLake-v1")
	lake.Seed(1)
	grid, _ := Grid("FrozenLake-v1", "")
	eps, _ = Record(ctx, lake, 2, 0, func([]float64) int { return 2 })
	if _, err := Render(ctx, c, "FrozenLake-v1", eps, grid, filepath.Join(dir, "fl.gif"), 5, 1); err != nil {
		t.Fatal(err)
	}
	// A bad state is refused by the worker with a message that says why.
	bad := []Episode{{States: [][]float64{{99}}}}
	if _, err := Render(ctx, c, "FrozenLake-v1", bad, grid, filepath.Join(dir, "bad.gif"), 5, 1); err == nil ||
		!strings.Contains(err.Error(), "outside the 16 cells") {
		t.Fatalf("bad state: %v", err)
	}
}
