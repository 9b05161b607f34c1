//go:build slow

package cli

import "testing"

// FrozenLake8x8 trains for about 4 million steps per seed: under a second
// each, but about 15 s for the 5 seeds under -race, so it runs with
// `make test-slow`.
func TestLearningFrozenLake8x8(t *testing.T) {
	for seed := 1; seed <= 5; seed++ {
		res := trainJSON(t, "FrozenLake8x8-v1", "q-learning", seed)
		// The optimum within 200 steps is 0.9132.
		if res.EvalEpisodes != 10_000 || res.SuccessRate < 0.85 {
			t.Errorf("seed %d: greedy success %.4f over %d episodes, want >= 0.85 over 10000",
				seed, res.SuccessRate, res.EvalEpisodes)
		}
	}
}
