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
	"math/rand/v2"
	"time"

	"github.com/xlrl/xlrl/internal/agent/ac"
	"github.com/xlrl/xlrl/internal/agent/trainloop"
	"github.com/xlrl/xlrl/internal/backend"
	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/metric"
	"github.com/xlrl/xlrl/internal/nn"
)

// Config is TD3's hyperparameters; the JSON names are Stable-Baselines3's.
type Config struct {
	Steps          int     `yaml:"steps" json:"steps"`
	Hidden         []int   `yaml:"hidden" json:"hidden"`
	Activation     string  `yaml:"activation" json:"activation"`
	LR             float64 `yaml:"learning_rate" json:"learning_rate"`
	BufferSize     int     `yaml:"buffer_size" json:"buffer_size"`
	LearningStarts int     `yaml:"learning_starts" json:"learning_starts"`
	BatchSize      int     `yaml:"batch_size" json:"batch_size"`
	Tau            float64 `yaml:"tau" json:"tau"`
	Gamma          float64 `yaml:"gamma" json:"gamma"`
	TrainFreq      int     `yaml:"train_freq" json:"train_freq"`
	GradientSteps  int     `yaml:"gradient_steps" json:"gradient_steps"`
	PolicyDelay    int     `yaml:"policy_delay" json:"policy_delay"`
	// TargetPolicyNoise and TargetNoiseClip smooth the target policy:
	// a' = clip(actor'(s') + clip(N(0, noise), -clip, clip), -1, 1).
	TargetPolicyNoise float64 `yaml:"target_policy_noise" json:"target_policy_noise"`
	TargetNoiseClip   float64 `yaml:"target_noise_clip" json:"target_noise_clip"`
	// NoiseStd is the exploration noise's standard deviation, in the
	// [-1, 1] action scale (rl-zoo's noise_type normal, noise_std).
	NoiseStd     float64  `yaml:"noise_std" json:"noise_std"`
	EvalEvery    int      `yaml:"eval_every" json:"eval_every"`
	EvalEpisodes int      `yaml:"eval_episodes" json:"eval_episodes"`
	StopAt       *float64 `yaml:"stop_at" json:"stop_at"`
}

// Default is Stable-Baselines3's TD3 defaults ([400, 300] relu networks)
// with rl-zoo's usual exploration noise (normal, 0.1).
func Default() Config {
	return Config{
		Steps: 1_000_000, Hidden: []int{400, 300}, Activation: "relu", LR: 1e-3, BufferSize: 1_000_000,
		LearningStarts: 100, BatchSize: 256, Tau: 0.005, Gamma: 0.99, TrainFreq: 1, GradientSteps: 1,
		PolicyDelay: 2, TargetPolicyNoise: 0.2, TargetNoiseClip: 0.5, NoiseStd: 0.1, EvalEvery: 5000, EvalEpisodes: 10,
	}
}

// Validate checks the hyperparameters.
func (c *Config) Validate() error {
	switch {
	case c.Steps <= 0:
		return fmt.Errorf("td3: steps must be positive, got %d", c.Steps)
	case c.LR <= 0:
		return fmt.Errorf("td3: learning_rate must be positive, got %v", c.LR)
	case c.BufferSize <= 0 || c.BatchSize <= 0:
		return fmt.Errorf("td3: buffer_size and batch_size must be positive, got %d and %d", c.BufferSize, c.BatchSize)
	case c.TrainFreq <= 0 || c.GradientSteps <= 0 || c.PolicyDelay <= 0:
		return fmt.Errorf("td3: train_freq, gradient_steps and policy_delay must be positive")
	case c.Tau <= 0 || c.Tau > 1:
		return fmt.Errorf("td3: tau %v is outside (0, 1]", c.Tau)
	case c.Gamma < 0 || c.Gamma > 1:
		return fmt.Errorf("td3: gamma %v is outside [0, 1]", c.Gamma)
	case c.TargetPolicyNoise < 0 || c.TargetNoiseClip < 0 || c.NoiseStd < 0:
		return fmt.Errorf("td3: noise scales must not be negative")
	case c.EvalEvery > 0 && c.EvalEpisodes <= 0:
		return fmt.Errorf("td3: eval_episodes must be positive when eval_every is set")
	}
	_, err := nn.ParseActivation(c.Activation)
	return err
}

// Policy acts with a trained TD3 actor: tanh of its output, rescaled to
// the bounds.
type Policy struct {
	Net       *nn.MLP
	Low, High []float64
	ws        *nn.Workspace
	x         []float32
	act       []float64
}

// Act is the deterministic action for obs.
func (p *Policy) Act(obs []float64) env.Action {
	if p.ws == nil {
		p.ws, p.x = p.Net.NewWorkspace(1), make([]float32, p.Net.In())
	}
	ac.ToFloat32(p.x, obs)
	out := p.Net.Forward(p.ws, p.x, 1)
	p.act = p.act[:0]
	for j := range p.Low {
		p.act = append(p.act, ac.Rescale(math.Tanh(float64(out[j])), p.Low[j], p.High[j]))
	}
	return env.Action{Continuous: p.act}
}

// Result is what training produced.
type Result struct {
	Policy    *Policy
	Q1, Q2    *nn.MLP
	Steps     int
	Episodes  int
	GradSteps int
	TrainMean float64
	Best      float64
	BestStep  int
	StoppedAt int
	Breakdown trainloop.Breakdown
	Last      map[string]float64
}

type trainer struct {
	cfg            Config
	rng            *rand.Rand
	actor, actorT  *nn.MLP
	q1, q2, t1, t2 *nn.MLP
	critics, pi    backend.Group
	obsDim, actDim int
	low, high      []float64
	buf            *ac.Replay
	clock          *trainloop.Clock
	best           *trainloop.Best
	evalEnv        env.Env
	policy         *Policy
	res            *Result
	eps            trainloop.Episodes
	lastEval       int
	gradSteps      int

	batch                    *ac.Batch
	wsA, wsQ1, wsQ2, wsT     *nn.Workspace
	aNext, aPi, qIn, y       []float32
	dq1, dq2, dIn, dActor    []float32
	tq1                      []float32
	critBatches, actBatches  []backend.GradBatch
	syncCritics, syncActorNs []*nn.MLP
}

// Train runs TD3 on environments from mk (Box actions), taking gradient
// steps on be (go or tf).
func Train(ctx context.Context, cfg Config, mk trainloop.EnvFactory, be backend.Backend, seed uint64, h *trainloop.Hooks) (*Result, error) {
	tr, e, err := newTrainer(ctx, cfg, mk, be, seed)
	if err != nil {
		return nil, err
	}
	if err := tr.run(ctx, e, h); err != nil {
		return nil, err
	}
	return tr.finish(ctx)
}

func newTrainer(ctx context.Context, cfg Config, mk trainloop.EnvFactory, be backend.Backend, seed uint64) (*trainer, env.Env, error) {
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	gb, err := backend.Groups(be)
	if err != nil {
		return nil, nil, err
	}
	mk = mk.Vectors()
	e, err := mk()
	if err != nil {
		return nil, nil, err
	}
	spec := e.Spec()
	if spec.Action.Kind != env.Box {
		return nil, nil, fmt.Errorf("td3 needs a Box action space, but %s has %s actions; use ppo or dqn for discrete actions, or a continuous environment (e.g. Pendulum-v1)", spec.ID, spec.Action)
	}
	tr := &trainer{cfg: cfg, rng: rand.New(rand.NewPCG(seed, trainloop.Mix(seed, trainloop.StreamAgent))),
		clock: trainloop.NewClock(be), best: trainloop.NewBest(), lastEval: -1,
		obsDim: spec.Observation.Dim(), actDim: len(spec.Action.Low), low: spec.Action.Low, high: spec.Action.High}
	act, _ := nn.ParseActivation(cfg.Activation)
	if tr.actor, err = nn.New(nn.Spec{In: tr.obsDim, Hidden: cfg.Hidden, Act: act, Out: tr.actDim}, tr.rng); err != nil {
		return nil, nil, err
	}
	qSpec := nn.Spec{In: tr.obsDim + tr.actDim, Hidden: cfg.Hidden, Act: act, Out: 1}
	if tr.q1, err = nn.New(qSpec, tr.rng); err != nil {
		return nil, nil, err
	}
	if tr.q2, err = nn.New(qSpec, tr.rng); err != nil {
		return nil, nil, err
	}
	tr.actorT, tr.t1, tr.t2 = tr.actor.Clone(), tr.q1.Clone(), tr.q2.Clone()
	if tr.critics, err = gb.NewGroup(ctx, backend.GroupConfig{LR: cfg.LR}, []*nn.MLP{tr.q1, tr.q2}); err != nil {
		return nil, nil, fmt.Errorf("td3: creating the critics on the %s backend: %w", be.Name(), err)
	}
	if tr.pi, err = gb.NewGroup(ctx, backend.GroupConfig{LR: cfg.LR}, []*nn.MLP{tr.actor}); err != nil {
		return nil, nil, fmt.Errorf("td3: creating the actor on the %s backend: %w", be.Name(), err)
	}
	if tr.buf, err = ac.NewReplay(min(cfg.BufferSize, cfg.Steps), tr.obsDim, tr.actDim); err != nil {
		return nil, nil, err
	}
	tr.policy = &Policy{Net: tr.actor, Low: tr.low, High: tr.high}
	if cfg.EvalEvery > 0 {
		if tr.evalEnv, err = mk(); err != nil {
			return nil, nil, err
		}
		tr.evalEnv.Seed(trainloop.Mix(seed, trainloop.StreamPeriodicEval))
	}
	tr.res = &Result{Policy: tr.policy, Q1: tr.q1, Q2: tr.q2, Last: map[string]float64{}}
	n, d, od := cfg.BatchSize, tr.actDim, tr.obsDim
	tr.batch = tr.buf.NewBatch(n)
	tr.wsA, tr.wsQ1, tr.wsQ2, tr.wsT = tr.actor.NewWorkspace(n), tr.q1.NewWorkspace(n), tr.q2.NewWorkspace(n), tr.t1.NewWorkspace(n)
	f := func(k int) []float32 { return make([]float32, k) }
	tr.aNext, tr.aPi, tr.qIn, tr.y = f(n*d), f(n*d), f(n*(od+d)), f(n)
	tr.dq1, tr.dq2, tr.dIn, tr.dActor, tr.tq1 = f(n), f(n), f(n*(od+d)), f(n*d), f(n)
	tr.critBatches, tr.actBatches = make([]backend.GradBatch, 2), make([]backend.GradBatch, 1)
	tr.syncCritics, tr.syncActorNs = []*nn.MLP{tr.q1, tr.q2}, []*nn.MLP{tr.actor}
	e.Seed(trainloop.Mix(seed, trainloop.StreamTrainEnv))
	tr.clock.Setup = time.Since(tr.clock.Start())
	return tr, e, nil
}

// run steps e with the shared off-policy loop, acting with the actor plus
// clipped Gaussian exploration noise after learning_starts.
func (tr *trainer) run(ctx context.Context, e env.Env, h *trainloop.Hooks) error {
	cfg := tr.cfg
	loop := &ac.OffPolicy{Name: "td3", Steps: cfg.Steps, LearningStarts: cfg.LearningStarts, TrainFreq: cfg.TrainFreq,
		GradientSteps: cfg.GradientSteps, EvalEvery: cfg.EvalEvery, StopAt: cfg.StopAt, Rng: tr.rng,
		Low: tr.low, High: tr.high, Buf: tr.buf, Clock: tr.clock, Episodes: &tr.eps, Last: tr.res.Last,
		GradSteps: &tr.gradSteps, GradientStep: tr.gradientStep, Evaluate: tr.evaluate}
	one := tr.actor.NewWorkspace(1)
	loop.Act = func(obs, a []float32) {
		out := tr.actor.Forward(one, obs, 1)
		for j := range a {
			v := math.Tanh(float64(out[j])) + cfg.NoiseStd*tr.rng.NormFloat64()
			a[j] = float32(min(max(v, -1), 1))
		}
	}
	steps, stopped, err := loop.Run(ctx, e, h)
	tr.res.Steps, tr.res.StoppedAt = steps, stopped
	return err
}

// gradientStep is one TD3 update in SB3's order: the critics on smoothed
// target actions, then every policy_delay steps the actor (maximising the
// first critic) and the Polyak step of all targets.
func (tr *trainer) gradientStep(ctx context.Context) error {
	cfg := tr.cfg
	n, d, od := cfg.BatchSize, tr.actDim, tr.obsDim
	inv := 1 / float64(n)
	t0 := time.Now()
	b := tr.batch
	tr.buf.Sample(tr.rng, b)
	tr.gradSteps++

	out := tr.actorT.Forward(tr.wsA, b.Next, n)
	for i, v := range out {
		noise := min(max(cfg.TargetPolicyNoise*tr.rng.NormFloat64(), -cfg.TargetNoiseClip), cfg.TargetNoiseClip)
		tr.aNext[i] = float32(min(max(math.Tanh(float64(v))+noise, -1), 1))
	}
	ac.Concat(tr.qIn, b.Next, od, tr.aNext, d, n)
	copy(tr.tq1, tr.t1.Forward(tr.wsT, tr.qIn, n))
	tq2 := tr.t2.Forward(tr.wsT, tr.qIn, n)
	gamma := float32(cfg.Gamma)
	for r := 0; r < n; r++ {
		tr.y[r] = b.Rew[r]
		if !b.Term[r] {
			tr.y[r] += gamma * min(tr.tq1[r], tq2[r])
		}
	}
	// Critic loss sum_i mean (Q_i(s, a) - y)^2.
	ac.Concat(tr.qIn, b.Obs, od, b.Act, d, n)
	q1 := tr.q1.Forward(tr.wsQ1, tr.qIn, n)
	q2 := tr.q2.Forward(tr.wsQ2, tr.qIn, n)
	var closs, meanQ float64
	for r := 0; r < n; r++ {
		e1, e2 := float64(q1[r]-tr.y[r]), float64(q2[r]-tr.y[r])
		closs += (e1*e1 + e2*e2) * inv
		meanQ += float64(q1[r]) * inv
		tr.dq1[r], tr.dq2[r] = float32(2*e1*inv), float32(2*e2*inv)
	}
	tr.clock.Forward += time.Since(t0)
	tr.critBatches[0] = backend.GradBatch{X: tr.qIn, DOut: tr.dq1, N: n}
	tr.critBatches[1] = backend.GradBatch{X: tr.qIn, DOut: tr.dq2, N: n}
	if _, err := tr.critics.Step(ctx, tr.critBatches, backend.StepOptions{}, tr.syncCritics); err != nil {
		return err
	}
	last := tr.res.Last
	last[metric.CriticLoss], last[metric.MeanQ], last[metric.Loss] = closs, meanQ, closs
	if tr.gradSteps%cfg.PolicyDelay != 0 {
		return nil
	}
	t0 = time.Now()
	last[metric.ActorLoss] = tr.actorGrad(b.Obs, n)
	tr.clock.Forward += time.Since(t0)
	tr.actBatches[0] = backend.GradBatch{X: b.Obs, DOut: tr.dActor, N: n}
	if _, err := tr.pi.Step(ctx, tr.actBatches, backend.StepOptions{}, tr.syncActorNs); err != nil {
		return err
	}
	tau := float32(cfg.Tau)
	tr.t1.SoftUpdate(tr.q1, tau)
	tr.t2.SoftUpdate(tr.q2, tau)
	tr.actorT.SoftUpdate(tr.actor, tau)
	return nil
}

// actorGrad computes the actor loss -mean Q_1(s, tanh(actor(s))) and writes
// its gradient with respect to the actor's outputs into tr.dActor.
func (tr *trainer) actorGrad(obs []float32, n int) float64 {
	d, od := tr.actDim, tr.obsDim
	inv := 1 / float64(n)
	out := tr.actor.Forward(tr.wsA, obs, n)
	for i, v := range out {
		tr.aPi[i] = float32(math.Tanh(float64(v)))
	}
	ac.Concat(tr.qIn, obs, od, tr.aPi, d, n)
	q := tr.q1.Forward(tr.wsQ1, tr.qIn, n)
	g := tr.q1.OutputGrad(tr.wsQ1, n)
	var loss float64
	for r := 0; r < n; r++ {
		loss -= float64(q[r]) * inv
		g[r] = float32(-inv)
	}
	tr.q1.Backward(tr.wsQ1, n)
	tr.q1.InputGrad(tr.wsQ1, n, tr.dIn)
	for r := 0; r < n; r++ {
		for j := 0; j < d; j++ {
			a := tr.aPi[r*d+j]
			tr.dActor[r*d+j] = tr.dIn[r*(od+d)+od+j] * (1 - a*a)
		}
	}
	return loss
}

func (tr *trainer) evaluate(ctx context.Context, step int) (float64, error) {
	t0 := time.Now()
	ev, err := ac.Evaluate(ctx, tr.evalEnv, tr.cfg.EvalEpisodes, tr.policy.Act)
	tr.clock.Eval += time.Since(t0)
	if err != nil {
		return 0, err
	}
	tr.best.Offer(ev.Mean, step, tr.actor)
	tr.lastEval = step
	return ev.Mean, nil
}

func (tr *trainer) finish(ctx context.Context) (*Result, error) {
	if tr.cfg.EvalEvery > 0 {
		if tr.lastEval != tr.res.Steps {
			if _, err := tr.evaluate(ctx, tr.res.Steps); err != nil {
				return nil, err
			}
		}
		tr.best.Restore(tr.actor)
	}
	tr.res.Episodes = tr.eps.Count
	tr.res.GradSteps = tr.gradSteps
	tr.res.TrainMean = tr.eps.RecentMean()
	tr.res.Best, tr.res.BestStep = tr.best.Score, tr.best.Step
	tr.res.Breakdown = tr.clock.Breakdown()
	return tr.res, nil
}
