package cli

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/xlrl/xlrl/internal/agent/deep"
	"github.com/xlrl/xlrl/internal/agent/zoo"
	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/nn"
	"github.com/xlrl/xlrl/internal/run"
)

// policyKind names the checkpoints of the deep agents' final policy
// network: enough for xlrl eval, not for --resume (no optimizer state or
// replay buffer yet).
const policyKind = "deep-policy"

// deepRecorder is the run as a deep.Recorder: every episode and update the
// deep trainers report goes to metrics.jsonl and the progress line.
type deepRecorder struct {
	r        *trainRun
	episodes int64
	err      error // the first write error; the trainer cannot return it
}

func (d *deepRecorder) Episode(step int, ret float64, length int) {
	d.episodes++
	d.r.bar.Update(int64(step))
	d.keep(d.r.episode(int64(step), d.episodes, ret, int64(length), nil))
}

func (d *deepRecorder) Update(step int, values map[string]float64) {
	d.keep(d.r.update(int64(step), values))
}

func (d *deepRecorder) keep(err error) {
	if err != nil && d.err == nil {
		d.err = err
	}
}

// deepTotalSteps is the step budget of a deep run, for the progress bar.
func deepTotalSteps(opts zoo.Options) int64 {
	if opts.Steps > 0 {
		return int64(opts.Steps)
	}
	h, _, err := zoo.Defaults(opts.Env, opts.Algo)
	switch {
	case err != nil:
		return 0
	case h.DQN != nil:
		return int64(h.DQN.Steps)
	case h.PG != nil:
		return int64(h.PG.Steps)
	}
	return 0
}

// deepRun connects a deep trainer to the run: the returned context carries
// the recorder, and opts.Progress logs each periodic evaluation.
func (r *trainRun) deepRun(ctx context.Context, opts *zoo.Options) (context.Context, *deepRecorder) {
	r.startProgress(fmt.Sprintf("%s %s", opts.Algo, opts.Env), "steps", deepTotalSteps(*opts), r.counters.Steps)
	rec := &deepRecorder{r: r, episodes: r.counters.Episodes}
	opts.Progress = func(step int, m map[string]float64) {
		r.bar.Set("eval", m["eval_mean"])
		rec.keep(r.metrics.Write(run.Record{Kind: run.KindEval, Step: int64(step),
			Values: map[string]float64{"eval_mean": m["eval_mean"]}}))
	}
	ctx = deep.WithCheckpointer(ctx, &deepCheckpointer{r: r, ctx: ctx})
	return deep.WithRecorder(ctx, rec), rec
}

// deepCheckpointer is the run as a deep.Checkpointer: trainers that can save
// their whole state (DQN on the go backend) checkpoint into the run.
type deepCheckpointer struct {
	r   *trainRun
	ctx context.Context
}

func (d *deepCheckpointer) Resumed() *run.Checkpoint { return d.r.resumed }
func (d *deepCheckpointer) Due() bool                { return d.r.checkpointDue() }

func (d *deepCheckpointer) Save(c *run.Checkpoint, step, episodes int) error {
	if err := d.r.saveCheckpoint(c, runCounters{Steps: int64(step), Episodes: int64(episodes)}); err != nil {
		return err
	}
	if d.ctx.Err() != nil {
		d.r.interruptSaved = true
	}
	return nil
}

// savePolicy writes the trained network as the run's checkpoint.
func (r *trainRun) savePolicy(policy *nn.MLP, steps, episodes int64) error {
	r.bar.Update(steps)
	c := run.NewCheckpoint(policyKind)
	spec := policy.Spec()
	if err := c.PutJSON("policy_spec", map[string]any{
		"in": spec.In, "hidden": spec.Hidden, "activation": spec.Act.String(), "out": spec.Out}); err != nil {
		return err
	}
	params := make([]float64, len(policy.Params))
	for i, p := range policy.Params {
		params[i] = float64(p)
	}
	c.PutFloat64s("policy", params)
	return r.saveCheckpoint(c, runCounters{Steps: steps, Episodes: episodes})
}

// loadPolicy rebuilds the network savePolicy wrote.
func loadPolicy(c *run.Checkpoint) (*nn.MLP, error) {
	var s struct {
		In         int    `json:"in"`
		Hidden     []int  `json:"hidden"`
		Activation string `json:"activation"`
		Out        int    `json:"out"`
	}
	if err := c.GetJSON("policy_spec", &s); err != nil {
		return nil, err
	}
	act, err := nn.ParseActivation(s.Activation)
	if err != nil {
		return nil, fmt.Errorf("%w: policy_spec: %v", run.ErrBadCheckpoint, err)
	}
	spec := nn.Spec{In: s.In, Hidden: s.Hidden, Act: act, Out: s.Out}
	net, err := nn.New(spec, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, fmt.Errorf("%w: policy_spec: %v", run.ErrBadCheckpoint, err)
	}
	params, err := c.Float64s("policy", spec.NumParams())
	if err != nil {
		return nil, err
	}
	p32 := make([]float32, len(params))
	for i, p := range params {
		p32[i] = float32(p)
	}
	if err := net.SetParams(p32); err != nil {
		return nil, fmt.Errorf("%w: %v", run.ErrBadCheckpoint, err)
	}
	return net, nil
}

func init() { registerEvaluator(evalDeep, zoo.Algos...) }

// evalDeep evaluates a deep run's saved policy greedily, by default on the
// episodes of zoo.Run's final evaluation.
func evalDeep(ctx context.Context, o *trainOptions, ckpt *run.Checkpoint, episodes int, seed *uint64, res *trainResult) error {
	if ckpt.Kind != policyKind {
		return fmt.Errorf("%w: a %s run's checkpoint holds a %q, want %q", run.ErrBadCheckpoint, o.algo, ckpt.Kind, policyKind)
	}
	net, err := loadPolicy(ckpt)
	if err != nil {
		return err
	}
	raw, err := env.Make(o.envID)
	if err != nil {
		return err
	}
	e := env.OneHot(raw) // as the trainers saw it
	spec := e.Spec()
	if spec.Observation.Dim() != net.In() || spec.Action.N != net.Out() {
		return fmt.Errorf("%w: the network maps %d inputs to %d actions, %s has %d and %d",
			run.ErrBadCheckpoint, net.In(), net.Out(), spec.ID, spec.Observation.Dim(), spec.Action.N)
	}
	if episodes == 0 {
		episodes = 100
		if o.changed("eval-episodes") {
			episodes = o.evalEpisodes
		}
	}
	if seed != nil {
		e.Seed(*seed)
	} else {
		e.Seed(deep.Mix(o.seed, deep.StreamFinalEval))
	}
	ev, err := deep.Evaluate(ctx, e, episodes, deep.NewGreedy(net).Act)
	if err != nil {
		return err
	}
	res.MeanReturn, res.StdReturn, res.EvalEpisodes = ev.Mean, ev.Std, ev.Episodes
	if spec.RewardThreshold != nil {
		n := 0
		for _, r := range ev.Returns {
			if r >= *spec.RewardThreshold {
				n++
			}
		}
		res.SuccessRate = float64(n) / float64(len(ev.Returns))
	}
	return nil
}
