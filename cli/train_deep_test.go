package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestTrainDeepBadInput(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--env", "Pendulum-v1", "--algo", "dqn"}, "dqn needs a discrete action space, but Pendulum-v1 has Box(1) actions"},
		{[]string{"--env", "Pendulum-v1", "--algo", "a2c"}, "a2c needs a discrete action space"},
		{[]string{"--algo", "dqn", "--layers", "64,x"}, `--layers: layer list "64,x": "x" is not a layer size`},
		{[]string{"--algo", "dqn", "--layers", "64,-2"}, `"-2" is not a layer size`},
		{[]string{"--algo", "dqn", "--arch", "resnet"}, `--arch "resnet": unknown architecture`},
		{[]string{"--algo", "dqn", "--arch", "seed", "--layers", "8"}, "give one of them"},
		{[]string{"--algo", "dqn", "--backend", "jax"}, `--backend "jax": want one of go, tf`},
		{[]string{"--algo", "dqn", "--episodes", "10"}, "--episodes applies to the tabular agents, not to dqn"},
		{[]string{"--algo", "a2c", "--explore", "ucb"}, "--explore applies to the tabular agents"},
		{[]string{"--algo", "dqn", "--steps", "-5"}, "--steps -5: must be at least 1"},
		{[]string{"--algo", "dqn", "--hp", "double"}, `--hp "double": want name=value`},
		{[]string{"--algo", "dqn", "--hp", "dubble=true"}, `unknown hyperparameter "dubble": this algorithm has `},
		{[]string{"--algo", "dqn", "--hp", "train_freq=often"}, `hyperparameters map[train_freq:often]`},
		{[]string{"--algo", "dqn", "--hp", "tau=2"}, `tau 2 is outside (0, 1]`},
	}
	for _, tt := range tests {
		args := append([]string{"train", "--env", "CartPole-v1", "--backend", "go"}, tt.args...)
		_, err := runCmd(t, args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want one containing %q", tt.args, err, tt.want)
		}
	}
}

// The deep agents run on the grid environments too: their Discrete
// observations reach the network one-hot encoded.
func TestTrainDeepOnDiscreteObservations(t *testing.T) {
	for _, algo := range []string{"dqn", "a2c", "reinforce"} {
		out, err := runCmd(t, "train", "--env", "FrozenLake-v1", "--algo", algo, "--backend", "go",
			"--steps", "3000", "--eval-episodes", "5", "--json")
		if err != nil {
			t.Fatalf("%s on FrozenLake-v1: %v", algo, err)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		var res struct {
			TrainSteps int64 `json:"train_steps"`
			Deep       struct {
				Params int `json:"params"`
			} `json:"deep"`
		}
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
			t.Fatal(err)
		}
		if res.TrainSteps < 3000 || res.Deep.Params == 0 {
			t.Errorf("%s on FrozenLake-v1: %+v", algo, res)
		}
	}
}

// The one short learning check of the default suite: REINFORCE with the go
// backend and the tuned CartPole defaults solves CartPole-v1 for seed 3 in a
// few seconds (it stops at its first perfect periodic evaluation).
func TestTrainDeepREINFORCESolvesCartPoleQuickly(t *testing.T) {
	out, err := runCmd(t, "train", "--env", "CartPole-v1", "--algo", "reinforce", "--backend", "go", "--seed", "3", "--json")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var res struct {
		MeanReturn   float64 `json:"mean_return"`
		EvalEpisodes int     `json:"eval_episodes"`
		TrainSteps   int     `json:"train_steps"`
		Deep         struct {
			Backend string `json:"backend"`
			Solved  *bool  `json:"solved"`
			Time    struct {
				Env   float64 `json:"env_s"`
				Train float64 `json:"train_s"`
				Total float64 `json:"total_s"`
			} `json:"time"`
		} `json:"deep"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
		t.Fatalf("last line is not the JSON result: %v\n%s", err, out)
	}
	if res.MeanReturn < 475 || res.Deep.Solved == nil || !*res.Deep.Solved || res.EvalEpisodes != 100 {
		t.Fatalf("mean return %.1f over %d episodes (solved %v), want >= 475 over 100\n%s", res.MeanReturn, res.EvalEpisodes, res.Deep.Solved, out)
	}
	if res.Deep.Backend != "go" || res.TrainSteps <= 0 || res.TrainSteps >= 300_000 {
		t.Fatalf("backend %q, %d steps: want go and an early stop", res.Deep.Backend, res.TrainSteps)
	}
	if !strings.Contains(out, "time (go backend") {
		t.Errorf("no time breakdown in the output:\n%s", out)
	}
}
