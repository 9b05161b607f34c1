package cli

import (
	"fmt"
	"github.com/xlrl/xlrl/internal/train"
	"testing"
)

// trainJSON runs `xlrl train --json` with the tuned defaults (no tuning
// flags) and returns the result.
func trainJSON(t *testing.T, envID, algo string, seed int) train.Result {
	t.Helper()
	out, err := runCmd(t, "train", "--env", envID, "--algo", algo, "--seed", fmt.Sprint(seed), "--json")
	if err != nil {
		t.Fatalf("%s %s seed %d: %v", envID, algo, seed, err)
	}
	var res train.Result
	lastJSON(t, out, &res)
	return res
}

// The learning checks, 5 seeds each, with `xlrl train`'s defaults
// (no tuning flags). FrozenLake8x8 lives in train_learning_slow_test.go.

func TestLearningFrozenLake4x4(t *testing.T) {
	for seed := 1; seed <= 5; seed++ {
		res := trainJSON(t, "FrozenLake-v1", "q-learning", seed)
		// The optimum within 100 steps is 0.7442.
		if res.EvalEpisodes != 10_000 || res.SuccessRate < 0.72 {
			t.Errorf("seed %d: greedy success %.4f over %d episodes, want >= 0.72 over 10000",
				seed, res.SuccessRate, res.EvalEpisodes)
		}
	}
}

func TestLearningTaxi(t *testing.T) {
	for _, algo := range []string{"q-learning", "sarsa"} {
		for seed := 1; seed <= 5; seed++ {
			res := trainJSON(t, "Taxi-v3", algo, seed)
			if res.EvalEpisodes != 1000 || res.MeanReturn < 7.7 {
				t.Errorf("%s seed %d: mean return %.3f over %d episodes, want >= 7.7 over 1000 (optimum 7.93)",
					algo, seed, res.MeanReturn, res.EvalEpisodes)
			}
		}
	}
}

func TestLearningCliffWalking(t *testing.T) {
	for seed := 1; seed <= 5; seed++ {
		q := trainJSON(t, "CliffWalking-v0", "q-learning", seed)
		if q.MeanReturn != -13 {
			t.Errorf("seed %d: Q-learning greedy return %v, want -13 (the cliff edge)", seed, q.MeanReturn)
		}
		s := trainJSON(t, "CliffWalking-v0", "sarsa", seed)
		if s.MeanReturn != -15 && s.MeanReturn != -17 {
			t.Errorf("seed %d: SARSA greedy return %v, want -15 or -17 (a path away from the edge)", seed, s.MeanReturn)
		}
	}
}
