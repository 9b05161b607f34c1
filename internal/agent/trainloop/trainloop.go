// Package trainloop holds the pieces that every network agent's training
// loop (internal/agent/dqn, pg, ppo, sac, td3) shares: greedy evaluation on
// fresh episodes, keeping the best weights seen by periodic evaluation,
// episode bookkeeping, the time breakdown of a run, seed streams and the
// checks of an environment's spaces.
package trainloop

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/xlrl/xlrl/internal/backend"
	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/nn"
)

// EnvFactory builds a fresh instance of the training environment.
type EnvFactory func() (env.Env, error)

// Vectors returns a factory of the same environments with vector
// observations: Discrete ones (FrozenLake, Taxi, CliffWalking) are one-hot
// encoded by env.OneHot. The deep trainers call it on the factory they get.
func (mk EnvFactory) Vectors() EnvFactory {
	return func() (env.Env, error) {
		e, err := mk()
		if err != nil {
			return nil, err
		}
		return env.OneHot(e), nil
	}
}

// CheckSpaces verifies that algo can handle e: a Box observation and a
// Discrete action space.
func CheckSpaces(algo string, spec *env.Spec) error {
	if spec.Action.Kind != env.Discrete {
		return fmt.Errorf("%s needs a discrete action space, but %s has %s actions; use an environment with discrete actions (e.g. CartPole-v1, MountainCar-v0, Acrobot-v1)",
			algo, spec.ID, spec.Action)
	}
	// Box observations are the network's input as they are; Discrete ones
	// are one-hot encoded (EnvFactory.Vectors).
	return nil
}

// Mix derives independent seeds from one (splitmix64), so that training,
// periodic evaluation and final evaluation see different episodes.
func Mix(seed uint64, stream uint64) uint64 {
	z := seed + 0x9e3779b97f4a7c15*(stream+1)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Seed streams: each use of randomness in a run draws from its own stream.
const (
	StreamTrainEnv uint64 = iota
	StreamAgent
	StreamPeriodicEval
	StreamFinalEval
)

// Greedy acts with the argmax of a network's outputs (Q-values or logits)
// using its own small workspace.
type Greedy struct {
	Net *nn.MLP
	ws  *nn.Workspace
	x   []float32
}

// NewGreedy prepares greedy acting with net.
func NewGreedy(net *nn.MLP) *Greedy {
	return &Greedy{Net: net, ws: net.NewWorkspace(1), x: make([]float32, net.In())}
}

// Outputs is the network's output row for obs (valid until the next call).
func (g *Greedy) Outputs(obs []float64) []float32 {
	for i, v := range obs {
		g.x[i] = float32(v)
	}
	return g.Net.Forward(g.ws, g.x, 1)
}

// Act is the greedy action for obs.
func (g *Greedy) Act(obs []float64) int { return nn.Argmax(g.Outputs(obs)) }

// Evaluation is the outcome of evaluation episodes.
type Evaluation struct {
	Episodes int       `json:"episodes"`
	Mean     float64   `json:"mean"`
	Std      float64   `json:"std"`
	Returns  []float64 `json:"-"`
}

// EvalStepLimit cuts evaluation episodes of environments without a time
// limit (CliffWalking, a user's own), where a poor greedy policy could go
// on for ever. Every evaluation uses it.
const EvalStepLimit = 100_000

// Evaluate runs episodes of e with the greedy discrete policy act and
// returns their returns.
func Evaluate(ctx context.Context, e env.Env, episodes int, act func(obs []float64) int) (Evaluation, error) {
	return PlayEpisodes(ctx, e, episodes, func(obs []float64) env.Action { return env.DiscreteAction(act(obs)) }, nil)
}

// PlayEpisodes is the one evaluation loop: it plays episodes episodes of e
// from where e's random state is, with the deterministic policy act (any
// kind of action), cutting each at the time limit or EvalStepLimit, and
// calls ended (when not nil) with each episode's return and whether it
// ended by termination.
func PlayEpisodes(ctx context.Context, e env.Env, episodes int, act func(obs []float64) env.Action,
	ended func(ret float64, terminated bool)) (Evaluation, error) {
	ev := Evaluation{Episodes: episodes}
	limit := EvalStepLimit
	if m := e.Spec().MaxEpisodeSteps; m > 0 {
		limit = m
	}
	if c, ok := e.(Copier); ok && episodes > 1 {
		v, err := c.EvalCopies(min(episodes, MaxEvalCopies))
		if err != nil {
			return ev, fmt.Errorf("evaluation: %w", err)
		}
		if ev.Returns, err = playCopies(ctx, v, episodes, limit, act, ended); err != nil {
			return ev, err
		}
		return ev.stats(), nil
	}
	for ep := 0; ep < episodes; ep++ {
		if err := ctx.Err(); err != nil {
			return ev, fmt.Errorf("evaluation stopped after %d episodes: %w", ep, err)
		}
		obs := e.Reset()
		var ret float64
		for t := 1; ; t++ {
			o, r, term, trunc := e.Step(act(obs))
			ret += r
			if term || trunc || t >= limit {
				if ended != nil {
					ended(ret, term)
				}
				break
			}
			obs = o
		}
		ev.Returns = append(ev.Returns, ret)
	}
	return ev.stats(), nil
}

// stats fills in the mean and spread of ev's returns.
func (ev Evaluation) stats() Evaluation {
	var s, s2 float64
	for _, r := range ev.Returns {
		s += r
	}
	ev.Mean = s / float64(ev.Episodes)
	for _, r := range ev.Returns {
		s2 += (r - ev.Mean) * (r - ev.Mean)
	}
	ev.Std = math.Sqrt(s2 / float64(ev.Episodes))
	return ev
}

// Copier is an environment whose evaluation episodes are cheaper played
// many at once: a worker-hosted one (internal/gymenv), where every step is
// a round trip to the worker whether it steps one copy or twenty.
// PlayEpisodes then plays its episodes over copies stepped together
// (playCopies). The Go environments are not Copiers: their evaluations play
// one episode after another, from one random stream, as always.
type Copier interface {
	// EvalCopies returns n copies stepped together, kept between calls
	// (the same n gives the same copies, their random streams going on).
	// Their next Reset is seeded as the environment's next Reset would
	// be (Seed), copy i with that seed plus i; the copies close with the
	// environment.
	EvalCopies(n int) (env.VectorEnv, error)
}

// MaxEvalCopies is the most copies PlayEpisodes steps together.
const MaxEvalCopies = 32

// playCopies plays episodes episodes over v's copies (n of them): it
// resets all copies and starts episodes 0 to n-1 in them; whenever a
// copy's episode ends, the vector's same-step reset has begun the copy's
// next episode, which becomes the next episode to play while any are left
// (copies are looked at in index order, so the schedule is deterministic).
// A copy whose episodes are all played keeps its last action until the
// last episode ends. Copy i's episodes are thus its own consecutive
// episodes, as one environment seeded like copy i would play them. An
// episode cut at limit (the environment has no time limit of its own)
// retires its copy, whose episode goes on in the vector; when no copy is
// left playing and episodes are, all copies are reset. Returns are in the
// episodes' order (the order they began).
func playCopies(ctx context.Context, v env.VectorEnv, episodes, limit int, act func(obs []float64) env.Action,
	ended func(ret float64, terminated bool)) ([]float64, error) {
	spec := v.Spec()
	n, dim := v.Len(), spec.Observation.Dim()
	discrete := spec.Action.Kind == env.Discrete
	ad := spec.Action.Dim()
	da := make([]int, n)
	ca := make([]float64, n*ad)
	setAction := func(i int, obs []float64) {
		a := act(obs[i*dim : (i+1)*dim])
		if discrete {
			da[i] = a.Discrete
		} else {
			copy(ca[i*ad:(i+1)*ad], a.Continuous)
		}
	}
	returns := make([]float64, episodes)
	playing := make([]int, n) // the episode copy i plays, -1: none
	steps := make([]int, n)   // its steps so far
	started, finished, active := 0, 0, 0
	for finished < episodes {
		if active == 0 { // the start, or every copy retired at the cut
			obs := v.Reset()
			for i := range n {
				playing[i], steps[i] = -1, 0
				if started < episodes {
					playing[i] = started
					started++
					active++
				}
				setAction(i, obs) // every copy needs a valid action
			}
		}
		if err := ctx.Err(); err != nil {
			return returns[:finished], fmt.Errorf("evaluation stopped after %d episodes: %w", finished, err)
		}
		var obs []float64
		if discrete {
			obs = v.StepDiscrete(da)
		} else {
			obs = v.StepContinuous(ca)
		}
		rw, term, trunc := v.Rewards(), v.Terminated(), v.Truncated()
		for i := range n {
			ep := playing[i]
			if ep < 0 {
				continue
			}
			returns[ep] += rw[i]
			steps[i]++
			cut := steps[i] >= limit && !term[i] && !trunc[i]
			if !term[i] && !trunc[i] && !cut {
				setAction(i, obs)
				continue
			}
			finished++
			if ended != nil {
				ended(returns[ep], term[i])
			}
			playing[i], steps[i] = -1, 0
			if !cut && started < episodes {
				playing[i] = started
				started++
				setAction(i, obs)
				continue
			}
			active--
		}
	}
	return returns, nil
}

// Breakdown is where the time of a training run went, in seconds.
type Breakdown struct {
	Env     float64 `json:"env_s"`     // environment steps and resets
	Forward float64 `json:"forward_s"` // Go forward passes and target arithmetic
	Train   float64 `json:"train_s"`   // gradient steps (Go, or TF inside the worker)
	// TFForward is batched forward passes inside the worker (the tf
	// backend's DQN targets); their Go side counts under Forward.
	TFForward float64 `json:"tf_forward_s"`
	Link      float64 `json:"link_s"`  // tf backend: encoding, pipe and decoding
	Eval      float64 `json:"eval_s"`  // periodic evaluation
	Setup     float64 `json:"setup_s"` // creating the networks (tf: TensorFlow's import, model build)
	Other     float64 `json:"other_s"` // replay, bookkeeping
	Total     float64 `json:"total_s"`
}

// Clock accumulates the time of a run's phases.
type Clock struct {
	start                     time.Time
	bt0                       backend.Timings // the backend's timings at the start (it may serve several runs)
	be                        backend.Backend
	Env, Forward, Eval, Setup time.Duration
}

// NewClock starts the run's clock for a run on be.
func NewClock(be backend.Backend) *Clock { return &Clock{start: time.Now(), be: be, bt0: be.Timings()} }

// Start is when the clock started.
func (c *Clock) Start() time.Time { return c.start }

// Breakdown closes the accounts with the backend's timings.
func (c *Clock) Breakdown() Breakdown {
	total := time.Since(c.start)
	bt := c.be.Timings()
	bt.Compute -= c.bt0.Compute
	bt.Forward -= c.bt0.Forward
	bt.Link -= c.bt0.Link
	bt.ForwardLink -= c.bt0.ForwardLink
	b := Breakdown{
		Env: c.Env.Seconds(), Forward: c.Forward.Seconds(), Eval: c.Eval.Seconds(), Setup: c.Setup.Seconds(),
		Train: bt.Compute.Seconds(), TFForward: bt.Forward.Seconds(), Total: total.Seconds(),
		Link: (bt.Link + bt.ForwardLink).Seconds(),
	}
	// Worker-side forward passes and their round trips happen inside the
	// agent's forward phase: report them apart from Go's own work.
	b.Forward = math.Max(0, b.Forward-(bt.Forward+bt.ForwardLink).Seconds())
	b.Other = math.Max(0, b.Total-b.Env-b.Forward-b.TFForward-b.Eval-b.Setup-b.Train-b.Link)
	return b
}

// Best keeps the weights that scored best on periodic evaluation, as
// rl-baselines3-zoo's EvalCallback keeps best_model: deep RL on CartPole
// often reaches the optimum and then drifts away from it.
type Best struct {
	Score  float64
	Step   int
	params []float32
}

// NewBest starts with no evaluation.
func NewBest() *Best { return &Best{Score: math.Inf(-1), Step: -1} }

// Offer records net's weights if score beats the best so far (ties go to the
// later, longer-trained weights).
func (b *Best) Offer(score float64, step int, net *nn.MLP) bool {
	if score < b.Score {
		return false
	}
	b.Score, b.Step = score, step
	b.params = append(b.params[:0], net.Params...)
	return true
}

// Restore loads the best weights into net; false if none were recorded.
func (b *Best) Restore(net *nn.MLP) bool {
	if b.params == nil {
		return false
	}
	copy(net.Params, b.params)
	return true
}

// Episodes tracks training-episode returns.
type Episodes struct {
	Count   int
	recent  []float64 // ring of the last 100
	current float64
	length  int
	lastRet float64
	lastLen int
}

// Add accumulates a reward; Done ends the episode.
func (e *Episodes) Add(r float64) { e.current += r; e.length++ }

// Last is the return and length of the episode Done ended last.
func (e *Episodes) Last() (ret float64, length int) { return e.lastRet, e.lastLen }

// Done ends the current episode.
func (e *Episodes) Done() {
	e.Record(e.current, e.length)
	e.current, e.length = 0, 0
}

// Record counts a finished episode of return ret and the given length. A
// trainer that steps several environments at once keeps each one's running
// return itself and records each episode as it ends.
func (e *Episodes) Record(ret float64, length int) {
	e.lastRet, e.lastLen = ret, length
	if len(e.recent) < 100 {
		e.recent = append(e.recent, ret)
	} else {
		e.recent[e.Count%100] = ret
	}
	e.Count++
}

// RecentMean is the mean return of the last 100 episodes (NaN if none).
func (e *Episodes) RecentMean() float64 {
	if len(e.recent) == 0 {
		return math.NaN()
	}
	var s float64
	for _, r := range e.recent {
		s += r
	}
	return s / float64(len(e.recent))
}
