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
	Steps          int     `yaml:"steps" json:"steps"`
	Hidden         []int   `yaml:"hidden" json:"hidden"`
	Activation     string  `yaml:"activation" json:"activation"`
	LR             float64 `yaml:"learning_rate" json:"learning_rate"`
	Gamma          float64 `yaml:"gamma" json:"gamma"`
	BufferSize     int     `yaml:"buffer_size" json:"buffer_size"`
	LearningStarts int     `yaml:"learning_starts" json:"learning_starts"`
	BatchSize      int     `yaml:"batch_size" json:"batch_size"`
	TrainFreq      int     `yaml:"train_freq" json:"train_freq"`         // env steps between training calls
	GradientSteps  int     `yaml:"gradient_steps" json:"gradient_steps"` // gradient steps per training call
	TargetUpdate   int     `yaml:"target_update_interval" json:"target_update_interval"`
	Tau            float64 `yaml:"tau" json:"tau"` // 1: hard copy every TargetUpdate steps
	// Epsilon falls linearly from ExplorationInitial to ExplorationFinal over
	// the first ExplorationFraction of Steps (SB3's schedule).
	ExplorationFraction float64 `yaml:"exploration_fraction" json:"exploration_fraction"`
	ExplorationInitial  float64 `yaml:"exploration_initial_eps" json:"exploration_initial_eps"`
	ExplorationFinal    float64 `yaml:"exploration_final_eps" json:"exploration_final_eps"`
	Double              bool    `yaml:"double" json:"double"`
	Loss                string  `yaml:"loss" json:"loss"` // "huber" or "mse"
	MaxGradNorm         float64 `yaml:"max_grad_norm" json:"max_grad_norm"`
	// EvalEvery > 0 evaluates the greedy policy on EvalEpisodes episodes
	// every EvalEvery steps and keeps the best weights; a StopAt ends
	// training once such an evaluation reaches it (nil: never).
	EvalEvery    int      `yaml:"eval_every" json:"eval_every"`
	EvalEpisodes int      `yaml:"eval_episodes" json:"eval_episodes"`
	StopAt       *float64 `yaml:"stop_at" json:"stop_at"`
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

// Train runs DQN on environments from mk, seeded by seed.
func Train(ctx context.Context, cfg Config, mk trainloop.EnvFactory, be backend.Backend, seed uint64, progress trainloop.Progress) (*Result, error) {
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

	var evalEnv env.Env
	if cfg.EvalEvery > 0 {
		if evalEnv, err = mk(); err != nil {
			return nil, err
		}
		evalEnv.Seed(trainloop.Mix(seed, trainloop.StreamPeriodicEval))
	}

	t := &trainer{cfg: cfg, rng: rng, q: q, target: target, net: net, buf: buf, nA: nA,
		mb: replay.NewBatch(cfg.BatchSize, obsDim), bs: backend.NewBatches(cfg.GradientSteps, cfg.BatchSize, obsDim),
		wsT: target.NewWorkspace(cfg.BatchSize)}
	t.fwd, _ = be.(backend.Forwarder)
	epsilon := policy.Linear{Start: cfg.ExplorationInitial, End: cfg.ExplorationFinal,
		Steps: max(1, int64(cfg.ExplorationFraction*float64(cfg.Steps)))}
	greedy := trainloop.NewGreedy(q)
	best := trainloop.NewBest()
	res := &Result{Q: q}
	var eps trainloop.Episodes

	var evalStd float64 // the spread of the last evaluation's episodes
	evaluate := func(step int) (float64, error) {
		t0 := time.Now()
		ev, err := trainloop.Evaluate(ctx, evalEnv, cfg.EvalEpisodes, greedy.Act)
		clock.Eval += time.Since(t0)
		if err != nil {
			return 0, err
		}
		best.Offer(ev.Mean, step, q)
		evalStd = ev.Std
		return ev.Mean, nil
	}

	e.Seed(trainloop.Mix(seed, trainloop.StreamTrainEnv))
	lastEval, start := -1, 1
	rec := trainloop.RecorderFrom(ctx)
	// Checkpoints need the whole training state: the go backend's nets have it.
	ck := trainloop.CheckpointerFrom(ctx)
	snap, canSnap := net.(backend.Snapshotter)
	if _, envOK := env.RNGStateOf(e); !canSnap || !envOK {
		ck = nil
	}
	var state *checkpoint
	if ck != nil {
		state = &checkpoint{src: src, q: q, target: target, net: snap, buf: &buf, best: best, eps: &eps,
			e: e, evalEnv: evalEnv, res: res, next: &start, lastEvl: &lastEval}
		if c := ck.Resumed(); c != nil {
			if err := state.restore(ctx, c, cfg); err != nil {
				return nil, err
			}
			t.buf = buf
		}
	}
	stopping := false // Ctrl-C seen: finish the episode, checkpoint, return
	saveAt, saveRNG := 0, uint64(0)
	cause := ctx
	if ck != nil {
		// Ctrl-C is noticed between steps, below. A training call it cut
		// short (most of a tf run is spent inside one) would fail the step
		// and lose the checkpoint, so the work itself is not cancelled.
		ctx = context.WithoutCancel(ctx)
	}
	t0 := time.Now()
	obs := append([]float64(nil), e.Reset()...)
	clock.Env += time.Since(t0)
	for step := start; step <= cfg.Steps; step++ {
		if step%1024 == 0 && !stopping {
			if err := cause.Err(); err != nil {
				if ck == nil {
					return nil, err
				}
				stopping = true
			}
		}
		var a int
		if rng.Float64() < epsilon.Value(int64(step-1)) {
			a = rng.IntN(nA)
		} else {
			t0 := time.Now()
			a = greedy.Act(obs)
			clock.Forward += time.Since(t0)
		}
		t0 := time.Now()
		next, r, term, trunc := e.Step(env.DiscreteAction(a))
		clock.Env += time.Since(t0)
		buf.Add(obs, a, r, next, term)
		eps.Add(r)
		if term || trunc {
			eps.Done()
			if rec != nil {
				ret, n := eps.Last()
				rec.Episode(step, ret, n)
			}
			if ck != nil && (stopping || ck.Due()) {
				// Checkpoint at the end of this step, with the environment's
				// random state from before its reset: resuming resets again.
				saveAt = step
				saveRNG, _ = env.RNGStateOf(e)
			}
			t0 := time.Now()
			next = e.Reset()
			clock.Env += time.Since(t0)
		}
		copy(obs, next)

		if step >= cfg.LearningStarts && step%cfg.TrainFreq == 0 {
			t0 := time.Now()
			if err := t.fillBatches(ctx); err != nil {
				return nil, fmt.Errorf("dqn: computing targets at env step %d: %w", step, err)
			}
			clock.Forward += time.Since(t0)
			loss, err := net.Fit(ctx, t.bs, q)
			if err != nil {
				return nil, fmt.Errorf("dqn: training step at env step %d: %w", step, err)
			}
			res.FinalLoss = loss
			res.GradSteps += cfg.GradientSteps
			if rec != nil {
				values := map[string]float64{metric.Loss: loss, metric.Epsilon: epsilon.Value(int64(step))}
				if t.qN > 0 {
					values[metric.MeanQ], values[metric.MaxQ] = t.qSum/float64(t.qN), t.qMax
				}
				rec.Update(step, values)
			}
		}
		if step%cfg.TargetUpdate == 0 {
			target.SoftUpdate(q, float32(cfg.Tau))
		}
		if cfg.EvalEvery > 0 && step >= cfg.LearningStarts && step%cfg.EvalEvery == 0 {
			score, err := evaluate(step)
			if err != nil {
				return nil, err
			}
			lastEval = step
			if progress != nil {
				progress(step, map[string]float64{metric.EvalMean: score, metric.EvalStd: evalStd, metric.TrainMean: eps.RecentMean(),
					metric.Epsilon: epsilon.Value(int64(step)), metric.Loss: res.FinalLoss})
			}
			if cfg.StopAt != nil && score >= *cfg.StopAt {
				res.StoppedAt = step
				res.Steps = step
				break
			}
		}
		res.Steps = step
		if saveAt == step {
			start = step + 1
			c, err := state.save(ctx, cfg, saveRNG)
			if err == nil {
				err = ck.Save(c, step, eps.Count)
			}
			if err != nil {
				return nil, fmt.Errorf("dqn: checkpoint at step %d: %w", step, err)
			}
			if stopping {
				return nil, fmt.Errorf("dqn: stopped after step %d: %w", step, context.Cause(cause))
			}
		}
	}
	if cfg.EvalEvery > 0 {
		if lastEval != res.Steps {
			if _, err := evaluate(res.Steps); err != nil {
				return nil, err
			}
		}
		best.Restore(q)
	}
	res.Episodes = eps.Count
	res.TrainMean = eps.RecentMean()
	res.Best, res.BestStep = best.Score, best.Step
	res.Breakdown = clock.Breakdown()
	return res, nil
}

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
