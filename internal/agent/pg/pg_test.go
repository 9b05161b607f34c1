package pg

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/xlrl/xlrl/internal/agent/trainloop"
	"github.com/xlrl/xlrl/internal/agent/trainloop/trainlooptest"
	"github.com/xlrl/xlrl/internal/backend"
	"github.com/xlrl/xlrl/internal/env"
)

func smallConfig() Common {
	return Common{Steps: 6000, Hidden: []int{8}, Activation: "tanh", LR: 1e-3, VFLR: 0.02, Gamma: 0.9}
}

// train trains algo with c and the small settings of its own.
func train(ctx context.Context, algo string, c Common, mk trainloop.EnvFactory, seed uint64) (*Result, error) {
	if algo == "reinforce" {
		return TrainREINFORCE(ctx, REINFORCEConfig{Common: c, Episodes: 8, VFSteps: 2}, mk, backend.NewGo(), seed, nil)
	}
	return TrainA2C(ctx, A2CConfig{Common: c, NEnvs: 4, NSteps: 5}, mk, backend.NewGo(), seed, nil)
}

// On a one-state task paying 1 per step, the value function learns
// 1/(1-gamma) = 10 when episodes end by truncation and 1 when they
// terminate: returns bootstrap through time limits only.
func TestValueBootstrapsThroughTruncationOnly(t *testing.T) {
	for _, algo := range []string{"reinforce", "a2c"} {
		for _, tc := range []struct {
			terminates bool
			want       float64
		}{{false, 10}, {true, 1}} {
			mk := func() (env.Env, error) { return trainlooptest.NewOneState(tc.terminates, 2), nil }
			res, err := train(context.Background(), algo, smallConfig(), mk, 1)
			if err != nil {
				t.Fatal(err)
			}
			v := trainloop.NewGreedy(res.Value).Outputs([]float64{1, -1})[0]
			if math.Abs(float64(v)-tc.want) > 0.15*tc.want {
				t.Errorf("%s, terminates=%v: V(s) = %.3f, want about %v", algo, tc.terminates, v, tc.want)
			}
			if res.Steps < 6000 || res.Updates == 0 {
				t.Errorf("%s: %d steps, %d updates", algo, res.Steps, res.Updates)
			}
		}
	}
}

// A two-armed bandit where action 1 pays 1 and action 0 pays 0: the policy
// gradient must come to prefer action 1.
type bandit struct{ trainlooptest.OneState }

func (b *bandit) Step(a env.Action) ([]float64, float64, bool, bool) {
	return []float64{1, -1}, float64(a.Discrete), true, false
}

func TestPolicyLearnsTheBetterArm(t *testing.T) {
	for _, algo := range []string{"reinforce", "a2c"} {
		mk := func() (env.Env, error) { return &bandit{*trainlooptest.NewOneState(true, 2)}, nil }
		cfg := smallConfig()
		cfg.LR = 0.01
		res, err := train(context.Background(), algo, cfg, mk, 2)
		if err != nil {
			t.Fatal(err)
		}
		logits := trainloop.NewGreedy(res.Policy).Outputs([]float64{1, -1})
		p1 := 1 / (1 + math.Exp(float64(logits[0]-logits[1])))
		if p1 < 0.9 {
			t.Errorf("%s: P(better arm) = %.3f, want > 0.9", algo, p1)
		}
	}
}

func TestRejectsContinuousActions(t *testing.T) {
	mk := func() (env.Env, error) { return env.Make("Pendulum-v1") }
	if _, err := train(context.Background(), "a2c", smallConfig(), mk, 1); err == nil ||
		!strings.Contains(err.Error(), "a2c needs a discrete action space") {
		t.Errorf("got %v", err)
	}
}

type episodeLog struct{ rets, lens []float64 }

func (l *episodeLog) episode(_ int, ret float64, length int) {
	l.rets = append(l.rets, ret)
	l.lens = append(l.lens, float64(length))
}

// A2C steps several environments at once; each episode's return must be that
// environment's own. CartPole pays 1 per step, so a return equals its length.
func TestA2CRecordsEachEnvironmentsEpisodes(t *testing.T) {
	log := &episodeLog{}
	mk := func() (env.Env, error) { return env.Make("CartPole-v1") }
	cfg := smallConfig()
	cfg.Steps = 4000
	res, err := TrainA2C(context.Background(), A2CConfig{Common: cfg, NEnvs: 4, NSteps: 5}, mk, backend.NewGo(), 3,
		&trainloop.Hooks{Episode: log.episode})
	if err != nil {
		t.Fatal(err)
	}
	if len(log.rets) < 20 || len(log.rets) != res.Episodes {
		t.Fatalf("recorded %d episodes, the trainer counted %d", len(log.rets), res.Episodes)
	}
	for i := range log.rets {
		if log.rets[i] != log.lens[i] || log.lens[i] > 500 {
			t.Fatalf("episode %d: return %v over %v steps; CartPole pays 1 per step", i, log.rets[i], log.lens[i])
		}
	}
}
