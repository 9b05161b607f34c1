package cli

import (
	"math"
	"strings"
	"testing"

	"github.com/xlrl/xlrl/internal/train"
)

func TestTrainBadInput(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--algo", "ppo9"}, `--algo "ppo9": unknown algorithm; want one of`},
		{[]string{"--explore", "thompson"}, `--explore "thompson": unknown exploration; want one of epsilon-greedy`},
		{[]string{"--schedule", "cosine"}, `unknown epsilon schedule "cosine"`},
		{[]string{"--lr", "0"}, "--lr 0: the learning rate must lie in (0, 1]"},
		{[]string{"--lr", "1.5"}, "--lr 1.5: the learning rate must lie in (0, 1]"},
		{[]string{"--gamma", "0"}, "--gamma 0: the discount must lie in (0, 1]"},
		{[]string{"--gamma", "1.01"}, "--gamma 1.01: the discount must lie in (0, 1]"},
		{[]string{"--eval-episodes", "0"}, "--eval-episodes 0"},
		{[]string{"--env", "Nope-v9"}, `unknown environment id "Nope-v9"`},
		{[]string{"--env", "CartPole-v1", "--algo", "q-learning"}, "q-learning is tabular and needs Discrete observations and actions, got observations Box(4)"},
		// Without --algo CartPole trains its tuned DQN, which takes steps, not episodes.
		{[]string{"--env", "CartPole-v1"}, "--episodes applies to the tabular agents, not to dqn"},
		{[]string{"--env", "Pendulum-v1", "--algo", "sarsa"}, "use a deep agent"},
		{[]string{"--env", "Taxi-v3", "--map", "8x8"}, `option "map" does not apply`},
		{[]string{"--algo", "expected-sarsa", "--explore", "ucb"}, "use epsilon-greedy or boltzmann"},
	}
	for _, tt := range tests {
		_, err := runCmd(t, append([]string{"train", "--episodes", "10"}, tt.args...)...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want one containing %q", tt.args, err, tt.want)
		}
	}
}

// Flags override one tuned value and keep the others; --steps alone bounds
// training by steps.
func TestTrainFlagsOverrideDefaults(t *testing.T) {
	out, err := runCmd(t, "train", "--env", "FrozenLake-v1", "--steps", "5000", "--eval-episodes", "50",
		"--explore", "boltzmann", "--schedule", "exponential", "--explore-start", "2", "--explore-end", "0.1", "--decay", "0.99", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var res train.Result
	lastJSON(t, out, &res)
	if res.TrainSteps != 5000 || res.EvalEpisodes != 50 {
		t.Errorf("trained %d steps, evaluated %d episodes; want 5000 and 50", res.TrainSteps, res.EvalEpisodes)
	}
	if ex := res.Hyper["exploration"]; ex != "boltzmann, temperature exponential 2 to 0.1, x0.99 per position" {
		t.Errorf("exploration %q", ex)
	}
	if res.Hyper["lr"] != 0.1 || res.Hyper["gamma"] != 0.99 {
		t.Errorf("tuned lr and gamma not kept: %v", res.Hyper)
	}
	if res.Optimum == nil || math.Abs(*res.Optimum-0.7442) > 5e-5 || res.OptimumPercent == nil {
		t.Errorf("optimum %v, percent %v", res.Optimum, res.OptimumPercent)
	}
	for _, algo := range []string{"q-learning", "sarsa", "double-q-learning"} {
		if _, err := runCmd(t, "train", "--env", "Taxi-v3", "--algo", algo, "--episodes", "200", "--eval-episodes", "10", "--explore", "ucb", "--ucb-c", "1"); err != nil {
			t.Errorf("%s with ucb: %v", algo, err)
		}
	}
}
