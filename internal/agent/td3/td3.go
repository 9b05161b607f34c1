// Package td3 is Twin Delayed DDPG (Fujimoto et al. 2018) as
// Stable-Baselines3 implements it, for Box actions: a deterministic tanh
// actor, twin critics whose smaller target value makes the Bellman target,
// target policy smoothing with clipped Gaussian noise, policy and target
// updates every policy_delay critic steps, and Gaussian exploration noise.
// The actor acts in [-1, 1]; actions are rescaled to the space's bounds
// when stepped, and the replay buffer stores the [-1, 1] action.
//
// Go computes the losses and their output gradients (the actor's through
// the first critic's action input, nn.InputGrad); the backend's Groups
// backpropagate and step Adam.
//
// Truncation (a time limit) bootstraps and termination does not.
package td3

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/xlrl/xlrl/internal/agent/ac"
	"github.com/xlrl/xlrl/internal/agent/trainloop"
	"github.com/xlrl/xlrl/internal/backend"
	"github.com/xlrl/xlrl/internal/ckpt"
	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/metric"
	"github.com/xlrl/xlrl/internal/nn"
)

// Config is TD3's hyperparameters; the JSON names are Stable-Baselines3's.
type Config struct {
	ac.OffConfig `yaml:",inline"`
	PolicyDelay  int `yaml:"policy_delay" json:"policy_delay"`
	// TargetPolicyNoise and TargetNoiseClip smooth the target policy:
	// a' = clip(actor'(s') + clip(N(0, noise), -clip, clip), -1, 1).
	TargetPolicyNoise float64 `yaml:"target_policy_noise" json:"target_policy_noise"`
	TargetNoiseClip   float64 `yaml:"target_noise_clip" json:"target_noise_clip"`
	// NoiseStd is the exploration noise's standard deviation, in the
	// [-1, 1] action scale (rl-zoo's noise_type normal, noise_std).
	NoiseStd float64 `yaml:"noise_std" json:"noise_std"`
}

// Default is Stable-Baselines3's TD3 defaults ([400, 300] relu networks)
// with rl-zoo's usual exploration noise (normal, 0.1).
func Default() Config {
	return Config{
		OffConfig:   ac.OffDefaults([]int{400, 300}, 1e-3),
		PolicyDelay: 2, TargetPolicyNoise: 0.2, TargetNoiseClip: 0.5, NoiseStd: 0.1,
	}
}

// Validate checks the hyperparameters.
func (c *Config) Validate() error {
	if err := c.OffConfig.Validate("td3"); err != nil {
		return err
	}
	switch {
	case c.PolicyDelay <= 0:
		return fmt.Errorf("td3: policy_delay must be positive, got %d", c.PolicyDelay)
	case c.TargetPolicyNoise < 0 || c.TargetNoiseClip < 0 || c.NoiseStd < 0:
		return fmt.Errorf("td3: noise scales must not be negative")
	}
	return nil
}

// Policy acts with a trained TD3 actor: tanh of its output, rescaled to
// the bounds.
type Policy = ac.TanhPolicy

// Result is what training produced.
type Result = ac.OffResult

type trainer struct {
	*ac.OffAgent
	cfg    Config
	actorT *nn.MLP

	wsA, wsQ1, wsQ2, wsT     *nn.Workspace
	aNext, aPi, qIn, y       []float32
	dq1, dq2, dIn, dActor    []float32
	tq1                      []float32
	critBatches, actBatches  []backend.GradBatch
	syncCritics, syncActorNs []*nn.MLP
}

// Train runs TD3 on environments from mk (Box actions), taking gradient
// steps on be (go or tf), reporting to h (may be nil); with a
// checkpointer in h it checkpoints and resumes (see ac.OffPolicy).
func Train(ctx context.Context, cfg Config, mk trainloop.EnvFactory, be backend.Backend, seed uint64, h *trainloop.Hooks) (*Result, error) {
	tr, e, err := newTrainer(ctx, cfg, mk, be, seed)
	if err != nil {
		return nil, err
	}
	return tr.run(ctx, e, h)
}

func newTrainer(ctx context.Context, cfg Config, mk trainloop.EnvFactory, be backend.Backend, seed uint64) (*trainer, env.Env, error) {
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	g, e, err := ac.NewOffAgent(ctx, "td3", cfg.OffConfig, func(d int) int { return d }, mk, be, seed)
	if err != nil {
		return nil, nil, err
	}
	tr := &trainer{OffAgent: g, cfg: cfg, actorT: g.Actor.Clone()}
	n, d, od := cfg.BatchSize, tr.ActDim, tr.ObsDim
	tr.wsA, tr.wsQ1, tr.wsQ2, tr.wsT = tr.Actor.NewWorkspace(n), tr.Q1.NewWorkspace(n), tr.Q2.NewWorkspace(n), tr.T1.NewWorkspace(n)
	f := func(k int) []float32 { return make([]float32, k) }
	tr.aNext, tr.aPi, tr.qIn, tr.y = f(n*d), f(n*d), f(n*(od+d)), f(n)
	tr.dq1, tr.dq2, tr.dIn, tr.dActor, tr.tq1 = f(n), f(n), f(n*(od+d)), f(n*d), f(n)
	tr.critBatches, tr.actBatches = make([]backend.GradBatch, 2), make([]backend.GradBatch, 1)
	tr.syncCritics, tr.syncActorNs = []*nn.MLP{tr.Q1, tr.Q2}, []*nn.MLP{tr.Actor}
	return tr, e, nil
}

// run steps e with the shared off-policy loop, acting with the actor plus
// clipped Gaussian exploration noise after learning_starts.
func (tr *trainer) run(ctx context.Context, e env.Env, h *trainloop.Hooks) (*Result, error) {
	cfg := tr.cfg
	one := tr.Actor.NewWorkspace(1)
	return tr.Run(ctx, e, h, ac.OffHooks{
		Act: func(obs, a []float32) {
			out := tr.Actor.Forward(one, obs, 1)
			for j := range a {
				v := math.Tanh(float64(out[j])) + cfg.NoiseStd*tr.Rng.NormFloat64()
				a[j] = float32(min(max(v, -1), 1))
			}
		},
		GradientStep: tr.gradientStep, Config: tr.cfg,
		Save: func(_ context.Context, c *ckpt.Checkpoint) error {
			ac.PutNets(c, "actor_target", tr.actorT)
			return nil
		},
		Restore: func(_ context.Context, c *ckpt.Checkpoint) error {
			return ac.GetNets(c, "actor_target", tr.actorT)
		},
	})
}

// gradientStep is one TD3 update in SB3's order: the critics on smoothed
// target actions, then every policy_delay steps the actor (maximising the
// first critic) and the Polyak step of all targets.
func (tr *trainer) gradientStep(ctx context.Context) error {
	cfg := tr.cfg
	n, d, od := cfg.BatchSize, tr.ActDim, tr.ObsDim
	inv := 1 / float64(n)
	t0 := time.Now()
	b := tr.Sample()
	tr.GradSteps++

	out := tr.actorT.Forward(tr.wsA, b.Next, n)
	for i, v := range out {
		noise := min(max(cfg.TargetPolicyNoise*tr.Rng.NormFloat64(), -cfg.TargetNoiseClip), cfg.TargetNoiseClip)
		tr.aNext[i] = float32(min(max(math.Tanh(float64(v))+noise, -1), 1))
	}
	ac.Concat(tr.qIn, b.Next, od, tr.aNext, d, n)
	copy(tr.tq1, tr.T1.Forward(tr.wsT, tr.qIn, n))
	tq2 := tr.T2.Forward(tr.wsT, tr.qIn, n)
	gamma := float32(cfg.Gamma)
	for r := 0; r < n; r++ {
		tr.y[r] = b.Rew[r]
		if !b.Term[r] {
			tr.y[r] += gamma * min(tr.tq1[r], tq2[r])
		}
	}
	// Critic loss sum_i mean (Q_i(s, a) - y)^2.
	ac.Concat(tr.qIn, b.Obs, od, b.Act, d, n)
	q1 := tr.Q1.Forward(tr.wsQ1, tr.qIn, n)
	q2 := tr.Q2.Forward(tr.wsQ2, tr.qIn, n)
	var closs, meanQ float64
	for r := 0; r < n; r++ {
		e1, e2 := float64(q1[r]-tr.y[r]), float64(q2[r]-tr.y[r])
		closs += (e1*e1 + e2*e2) * inv
		meanQ += float64(q1[r]) * inv
		tr.dq1[r], tr.dq2[r] = float32(2*e1*inv), float32(2*e2*inv)
	}
	tr.Clock.Forward += time.Since(t0)
	tr.critBatches[0] = backend.GradBatch{X: tr.qIn, DOut: tr.dq1, N: n, WS: tr.wsQ1}
	tr.critBatches[1] = backend.GradBatch{X: tr.qIn, DOut: tr.dq2, N: n, WS: tr.wsQ2}
	if _, err := tr.Critics.Step(ctx, tr.critBatches, backend.StepOptions{}, tr.syncCritics); err != nil {
		return err
	}
	last := tr.Res.Last
	last[metric.CriticLoss], last[metric.MeanQ], last[metric.Loss] = closs, meanQ, closs
	if tr.GradSteps%cfg.PolicyDelay != 0 {
		return nil
	}
	t0 = time.Now()
	last[metric.ActorLoss] = tr.actorGrad(b.Obs, n)
	tr.Clock.Forward += time.Since(t0)
	tr.actBatches[0] = backend.GradBatch{X: b.Obs, DOut: tr.dActor, N: n, WS: tr.wsA}
	if _, err := tr.Pi.Step(ctx, tr.actBatches, backend.StepOptions{}, tr.syncActorNs); err != nil {
		return err
	}
	tau := float32(cfg.Tau)
	tr.T1.SoftUpdate(tr.Q1, tau)
	tr.T2.SoftUpdate(tr.Q2, tau)
	tr.actorT.SoftUpdate(tr.Actor, tau)
	return nil
}

// actorGrad computes the actor loss -mean Q_1(s, tanh(actor(s))) and writes
// its gradient with respect to the actor's outputs into tr.dActor.
func (tr *trainer) actorGrad(obs []float32, n int) float64 {
	d, od := tr.ActDim, tr.ObsDim
	inv := 1 / float64(n)
	out := tr.Actor.Forward(tr.wsA, obs, n)
	for i, v := range out {
		tr.aPi[i] = float32(math.Tanh(float64(v)))
	}
	ac.Concat(tr.qIn, obs, od, tr.aPi, d, n)
	q := tr.Q1.Forward(tr.wsQ1, tr.qIn, n)
	g := tr.Q1.OutputGrad(tr.wsQ1, n)
	var loss float64
	for r := 0; r < n; r++ {
		loss -= float64(q[r]) * inv
		g[r] = float32(-inv)
	}
	tr.Q1.Backward(tr.wsQ1, n)
	tr.Q1.InputGrad(tr.wsQ1, n, tr.dIn)
	for r := 0; r < n; r++ {
		for j := 0; j < d; j++ {
			a := tr.aPi[r*d+j]
			tr.dActor[r*d+j] = tr.dIn[r*(od+d)+od+j] * (1 - a*a)
		}
	}
	return loss
}
