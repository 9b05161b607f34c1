package ppo

// CartPole is rl-baselines3-zoo's tuned ppo.yml CartPole-v1 entry
// (hyperparams/ppo.yml at commit 00128b5): 8 envs, 100k steps, n_steps 32,
// batch 256, gae_lambda 0.8, gamma 0.98, 20 epochs, ent_coef 0,
// learning_rate lin_0.001, clip_range lin_0.2; SB3's defaults for the rest.
// Evaluation every 10k steps on 20 episodes keeps the best weights, as
// rl-zoo's EvalCallback keeps best_model.
func CartPole() Config {
	c := Default()
	c.Steps, c.NEnvs, c.NSteps, c.BatchSize = 100_000, 8, 32, 256
	c.GAELambda, c.Gamma, c.Epochs, c.EntCoef = 0.8, 0.98, 20, 0
	c.LR, c.LinearLR, c.ClipRange, c.LinearClip = 1e-3, true, 0.2, true
	c.EvalEvery, c.EvalEpisodes = 10_000, 20
	return c
}
