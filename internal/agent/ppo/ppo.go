// Package ppo is Proximal Policy Optimization (Schulman et al. 2017) as
// Stable-Baselines3 implements it: n_envs environments step in lockstep for
// n_steps steps, advantages come from GAE(lambda), then n_epochs passes of
// shuffled minibatches minimise the clipped surrogate plus vf_coef times the
// (optionally clipped) value loss minus ent_coef times the entropy, under
// one Adam with the gradients of both networks clipped together by global
// norm.
//
// Discrete actions use a softmax policy; Box actions a diagonal Gaussian
// whose mean is the policy network's output and whose log standard
// deviation is a state-independent parameter vector. Box actions are
// clipped to the bounds when stepped; the unclipped sample is what the
// log-probability is computed on.
//
// Truncation (a time limit) bootstraps: as SB3 does, the reward of the
// truncated step gets gamma * V(final observation) added. Termination does
// not. Both are tracked per environment of the vector.
//
// Go computes the losses and their output gradients; the backend's Group
// (internal/backend) backpropagates them and steps Adam. The log standard
// deviation is trained in Go with the same clipping factor.
package ppo

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

// Config is PPO's hyperparameters; the JSON names are Stable-Baselines3's
// where it has one.
type Config struct {
	Steps      int     `yaml:"steps" json:"steps"`
	Hidden     []int   `yaml:"hidden" json:"hidden"`
	Activation string  `yaml:"activation" json:"activation"`
	LR         float64 `yaml:"learning_rate" json:"learning_rate"`
	// LinearLR decays the learning rate linearly to 0 over Steps (rl-zoo's
	// lin_<lr>).
	LinearLR  bool    `yaml:"linear_lr" json:"linear_lr"`
	NEnvs     int     `yaml:"n_envs" json:"n_envs"`
	NSteps    int     `yaml:"n_steps" json:"n_steps"`
	BatchSize int     `yaml:"batch_size" json:"batch_size"`
	Epochs    int     `yaml:"n_epochs" json:"n_epochs"`
	Gamma     float64 `yaml:"gamma" json:"gamma"`
	GAELambda float64 `yaml:"gae_lambda" json:"gae_lambda"`
	ClipRange float64 `yaml:"clip_range" json:"clip_range"`
	// LinearClip decays the clip range linearly to 0 (rl-zoo's lin_<clip>).
	LinearClip bool `yaml:"linear_clip_range" json:"linear_clip_range"`
	// ClipRangeVF clips the value prediction to within this distance of the
	// rollout's value, as SB3's clip_range_vf; <= 0: no clipping.
	ClipRangeVF        float64 `yaml:"clip_range_vf" json:"clip_range_vf"`
	EntCoef            float64 `yaml:"ent_coef" json:"ent_coef"`
	VFCoef             float64 `yaml:"vf_coef" json:"vf_coef"`
	MaxGradNorm        float64 `yaml:"max_grad_norm" json:"max_grad_norm"`
	NormalizeAdvantage bool    `yaml:"normalize_advantage" json:"normalize_advantage"`
	// LogStdInit is the Gaussian's initial log standard deviation (Box
	// actions).
	LogStdInit float64 `yaml:"log_std_init" json:"log_std_init"`
	// OrthoInit initialises the networks orthogonally (SB3's ortho_init:
	// gain sqrt 2 for hidden layers, 0.01 for the policy's output, 1 for
	// the value's); false keeps Glorot-uniform.
	OrthoInit bool `yaml:"ortho_init" json:"ortho_init"`
	// NormalizeObs and NormalizeReward are Stable-Baselines3's
	// VecNormalize (rl-zoo's normalize: true): observations standardised
	// by running statistics (frozen into the policy for evaluation and
	// saved with it), rewards divided by the running standard deviation of
	// the discounted return; both clipped to [-10, 10].
	NormalizeObs    bool     `yaml:"normalize_obs" json:"normalize_obs"`
	NormalizeReward bool     `yaml:"normalize_reward" json:"normalize_reward"`
	EvalEvery       int      `yaml:"eval_every" json:"eval_every"`
	EvalEpisodes    int      `yaml:"eval_episodes" json:"eval_episodes"`
	StopAt          *float64 `yaml:"stop_at" json:"stop_at"`
}

// Default is Stable-Baselines3's PPO defaults with its MlpPolicy ([64, 64]
// tanh, separate policy and value networks).
func Default() Config {
	return Config{
		Steps: 1_000_000, Hidden: []int{64, 64}, Activation: "tanh", LR: 3e-4, NEnvs: 1, NSteps: 2048,
		BatchSize: 64, Epochs: 10, Gamma: 0.99, GAELambda: 0.95, ClipRange: 0.2, EntCoef: 0, VFCoef: 0.5,
		MaxGradNorm: 0.5, NormalizeAdvantage: true, OrthoInit: true, EvalEvery: 10_000, EvalEpisodes: 10,
	}
}

// Validate checks the hyperparameters.
func (c *Config) Validate() error {
	switch {
	case c.Steps <= 0:
		return fmt.Errorf("ppo: steps must be positive, got %d", c.Steps)
	case c.LR <= 0:
		return fmt.Errorf("ppo: learning_rate must be positive, got %v", c.LR)
	case c.NEnvs <= 0 || c.NSteps <= 0:
		return fmt.Errorf("ppo: n_envs and n_steps must be positive, got %d and %d", c.NEnvs, c.NSteps)
	case c.BatchSize <= 1 && c.NormalizeAdvantage:
		return fmt.Errorf("ppo: batch_size must be at least 2 to normalise advantages, got %d", c.BatchSize)
	case c.BatchSize <= 0:
		return fmt.Errorf("ppo: batch_size must be positive, got %d", c.BatchSize)
	case c.Epochs <= 0:
		return fmt.Errorf("ppo: n_epochs must be positive, got %d", c.Epochs)
	case c.Gamma < 0 || c.Gamma > 1 || c.GAELambda < 0 || c.GAELambda > 1:
		return fmt.Errorf("ppo: gamma %v and gae_lambda %v must be in [0, 1]", c.Gamma, c.GAELambda)
	case c.ClipRange <= 0:
		return fmt.Errorf("ppo: clip_range must be positive, got %v", c.ClipRange)
	case c.EvalEvery > 0 && c.EvalEpisodes <= 0:
		return fmt.Errorf("ppo: eval_episodes must be positive when eval_every is set")
	}
	_, err := nn.ParseActivation(c.Activation)
	return err
}

// Policy acts with a trained PPO policy.
type Policy struct {
	Net *nn.MLP
	// LogStd is the Gaussian's log standard deviation (Box actions; nil for
	// Discrete).
	LogStd    []float64
	Low, High []float64 // Box bounds
	// ObsNorm standardises observations before the network (nil: none).
	ObsNorm *ac.RunningMeanStd
	ws      *nn.Workspace
	x       []float32
	act     []float64
}

// Act is the deterministic action for obs: the most probable one for
// Discrete actions, the Gaussian's mean clipped to the bounds for Box.
func (p *Policy) Act(obs []float64) env.Action {
	if p.ws == nil {
		p.ws, p.x = p.Net.NewWorkspace(1), make([]float32, p.Net.In())
	}
	if p.ObsNorm != nil {
		p.ObsNorm.Normalize(p.x, obs)
	} else {
		ac.ToFloat32(p.x, obs)
	}
	out := p.Net.Forward(p.ws, p.x, 1)
	if p.LogStd == nil {
		return env.DiscreteAction(nn.Argmax(out))
	}
	p.act = p.act[:0]
	for j, m := range out {
		p.act = append(p.act, min(max(float64(m), p.Low[j]), p.High[j]))
	}
	return env.Action{Continuous: p.act}
}

// Result is what training produced.
type Result struct {
	Policy    *Policy // the trained (or best evaluated) policy
	Value     *nn.MLP
	Steps     int
	Episodes  int
	Updates   int // gradient steps
	TrainMean float64
	Best      float64
	BestStep  int
	StoppedAt int
	Breakdown trainloop.Breakdown
	// Last holds the metrics of the last update (internal/metric names).
	Last map[string]float64
}

type trainer struct {
	cfg      Config
	rng      *rand.Rand
	pi, v    *nn.MLP
	logStd   []float32 // Box only
	lsAdam   *nn.Adam
	group    backend.Group
	box      bool
	nOut     int // logits or action dimensions
	obsDim   int
	low      []float64
	high     []float64
	wsPi     *nn.Workspace
	wsV      *nn.Workspace
	clock    *trainloop.Clock
	best     *trainloop.Best
	bestLS   []float64 // log std of the best weights
	bestNorm *ac.RunningMeanStd
	obsRMS   *ac.RunningMeanStd // nil unless NormalizeObs
	retRMS   *ac.RunningMeanStd // nil unless NormalizeReward
	evalEnv  env.Env
	policy   *Policy
	res      *Result
	eps      trainloop.Episodes
	logp     []float64
	lastEval int
}

// Train runs PPO on environments from mk, taking gradient steps on be
// (which must train Groups: go or tf).
func Train(ctx context.Context, cfg Config, mk trainloop.EnvFactory, be backend.Backend, seed uint64, h *trainloop.Hooks) (*Result, error) {
	tr, envs, err := newTrainer(ctx, cfg, mk, be, seed)
	if err != nil {
		return nil, err
	}
	if err := tr.run(ctx, envs, h); err != nil {
		return nil, err
	}
	return tr.finish(ctx)
}

func newTrainer(ctx context.Context, cfg Config, mk trainloop.EnvFactory, be backend.Backend, seed uint64) (*trainer, []env.Env, error) {
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	gb, err := backend.Groups(be)
	if err != nil {
		return nil, nil, err
	}
	mk = mk.Vectors()
	tr := &trainer{cfg: cfg, rng: rand.New(rand.NewPCG(seed, trainloop.Mix(seed, trainloop.StreamAgent))),
		clock: trainloop.NewClock(be), best: trainloop.NewBest(), lastEval: -1}
	envs := make([]env.Env, cfg.NEnvs)
	for i := range envs {
		if envs[i], err = mk(); err != nil {
			return nil, nil, err
		}
		envs[i].Seed(trainloop.Mix(trainloop.Mix(seed, trainloop.StreamTrainEnv), uint64(i)))
	}
	spec := envs[0].Spec()
	tr.obsDim = spec.Observation.Dim()
	switch spec.Action.Kind {
	case env.Discrete:
		tr.nOut = spec.Action.N
		tr.logp = make([]float64, tr.nOut)
	case env.Box:
		tr.box, tr.nOut = true, len(spec.Action.Low)
		tr.low, tr.high = spec.Action.Low, spec.Action.High
		tr.logStd = make([]float32, tr.nOut)
		for i := range tr.logStd {
			tr.logStd[i] = float32(cfg.LogStdInit)
		}
		tr.lsAdam = nn.NewAdam(cfg.LR, tr.nOut)
	}
	act, _ := nn.ParseActivation(cfg.Activation)
	if tr.pi, err = nn.New(nn.Spec{In: tr.obsDim, Hidden: cfg.Hidden, Act: act, Out: tr.nOut}, tr.rng); err != nil {
		return nil, nil, err
	}
	if tr.v, err = nn.New(nn.Spec{In: tr.obsDim, Hidden: cfg.Hidden, Act: act, Out: 1}, tr.rng); err != nil {
		return nil, nil, err
	}
	if cfg.OrthoInit {
		ac.Orthogonal(tr.pi, math.Sqrt2, 0.01, tr.rng)
		ac.Orthogonal(tr.v, math.Sqrt2, 1, tr.rng)
	}
	if tr.group, err = gb.NewGroup(ctx, backend.GroupConfig{LR: cfg.LR, MaxGradNorm: cfg.MaxGradNorm}, []*nn.MLP{tr.pi, tr.v}); err != nil {
		return nil, nil, fmt.Errorf("ppo: creating the networks on the %s backend: %w", be.Name(), err)
	}
	if cfg.NormalizeObs {
		tr.obsRMS = ac.NewRunningMeanStd(tr.obsDim)
	}
	if cfg.NormalizeReward {
		tr.retRMS = ac.NewRunningMeanStd(1)
	}
	tr.policy = &Policy{Net: tr.pi, Low: tr.low, High: tr.high}
	tr.syncPolicy()
	if cfg.EvalEvery > 0 {
		if tr.evalEnv, err = mk(); err != nil {
			return nil, nil, err
		}
		tr.evalEnv.Seed(trainloop.Mix(seed, trainloop.StreamPeriodicEval))
	}
	tr.res = &Result{Policy: tr.policy, Value: tr.v, Last: map[string]float64{}}
	tr.clock.Setup = time.Since(tr.clock.Start())
	return tr, envs, nil
}

// syncPolicy copies the log std and the observation statistics into the
// acting policy.
func (tr *trainer) syncPolicy() {
	if tr.obsRMS != nil {
		tr.policy.ObsNorm = tr.obsRMS.Clone()
	}
	if !tr.box {
		return
	}
	tr.policy.LogStd = tr.policy.LogStd[:0]
	for _, s := range tr.logStd {
		tr.policy.LogStd = append(tr.policy.LogStd, float64(s))
	}
}

// rollout is one update's data; rows are [t][env].
type rollout struct {
	x       []float32 // observations
	aDisc   []int32   // Discrete actions
	aBox    []float32 // unclipped Box samples (n * nOut)
	logp    []float32 // log-probability of the action when sampled
	val     []float32 // V(s_t)
	rew     []float32 // reward (plus gamma V(final obs) at truncations)
	done    []bool    // the step ended the episode
	adv     []float32
	ret     []float32
	lastV   []float32 // V of the observations after the last step
	stepX   []float32 // one row per env: the current observations
	final   []float32 // one observation, for truncation bootstraps
	v1      []float32
	epRet   []float64
	epLen   []int
	boxAct  []float64
	started bool      // the environments were reset
	raw     []float64 // the environments' latest observations, unnormalised
	cut     []bool    // this step of env i was truncated (bootstrap from finals)
	finals  []float64 // final observations of truncated episodes, per env
	rets    []float64 // VecNormalize's running discounted returns, per env
}

func (tr *trainer) newRollout() *rollout {
	ne, n, d := tr.cfg.NEnvs, tr.cfg.NEnvs*tr.cfg.NSteps, tr.obsDim
	r := &rollout{x: make([]float32, n*d), logp: make([]float32, n), val: make([]float32, n),
		rew: make([]float32, n), done: make([]bool, n), adv: make([]float32, n), ret: make([]float32, n),
		lastV: make([]float32, ne), stepX: make([]float32, ne*d), final: make([]float32, d), v1: make([]float32, 1),
		epRet: make([]float64, ne), epLen: make([]int, ne),
		raw: make([]float64, ne*d), cut: make([]bool, ne), finals: make([]float64, ne*d), rets: make([]float64, ne)}
	if tr.box {
		r.aBox = make([]float32, n*tr.nOut)
		r.boxAct = make([]float64, tr.nOut)
	} else {
		r.aDisc = make([]int32, n)
	}
	return r
}

func (tr *trainer) forwardPi(x []float32, n int) []float32 {
	if tr.wsPi == nil || tr.wsPi.Cap < n {
		tr.wsPi = tr.pi.NewWorkspace(n)
	}
	return tr.pi.Forward(tr.wsPi, x, n)
}

func (tr *trainer) forwardV(x []float32, n int) []float32 {
	if tr.wsV == nil || tr.wsV.Cap < n {
		tr.wsV = tr.v.NewWorkspace(n)
	}
	return tr.v.Forward(tr.wsV, x, n)
}

// sampleRows draws actions for rows [row0, row0+ne) of the rollout from the
// current observations and records their log-probabilities.
func (tr *trainer) sampleRows(r *rollout, row0 int) {
	ne, k := tr.cfg.NEnvs, tr.nOut
	out := tr.forwardPi(r.stepX, ne)
	for i := 0; i < ne; i++ {
		row := row0 + i
		o := out[i*k : (i+1)*k]
		if !tr.box {
			nn.LogSoftmax(o, tr.logp)
			u := tr.rng.Float64()
			a := k - 1
			for j, l := range tr.logp {
				u -= math.Exp(l)
				if u < 0 {
					a = j
					break
				}
			}
			r.aDisc[row] = int32(a)
			r.logp[row] = float32(tr.logp[a])
			continue
		}
		var lp float64
		for j := 0; j < k; j++ {
			s := float64(tr.logStd[j])
			z := tr.rng.NormFloat64()
			a := float64(o[j]) + math.Exp(s)*z
			r.aBox[row*k+j] = float32(a)
			lp += -0.5*z*z - s - 0.5*ac.Log2Pi
		}
		r.logp[row] = float32(lp)
	}
}

func (tr *trainer) run(ctx context.Context, envs []env.Env, h *trainloop.Hooks) error {
	cfg := tr.cfg
	r := tr.newRollout()
	step := 0
	for step < cfg.Steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		prev := step
		step = tr.rolloutOnce(ctx, envs, r, step, h)
		t0 := time.Now()
		copy(r.lastV, tr.forwardV(r.stepX, cfg.NEnvs))
		tr.gae(r)
		tr.clock.Forward += time.Since(t0)
		if err := tr.update(ctx, r, step); err != nil {
			return err
		}
		tr.res.Steps = step
		h.OnUpdate(step, tr.res.Last)
		stop, err := tr.maybeEvaluate(ctx, step, prev, h)
		if err != nil {
			return err
		}
		if stop {
			break
		}
	}
	return nil
}

// rolloutOnce steps every environment n_steps times into r (resetting
// them first on the first call) and returns the new step count.
func (tr *trainer) rolloutOnce(ctx context.Context, envs []env.Env, r *rollout, step int, h *trainloop.Hooks) int {
	ne, ns, d, k := tr.cfg.NEnvs, tr.cfg.NSteps, tr.obsDim, tr.nOut
	gamma := float32(tr.cfg.Gamma)
	if !r.started {
		t0 := time.Now()
		for i, e := range envs {
			copy(r.raw[i*d:(i+1)*d], e.Reset())
		}
		tr.clock.Env += time.Since(t0)
		tr.observe(r)
		r.started = true
	}
	for t := 0; t < ns; t++ {
		row0 := t * ne
		t0 := time.Now()
		copy(r.x[row0*d:(row0+ne)*d], r.stepX)
		tr.sampleRows(r, row0)
		copy(r.val[row0:row0+ne], tr.forwardV(r.stepX, ne))
		tr.clock.Forward += time.Since(t0)
		for i, e := range envs {
			row := row0 + i
			var a env.Action
			if tr.box {
				for j := 0; j < k; j++ {
					r.boxAct[j] = min(max(float64(r.aBox[row*k+j]), tr.low[j]), tr.high[j])
				}
				a = env.Action{Continuous: r.boxAct}
			} else {
				a = env.DiscreteAction(int(r.aDisc[row]))
			}
			t0 := time.Now()
			next, rw, te, tc := e.Step(a)
			tr.clock.Env += time.Since(t0)
			r.rew[row], r.done[row] = float32(rw), te || tc
			r.epRet[i] += rw
			r.epLen[i]++
			if te || tc {
				tr.eps.Record(r.epRet[i], r.epLen[i])
				h.OnEpisode(step+i+1, r.epRet[i], r.epLen[i])
				r.epRet[i], r.epLen[i] = 0, 0
				r.cut[i] = tc && !te
				if r.cut[i] {
					copy(r.finals[i*d:(i+1)*d], next)
				}
				t0 := time.Now()
				next = e.Reset()
				tr.clock.Env += time.Since(t0)
			}
			copy(r.raw[i*d:(i+1)*d], next)
		}
		t0 = time.Now()
		tr.observe(r)
		tr.normalizeRewards(r, row0)
		for i := range envs {
			if r.cut[i] { // truncated: bootstrap from V(final observation)
				if tr.obsRMS != nil {
					tr.obsRMS.Normalize(r.final, r.finals[i*d:(i+1)*d])
				} else {
					ac.ToFloat32(r.final, r.finals[i*d:(i+1)*d])
				}
				r.rew[row0+i] += gamma * tr.forwardV(r.final, 1)[0]
				r.cut[i] = false
			}
		}
		tr.clock.Forward += time.Since(t0)
		step += ne
	}
	return step
}

// observe turns the environments' latest observations into the network's
// inputs, folding them into the running statistics first when observations
// are normalised (VecNormalize's order).
func (tr *trainer) observe(r *rollout) {
	ne, d := tr.cfg.NEnvs, tr.obsDim
	if tr.obsRMS == nil {
		ac.ToFloat32(r.stepX, r.raw)
		return
	}
	tr.obsRMS.Update(r.raw, ne)
	for i := 0; i < ne; i++ {
		tr.obsRMS.Normalize(r.stepX[i*d:(i+1)*d], r.raw[i*d:(i+1)*d])
	}
}

// normalizeRewards divides the rewards of rows [row0, row0+ne) by the
// running standard deviation of the discounted return (VecNormalize's
// norm_reward), clipped to [-10, 10].
func (tr *trainer) normalizeRewards(r *rollout, row0 int) {
	if tr.retRMS == nil {
		return
	}
	ne := tr.cfg.NEnvs
	for i := 0; i < ne; i++ {
		r.rets[i] = r.rets[i]*tr.cfg.Gamma + float64(r.rew[row0+i])
	}
	tr.retRMS.Update(r.rets, ne)
	sd := math.Sqrt(tr.retRMS.Var[0] + 1e-8)
	for i := 0; i < ne; i++ {
		r.rew[row0+i] = float32(min(max(float64(r.rew[row0+i])/sd, -ac.NormClip), ac.NormClip))
		if r.done[row0+i] {
			r.rets[i] = 0
		}
	}
}

// gae fills advantages and returns: delta_t = r_t + gamma V(s_{t+1})
// (1 - done_t) - V(s_t), A_t = delta_t + gamma lambda (1 - done_t) A_{t+1}.
func (tr *trainer) gae(r *rollout) {
	ne, ns := tr.cfg.NEnvs, tr.cfg.NSteps
	gamma, lam := float32(tr.cfg.Gamma), float32(tr.cfg.GAELambda)
	for i := 0; i < ne; i++ {
		var last float32
		for t := ns - 1; t >= 0; t-- {
			row := t*ne + i
			nextV := r.lastV[i]
			if t+1 < ns {
				nextV = r.val[row+ne]
			}
			nonTerminal := float32(1)
			if r.done[row] {
				nonTerminal = 0
			}
			delta := r.rew[row] + gamma*nextV*nonTerminal - r.val[row]
			last = delta + gamma*lam*nonTerminal*last
			r.adv[row] = last
			r.ret[row] = last + r.val[row]
		}
	}
}

// minibatch is the gathered rows of one gradient step.
type minibatch struct {
	idx      []int
	x        []float32
	dPi, dV  []float32
	adv      []float32
	gLogStd  []float64
	batches  []backend.GradBatch
	syncNets []*nn.MLP
}

func (tr *trainer) newMinibatch(n, bs int) *minibatch {
	d, k := tr.obsDim, tr.nOut
	mb := &minibatch{idx: make([]int, n), x: make([]float32, bs*d), dPi: make([]float32, bs*k), dV: make([]float32, bs),
		adv: make([]float32, bs), gLogStd: make([]float64, k), batches: make([]backend.GradBatch, 2), syncNets: []*nn.MLP{tr.pi, tr.v}}
	for i := range mb.idx {
		mb.idx[i] = i
	}
	return mb
}

func (tr *trainer) update(ctx context.Context, r *rollout, step int) error {
	cfg := tr.cfg
	n, d, k := cfg.NEnvs*cfg.NSteps, tr.obsDim, tr.nOut
	progress := max(0, 1-float64(step)/float64(cfg.Steps)) // SB3's progress_remaining after this rollout (never negative)
	lr, clip := cfg.LR, cfg.ClipRange
	if cfg.LinearLR {
		lr *= progress
	}
	if cfg.LinearClip {
		clip *= progress
	}
	bs := min(cfg.BatchSize, n)
	mb := tr.newMinibatch(n, bs)
	var sums struct{ pl, vl, ent, kl, clipped, rows, steps float64 }
	for epoch := 0; epoch < cfg.Epochs; epoch++ {
		tr.rng.Shuffle(n, func(i, j int) { mb.idx[i], mb.idx[j] = mb.idx[j], mb.idx[i] })
		for start := 0; start < n; start += bs {
			if err := ctx.Err(); err != nil {
				return err
			}
			rows := mb.idx[start:min(start+bs, n)]
			t0 := time.Now()
			st := tr.gradients(r, mb, rows, clip)
			tr.clock.Forward += time.Since(t0)
			m := len(rows)
			mb.batches[0] = backend.GradBatch{X: mb.x[:m*d], DOut: mb.dPi[:m*k], N: m}
			mb.batches[1] = backend.GradBatch{X: mb.x[:m*d], DOut: mb.dV[:m], N: m}
			var extra float64
			for _, g := range mb.gLogStd {
				extra += g * g
			}
			scale, err := tr.group.Step(ctx, mb.batches, backend.StepOptions{ExtraSq: extra, LR: lr}, mb.syncNets)
			if err != nil {
				return fmt.Errorf("ppo: update at step %d: %w", step, err)
			}
			if tr.box {
				g := make([]float32, k)
				for j, v := range mb.gLogStd {
					g[j] = float32(v * scale)
				}
				tr.lsAdam.LR = lr
				tr.lsAdam.Step(tr.logStd, g)
			}
			tr.res.Updates++
			sums.pl += st.pl
			sums.vl += st.vl
			sums.ent += st.ent
			sums.kl += st.kl
			sums.clipped += st.clipped
			sums.rows += float64(m)
			sums.steps++
		}
	}
	tr.syncPolicy()
	last := tr.res.Last
	last[metric.PolicyLoss] = sums.pl / sums.steps
	last[metric.ValueLoss] = sums.vl / sums.steps
	last[metric.Entropy] = sums.ent / sums.steps
	last[metric.ApproxKL] = sums.kl / sums.steps
	last[metric.ClipFraction] = sums.clipped / sums.rows
	last[metric.LR] = lr
	last[metric.Loss] = last[metric.PolicyLoss] + cfg.VFCoef*last[metric.ValueLoss] - cfg.EntCoef*last[metric.Entropy]
	return nil
}

type stepStats struct{ pl, vl, ent, kl, clipped float64 }

// gradients gathers the rows into mb and writes dLoss/dOutput of the policy
// (mb.dPi), of the value (mb.dV) and dLoss/dlogStd (mb.gLogStd), where
// loss = policy loss - ent_coef * entropy + vf_coef * value loss, each a
// mean over the rows.
func (tr *trainer) gradients(r *rollout, mb *minibatch, rows []int, clip float64) stepStats {
	cfg := tr.cfg
	d, k, m := tr.obsDim, tr.nOut, len(rows)
	for i, row := range rows {
		copy(mb.x[i*d:(i+1)*d], r.x[row*d:(row+1)*d])
		mb.adv[i] = r.adv[row]
	}
	adv := mb.adv[:m]
	if cfg.NormalizeAdvantage && m > 1 {
		var s, s2 float64
		for _, v := range adv {
			s += float64(v)
		}
		mean := s / float64(m)
		for _, v := range adv {
			s2 += (float64(v) - mean) * (float64(v) - mean)
		}
		std := math.Sqrt(s2/float64(m-1)) + 1e-8 // torch's unbiased std, as SB3
		for i, v := range adv {
			adv[i] = float32((float64(v) - mean) / std)
		}
	}
	out := tr.forwardPi(mb.x, m)
	val := tr.forwardV(mb.x, m)
	inv := 1 / float64(m)
	var st stepStats
	clear(mb.gLogStd)
	var entBox float64
	if tr.box {
		for _, s := range tr.logStd {
			entBox += 0.5 + 0.5*ac.Log2Pi + float64(s)
		}
	}
	for i, row := range rows {
		o := out[i*k : (i+1)*k]
		dp := mb.dPi[i*k : (i+1)*k]
		// log-probability of the rollout's action under the current policy
		var lp, ent float64
		if tr.box {
			for j := 0; j < k; j++ {
				s := float64(tr.logStd[j])
				z := (float64(r.aBox[row*k+j]) - float64(o[j])) / math.Exp(s)
				lp += -0.5*z*z - s - 0.5*ac.Log2Pi
			}
			ent = entBox
		} else {
			nn.LogSoftmax(o, tr.logp)
			lp = tr.logp[r.aDisc[row]]
			for _, l := range tr.logp {
				ent -= math.Exp(l) * l
			}
		}
		logRatio := lp - float64(r.logp[row])
		ratio := math.Exp(logRatio)
		a := float64(adv[i])
		s1, s2 := a*ratio, a*min(max(ratio, 1-clip), 1+clip)
		st.pl += -min(s1, s2) * inv
		st.ent += ent * inv
		st.kl += ((ratio - 1) - logRatio) * inv
		if math.Abs(ratio-1) > clip {
			st.clipped++
		}
		// dLoss/dlogp: the unclipped term is the minimum (else the clipped
		// one, constant in the weights, is, and the gradient is zero).
		var g float64
		if s1 <= s2 {
			g = -a * ratio * inv
		}
		if tr.box {
			for j := 0; j < k; j++ {
				s := float64(tr.logStd[j])
				sd := math.Exp(s)
				diff := float64(r.aBox[row*k+j]) - float64(o[j])
				dp[j] = float32(g * diff / (sd * sd))
				mb.gLogStd[j] += g * (diff*diff/(sd*sd) - 1)
			}
		} else {
			act := int(r.aDisc[row])
			for j, l := range tr.logp {
				p := math.Exp(l)
				gz := -g * p // d logp_a / dz_j = 1[j=a] - p_j
				if j == act {
					gz += g
				}
				// d(-ent_coef * H)/dz_j = ent_coef * p_j (log p_j + H)
				gz += cfg.EntCoef * inv * p * (l + ent)
				dp[j] = float32(gz)
			}
		}
		// value loss: mean (pred - R)^2 with pred optionally clipped near
		// the rollout's value.
		v := float64(val[i])
		pred, pass := v, 1.0
		if cfg.ClipRangeVF > 0 {
			old := float64(r.val[row])
			pred = old + min(max(v-old, -cfg.ClipRangeVF), cfg.ClipRangeVF)
			if math.Abs(v-old) >= cfg.ClipRangeVF {
				pass = 0
			}
		}
		e := pred - float64(r.ret[row])
		st.vl += e * e * inv
		mb.dV[i] = float32(cfg.VFCoef * 2 * e * inv * pass)
	}
	if tr.box {
		for j := range mb.gLogStd {
			mb.gLogStd[j] -= cfg.EntCoef // d(-ent_coef * mean H)/dlogStd_j
		}
	}
	return st
}

func (tr *trainer) maybeEvaluate(ctx context.Context, step, prev int, h *trainloop.Hooks) (bool, error) {
	if tr.cfg.EvalEvery <= 0 || step/tr.cfg.EvalEvery == prev/tr.cfg.EvalEvery {
		return false, nil
	}
	score, err := tr.evaluate(ctx, step)
	if err != nil {
		return false, err
	}
	h.OnEval(step, map[string]float64{metric.EvalMean: score, metric.TrainMean: tr.eps.RecentMean()})
	if tr.cfg.StopAt != nil && score >= *tr.cfg.StopAt {
		tr.res.StoppedAt = step
		return true, nil
	}
	return false, nil
}

func (tr *trainer) evaluate(ctx context.Context, step int) (float64, error) {
	t0 := time.Now()
	ev, err := ac.Evaluate(ctx, tr.evalEnv, tr.cfg.EvalEpisodes, tr.policy.Act)
	tr.clock.Eval += time.Since(t0)
	if err != nil {
		return 0, err
	}
	if tr.best.Offer(ev.Mean, step, tr.pi) {
		tr.bestLS = append(tr.bestLS[:0], tr.policy.LogStd...)
		tr.bestNorm = tr.policy.ObsNorm
	}
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
		if tr.best.Restore(tr.pi) {
			tr.policy.ObsNorm = tr.bestNorm
			if tr.box {
				tr.policy.LogStd = append(tr.policy.LogStd[:0], tr.bestLS...)
			}
		}
	}
	tr.res.Episodes = tr.eps.Count
	tr.res.TrainMean = tr.eps.RecentMean()
	tr.res.Best, tr.res.BestStep = tr.best.Score, tr.best.Step
	tr.res.Breakdown = tr.clock.Breakdown()
	return tr.res, nil
}
