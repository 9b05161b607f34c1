package ac

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/xlrl/xlrl/internal/agent/trainloop"
	"github.com/xlrl/xlrl/internal/backend"
	"github.com/xlrl/xlrl/internal/ckpt"
	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/nn"
)

// OffConfig is the hyperparameters SAC and TD3 share (embedded in
// sac.Config and td3.Config); the JSON names are Stable-Baselines3's.
type OffConfig struct {
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
	// NormalizeObs and NormalizeReward are Stable-Baselines3's
	// VecNormalize around an off-policy algorithm (rl-zoo's normalize:
	// true): see OffPolicy.
	NormalizeObs    bool     `yaml:"normalize_obs" json:"normalize_obs"`
	NormalizeReward bool     `yaml:"normalize_reward" json:"normalize_reward"`
	EvalEvery       int      `yaml:"eval_every" json:"eval_every"`
	EvalEpisodes    int      `yaml:"eval_episodes" json:"eval_episodes"`
	StopAt          *float64 `yaml:"stop_at" json:"stop_at"`
}

// OffDefaults is Stable-Baselines3's off-policy defaults with the given
// relu networks and learning rate (SAC's and TD3's differ in those), and
// xlrl's periodic evaluation every 5000 steps on 10 episodes.
func OffDefaults(hidden []int, lr float64) OffConfig {
	return OffConfig{Steps: 1_000_000, Hidden: hidden, Activation: "relu", LR: lr, BufferSize: 1_000_000,
		LearningStarts: 100, BatchSize: 256, Tau: 0.005, Gamma: 0.99, TrainFreq: 1, GradientSteps: 1,
		EvalEvery: 5000, EvalEpisodes: 10}
}

// Validate checks the shared hyperparameters; name prefixes the errors.
func (c *OffConfig) Validate(name string) error {
	switch {
	case c.Steps <= 0:
		return fmt.Errorf("%s: steps must be positive, got %d", name, c.Steps)
	case c.LR <= 0:
		return fmt.Errorf("%s: learning_rate must be positive, got %v", name, c.LR)
	case c.BufferSize <= 0 || c.BatchSize <= 0:
		return fmt.Errorf("%s: buffer_size and batch_size must be positive, got %d and %d", name, c.BufferSize, c.BatchSize)
	case c.TrainFreq <= 0 || c.GradientSteps <= 0:
		return fmt.Errorf("%s: train_freq and gradient_steps must be positive, got %d and %d", name, c.TrainFreq, c.GradientSteps)
	case c.Tau <= 0 || c.Tau > 1:
		return fmt.Errorf("%s: tau %v is outside (0, 1]", name, c.Tau)
	case c.Gamma < 0 || c.Gamma > 1:
		return fmt.Errorf("%s: gamma %v is outside [0, 1]", name, c.Gamma)
	case c.EvalEvery > 0 && c.EvalEpisodes <= 0:
		return fmt.Errorf("%s: eval_episodes must be positive when eval_every is set", name)
	}
	_, err := nn.ParseActivation(c.Activation)
	return err
}

// TanhPolicy acts with a trained SAC or TD3 actor: tanh of its first
// dim(A) outputs (SAC's Gaussian mean, TD3's action), clipped to
// [-ClipMean, ClipMean] first when ClipMean is positive (SAC with gSDE),
// rescaled to the bounds, from observations standardised by ObsNorm when
// it is set.
type TanhPolicy struct {
	Net       *nn.MLP
	Low, High []float64
	ObsNorm   *RunningMeanStd // nil: raw observations
	ClipMean  float64         // <= 0: no clipping
	ws        *nn.Workspace
	x         []float32
	act       []float64
}

// Act is the deterministic action for obs.
func (p *TanhPolicy) Act(obs []float64) env.Action {
	if p.ws == nil {
		p.ws, p.x = p.Net.NewWorkspace(1), make([]float32, p.Net.In())
	}
	if p.ObsNorm != nil {
		p.ObsNorm.Normalize(p.x, obs)
	} else {
		ToFloat32(p.x, obs)
	}
	out := p.Net.Forward(p.ws, p.x, 1)
	p.act = p.act[:0]
	for j := range p.Low {
		m := float64(out[j])
		if p.ClipMean > 0 {
			m = min(max(m, -p.ClipMean), p.ClipMean)
		}
		p.act = append(p.act, Rescale(math.Tanh(m), p.Low[j], p.High[j]))
	}
	return env.Action{Continuous: p.act}
}

// OffResult is what SAC or TD3 training produced.
type OffResult struct {
	Policy    *TanhPolicy // the trained (or best evaluated) policy
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

// OffAgent is the state SAC and TD3 share: the actor, the twin critics
// and their Polyak targets with their backend groups, the replay buffer,
// the statistics of the optional normalisation, periodic evaluation with
// the best weights kept, and their checkpoints. The agents add their
// gradient step and exploration.
type OffAgent struct {
	Name  string // "sac", "td3"
	Cfg   OffConfig
	Rng   *rand.Rand
	src   *rand.PCG
	Actor *nn.MLP
	// ActorNets are the networks the actor group Pi trains: Actor itself,
	// or after SplitActor its hidden layers and its output layer.
	ActorNets      []*nn.MLP
	Q1, Q2         *nn.MLP // Go copies, synced after each critic step
	T1, T2         *nn.MLP // targets
	Critics, Pi    backend.Group
	ObsDim, ActDim int
	Low, High      []float64
	Buf            *Replay
	Batch          *Batch // the batch Sample fills
	Clock          *trainloop.Clock
	GradSteps      int
	Res            *OffResult
	gb             backend.GroupBackend
	obsRMS, retRMS *RunningMeanStd
	best           *trainloop.Best
	bestNorm       *RunningMeanStd // the statistics of the best weights
	evalEnv        env.Env
	eps            trainloop.Episodes
	lastEval       int
}

// NewOffAgent builds an agent named name with an actor of actorOut(dim(A))
// outputs on environments from mk (Box actions), its groups on be (go or
// tf), and returns it with its training environment, seeded.
func NewOffAgent(ctx context.Context, name string, cfg OffConfig, actorOut func(actDim int) int, mk trainloop.EnvFactory, be backend.Backend, seed uint64) (*OffAgent, env.Env, error) {
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
		return nil, nil, fmt.Errorf("%s needs a Box action space, but %s has %s actions; use ppo or dqn for discrete actions, or a continuous environment (e.g. Pendulum-v1)", name, spec.ID, spec.Action)
	}
	src := rand.NewPCG(seed, trainloop.Mix(seed, trainloop.StreamAgent))
	g := &OffAgent{Name: name, Cfg: cfg, src: src, Rng: rand.New(src), gb: gb,
		Clock: trainloop.NewClock(be), best: trainloop.NewBest(), lastEval: -1,
		ObsDim: spec.Observation.Dim(), ActDim: len(spec.Action.Low), Low: spec.Action.Low, High: spec.Action.High}
	act, _ := nn.ParseActivation(cfg.Activation)
	if g.Actor, err = nn.New(nn.Spec{In: g.ObsDim, Hidden: cfg.Hidden, Act: act, Out: actorOut(g.ActDim)}, g.Rng); err != nil {
		return nil, nil, err
	}
	qSpec := nn.Spec{In: g.ObsDim + g.ActDim, Hidden: cfg.Hidden, Act: act, Out: 1}
	if g.Q1, err = nn.New(qSpec, g.Rng); err != nil {
		return nil, nil, err
	}
	if g.Q2, err = nn.New(qSpec, g.Rng); err != nil {
		return nil, nil, err
	}
	g.T1, g.T2 = g.Q1.Clone(), g.Q2.Clone()
	if g.Critics, err = gb.NewGroup(ctx, backend.GroupConfig{LR: cfg.LR}, []*nn.MLP{g.Q1, g.Q2}); err != nil {
		return nil, nil, fmt.Errorf("%s: creating the critics on the %s backend: %w", name, be.Name(), err)
	}
	g.ActorNets = []*nn.MLP{g.Actor}
	if g.Pi, err = gb.NewGroup(ctx, backend.GroupConfig{LR: cfg.LR}, g.ActorNets); err != nil {
		return nil, nil, fmt.Errorf("%s: creating the actor on the %s backend: %w", name, be.Name(), err)
	}
	if g.Buf, err = NewReplay(min(cfg.BufferSize, cfg.Steps), g.ObsDim, g.ActDim); err != nil {
		return nil, nil, err
	}
	g.Batch = g.Buf.NewBatch(cfg.BatchSize)
	if cfg.NormalizeObs {
		g.obsRMS = NewRunningMeanStd(g.ObsDim)
	}
	if cfg.NormalizeReward {
		g.retRMS = NewRunningMeanStd(1)
	}
	if cfg.EvalEvery > 0 {
		if g.evalEnv, err = mk(); err != nil {
			return nil, nil, err
		}
		g.evalEnv.Seed(trainloop.Mix(seed, trainloop.StreamPeriodicEval))
	}
	g.Res = &OffResult{Policy: &TanhPolicy{Net: g.Actor, Low: g.Low, High: g.High}, Q1: g.Q1, Q2: g.Q2, Last: map[string]float64{}}
	e.Seed(trainloop.Mix(seed, trainloop.StreamTrainEnv))
	return g, e, nil
}

// SplitActor makes Pi train the actor as two networks that share its
// parameters (ActorNets): Body, its hidden layers with a linear output
// (the agent applies the hidden activation itself), and Head, its output
// layer. An agent whose loss reaches the last hidden layer by another path
// than the output layer (SAC's gSDE, whose noise scales with it) adds that
// gradient to Body's. The actor needs a hidden layer. The new group
// replaces the one NewOffAgent made (an agent splits before training; on
// the tf backend the worker frees the unused one when the backend closes).
func (g *OffAgent) SplitActor(ctx context.Context) (body, head *nn.MLP, err error) {
	L := len(g.Actor.Layers)
	if L < 2 {
		return nil, nil, fmt.Errorf("%s: the actor needs a hidden layer to split", g.Name)
	}
	last := g.Actor.Layers[L-1]
	nb := len(g.Actor.Params) - last.In*last.Out - last.Out
	body = &nn.MLP{Layers: slices.Clone(g.Actor.Layers[:L-1]), Params: g.Actor.Params[:nb:nb]}
	body.Layers[L-2].Act = nn.Linear
	head = &nn.MLP{Layers: []nn.Layer{last}, Params: g.Actor.Params[nb:]}
	g.ActorNets = []*nn.MLP{body, head}
	if g.Pi, err = g.gb.NewGroup(ctx, backend.GroupConfig{LR: g.Cfg.LR}, g.ActorNets); err != nil {
		return nil, nil, fmt.Errorf("%s: creating the split actor on the %s backend: %w", g.Name, g.gb.Name(), err)
	}
	return body, head, nil
}

// Sample fills Batch with transitions drawn uniformly with replacement,
// normalised when the run normalises.
func (g *OffAgent) Sample() *Batch {
	g.Buf.Sample(g.Rng, g.Batch)
	NormalizeBatch(g.Batch, g.obsRMS, g.retRMS)
	return g.Batch
}

// OffHooks are what an agent adds to the shared loop.
type OffHooks struct {
	// Act writes the exploring action for a (normalised) observation.
	Act func(obs, a []float32)
	// GradientStep takes one gradient step, counting it in GradSteps.
	GradientStep func(ctx context.Context) error
	// Config is the agent's whole configuration, which a resumed run
	// must share.
	Config any
	// Save and Restore add the agent's own state (SAC's temperature,
	// TD3's actor target) to the shared state's checkpoint.
	Save, Restore func(ctx context.Context, c *ckpt.Checkpoint) error
	// RolloutStep, when set, is OffPolicy.RolloutStep.
	RolloutStep func(collected int)
}

// Run trains on e with the shared loop, reporting to and checkpointing
// through hooks (may be nil), then evaluates the final weights (when
// evaluating periodically) and keeps the best ones.
func (g *OffAgent) Run(ctx context.Context, e env.Env, hooks *trainloop.Hooks, h OffHooks) (*OffResult, error) {
	cfg := g.Cfg
	g.Clock.Setup = time.Since(g.Clock.Start())
	loop := &OffPolicy{Name: g.Name, Steps: cfg.Steps, LearningStarts: cfg.LearningStarts, TrainFreq: cfg.TrainFreq,
		GradientSteps: cfg.GradientSteps, EvalEvery: cfg.EvalEvery, StopAt: cfg.StopAt, Rng: g.Rng,
		Low: g.Low, High: g.High, Buf: g.Buf, Clock: g.Clock, Episodes: &g.eps, Last: g.Res.Last,
		GradSteps: &g.GradSteps, ObsRMS: g.obsRMS, RetRMS: g.retRMS, Gamma: cfg.Gamma,
		Act: h.Act, GradientStep: h.GradientStep, Evaluate: g.evaluate, RolloutStep: h.RolloutStep,
		Save: func(ctx context.Context, c *ckpt.Checkpoint) error {
			if err := g.save(ctx, c, h.Config); err != nil {
				return err
			}
			return h.Save(ctx, c)
		},
		Restore: func(ctx context.Context, c *ckpt.Checkpoint) error {
			if err := g.restore(ctx, c, h.Config); err != nil {
				return err
			}
			return h.Restore(ctx, c)
		}}
	steps, stopped, err := loop.Run(ctx, e, hooks)
	g.Res.Steps, g.Res.StoppedAt = steps, stopped
	if err != nil {
		return nil, err
	}
	return g.finish(ctx)
}

func (g *OffAgent) evaluate(ctx context.Context, step int) (float64, error) {
	t0 := time.Now()
	p := g.Res.Policy
	if g.obsRMS != nil {
		p.ObsNorm = g.obsRMS.Clone()
	}
	ev, err := Evaluate(ctx, g.evalEnv, g.Cfg.EvalEpisodes, p.Act)
	g.Clock.Eval += time.Since(t0)
	if err != nil {
		return 0, err
	}
	if g.best.Offer(ev.Mean, step, g.Actor) {
		g.bestNorm = p.ObsNorm
	}
	g.lastEval = step
	return ev.Mean, nil
}

func (g *OffAgent) finish(ctx context.Context) (*OffResult, error) {
	res := g.Res
	if g.obsRMS != nil {
		res.Policy.ObsNorm = g.obsRMS.Clone()
	}
	if g.Cfg.EvalEvery > 0 {
		if g.lastEval != res.Steps {
			if _, err := g.evaluate(ctx, res.Steps); err != nil {
				return nil, err
			}
		}
		if g.best.Restore(g.Actor) {
			res.Policy.ObsNorm = g.bestNorm
		}
	}
	res.Episodes = g.eps.Count
	res.GradSteps = g.GradSteps
	res.TrainMean = g.eps.RecentMean()
	res.Best, res.BestStep = g.best.Score, g.best.Step
	res.Breakdown = g.Clock.Breakdown()
	return res, nil
}

// agentState is the shared counters of a checkpoint.
type agentState struct {
	Config    json.RawMessage `json:"config"`
	Steps     int             `json:"steps"`
	GradSteps int             `json:"gradient_steps"`
	LastEval  int             `json:"last_eval"`
	EvalRNG   *uint64         `json:"eval_rng,omitempty"` // nil: no periodic evaluation
}

func (g *OffAgent) save(ctx context.Context, c *ckpt.Checkpoint, cfg any) error {
	b, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	st := agentState{Config: b, Steps: g.Cfg.Steps, GradSteps: g.GradSteps, LastEval: g.lastEval}
	if g.evalEnv != nil {
		s, _ := env.RNGStateOf(g.evalEnv)
		st.EvalRNG = &s
	}
	if err := c.PutJSON("agent", st); err != nil {
		return err
	}
	if err := PutRNG(c, "agent_rng", g.src); err != nil {
		return err
	}
	if err := PutGroup(ctx, c, "critics", g.Critics); err != nil {
		return err
	}
	if err := PutGroup(ctx, c, "actor", g.Pi); err != nil {
		return err
	}
	PutNets(c, "targets", g.T1, g.T2)
	if err := PutBest(c, "best", g.best); err != nil {
		return err
	}
	return PutStats(c, "best_norm", g.bestNorm)
}

func (g *OffAgent) restore(ctx context.Context, c *ckpt.Checkpoint, cfg any) error {
	var st agentState
	if err := c.GetJSON("agent", &st); err != nil {
		return err
	}
	if err := SameConfig(g.Name, st.Config, cfg, st.Steps, g.Cfg.Steps); err != nil {
		return err
	}
	if st.GradSteps < 0 || st.LastEval < -1 || st.LastEval > g.Cfg.Steps || (st.EvalRNG == nil) != (g.evalEnv == nil) {
		return fmt.Errorf("%w: %s: impossible counters (gradient steps %d, last evaluation at %d)", ckpt.ErrBad, g.Name, st.GradSteps, st.LastEval)
	}
	if err := GetRNG(c, "agent_rng", g.src); err != nil {
		return err
	}
	if err := GetGroup(ctx, c, "critics", g.Critics, g.Q1, g.Q2); err != nil {
		return err
	}
	if err := GetGroup(ctx, c, "actor", g.Pi, g.ActorNets...); err != nil {
		return err
	}
	if err := GetNets(c, "targets", g.T1, g.T2); err != nil {
		return err
	}
	if _, err := GetBest(c, "best", g.best, len(g.Actor.Params)); err != nil {
		return err
	}
	var bn *RunningMeanStd
	if err := c.GetJSON("best_norm", &bn); err != nil {
		return err
	}
	if bn != nil && (g.obsRMS == nil || len(bn.Mean) != g.ObsDim || len(bn.Var) != g.ObsDim) {
		return fmt.Errorf("%w: %s: observation statistics of the best weights that do not fit the run", ckpt.ErrBad, g.Name)
	}
	g.bestNorm = bn
	if g.evalEnv != nil {
		g.evalEnv.Seed(*st.EvalRNG)
	}
	g.GradSteps, g.lastEval = st.GradSteps, st.LastEval
	return nil
}
