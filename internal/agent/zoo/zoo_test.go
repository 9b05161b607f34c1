package zoo

import (
	"context"
	"strings"
	"testing"

	"github.com/xlrl/xlrl/internal/agent/dqn"
	"github.com/xlrl/xlrl/internal/backend"
)

func TestDefaultsAreFreshCopies(t *testing.T) {
	h, tuned, err := Defaults("CartPole-v1", "dqn")
	if err != nil || !tuned || h.DQN == nil {
		t.Fatalf("CartPole dqn: %+v tuned %v err %v", h, tuned, err)
	}
	h.DQN.Hidden[0] = 1
	h.DQN.Steps = 1
	again, _, _ := Defaults("CartPole-v1", "dqn")
	if again.DQN.Hidden[0] == 1 || again.DQN.Steps == 1 {
		t.Fatal("changing one copy of the defaults changed the table")
	}
	for key := range table {
		env, algo, _ := strings.Cut(key, "/")
		if env == "*" {
			continue
		}
		h, tuned, err := Defaults(env, algo)
		if err != nil || !tuned {
			t.Fatalf("%s: tuned %v, %v", key, tuned, err)
		}
		if h.DQN != nil {
			if err := h.DQN.Validate(); err != nil {
				t.Errorf("%s: %v", key, err)
			}
		} else if (algo == "a2c" && h.A2C.Validate() != nil) || (algo == "reinforce" && h.REINFORCE.Validate() != nil) {
			t.Errorf("%s: incomplete entry %+v %+v", key, h.A2C, h.REINFORCE)
		}
	}
}

func TestDefaultsFallBackForOtherEnvironments(t *testing.T) {
	h, tuned, err := Defaults("LunarLander-v3", "a2c")
	if err != nil || tuned || h.A2C == nil || h.A2C.NEnvs == 0 {
		t.Fatalf("fallback: %+v tuned %v err %v", h, tuned, err)
	}
	if _, _, err := Defaults("CartPole-v1", "ppo"); err == nil || !strings.Contains(err.Error(), "want one of dqn, reinforce, a2c") {
		t.Fatalf("unknown algo: %v", err)
	}
}

func TestSetFields(t *testing.T) {
	c := &dqn.Config{Hidden: []int{64}, Double: true, TrainFreq: 256}
	err := setFields(c, map[string]string{"double": "false", "train_freq": "4", "hidden": "[8,8]", "loss": "mse"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Double || c.TrainFreq != 4 || len(c.Hidden) != 2 || c.Hidden[1] != 8 || c.Loss != "mse" {
		t.Fatalf("after setFields: %+v", c)
	}
	if err := setFields(c, map[string]string{"nope": "1"}); err == nil || !strings.Contains(err.Error(), `unknown hyperparameter "nope"`) {
		t.Fatalf("unknown name: %v", err)
	}
	if err := setFields(c, map[string]string{"steps": "many"}); err == nil {
		t.Fatal("a string for an integer was accepted")
	}
}

func TestRunSeedArchitecture(t *testing.T) {
	rep, err := Run(context.Background(), Options{Env: "CartPole-v1", Algo: "dqn", Arch: "seed", Steps: 1200, EvalEpisodes: 3}, backend.NewGo())
	if err != nil {
		t.Fatal(err)
	}
	c := rep.Hyper.(*dqn.Config)
	if len(c.Hidden) != 1 || c.Hidden[0] != 32 || c.Loss != "mse" || c.LR != 0.001 || c.Activation != "relu" {
		t.Fatalf("seed architecture: %+v", c)
	}
	if len(rep.Policy.Params) != 4*32+32+32*2+2 || rep.Eval.Episodes != 3 || rep.Steps != 1200 {
		t.Fatalf("params %d, episodes %d, steps %d", len(rep.Policy.Params), rep.Eval.Episodes, rep.Steps)
	}
	if _, err := Run(context.Background(), Options{Env: "CartPole-v1", Algo: "dqn", Arch: "seed", Hidden: []int{4}}, backend.NewGo()); err == nil {
		t.Fatal("--arch with --layers was accepted")
	}
}
