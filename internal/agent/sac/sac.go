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
	"time"

	"github.com/xlrl/xlrl/internal/agent/ac"
	"github.com/xlrl/xlrl/internal/agent/trainloop"
	"github.com/xlrl/xlrl/internal/backend"
	"github.com/xlrl/xlrl/internal/ckpt"
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
	ac.OffConfig `yaml:",inline"`
	// EntCoef is the temperature alpha's initial value; AutoEntCoef tunes
	// it (SB3's ent_coef "auto_<init>"), else it stays fixed.
	EntCoef     float64 `yaml:"ent_coef" json:"ent_coef"`
	AutoEntCoef bool    `yaml:"auto_ent_coef" json:"auto_ent_coef"`
	// TargetEntropy is the entropy the temperature steers toward; 0 means
	// -dim(A).
	TargetEntropy        float64 `yaml:"target_entropy" json:"target_entropy"`
	TargetUpdateInterval int     `yaml:"target_update_interval" json:"target_update_interval"`
	// UseSDE explores with gSDE (sde.go) instead of independent Gaussian
	// noise: LogStdInit is its log standard deviation's initial value and
	// SDESampleFreq, when positive, resamples its noise every that many
	// steps within a rollout (else once per rollout of train_freq steps).
	UseSDE        bool    `yaml:"use_sde" json:"use_sde"`
	LogStdInit    float64 `yaml:"log_std_init" json:"log_std_init"`
	SDESampleFreq int     `yaml:"sde_sample_freq" json:"sde_sample_freq"`
}

// Default is Stable-Baselines3's SAC defaults ([256, 256] relu networks).
func Default() Config {
	return Config{
		OffConfig: ac.OffDefaults([]int{256, 256}, 3e-4),
		EntCoef:   1, AutoEntCoef: true, TargetUpdateInterval: 1,
		LogStdInit: -3, SDESampleFreq: -1,
	}
}

// Validate checks the hyperparameters.
func (c *Config) Validate() error {
	if err := c.OffConfig.Validate("sac"); err != nil {
		return err
	}
	switch {
	case c.TargetUpdateInterval <= 0:
		return fmt.Errorf("sac: target_update_interval must be positive, got %d", c.TargetUpdateInterval)
	case c.EntCoef <= 0:
		return fmt.Errorf("sac: ent_coef must be positive, got %v", c.EntCoef)
	case c.UseSDE && len(c.Hidden) == 0:
		return fmt.Errorf("sac: use_sde needs a hidden layer (its features are the actor's last one)")
	}
	return nil
}

// Policy acts with a trained SAC actor: tanh of the Gaussian's mean,
// rescaled to the bounds.
type Policy = ac.TanhPolicy

// Result is what training produced.
type Result = ac.OffResult

type trainer struct {
	*ac.OffAgent
	cfg           Config
	logAlpha      []float32
	alphaAdam     *nn.Adam
	targetEntropy float64
	w             work
	sde           *gsde // nil: independent Gaussian noise
}

// work is the buffers of one gradient step.
type work struct {
	wsA, wsNext            *nn.Workspace // the actor on the batch's states (kept for its step) and next states
	wsQ1, wsQ2, wsT, wsT2  *nn.Workspace
	noise, aPi, logp, u    []float32
	aNext, logpNext        []float32
	noiseNext, uNext, dA   []float32
	actorOut               []float32
	qIn, y, dq1, dq2       []float32
	dIn, dIn2              []float32
	dActor                 []float32
	rows1, rows2           []int32 // the rows whose smaller critic is Q1, Q2
	batches1, batches2     []backend.GradBatch
	syncCritics, syncActor []*nn.MLP
}

// Train runs SAC on environments from mk (Box actions), taking gradient
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
	actorOut := func(d int) int { return 2 * d } // mean and log std
	if cfg.UseSDE {
		actorOut = func(d int) int { return d } // the mean; log std is a matrix of its own
	}
	g, e, err := ac.NewOffAgent(ctx, "sac", cfg.OffConfig, actorOut, mk, be, seed)
	if err != nil {
		return nil, nil, err
	}
	tr := &trainer{OffAgent: g, cfg: cfg}
	if cfg.UseSDE {
		if tr.sde, err = newSDE(ctx, tr); err != nil {
			return nil, nil, err
		}
	}
	tr.targetEntropy = cfg.TargetEntropy
	if tr.targetEntropy == 0 {
		tr.targetEntropy = -float64(tr.ActDim)
	}
	tr.logAlpha = []float32{float32(math.Log(cfg.EntCoef))}
	tr.alphaAdam = nn.NewAdam(cfg.LR, 1)
	tr.allocWork()
	return tr, e, nil
}

func (tr *trainer) allocWork() {
	n, d, od := tr.cfg.BatchSize, tr.ActDim, tr.ObsDim
	w := &tr.w
	w.wsA, w.wsNext = tr.Actor.NewWorkspace(n), tr.Actor.NewWorkspace(n)
	w.wsQ1, w.wsQ2 = tr.Q1.NewWorkspace(n), tr.Q2.NewWorkspace(n)
	w.wsT, w.wsT2 = tr.T1.NewWorkspace(n), tr.T2.NewWorkspace(n)
	f := func(k int) []float32 { return make([]float32, k) }
	w.noise, w.aPi, w.u, w.logp = f(n*d), f(n*d), f(n*d), f(n)
	w.aNext, w.logpNext = f(n*d), f(n)
	w.noiseNext, w.uNext, w.dA, w.actorOut = f(n*d), f(n*d), f(n*d), f(n*2*d)
	w.qIn, w.y, w.dq1, w.dq2, w.dIn, w.dIn2 = f(n*(od+d)), f(n), f(n), f(n), f(n*(od+d)), f(n*(od+d))
	w.dActor = f(n * 2 * d)
	w.rows1, w.rows2 = make([]int32, 0, n), make([]int32, 0, n)
	w.batches1, w.batches2 = make([]backend.GradBatch, 2), make([]backend.GradBatch, 1)
	w.syncCritics, w.syncActor = []*nn.MLP{tr.Q1, tr.Q2}, []*nn.MLP{tr.Actor}
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
	d := tr.ActDim
	out := tr.Actor.Forward(ws, obs, n)
	for r := 0; r < n; r++ {
		var lp float64
		for j := 0; j < d; j++ {
			mu := float64(out[r*2*d+j])
			ls := min(max(float64(out[r*2*d+d+j]), logStdMin), logStdMax)
			z := tr.Rng.NormFloat64()
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
func (tr *trainer) run(ctx context.Context, e env.Env, h *trainloop.Hooks) (*Result, error) {
	d := tr.ActDim
	one := tr.Actor.NewWorkspace(1)
	u1, n1, lp1 := make([]float32, d), make([]float32, d), make([]float32, 1)
	hooks := ac.OffHooks{
		Act:          func(obs, a []float32) { tr.sampleActions(one, obs, 1, n1, u1, a, lp1) },
		GradientStep: tr.gradientStep, Config: tr.cfg,
		Save: func(_ context.Context, c *ckpt.Checkpoint) error {
			if tr.sde != nil {
				if err := tr.sde.save(c); err != nil {
					return err
				}
			}
			return ac.PutParam(c, "log_alpha", tr.logAlpha, tr.alphaAdam)
		},
		Restore: func(_ context.Context, c *ckpt.Checkpoint) error {
			if tr.sde != nil {
				if err := tr.sde.restore(c); err != nil {
					return err
				}
			}
			return ac.GetParam(c, "log_alpha", tr.logAlpha, tr.alphaAdam)
		},
	}
	if s := tr.sde; s != nil {
		hooks.Act = func(obs, a []float32) {
			s.forward(s.one, obs, 1)
			copy(a, s.one.a)
		}
		hooks.RolloutStep = func(collected int) { s.rolloutStep(tr, collected) }
	}
	return tr.Run(ctx, e, h, hooks)
}

// actorGrad computes the actor loss mean(alpha logp - min_i Q_i(s, a_pi))
// through the current critics for the reparameterised samples in tr.w
// (noise, aPi, logp, actorOut from sampleActions on obs) and writes its
// gradient with respect to the actor's outputs into tr.w.dActor.
func (tr *trainer) actorGrad(obs []float32, n int, alpha float64) float64 {
	w := &tr.w
	d := tr.ActDim
	inv := 1 / float64(n)
	loss := tr.criticActionGrad(obs, n, alpha)
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

// criticActionGrad is the actor loss mean(alpha logp - min_i Q_i(s, a))
// for the actions tr.w.aPi on obs with log-probabilities tr.w.logp, and
// writes its gradient with respect to those actions into tr.w.dA. Each
// row's gradient comes from the smaller critic alone (the first on a tie),
// so each critic backpropagates only its own rows, and only to its input.
func (tr *trainer) criticActionGrad(obs []float32, n int, alpha float64) float64 {
	w := &tr.w
	d, od := tr.ActDim, tr.ObsDim
	inv := 1 / float64(n)
	ac.Concat(w.qIn, obs, od, w.aPi, d, n)
	var q1, q2 []float32
	nn.Pair(func() { q1 = tr.Q1.Forward(w.wsQ1, w.qIn, n) }, func() { q2 = tr.Q2.Forward(w.wsQ2, w.qIn, n) })
	var loss float64
	w.rows1, w.rows2 = w.rows1[:0], w.rows2[:0]
	for r := 0; r < n; r++ {
		qmin := min(q1[r], q2[r])
		loss += (alpha*float64(w.logp[r]) - float64(qmin)) * inv
		if q1[r] <= q2[r] {
			w.rows1 = append(w.rows1, int32(r))
		} else {
			w.rows2 = append(w.rows2, int32(r))
		}
	}
	g := w.dq1[:n]
	for i := range g {
		g[i] = float32(-inv)
	}
	back := func(q *nn.MLP, ws *nn.Workspace, rows []int32, dIn []float32) {
		q.InputGradRows(ws, rows, g[:len(rows)], dIn)
		for i, r := range rows {
			copy(w.dA[int(r)*d:(int(r)+1)*d], dIn[i*(od+d)+od:(i+1)*(od+d)])
		}
	}
	nn.Pair(func() { back(tr.Q1, w.wsQ1, w.rows1, w.dIn) }, func() { back(tr.Q2, w.wsQ2, w.rows2, w.dIn2) })
	return loss
}

// gradientStep is one SAC update in SB3's order: temperature, critics
// (targets from the current actor on the next states), actor (through the
// updated critics), then the targets' Polyak step.
func (tr *trainer) gradientStep(ctx context.Context) error {
	cfg := tr.cfg
	w := &tr.w
	n, d, od := cfg.BatchSize, tr.ActDim, tr.ObsDim
	inv := 1 / float64(n)
	t0 := time.Now()
	b := tr.Sample()

	// The actor's reparameterised actions on the batch's states.
	if s := tr.sde; s != nil {
		s.resample(tr) // SAC.train: reset_noise before each gradient step
		s.forward(s.pi, b.Obs, n)
		copy(w.aPi, s.pi.a)
		copy(w.logp, s.pi.logp)
	} else {
		// The actor's outputs, for its gradient (actorGrad).
		copy(w.actorOut, tr.sampleActions(w.wsA, b.Obs, n, w.noise, w.u, w.aPi, w.logp))
	}
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

	// Bellman targets: y = r + gamma (1 - term) (min target Q(s', a') - alpha logp').
	if s := tr.sde; s != nil {
		s.forward(s.next, b.Next, n)
		copy(w.aNext, s.next.a)
		copy(w.logpNext, s.next.logp)
	} else {
		tr.sampleActions(w.wsNext, b.Next, n, w.noiseNext, w.uNext, w.aNext, w.logpNext)
	}
	ac.Concat(w.qIn, b.Next, od, w.aNext, d, n)
	var tq1, tq2 []float32
	nn.Pair(func() { tq1 = tr.T1.Forward(w.wsT, w.qIn, n) }, func() { tq2 = tr.T2.Forward(w.wsT2, w.qIn, n) })
	gamma := float32(cfg.Gamma)
	for r := 0; r < n; r++ {
		q := min(tq1[r], tq2[r]) - float32(alpha)*w.logpNext[r]
		w.y[r] = b.Rew[r]
		if !b.Term[r] {
			w.y[r] += gamma * q
		}
	}
	// Critic loss 0.5 * sum_i mean (Q_i(s, a) - y)^2.
	ac.Concat(w.qIn, b.Obs, od, b.Act, d, n)
	var q1, q2 []float32
	nn.Pair(func() { q1 = tr.Q1.Forward(w.wsQ1, w.qIn, n) }, func() { q2 = tr.Q2.Forward(w.wsQ2, w.qIn, n) })
	var closs, meanQ float64
	for r := 0; r < n; r++ {
		e1, e2 := float64(q1[r]-w.y[r]), float64(q2[r]-w.y[r])
		closs += 0.5 * (e1*e1 + e2*e2) * inv
		meanQ += float64(q1[r]) * inv
		w.dq1[r], w.dq2[r] = float32(e1*inv), float32(e2*inv)
	}
	tr.Clock.Forward += time.Since(t0)
	w.batches1[0] = backend.GradBatch{X: w.qIn, DOut: w.dq1, N: n, WS: w.wsQ1}
	w.batches1[1] = backend.GradBatch{X: w.qIn, DOut: w.dq2, N: n, WS: w.wsQ2}
	if _, err := tr.Critics.Step(ctx, w.batches1, backend.StepOptions{}, w.syncCritics); err != nil {
		return err
	}

	t0 = time.Now()
	var aloss float64
	if s := tr.sde; s != nil {
		aloss = tr.criticActionGrad(b.Obs, n, alpha)
		s.grad(s.pi, n, w.dA, alpha*inv)
		tr.Clock.Forward += time.Since(t0)
		if err := s.step(ctx, tr, s.pi, b.Obs, n); err != nil {
			return err
		}
	} else {
		aloss = tr.actorGrad(b.Obs, n, alpha)
		tr.Clock.Forward += time.Since(t0)
		w.batches2[0] = backend.GradBatch{X: b.Obs, DOut: w.dActor, N: n, WS: w.wsA}
		if _, err := tr.Pi.Step(ctx, w.batches2, backend.StepOptions{}, w.syncActor); err != nil {
			return err
		}
	}
	tr.GradSteps++
	if tr.GradSteps%cfg.TargetUpdateInterval == 0 {
		tau := float32(cfg.Tau)
		nn.Pair(func() { tr.T1.SoftUpdate(tr.Q1, tau) }, func() { tr.T2.SoftUpdate(tr.Q2, tau) })
	}
	last := tr.Res.Last
	last[metric.CriticLoss], last[metric.ActorLoss], last[metric.MeanQ] = closs, aloss, meanQ
	last[metric.Temperature], last[metric.Loss] = alpha, closs
	last[metric.Entropy] = -meanLogp
	return nil
}
