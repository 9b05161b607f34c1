package sac

// Pendulum is rl-baselines3-zoo's tuned sac.yml Pendulum-v1 entry (20k
// steps, learning_rate 1e-3, SB3's defaults otherwise: buffer 1e6,
// learning_starts 100, batch 256, tau 0.005, gamma 0.99, automatic
// temperature) with [64, 64] networks in place of [256, 256]: a sixteenth
// of the gradient cost, which is what makes 20k gradient steps affordable
// on the go backend (docs/deeprl.md has the figures of both sizes).
func Pendulum() Config {
	c := Default()
	c.Steps, c.LR, c.Hidden = 20_000, 1e-3, []int{64, 64}
	c.EvalEvery, c.EvalEpisodes = 5000, 10
	return c
}
