// Package sac is Soft Actor-Critic (Haarnoja et al. 2018) as
// Stable-Baselines3 implements it, for Box actions: twin Q networks and
// their Polyak-averaged targets, a tanh-squashed diagonal Gaussian policy
// whose log-probability carries the change-of-variables correction
// log(1 - tanh(u)^2 + 1e-6), and an entropy temperature tuned
// automatically toward a target entropy (-dim(A) by default). The policy
// acts in [-1, 1]; actions are rescaled to the space's bounds when stepped,
// and the replay buffer stores the [-1, 1] action.
//
// Go computes every loss and its output gradients; the actor's gradient
// reaches it through the critics' action input (nn.InputGrad). The
// backend's Groups (internal/backend) backpropagate and step Adam: one
// group for both critics (one optimiser, as SB3), one for the actor. The
// temperature is one parameter, trained in Go with the same Adam.
//
// Truncation (a time limit) bootstraps and termination does not.
package sac

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

// SB3's bounds on the actor's log standard deviation.
const (
	logStdMin = -20
	logStdMax = 2
)

// Config is SAC's hyperparameters; the JSON names are Stable-Baselines3's.
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
	// EntCoef is the temperature alpha's initial value; AutoEntCoef tunes
	// it (SB3's ent_coef "auto_<init>"), else it stays fixed.
	EntCoef     float64 `yaml:"ent_coef" json:"ent_coef"`
	AutoEntCoef bool    `yaml:"auto_ent_coef" json:"auto_ent_coef"`
	// TargetEntropy is the entropy the temperature steers toward; 0 means
	// -dim(A).
	TargetEntropy        float64  `yaml:"target_entropy" json:"target_entropy"`
	TargetUpdateInterval int      `yaml:"target_update_interval" json:"target_update_interval"`
	EvalEvery            int      `yaml:"eval_every" json:"eval_every"`
	EvalEpisodes         int      `yaml:"eval_episodes" json:"eval_episodes"`
	StopAt               *float64 `yaml:"stop_at" json:"stop_at"`
}

// Default is Stable-Baselines3's SAC defaults ([256, 256] relu networks).
func Default() Config {
	return Config{
		Steps: 1_000_000, Hidden: []int{256, 256}, Activation: "relu", LR: 3e-4, BufferSize: 1_000_000,
		LearningStarts: 100, BatchSize: 256, Tau: 0.005, Gamma: 0.99, TrainFreq: 1, GradientSteps: 1,
		EntCoef: 1, AutoEntCoef: true, TargetUpdateInterval: 1, EvalEvery: 5000, EvalEpisodes: 10,
	}
}

// Validate checks the hyperparameters.
func (c *Config) Validate() error {
	switch {
	case c.Steps <= 0:
		return fmt.Errorf("sac: steps must be positive, got %d", c.Steps)
	case c.LR <= 0:
		return fmt.Errorf("sac: learning_rate must be positive, got %v", c.LR)
	case c.BufferSize <= 0 || c.BatchSize <= 0:
		return fmt.Errorf("sac: buffer_size and batch_size must be positive, got %d and %d", c.BufferSize, c.BatchSize)
	case c.TrainFreq <= 0 || c.GradientSteps <= 0 || c.TargetUpdateInterval <= 0:
		return fmt.Errorf("sac: train_freq, gradient_steps and target_update_interval must be positive")
	case c.Tau <= 0 || c.Tau > 1:
		return fmt.Errorf("sac: tau %v is outside (0, 1]", c.Tau)
	case c.Gamma < 0 || c.Gamma > 1:
		return fmt.Errorf("sac: gamma %v is outside [0, 1]", c.Gamma)
	case c.EntCoef <= 0:
		return fmt.Errorf("sac: ent_coef must be positive, got %v", c.EntCoef)
	case c.EvalEvery > 0 && c.EvalEpisodes <= 0:
		return fmt.Errorf("sac: eval_episodes must be positive when eval_every is set")
	}
	_, err := nn.ParseActivation(c.Activation)
	return err
}

// Policy acts with a trained SAC actor: tanh of the Gaussian's mean,
// rescaled to the bounds.
type Policy struct {
	Net       *nn.MLP // outputs mean then log std, dim(A) each
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
	Last      map[string]float64 // metrics of the last gradient step
}

type trainer struct {
	cfg            Config
	rng            *rand.Rand
	actor          *nn.MLP
	q1, q2         *nn.MLP // Go copies, synced after each critic step
	t1, t2         *nn.MLP // targets
	critics, pi    backend.Group
	logAlpha       []float32
	alphaAdam      *nn.Adam
	targetEntropy  float64
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
	w              work
}

// work is the buffers of one gradient step.
type work struct {
	batch                  *ac.Batch
	wsA, wsQ1, wsQ2, wsT   *nn.Workspace
	noise, aPi, logp, u    []float32
	aNext, logpNext        []float32
	noiseNext, uNext, dA   []float32
	actorOut               []float32
	qIn, y, dq1, dq2, dIn  []float32
	dActor, tq1            []float32
	batches1, batches2     []backend.GradBatch
	syncCritics, syncActor []*nn.MLP
}

// Train runs SAC on environments from mk (Box actions), taking gradient
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
		return nil, nil, fmt.Errorf("sac needs a Box action space, but %s has %s actions; use ppo or dqn for discrete actions, or a continuous environment (e.g. Pendulum-v1)", spec.ID, spec.Action)
	}
	tr := &trainer{cfg: cfg, rng: rand.New(rand.NewPCG(seed, trainloop.Mix(seed, trainloop.StreamAgent))),
		clock: trainloop.NewClock(be), best: trainloop.NewBest(), lastEval: -1,
		obsDim: spec.Observation.Dim(), actDim: len(spec.Action.Low), low: spec.Action.Low, high: spec.Action.High}
	tr.targetEntropy = cfg.TargetEntropy
	if tr.targetEntropy == 0 {
		tr.targetEntropy = -float64(tr.actDim)
	}
	act, _ := nn.ParseActivation(cfg.Activation)
	if tr.actor, err = nn.New(nn.Spec{In: tr.obsDim, Hidden: cfg.Hidden, Act: act, Out: 2 * tr.actDim}, tr.rng); err != nil {
		return nil, nil, err
	}
	qSpec := nn.Spec{In: tr.obsDim + tr.actDim, Hidden: cfg.Hidden, Act: act, Out: 1}
	if tr.q1, err = nn.New(qSpec, tr.rng); err != nil {
		return nil, nil, err
	}
	if tr.q2, err = nn.New(qSpec, tr.rng); err != nil {
		return nil, nil, err
	}
	tr.t1, tr.t2 = tr.q1.Clone(), tr.q2.Clone()
	if tr.critics, err = gb.NewGroup(ctx, backend.GroupConfig{LR: cfg.LR}, []*nn.MLP{tr.q1, tr.q2}); err != nil {
		return nil, nil, fmt.Errorf("sac: creating the critics on the %s backend: %w", be.Name(), err)
	}
	if tr.pi, err = gb.NewGroup(ctx, backend.GroupConfig{LR: cfg.LR}, []*nn.MLP{tr.actor}); err != nil {
		return nil, nil, fmt.Errorf("sac: creating the actor on the %s backend: %w", be.Name(), err)
	}
	tr.logAlpha = []float32{float32(math.Log(cfg.EntCoef))}
	tr.alphaAdam = nn.NewAdam(cfg.LR, 1)
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
	tr.allocWork()
	e.Seed(trainloop.Mix(seed, trainloop.StreamTrainEnv))
	tr.clock.Setup = time.Since(tr.clock.Start())
	return tr, e, nil
}

func (tr *trainer) allocWork() {
	n, d, od := tr.cfg.BatchSize, tr.actDim, tr.obsDim
	w := &tr.w
	w.batch = tr.buf.NewBatch(n)
	w.wsA = tr.actor.NewWorkspace(n)
	w.wsQ1, w.wsQ2, w.wsT = tr.q1.NewWorkspace(n), tr.q2.NewWorkspace(n), tr.t1.NewWorkspace(n)
	f := func(k int) []float32 { return make([]float32, k) }
	w.noise, w.aPi, w.u, w.logp = f(n*d), f(n*d), f(n*d), f(n)
	w.aNext, w.logpNext = f(n*d), f(n)
	w.noiseNext, w.uNext, w.dA, w.actorOut = f(n*d), f(n*d), f(n*d), f(n*2*d)
	w.qIn, w.y, w.dq1, w.dq2, w.dIn = f(n*(od+d)), f(n), f(n), f(n), f(n*(od+d))
	w.dActor, w.tq1 = f(n*2*d), f(n)
	w.batches1, w.batches2 = make([]backend.GradBatch, 2), make([]backend.GradBatch, 1)
	w.syncCritics, w.syncActor = []*nn.MLP{tr.q1, tr.q2}, []*nn.MLP{tr.actor}
}

// squashedLogProb is the log-density of a = tanh(u) for one dimension of
// u = mu + exp(ls) * z ~ N(mu, exp(ls)^2): the Gaussian's log-density minus
// log(1 - a^2 + 1e-6), the change of variables (SB3's epsilon).
func squashedLogProb(z, ls, a float64) float64 {
	return -0.5*z*z - ls - 0.5*ac.Log2Pi - math.Log(1-a*a+1e-6)
}

// sampleActions runs the actor on n rows of obs and writes the squashed
// reparameterised samples a = tanh(mu + sigma * noise) into a, their
// pre-tanh values into u and log-probabilities into logp; noise is drawn
// into noise. It returns the actor's outputs (valid until its next use of
// ws).
func (tr *trainer) sampleActions(ws *nn.Workspace, obs []float32, n int, noise, u, a, logp []float32) []float32 {
	d := tr.actDim
	out := tr.actor.Forward(ws, obs, n)
	for r := 0; r < n; r++ {
		var lp float64
		for j := 0; j < d; j++ {
			mu := float64(out[r*2*d+j])
			ls := min(max(float64(out[r*2*d+d+j]), logStdMin), logStdMax)
			z := tr.rng.NormFloat64()
			uj := mu + math.Exp(ls)*z
			aj := math.Tanh(uj)
			noise[r*d+j], u[r*d+j], a[r*d+j] = float32(z), float32(uj), float32(aj)
			lp += squashedLogProb(z, ls, aj)
		}
		logp[r] = float32(lp)
	}
	return out
}

// run steps e with the shared off-policy loop, acting with reparameterised
// samples of the actor after learning_starts.
func (tr *trainer) run(ctx context.Context, e env.Env, h *trainloop.Hooks) error {
	cfg := tr.cfg
	loop := &ac.OffPolicy{Name: "sac", Steps: cfg.Steps, LearningStarts: cfg.LearningStarts, TrainFreq: cfg.TrainFreq,
		GradientSteps: cfg.GradientSteps, EvalEvery: cfg.EvalEvery, StopAt: cfg.StopAt, Rng: tr.rng,
		Low: tr.low, High: tr.high, Buf: tr.buf, Clock: tr.clock, Episodes: &tr.eps, Last: tr.res.Last,
		GradSteps: &tr.gradSteps, GradientStep: tr.gradientStep, Evaluate: tr.evaluate}
	d := tr.actDim
	one := tr.actor.NewWorkspace(1)
	u1, n1, lp1 := make([]float32, d), make([]float32, d), make([]float32, 1)
	loop.Act = func(obs, a []float32) { tr.sampleActions(one, obs, 1, n1, u1, a, lp1) }
	steps, stopped, err := loop.Run(ctx, e, h)
	tr.res.Steps, tr.res.StoppedAt = steps, stopped
	return err
}

// actorGrad computes the actor loss mean(alpha logp - min_i Q_i(s, a_pi))
// through the current critics for the reparameterised samples in tr.w
// (noise, aPi, logp, actorOut from sampleActions on obs) and writes its
// gradient with respect to the actor's outputs into tr.w.dActor.
func (tr *trainer) actorGrad(obs []float32, n int, alpha float64) float64 {
	w := &tr.w
	d, od := tr.actDim, tr.obsDim
	inv := 1 / float64(n)
	ac.Concat(w.qIn, obs, od, w.aPi, d, n)
	q1 := tr.q1.Forward(w.wsQ1, w.qIn, n)
	q2 := tr.q2.Forward(w.wsQ2, w.qIn, n)
	g1, g2 := tr.q1.OutputGrad(w.wsQ1, n), tr.q2.OutputGrad(w.wsQ2, n)
	var loss float64
	for r := 0; r < n; r++ {
		qmin := min(q1[r], q2[r])
		loss += (alpha*float64(w.logp[r]) - float64(qmin)) * inv
		g1[r], g2[r] = 0, 0
		if q1[r] <= q2[r] {
			g1[r] = float32(-inv)
		} else {
			g2[r] = float32(-inv)
		}
	}
	// dLoss/da: each row's gradient comes from the smaller critic.
	tr.q1.Backward(w.wsQ1, n)
	tr.q1.InputGrad(w.wsQ1, n, w.dIn)
	for r := 0; r < n; r++ {
		copy(w.dA[r*d:(r+1)*d], w.dIn[r*(od+d)+od:(r+1)*(od+d)])
	}
	tr.q2.Backward(w.wsQ2, n)
	tr.q2.InputGrad(w.wsQ2, n, w.dIn)
	for r := 0; r < n; r++ {
		for j := 0; j < d; j++ {
			w.dA[r*d+j] += w.dIn[r*(od+d)+od+j]
		}
	}
	// Through a = tanh(u), u = mu + exp(logstd) * noise, and the
	// log-probability's -logstd - log(1 - a^2 + 1e-6) terms (its Gaussian
	// term -noise^2/2 does not depend on the weights).
	for r := 0; r < n; r++ {
		for j := 0; j < d; j++ {
			aj := float64(w.aPi[r*d+j])
			rawLS := float64(w.actorOut[r*2*d+d+j])
			ls := min(max(rawLS, logStdMin), logStdMax)
			du := float64(w.dA[r*d+j])*(1-aj*aj) + alpha*inv*2*aj*(1-aj*aj)/(1-aj*aj+1e-6)
			w.dActor[r*2*d+j] = float32(du)
			dls := du*math.Exp(ls)*float64(w.noise[r*d+j]) - alpha*inv
			if rawLS < logStdMin || rawLS > logStdMax {
				dls = 0
			}
			w.dActor[r*2*d+d+j] = float32(dls)
		}
	}
	return loss
}

// gradientStep is one SAC update in SB3's order: temperature, critics
// (targets from the current actor on the next states), actor (through the
// updated critics), then the targets' Polyak step.
func (tr *trainer) gradientStep(ctx context.Context) error {
	cfg := tr.cfg
	w := &tr.w
	n, d, od := cfg.BatchSize, tr.actDim, tr.obsDim
	inv := 1 / float64(n)
	t0 := time.Now()
	b := w.batch
	tr.buf.Sample(tr.rng, b)

	// The actor's reparameterised actions on the batch's states.
	out := tr.sampleActions(w.wsA, b.Obs, n, w.noise, w.u, w.aPi, w.logp)
	alpha := math.Exp(float64(tr.logAlpha[0]))
	var meanLogp float64
	for _, lp := range w.logp {
		meanLogp += float64(lp) * inv
	}
	if cfg.AutoEntCoef {
		// loss = -mean(log_alpha * (logp + target_entropy)), logp held fixed
		g := []float32{float32(-(meanLogp + tr.targetEntropy))}
		tr.alphaAdam.Step(tr.logAlpha, g)
	}
	// Keep the actor's outputs: the next-state pass below reuses its workspace.
	copy(w.actorOut, out)

	// Bellman targets: y = r + gamma (1 - term) (min target Q(s', a') - alpha logp').
	tr.sampleActions(w.wsA, b.Next, n, w.noiseNext, w.uNext, w.aNext, w.logpNext)
	ac.Concat(w.qIn, b.Next, od, w.aNext, d, n)
	copy(w.tq1, tr.t1.Forward(w.wsT, w.qIn, n))
	tq2 := tr.t2.Forward(w.wsT, w.qIn, n)
	gamma := float32(cfg.Gamma)
	for r := 0; r < n; r++ {
		q := min(w.tq1[r], tq2[r]) - float32(alpha)*w.logpNext[r]
		w.y[r] = b.Rew[r]
		if !b.Term[r] {
			w.y[r] += gamma * q
		}
	}
	// Critic loss 0.5 * sum_i mean (Q_i(s, a) - y)^2.
	ac.Concat(w.qIn, b.Obs, od, b.Act, d, n)
	q1 := tr.q1.Forward(w.wsQ1, w.qIn, n)
	q2 := tr.q2.Forward(w.wsQ2, w.qIn, n)
	var closs, meanQ float64
	for r := 0; r < n; r++ {
		e1, e2 := float64(q1[r]-w.y[r]), float64(q2[r]-w.y[r])
		closs += 0.5 * (e1*e1 + e2*e2) * inv
		meanQ += float64(q1[r]) * inv
		w.dq1[r], w.dq2[r] = float32(e1*inv), float32(e2*inv)
	}
	tr.clock.Forward += time.Since(t0)
	w.batches1[0] = backend.GradBatch{X: w.qIn, DOut: w.dq1, N: n}
	w.batches1[1] = backend.GradBatch{X: w.qIn, DOut: w.dq2, N: n}
	if _, err := tr.critics.Step(ctx, w.batches1, backend.StepOptions{}, w.syncCritics); err != nil {
		return err
	}

	t0 = time.Now()
	aloss := tr.actorGrad(b.Obs, n, alpha)
	tr.clock.Forward += time.Since(t0)
	w.batches2[0] = backend.GradBatch{X: b.Obs, DOut: w.dActor, N: n}
	if _, err := tr.pi.Step(ctx, w.batches2, backend.StepOptions{}, w.syncActor); err != nil {
		return err
	}
	tr.gradSteps++
	if tr.gradSteps%cfg.TargetUpdateInterval == 0 {
		tr.t1.SoftUpdate(tr.q1, float32(cfg.Tau))
		tr.t2.SoftUpdate(tr.q2, float32(cfg.Tau))
	}
	last := tr.res.Last
	last[metric.CriticLoss], last[metric.ActorLoss], last[metric.MeanQ] = closs, aloss, meanQ
	last[metric.Temperature], last[metric.Loss] = alpha, closs
	last[metric.Entropy] = -meanLogp
	return nil
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
