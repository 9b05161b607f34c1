package td3

// Pendulum is rl-baselines3-zoo's tuned td3.yml Pendulum-v1 entry (20k
// steps, gamma 0.98, buffer 200k, learning_starts 10000, normal
// exploration noise 0.1, train_freq 1, gradient_steps 1, learning_rate
// 1e-3) with [64, 64] networks in place of [400, 300], for the gradient
// cost on the go backend (see docs/deeprl.md).
func Pendulum() Config {
	c := Default()
	c.Steps, c.Gamma, c.BufferSize, c.LearningStarts, c.NoiseStd, c.LR = 20_000, 0.98, 200_000, 10_000, 0.1, 1e-3
	c.Hidden = []int{64, 64}
	c.EvalEvery, c.EvalEpisodes = 5000, 10
	return c
}
