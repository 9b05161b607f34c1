package zoo

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/xlrl/xlrl/internal/agent/dqn"
	"github.com/xlrl/xlrl/internal/agent/pg"
	"github.com/xlrl/xlrl/internal/agent/ppo"
	"github.com/xlrl/xlrl/internal/agent/sac"
	"github.com/xlrl/xlrl/internal/agent/tabular"
	"github.com/xlrl/xlrl/internal/agent/td3"
	"github.com/xlrl/xlrl/internal/backend"
	"github.com/xlrl/xlrl/internal/env"
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
	tab, _, _ := Defaults("Taxi-v3", "q-learning")
	tab.Tabular.Episodes = 1
	if again, _, _ := Defaults("Taxi-v3", "q-learning"); again.Tabular.Episodes == 1 {
		t.Fatal("changing one copy of a tabular entry changed the table")
	}
}

// TestEveryRowIsUsable finds each row by its own key, checks that it holds
// its algorithm's configuration, validates it and that its source is noted.
func TestEveryRowIsUsable(t *testing.T) {
	seen := map[[2]string]bool{}
	for _, e := range table {
		key := [2]string{e.env, e.algo}
		if seen[key] {
			t.Errorf("%s/%s: two rows", e.env, e.algo)
		}
		seen[key] = true
		if e.source == "" {
			t.Errorf("%s/%s: no source", e.env, e.algo)
		}
		algo := e.algo
		if algo == Tabular {
			algo = tabular.QLearning
		}
		env := e.env
		if env == "*" {
			env = "MyOwnEnv-v0"
		}
		h, tuned, err := Defaults(env, algo)
		if err != nil || tuned != (e.env != "*") {
			t.Fatalf("%s/%s: tuned %v, %v", e.env, e.algo, tuned, err)
		}
		var verr error
		switch c := h.Config().(type) {
		case *tabular.Hyper:
			_, verr = tabular.New(tabular.Config{Algorithm: algo, LR: c.LR, LREnd: c.LREnd, LRDecayEpisodes: c.LRDecayEpisodes,
				Gamma: c.Gamma, Explore: c.Explore}, discrete(4), discrete(4))
			if c.Episodes <= 0 || c.EvalEpisodes <= 0 {
				verr = fmt.Errorf("episodes %d, eval episodes %d", c.Episodes, c.EvalEpisodes)
			}
		case *dqn.Config:
			verr = c.Validate()
		case *pg.REINFORCEConfig:
			verr = c.Validate()
		case *pg.A2CConfig:
			verr = c.Validate()
		case *ppo.Config:
			verr = c.Validate()
		case *sac.Config:
			verr = c.Validate()
		case *td3.Config:
			verr = c.Validate()
		default:
			t.Fatalf("%s/%s holds %T", e.env, e.algo, c)
		}
		if verr != nil {
			t.Errorf("%s/%s: %v", e.env, e.algo, verr)
		}
		if h.Tabular == nil && h.Steps() <= 0 {
			t.Errorf("%s/%s: a step budget of %d", e.env, e.algo, h.Steps())
		}
	}
	for _, algo := range AllAlgos() {
		if _, _, err := Defaults("MyOwnEnv-v0", algo); err != nil {
			t.Errorf("%s has no fallback row: %v", algo, err)
		}
	}
}

func TestDefaultsFallBackForOtherEnvironments(t *testing.T) {
	h, tuned, err := Defaults("LunarLander-v3", "a2c")
	if err != nil || tuned || h.A2C == nil || h.A2C.NEnvs == 0 {
		t.Fatalf("fallback: %+v tuned %v err %v", h, tuned, err)
	}
	if h, tuned, _ := Defaults("gym:CartPole-v1", "dqn"); !tuned || h.DQN.TrainFreq != 256 {
		t.Errorf("gym:CartPole-v1 does not take CartPole-v1's row: tuned %v", tuned)
	}
	_, _, err = Defaults("CartPole-v1", "ddpg")
	if err == nil || !strings.Contains(err.Error(), `unknown algorithm "ddpg": want one of q-learning, sarsa, expected-sarsa, double-q-learning, dqn, reinforce, a2c, ppo, sac, td3`) {
		t.Fatalf("unknown algo: %v", err)
	}
	if src, err := Source("CartPole-v1", "dqn"); err != nil || !strings.Contains(src, "rl-baselines3-zoo dqn.yml CartPole-v1") {
		t.Errorf("source of CartPole-v1/dqn: %q, %v", src, err)
	}
}

func TestTabularRows(t *testing.T) {
	get := func(id, algo string) (tabular.Hyper, bool) {
		h, tuned, err := Defaults(id, algo)
		if err != nil {
			t.Fatal(err)
		}
		return *h.Tabular, tuned
	}
	if fl, ok := get("FrozenLake-v1", tabular.SARSA); !ok || fl.EvalEpisodes != 10_000 {
		t.Errorf("FrozenLake-v1: %+v, tuned %v", fl, ok)
	}
	q, _ := get("Taxi-v3", tabular.QLearning)
	s, _ := get("Taxi-v3", tabular.SARSA)
	alias, ok := get("Taxi-v4", tabular.SARSA)
	if !ok || s.Explore.End != 0 || q.Explore.End == 0 || alias != s {
		t.Errorf("per-algorithm row or alias not used: q %+v, sarsa %+v, Taxi-v4 sarsa %+v", q, s, alias)
	}
	g, ok := get("MyGrid-v0", tabular.QLearning)
	if ok || g.Episodes != 10_000 || g.LR != 0.1 {
		t.Errorf("untuned environment: %+v, tuned %v", g, ok)
	}
}

func TestHyperSet(t *testing.T) {
	h := Hyper{DQN: &dqn.Config{Hidden: []int{64}, Double: true, TrainFreq: 256}}
	if err := h.Set(map[string]string{"double": "false", "train_freq": "4", "hidden": "[8,8]", "loss": "mse"}); err != nil {
		t.Fatal(err)
	}
	if c := h.DQN; c.Double || c.TrainFreq != 4 || len(c.Hidden) != 2 || c.Hidden[1] != 8 || c.Loss != "mse" {
		t.Fatalf("after Set: %+v", c)
	}
	err := h.Set(map[string]string{"nope": "1"})
	if err == nil || !strings.Contains(err.Error(), `unknown hyperparameter "nope": this algorithm has activation, batch_size, buffer_size, double,`) {
		t.Fatalf("unknown name: %v", err)
	}
	if err := h.Set(map[string]string{"steps": "many"}); err == nil {
		t.Fatal("a string for an integer was accepted")
	}

	// The tabular entries take --hp by the train flags' names.
	tab, _, _ := Defaults("CliffWalking-v0", tabular.SARSA)
	if err := tab.Set(map[string]string{"lr": "0.25", "explore": "boltzmann", "explore_start": "2", "episodes": "50"}); err != nil {
		t.Fatal(err)
	}
	if c := tab.Tabular; c.LR != 0.25 || c.Explore.Kind != "boltzmann" || c.Explore.Start != 2 || c.Episodes != 50 ||
		c.Gamma != 1 || c.Explore.Schedule != "constant" {
		t.Fatalf("tabular after Set: %+v", c)
	}
	want := []string{"decay", "decay_steps", "episodes", "eval_episodes", "explore", "explore_end", "explore_start",
		"gamma", "lr", "lr_decay_episodes", "lr_end", "schedule", "ucb_c"}
	if got := tab.Names(); !slices.Equal(got, want) {
		t.Errorf("tabular names %v, want %v", got, want)
	}
	if err := tab.Set(map[string]string{"tau": "1"}); err == nil || !strings.Contains(err.Error(), `unknown hyperparameter "tau": this algorithm has decay, decay_steps, episodes`) {
		t.Errorf("unknown tabular name: %v", err)
	}
}

func discrete(n int) env.Space { return env.Space{Kind: env.Discrete, N: n} }

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
