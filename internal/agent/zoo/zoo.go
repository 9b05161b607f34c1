// Package zoo is the table of tuned hyperparameters for the deep RL agents,
// one entry per environment and algorithm, in the spirit of
// rl-baselines3-zoo's hyperparams/*.yml, and Run, which trains with them
// and evaluates the result on fresh episodes. docs/deeprl.md documents the
// table; `xlrl train --algo dqn|reinforce|a2c` uses it.
package zoo

import (
	"fmt"
	"slices"
	"strings"

	"github.com/xlrl/xlrl/internal/agent/dqn"
	"github.com/xlrl/xlrl/internal/agent/pg"
)

// Algos are the deep RL algorithms.
var Algos = []string{"dqn", "reinforce", "a2c"}

// IsAlgo reports whether algo is one of Algos.
func IsAlgo(algo string) bool { return slices.Contains(Algos, algo) }

// Hyper is one table entry: the configuration of its algorithm.
type Hyper struct {
	DQN       *dqn.Config
	REINFORCE *pg.REINFORCEConfig
	A2C       *pg.A2CConfig
}

// key is "env/algo"; "*/algo" is the fallback for other discrete-action
// environments (CartPole-like settings; tune them for your task).
var table = map[string]func() Hyper{
	// rl-baselines3-zoo's dqn.yml CartPole-v1 entry (batch 64, train_freq
	// 256, gradient_steps 128, target update every 10 steps, exploration
	// 0.16 -> 0.04) with a [64, 64] network instead of [256, 256] (a
	// sixteenth of the gradient cost), lr 1e-3 instead of 2.3e-3 (at 2.3e-3
	// 3 of 5 seeds solved on the tf backend, at 1e-3 5 of 5), Double DQN,
	// twice the budget. Evaluation every 4 training calls (1,024 steps) on
	// 20 episodes keeps the best weights and stops at a perfect 500.
	"CartPole-v1/dqn": func() Hyper {
		return Hyper{DQN: &dqn.Config{
			Steps: 100_000, Hidden: []int{64, 64}, Activation: "relu", LR: 1e-3, Gamma: 0.99,
			BufferSize: 100_000, LearningStarts: 1000, BatchSize: 64, TrainFreq: 256, GradientSteps: 128,
			TargetUpdate: 10, Tau: 1, ExplorationInitial: 1, ExplorationFinal: 0.04, ExplorationFraction: 0.16,
			Double: true, Loss: "huber", MaxGradNorm: 10, EvalEvery: 1024, EvalEpisodes: 20, StopAt: at(500),
		}}
	},
	// rl-zoo's MountainCar-v0 entry: 120k steps, [256, 256], lr 4e-3,
	// train_freq 16, gradient_steps 8, target update 600, exploration 0.2 ->
	// 0.07. ([64, 64] reached only -130.)
	"MountainCar-v0/dqn": func() Hyper {
		return Hyper{DQN: &dqn.Config{
			Steps: 120_000, Hidden: []int{256, 256}, Activation: "relu", LR: 4e-3, Gamma: 0.98,
			BufferSize: 10_000, LearningStarts: 1000, BatchSize: 128, TrainFreq: 16, GradientSteps: 8,
			TargetUpdate: 600, Tau: 1, ExplorationInitial: 1, ExplorationFinal: 0.07, ExplorationFraction: 0.2,
			Loss: "huber", MaxGradNorm: 10, EvalEvery: 5000, EvalEpisodes: 20, StopAt: at(-100),
		}}
	},
	// rl-zoo's Acrobot-v1 entry: 100k steps, lr 6.3e-4, train_freq 4,
	// gradient_steps -1 (one per env step), target update 250, exploration
	// 0.12 -> 0.1, with a [64, 64] network in place of [256, 256].
	"Acrobot-v1/dqn": func() Hyper {
		return Hyper{DQN: &dqn.Config{
			Steps: 100_000, Hidden: []int{64, 64}, Activation: "relu", LR: 6.3e-4, Gamma: 0.99,
			BufferSize: 50_000, LearningStarts: 0, BatchSize: 128, TrainFreq: 4, GradientSteps: 4,
			TargetUpdate: 250, Tau: 1, ExplorationInitial: 1, ExplorationFinal: 0.1, ExplorationFraction: 0.12,
			Loss: "huber", MaxGradNorm: 10, EvalEvery: 5000, EvalEpisodes: 20, StopAt: at(-80),
		}}
	},
	// rl-zoo's dqn.yml LunarLander-v2 entry (v3 in Gymnasium 1.x, served by
	// the worker as gym:LunarLander-v3): 100k steps, [256, 256], lr 6.3e-4,
	// batch 128, buffer 50k, train_freq 4, gradient_steps -1 (one per env
	// step), target update 250, exploration 0.12 -> 0.1. rl-zoo's result at
	// that budget: 154.
	"LunarLander-v3/dqn": func() Hyper {
		return Hyper{DQN: &dqn.Config{
			Steps: 100_000, Hidden: []int{256, 256}, Activation: "relu", LR: 6.3e-4, Gamma: 0.99,
			BufferSize: 50_000, LearningStarts: 0, BatchSize: 128, TrainFreq: 4, GradientSteps: 4,
			TargetUpdate: 250, Tau: 1, ExplorationInitial: 1, ExplorationFinal: 0.1, ExplorationFraction: 0.12,
			Loss: "huber", MaxGradNorm: 10, EvalEvery: 10_000, EvalEpisodes: 10,
		}}
	},
	"*/dqn": func() Hyper {
		return Hyper{DQN: &dqn.Config{
			Steps: 100_000, Hidden: []int{64, 64}, Activation: "relu", LR: 1e-3, Gamma: 0.99,
			BufferSize: 100_000, LearningStarts: 1000, BatchSize: 64, TrainFreq: 4, GradientSteps: 1,
			TargetUpdate: 1000, Tau: 1, ExplorationInitial: 1, ExplorationFinal: 0.05, ExplorationFraction: 0.1,
			Loss: "huber", MaxGradNorm: 10, EvalEvery: 5000, EvalEpisodes: 10,
		}}
	},
	"CartPole-v1/reinforce": func() Hyper {
		return Hyper{REINFORCE: &pg.REINFORCEConfig{Episodes: 4, VFSteps: 4, Common: pg.Common{
			Steps: 300_000, Hidden: []int{64, 64}, Activation: "tanh", LR: 1e-3, VFLR: 1e-3, Gamma: 0.99,
			NormalizeAdvantage: true, MaxGradNorm: 0.5, EvalEvery: 5000, EvalEpisodes: 20, StopAt: at(500),
		}}}
	},
	"*/reinforce": func() Hyper {
		return Hyper{REINFORCE: &pg.REINFORCEConfig{Episodes: 4, VFSteps: 4, Common: pg.Common{
			Steps: 300_000, Hidden: []int{64, 64}, Activation: "tanh", LR: 1e-3, VFLR: 1e-3, Gamma: 0.99,
			NormalizeAdvantage: true, MaxGradNorm: 0.5, EvalEvery: 5000, EvalEpisodes: 10,
		}}}
	},
	// rl-zoo's a2c.yml CartPole-v1 entry: 8 envs, 500k steps, ent_coef 0;
	// SB3's defaults n_steps 5, gamma 0.99, max_grad_norm 0.5. Adam at 7e-4
	// in place of RMSprop.
	"CartPole-v1/a2c": func() Hyper {
		return Hyper{A2C: &pg.A2CConfig{NEnvs: 8, NSteps: 5, Common: pg.Common{
			Steps: 500_000, Hidden: []int{64, 64}, Activation: "tanh", LR: 7e-4, VFLR: 7e-4, Gamma: 0.99,
			MaxGradNorm: 0.5, EvalEvery: 5000, EvalEpisodes: 20, StopAt: at(500),
		}}}
	},
	"*/a2c": func() Hyper {
		return Hyper{A2C: &pg.A2CConfig{NEnvs: 8, NSteps: 5, Common: pg.Common{
			Steps: 500_000, Hidden: []int{64, 64}, Activation: "tanh", LR: 7e-4, VFLR: 7e-4, Gamma: 0.99,
			MaxGradNorm: 0.5, EvalEvery: 5000, EvalEpisodes: 10,
		}}}
	},
}

// Steps is the entry's step budget.
func (h Hyper) Steps() int {
	switch {
	case h.DQN != nil:
		return h.DQN.Steps
	case h.REINFORCE != nil:
		return h.REINFORCE.Steps
	case h.A2C != nil:
		return h.A2C.Steps
	}
	return 0
}

// Defaults returns a fresh copy of the tuned hyperparameters for envID and
// algo, and whether they were tuned for envID (false: the generic fallback).
func Defaults(envID, algo string) (Hyper, bool, error) {
	if !IsAlgo(algo) {
		return Hyper{}, false, fmt.Errorf("unknown deep RL algorithm %q: want one of %s", algo, strings.Join(Algos, ", "))
	}
	// A worker-hosted Gymnasium id takes the settings of the same id:
	// gym:CartPole-v1 trains as CartPole-v1 does.
	if f, ok := table[strings.TrimPrefix(envID, "gym:")+"/"+algo]; ok {
		return f(), true, nil
	}
	return table["*/"+algo](), false, nil
}

func at(v float64) *float64 { return &v }
