// Package pg holds the policy-gradient agents for discrete actions:
// REINFORCE with a learned baseline (Williams 1992) and A2C, the synchronous
// advantage actor-critic (Mnih et al. 2016) with n-step returns and an
// entropy bonus.
//
// Both keep two networks, a policy (logits) and a value function, each with
// its own Adam, as Stable-Baselines3's MlpPolicy does (separate pi and vf
// layers). Go samples actions from its copy of the policy, computes returns
// and advantages with its copy of the value network, and sends the rows to
// the backend, which takes the gradient steps and returns the new weights.
//
// Returns bootstrap through time-limit truncation (from the value of the
// last observation) and not through termination.
package pg

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/xlrl/xlrl/internal/agent/trainloop"
	"github.com/xlrl/xlrl/internal/backend"
	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/metric"
	"github.com/xlrl/xlrl/internal/nn"
)

// Common is the hyperparameters both agents have; their JSON names are
// those of the tuned table and of --hp.
type Common struct {
	Steps      int     `json:"steps"`
	Hidden     []int   `json:"hidden"`
	Activation string  `json:"activation"`
	LR         float64 `json:"learning_rate"`    // policy
	VFLR       float64 `json:"vf_learning_rate"` // value function
	Gamma      float64 `json:"gamma"`
	EntCoef    float64 `json:"ent_coef"`
	// MaxGradNorm clips each network's gradient by global norm (<= 0: off).
	MaxGradNorm float64 `json:"max_grad_norm"`
	// NormalizeAdvantage standardises the advantages of each update.
	NormalizeAdvantage bool `json:"normalize_advantage"`

	EvalEvery    int      `json:"eval_every"`
	EvalEpisodes int      `json:"eval_episodes"`
	StopAt       *float64 `json:"stop_at"` // nil: never stop early
}

// REINFORCEConfig is REINFORCE's hyperparameters.
type REINFORCEConfig struct {
	Common
	// Episodes complete episodes per update, VFSteps value-function steps
	// per update.
	Episodes int `json:"episodes_per_update"`
	VFSteps  int `json:"vf_steps"`
}

// A2CConfig is A2C's hyperparameters.
type A2CConfig struct {
	Common
	// NEnvs parallel environments, NSteps steps of each per update.
	NEnvs  int `json:"n_envs"`
	NSteps int `json:"n_steps"`
}

// Validate reports the first unusable setting.
func (c *REINFORCEConfig) Validate() error {
	if c.Episodes <= 0 || c.VFSteps <= 0 {
		return fmt.Errorf("reinforce: episodes_per_update and vf_steps must be positive")
	}
	return c.validate("reinforce")
}

// Validate reports the first unusable setting.
func (c *A2CConfig) Validate() error {
	if c.NEnvs <= 0 || c.NSteps <= 0 {
		return fmt.Errorf("a2c: n_envs and n_steps must be positive")
	}
	return c.validate("a2c")
}

func (c *Common) validate(algo string) error {
	switch {
	case c.Steps <= 0:
		return fmt.Errorf("%s: steps must be positive, got %d", algo, c.Steps)
	case c.LR <= 0 || c.VFLR <= 0:
		return fmt.Errorf("%s: learning rates must be positive", algo)
	case c.Gamma < 0 || c.Gamma > 1:
		return fmt.Errorf("%s: gamma %v is outside [0, 1]", algo, c.Gamma)
	}
	_, err := nn.ParseActivation(c.Activation)
	return err
}

// Result is what training produced.
type Result struct {
	Policy    *nn.MLP // trained (or best evaluated) policy; act with argmax of its logits
	Value     *nn.MLP
	Steps     int
	Episodes  int
	Updates   int
	TrainMean float64
	Best      float64
	BestStep  int
	StoppedAt int
	Breakdown trainloop.Breakdown
}

// agent is the state both algorithms share.
type agent struct {
	cfg         Common
	algo        string
	rng         *rand.Rand
	pi, v       *nn.MLP // Go copies: acting and advantages
	piNet, vNet backend.Net
	wsPi, wsV   *nn.Workspace
	nA, obsDim  int
	clock       *trainloop.Clock
	best        *trainloop.Best
	evalEnv     env.Env
	greedy      *trainloop.Greedy
	res         *Result
	eps         trainloop.Episodes
	hooks       *trainloop.Hooks
	lastEval    int
	lastEvalStd float64 // the spread of the last evaluation's episodes
	logp        []float64
}

func newAgent(ctx context.Context, algo string, cfg Common, mk trainloop.EnvFactory, be backend.Backend, seed uint64, h *trainloop.Hooks) (*agent, env.Env, error) {
	mk = mk.Vectors()
	e, err := mk()
	if err != nil {
		return nil, nil, err
	}
	spec := e.Spec()
	if err := trainloop.CheckSpaces(algo, spec); err != nil {
		return nil, nil, err
	}
	act, _ := nn.ParseActivation(cfg.Activation)
	a := &agent{cfg: cfg, algo: algo, nA: spec.Action.N, obsDim: spec.Observation.Dim(),
		rng: rand.New(rand.NewPCG(seed, trainloop.Mix(seed, trainloop.StreamAgent))), clock: trainloop.NewClock(be),
		best: trainloop.NewBest(), hooks: h, lastEval: -1}
	a.logp = make([]float64, a.nA)
	if a.pi, err = nn.New(nn.Spec{In: a.obsDim, Hidden: cfg.Hidden, Act: act, Out: a.nA}, a.rng); err != nil {
		return nil, nil, err
	}
	if a.v, err = nn.New(nn.Spec{In: a.obsDim, Hidden: cfg.Hidden, Act: act, Out: 1}, a.rng); err != nil {
		return nil, nil, err
	}
	a.piNet, err = be.NewNet(ctx, backend.NetConfig{Loss: nn.Policy, LR: cfg.LR, EntCoef: cfg.EntCoef, MaxGradNorm: cfg.MaxGradNorm}, a.pi)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: creating the policy network on the %s backend: %w", algo, be.Name(), err)
	}
	a.vNet, err = be.NewNet(ctx, backend.NetConfig{Loss: nn.MSE, LR: cfg.VFLR, MaxGradNorm: cfg.MaxGradNorm}, a.v)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: creating the value network on the %s backend: %w", algo, be.Name(), err)
	}
	a.clock.Setup = time.Since(a.clock.Start())
	a.greedy = trainloop.NewGreedy(a.pi)
	if cfg.EvalEvery > 0 {
		if a.evalEnv, err = mk(); err != nil {
			return nil, nil, err
		}
		a.evalEnv.Seed(trainloop.Mix(seed, trainloop.StreamPeriodicEval))
	}
	a.res = &Result{Policy: a.pi, Value: a.v}
	e.Seed(trainloop.Mix(seed, trainloop.StreamTrainEnv))
	return a, e, nil
}

// sample draws actions for n rows of observations x from the policy.
func (a *agent) sample(x []float32, n int, actions []int32) {
	if a.wsPi == nil || a.wsPi.Cap < n {
		a.wsPi = a.pi.NewWorkspace(n)
	}
	logits := a.pi.Forward(a.wsPi, x, n)
	for r := 0; r < n; r++ {
		nn.LogSoftmax(logits[r*a.nA:(r+1)*a.nA], a.logp)
		u := a.rng.Float64()
		act := a.nA - 1
		for j, l := range a.logp {
			u -= math.Exp(l)
			if u < 0 {
				act = j
				break
			}
		}
		actions[r] = int32(act)
	}
}

// values writes V(x) for n rows into dst.
func (a *agent) values(x []float32, n int, dst []float32) {
	if a.wsV == nil || a.wsV.Cap < n {
		a.wsV = a.v.NewWorkspace(n)
	}
	copy(dst, a.v.Forward(a.wsV, x, n))
}

func (a *agent) normalize(adv []float32) {
	if !a.cfg.NormalizeAdvantage || len(adv) < 2 {
		return
	}
	var s, s2 float64
	for _, v := range adv {
		s += float64(v)
	}
	mean := s / float64(len(adv))
	for _, v := range adv {
		s2 += (float64(v) - mean) * (float64(v) - mean)
	}
	std := math.Sqrt(s2/float64(len(adv))) + 1e-8
	for i, v := range adv {
		adv[i] = float32((float64(v) - mean) / std)
	}
}

// maybeEvaluate runs the periodic evaluation when it is due; it reports
// whether training should stop.
func (a *agent) maybeEvaluate(ctx context.Context, step, prevStep int) (bool, error) {
	if a.cfg.EvalEvery <= 0 || step/a.cfg.EvalEvery == prevStep/a.cfg.EvalEvery {
		return false, nil
	}
	score, err := a.evaluate(ctx, step)
	if err != nil {
		return false, err
	}
	a.hooks.OnEval(step, map[string]float64{metric.EvalMean: score, metric.EvalStd: a.lastEvalStd, metric.TrainMean: a.eps.RecentMean()})
	if a.cfg.StopAt != nil && score >= *a.cfg.StopAt {
		a.res.StoppedAt = step
		return true, nil
	}
	return false, nil
}

func (a *agent) evaluate(ctx context.Context, step int) (float64, error) {
	t0 := time.Now()
	ev, err := trainloop.Evaluate(ctx, a.evalEnv, a.cfg.EvalEpisodes, a.greedy.Act)
	a.clock.Eval += time.Since(t0)
	if err != nil {
		return 0, err
	}
	a.lastEval, a.lastEvalStd = step, ev.Std
	a.best.Offer(ev.Mean, step, a.pi)
	return ev.Mean, nil
}

func (a *agent) finish(ctx context.Context) (*Result, error) {
	if a.cfg.EvalEvery > 0 {
		if a.lastEval != a.res.Steps {
			if _, err := a.evaluate(ctx, a.res.Steps); err != nil {
				return nil, err
			}
		}
		a.best.Restore(a.pi)
	}
	a.res.Episodes = a.eps.Count
	a.res.TrainMean = a.eps.RecentMean()
	a.res.Best, a.res.BestStep = a.best.Score, a.best.Step
	a.res.Breakdown = a.clock.Breakdown()
	return a.res, nil
}

// fit sends rows (x, actions, advantages, returns) to both networks: one
// policy step and vfSteps value steps.
func (a *agent) fit(ctx context.Context, x []float32, acts []int32, adv, ret []float32, n, vfSteps int, pb, vb **backend.Batches) error {
	if *pb == nil || (*pb).N != n {
		*pb = backend.NewBatches(1, n, a.obsDim)
		*vb = backend.NewBatches(vfSteps, n, a.obsDim)
	}
	p, v := *pb, *vb
	copy(p.X, x[:n*a.obsDim])
	copy(p.A, acts[:n])
	copy(p.Y, adv[:n])
	for k := 0; k < vfSteps; k++ {
		xk, ak, yk := v.Row(k)
		copy(xk, x[:n*a.obsDim])
		clear(ak)
		copy(yk, ret[:n])
	}
	if _, err := a.piNet.Fit(ctx, p, a.pi); err != nil {
		return fmt.Errorf("%s: policy update %d: %w", a.algo, a.res.Updates+1, err)
	}
	if _, err := a.vNet.Fit(ctx, v, a.v); err != nil {
		return fmt.Errorf("%s: value update %d: %w", a.algo, a.res.Updates+1, err)
	}
	a.res.Updates++
	return nil
}
