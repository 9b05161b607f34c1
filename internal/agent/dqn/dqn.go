// Package dqn is Deep Q-Learning (Mnih et al. 2015) with the refinements
// Stable-Baselines3 users know: a target network (hard or Polyak updates),
// Double DQN, Huber or MSE loss, a linear epsilon schedule, gradient
// clipping, and bootstrapping through time-limit truncation but not through
// termination.
//
// Go acts (epsilon-greedy on its copy of the online network), stores
// transitions, samples minibatches and computes the Bellman targets with the
// target network, which lives only in Go. The backend takes the gradient
// steps: GradientSteps minibatches per call, then returns the new weights.
package dqn

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/xlrl/xlrl/internal/agent/trainloop"
	"github.com/xlrl/xlrl/internal/backend"
	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/metric"
	"github.com/xlrl/xlrl/internal/nn"
	"github.com/xlrl/xlrl/internal/policy"
	"github.com/xlrl/xlrl/internal/replay"
)

// Config is DQN's hyperparameters; the field names follow SB3's.
type Config struct {
	Steps          int     `json:"steps"`
	Hidden         []int   `json:"hidden"`
	Activation     string  `json:"activation"`
	LR             float64 `json:"learning_rate"`
	Gamma          float64 `json:"gamma"`
	BufferSize     int     `json:"buffer_size"`
	LearningStarts int     `json:"learning_starts"`
	BatchSize      int     `json:"batch_size"`
	TrainFreq      int     `json:"train_freq"`     // env steps between training calls
	GradientSteps  int     `json:"gradient_steps"` // gradient steps per training call
	TargetUpdate   int     `json:"target_update_interval"`
	Tau            float64 `json:"tau"` // 1: hard copy every TargetUpdate steps
	// Epsilon falls linearly from ExplorationInitial to ExplorationFinal over
	// the first ExplorationFraction of Steps (SB3's schedule).
	ExplorationFraction float64 `json:"exploration_fraction"`
	ExplorationInitial  float64 `json:"exploration_initial_eps"`
	ExplorationFinal    float64 `json:"exploration_final_eps"`
	Double              bool    `json:"double"`
	Loss                string  `json:"loss"` // "huber" or "mse"
	MaxGradNorm         float64 `json:"max_grad_norm"`
	// EvalEvery > 0 evaluates the greedy policy on EvalEpisodes episodes
	// every EvalEvery steps and keeps the best weights; a StopAt ends
	// training once such an evaluation reaches it (nil: never).
	EvalEvery    int      `json:"eval_every"`
	EvalEpisodes int      `json:"eval_episodes"`
	StopAt       *float64 `json:"stop_at"`
}

// Validate reports the first unusable setting.
func (c *Config) Validate() error {
	switch {
	case c.Steps <= 0:
		return fmt.Errorf("dqn: steps must be positive, got %d", c.Steps)
	case c.BatchSize <= 0 || c.BufferSize <= 0 || c.TrainFreq <= 0 || c.GradientSteps <= 0 || c.TargetUpdate <= 0:
		return fmt.Errorf("dqn: batch_size, buffer_size, train_freq, gradient_steps and target_update_interval must be positive")
	case c.Gamma < 0 || c.Gamma > 1:
		return fmt.Errorf("dqn: gamma %v is outside [0, 1]", c.Gamma)
	case c.Tau <= 0 || c.Tau > 1:
		return fmt.Errorf("dqn: tau %v is outside (0, 1]", c.Tau)
	case c.ExplorationInitial < 0 || c.ExplorationInitial > 1 || c.ExplorationFinal < 0 || c.ExplorationFinal > 1:
		return fmt.Errorf("dqn: exploration epsilons must lie in [0, 1], got %v and %v", c.ExplorationInitial, c.ExplorationFinal)
	case c.LR <= 0:
		return fmt.Errorf("dqn: learning rate must be positive, got %v", c.LR)
	}
	if _, err := c.loss(); err != nil {
		return err
	}
	_, err := nn.ParseActivation(c.Activation)
	return err
}

func (c *Config) loss() (nn.Loss, error) {
	switch c.Loss {
	case "huber", "":
		return nn.Huber, nil
	case "mse":
		return nn.MSE, nil
	}
	return 0, fmt.Errorf("dqn: loss %q: want huber or mse", c.Loss)
}

// Result is what training produced.
type Result struct {
	Q         *nn.MLP // the trained (or best evaluated) online network
	Steps     int     // environment steps taken
	Episodes  int
	TrainMean float64 // mean return of the last 100 training episodes
	Best      float64 // best periodic evaluation (-Inf if none)
	BestStep  int
	StoppedAt int // step at which StopAt was reached (0: ran to the end)
	Breakdown trainloop.Breakdown
	GradSteps int
	FinalLoss float64
}

// Train runs DQN on environments from mk, seeded by seed, reporting to h
// (nil: nobody listens) and checkpointing through h.Checkpoint. The loop
// is CleanRL's dqn.py step for step; the clock and the checkpoints keep
// their accounts in the trainer's methods and in checkpointing.
func Train(ctx context.Context, cfg Config, mk trainloop.EnvFactory, be backend.Backend, seed uint64, h *trainloop.Hooks) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	mk = mk.Vectors()
	e, err := mk()
	if err != nil {
		return nil, err
	}
	spec := e.Spec()
	if err := trainloop.CheckSpaces("dqn", spec); err != nil {
		return nil, err
	}
	lossKind, _ := cfg.loss()
	act, _ := nn.ParseActivation(cfg.Activation)
	obsDim, nA := spec.Observation.Dim(), spec.Action.N
	src := rand.NewPCG(seed, trainloop.Mix(seed, trainloop.StreamAgent))
	rng := rand.New(src)

	// The Q-network, its target copy, the backend's copy that trains, the
	// replay buffer and the exploration schedule.
	q, err := nn.New(nn.Spec{In: obsDim, Hidden: cfg.Hidden, Act: act, Out: nA}, rng)
	if err != nil {
		return nil, err
	}
	target := q.Clone()
	clock := trainloop.NewClock(be)
	net, err := be.NewNet(ctx, backend.NetConfig{Loss: lossKind, LR: cfg.LR, MaxGradNorm: cfg.MaxGradNorm}, q)
	if err != nil {
		return nil, fmt.Errorf("dqn: creating the network on the %s backend: %w", be.Name(), err)
	}
	clock.Setup = time.Since(clock.Start())
	buf, err := replay.New(min(cfg.BufferSize, cfg.Steps), obsDim)
	if err != nil {
		return nil, err
	}
	epsilon := policy.Linear{Start: cfg.ExplorationInitial, End: cfg.ExplorationFinal,
		Steps: max(1, int64(cfg.ExplorationFraction*float64(cfg.Steps)))}
	t := &trainer{cfg: cfg, rng: rng, q: q, target: target, net: net, buf: buf, nA: nA,
		mb: replay.NewBatch(cfg.BatchSize, obsDim), bs: backend.NewBatches(cfg.GradientSteps, cfg.BatchSize, obsDim),
		wsT: target.NewWorkspace(cfg.BatchSize), clock: clock, e: e, greedy: trainloop.NewGreedy(q),
		best: trainloop.NewBest(), res: &Result{Q: q}, lastEval: -1}
	t.fwd, _ = be.(backend.Forwarder)
	if cfg.EvalEvery > 0 {
		if t.evalEnv, err = mk(); err != nil {
			return nil, err
		}
		t.evalEnv.Seed(trainloop.Mix(seed, trainloop.StreamPeriodicEval))
	}
	e.Seed(trainloop.Mix(seed, trainloop.StreamTrainEnv))
	saves, err := newCheckpointing(ctx, h.Checkpointer(), t, src)
	if err != nil {
		return nil, err
	}
	ctx = saves.work(ctx)
	res := t.res

	obs := append([]float64(nil), t.reset()...)
	for step := saves.next; step <= cfg.Steps; step++ {
		if err := saves.poll(step); err != nil {
			return nil, err
		}
		a := t.act(obs, epsilon.Value(int64(step-1)))
		next, r, term, trunc := t.step(a)
		t.buf.Add(obs, a, r, next, term)
		t.eps.Add(r)
		if term || trunc {
			t.eps.Done()
			ret, n := t.eps.Last()
			h.OnEpisode(step, ret, n)
			saves.episodeEnd(step)
			next = t.reset()
		}
		copy(obs, next)

		if step >= cfg.LearningStarts && step%cfg.TrainFreq == 0 {
			loss, err := t.train(ctx, step)
			if err != nil {
				return nil, err
			}
			values := map[string]float64{metric.Loss: loss, metric.Epsilon: epsilon.Value(int64(step))}
			if t.qN > 0 {
				values[metric.MeanQ], values[metric.MaxQ] = t.qSum/float64(t.qN), t.qMax
			}
			h.OnUpdate(step, values)
		}
		if step%cfg.TargetUpdate == 0 {
			target.SoftUpdate(q, float32(cfg.Tau))
		}
		if cfg.EvalEvery > 0 && step >= cfg.LearningStarts && step%cfg.EvalEvery == 0 {
			score, err := t.evaluate(ctx, step)
			if err != nil {
				return nil, err
			}
			h.OnEval(step, map[string]float64{metric.EvalMean: score, metric.EvalStd: t.evalStd, metric.TrainMean: t.eps.RecentMean(),
				metric.Epsilon: epsilon.Value(int64(step)), metric.Loss: res.FinalLoss})
			if cfg.StopAt != nil && score >= *cfg.StopAt {
				res.StoppedAt = step
				res.Steps = step
				break
			}
		}
		res.Steps = step
		if err := saves.after(ctx, step); err != nil {
			return nil, err
		}
	}

	if cfg.EvalEvery > 0 {
		if t.lastEval != res.Steps {
			if _, err := t.evaluate(ctx, res.Steps); err != nil {
				return nil, err
			}
		}
		t.best.Restore(q)
	}
	res.Episodes = t.eps.Count
	res.TrainMean = t.eps.RecentMean()
	res.Best, res.BestStep = t.best.Score, t.best.Step
	res.Breakdown = clock.Breakdown()
	return res, nil
}

// trainer is Train's state besides the loop's own variables.
type trainer struct {
	cfg       Config
	rng       *rand.Rand
	q, target *nn.MLP
	net       backend.Net
	fwd       backend.Forwarder // nil: target forward passes in Go
	buf       *replay.Buffer
	nA        int
	mb        *replay.Batch
	bs        *backend.Batches
	wsT       *nn.Workspace
	clock     *trainloop.Clock
	e         env.Env // the training environment
	evalEnv   env.Env // nil: no periodic evaluation
	greedy    *trainloop.Greedy
	best      *trainloop.Best
	eps       trainloop.Episodes
	res       *Result
	lastEval  int     // step of the last periodic evaluation (-1: none)
	evalStd   float64 // the spread of the last evaluation's episodes
	// Statistics of max_a Q_target(s', a) over the last fillBatches, for
	// the Q-values progression of the run's metrics.
	qSum, qMax float64
	qN         int
	// K*N next states, rewards and terminal flags of the minibatches, and
	// the target Q-values of the next states (for Double DQN they live in
	// bs.Double).
	next       []float32
	rew        []float32
	terminated []bool
	qT         []float32
}

// act is epsilon-greedy: a uniform random action with probability
// epsilon, else the online network's argmax for obs.
func (t *trainer) act(obs []float64, epsilon float64) int {
	if t.rng.Float64() < epsilon {
		return t.rng.IntN(t.nA)
	}
	t0 := time.Now()
	a := t.greedy.Act(obs)
	t.clock.Forward += time.Since(t0)
	return a
}

// step steps the training environment with action a.
func (t *trainer) step(a int) (next []float64, r float64, term, trunc bool) {
	t0 := time.Now()
	next, r, term, trunc = t.e.Step(env.DiscreteAction(a))
	t.clock.Env += time.Since(t0)
	return next, r, term, trunc
}

// reset starts a training episode.
func (t *trainer) reset() []float64 {
	t0 := time.Now()
	obs := t.e.Reset()
	t.clock.Env += time.Since(t0)
	return obs
}

// train samples GradientSteps minibatches, computes their targets and has
// the backend take the gradient steps; it returns the loss of the last.
func (t *trainer) train(ctx context.Context, step int) (float64, error) {
	t0 := time.Now()
	if err := t.fillBatches(ctx); err != nil {
		return 0, fmt.Errorf("dqn: computing targets at env step %d: %w", step, err)
	}
	t.clock.Forward += time.Since(t0)
	loss, err := t.net.Fit(ctx, t.bs, t.q)
	if err != nil {
		return 0, fmt.Errorf("dqn: training step at env step %d: %w", step, err)
	}
	t.res.FinalLoss = loss
	t.res.GradSteps += t.cfg.GradientSteps
	return loss, nil
}

// evaluate scores the greedy policy on fresh episodes and keeps the best
// weights.
func (t *trainer) evaluate(ctx context.Context, step int) (float64, error) {
	t0 := time.Now()
	ev, err := trainloop.Evaluate(ctx, t.evalEnv, t.cfg.EvalEpisodes, t.greedy.Act)
	t.clock.Eval += time.Since(t0)
	if err != nil {
		return 0, err
	}
	t.best.Offer(ev.Mean, step, t.q)
	t.evalStd = ev.Std
	t.lastEval = step
	return ev.Mean, nil
}

// fillBatches samples GradientSteps minibatches and computes their targets
// with the target weights as they are now: the backend then takes the steps
// in one call. For Double DQN the target network's Q-values go to the
// backend, which takes the argmax with the online weights of each step
// (backend.Bootstrap).
func (t *trainer) fillBatches(ctx context.Context) error {
	k, n, d := t.bs.K, t.bs.N, t.buf.Dim()
	if t.next == nil {
		t.rew = make([]float32, k*n)
		t.terminated = make([]bool, k*n)
		if t.cfg.Double {
			t.bs.Double = t.bs.NewBootstrap(t.nA)
			t.next, t.qT, t.rew = t.bs.Double.Next, t.bs.Double.QTarget, t.bs.Double.R
		} else {
			t.next = make([]float32, k*n*d)
			t.qT = make([]float32, k*n*t.nA)
		}
	}
	for i := 0; i < k; i++ {
		_ = t.buf.Sample(t.rng, t.mb) // not empty: learning starts after a step
		x, a, _ := t.bs.Row(i)
		copy(x, t.mb.Obs)
		copy(a, t.mb.Act)
		copy(t.next[i*n*d:], t.mb.Next)
		copy(t.rew[i*n:], t.mb.Rew)
		copy(t.terminated[i*n:], t.mb.Terminated)
	}
	if t.fwd != nil {
		if err := t.fwd.ForwardBatch(ctx, []*nn.MLP{t.target}, t.next, k*n, [][]float32{t.qT}); err != nil {
			return err
		}
	} else {
		for i := 0; i < k; i++ {
			rows := t.next[i*n*d : (i+1)*n*d]
			copy(t.qT[i*n*t.nA:], t.target.Forward(t.wsT, rows, n))
		}
	}
	if dd := t.bs.Double; dd != nil {
		for i, term := range t.terminated {
			dd.Discount[i] = float32(t.cfg.Gamma)
			if term {
				dd.Discount[i] = 0
			}
		}
	} else {
		Targets(t.bs.Y, t.rew, t.terminated, t.qT, t.nA, float32(t.cfg.Gamma))
	}
	// The Q-value statistics cover the next states that bootstrap: a
	// terminal state's values never enter a target, so nothing trains them.
	t.qSum, t.qMax, t.qN = 0, math.Inf(-1), 0
	for i := 0; i < k*n; i++ {
		if t.terminated[i] {
			continue
		}
		best := float64(slices.Max(t.qT[i*t.nA : (i+1)*t.nA]))
		t.qSum += best
		t.qMax = max(t.qMax, best)
		t.qN++
	}
	return nil
}

// Targets writes the Bellman targets y = r + gamma * (1 - terminated) *
// max_a Q_target(s', a). Truncated transitions are not terminated and so
// bootstrap. (Double DQN's targets need the online network of each gradient
// step: the backend computes them, backend.Bootstrap.)
func Targets(y, r []float32, terminated []bool, qTarget []float32, nA int, gamma float32) {
	for i := range y {
		y[i] = r[i]
		if terminated[i] {
			continue
		}
		y[i] += gamma * slices.Max(qTarget[i*nA:(i+1)*nA])
	}
}
