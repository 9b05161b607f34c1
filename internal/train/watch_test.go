package train

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/xlrl/xlrl/internal/watch"
)

type renderCall struct {
	params map[string]any
}

func (r *renderCall) Call(_ context.Context, method string, params, result any) error {
	r.params = params.(map[string]any)
	result.(*watch.Result).Episodes = len(r.params["episodes"].([]watch.Episode))
	return nil
}

// TestWatchDrawsTheEvaluatedEpisodes: the episodes Watch draws are those
// xlrl eval evaluates (same policy, same seed): the first one's return is
// the return of a one-episode evaluation.
func TestWatchDrawsTheEvaluatedEpisodes(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		grid bool
	}{
		{"tabular", []string{"--env", "FrozenLake-v1", "--algo", "q-learning", "--episodes", "3000", "--map", "SFFF,FHFH,FFFH,HFFG"}, true},
		{"deep", []string{"--env", "CartPole-v1", "--algo", "dqn", "--backend", "go", "--steps", "1500"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "run")
			if _, err := trainArgs(context.Background(), t, Hooks{}, append(tc.args, "--out", dir, "--plot=false")...); err != nil {
				t.Fatal(err)
			}
			ev, err := Evaluate(context.Background(), dir, 1, nil)
			if err != nil {
				t.Fatal(err)
			}
			var c renderCall
			res, err := Watch(context.Background(), dir, &c, WatchOptions{Episodes: 2, Out: "x.gif", FPS: 10})
			if err != nil {
				t.Fatal(err)
			}
			eps := c.params["episodes"].([]watch.Episode)
			if res.Episodes != 2 || len(eps) != 2 {
				t.Fatalf("%d episodes drawn, want 2", len(eps))
			}
			if got := eps[0].Return(); got != ev.MeanReturn {
				t.Fatalf("first drawn episode returns %g, the one-episode evaluation %g", got, ev.MeanReturn)
			}
			if _, ok := c.params["grid"]; ok != tc.grid {
				t.Fatalf("grid sent: %v, want %v", ok, tc.grid)
			}
			seed := uint64(99)
			if _, err := Watch(context.Background(), dir, &c, WatchOptions{Episodes: 1, Seed: &seed, Out: "x.gif", FPS: 10}); err != nil {
				t.Fatal(err)
			}
		})
	}
	if _, err := LoadGreedy(filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Fatal("a missing run accepted")
	}
}
