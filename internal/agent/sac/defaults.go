package sac

// The tuned entries follow rl-baselines3-zoo's hyperparams/sac.yml at
// commit 22e3ff2 (2026-04-23). Where rl-zoo evaluates, the periodic
// evaluation is its EvalCallback's (train.py: every 25k steps on 5
// episodes, keeping the best model); a run shorter than that is judged on
// its final weights, as in rl-zoo.

// Pendulum is sac.yml's Pendulum-v1 entry: 20k steps, learning_rate 1e-3,
// SB3's defaults otherwise ([256, 256] relu networks, buffer 1e6,
// learning_starts 100, batch 256, tau 0.005, gamma 0.99, automatic
// temperature). No periodic evaluation: rl-zoo's first would come at 25k.
func Pendulum() Config {
	c := Default()
	c.Steps, c.LR = 20_000, 1e-3
	c.EvalEvery = 0
	return c
}

// MountainCarContinuous is sac.yml's MountainCarContinuous-v0 entry: 50k
// steps, learning_rate 3e-4, buffer 50k, batch 512, ent_coef 0.1 (fixed),
// train_freq 32, gradient_steps 32, gamma 0.9999, tau 0.01,
// learning_starts 0, [64, 64] networks, use_sde (gSDE exploration, noise
// resampled once per rollout of 32 steps and before each gradient step)
// with log_std_init -3.67.
func MountainCarContinuous() Config {
	c := Default()
	c.Steps, c.LR, c.BufferSize, c.BatchSize = 50_000, 3e-4, 50_000, 512
	c.EntCoef, c.AutoEntCoef = 0.1, false
	c.TrainFreq, c.GradientSteps, c.Gamma, c.Tau, c.LearningStarts = 32, 32, 0.9999, 0.01, 0
	c.Hidden = []int{64, 64}
	c.UseSDE, c.LogStdInit = true, -3.67
	c.EvalEvery, c.EvalEpisodes = 25_000, 5
	return c
}
