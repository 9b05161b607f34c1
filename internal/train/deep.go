package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/xlrl/xlrl/internal/agent/dqn"
	"github.com/xlrl/xlrl/internal/agent/trainloop"
	"github.com/xlrl/xlrl/internal/agent/zoo"
	"github.com/xlrl/xlrl/internal/backend"
	"github.com/xlrl/xlrl/internal/ckpt"
	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/metric"
	"github.com/xlrl/xlrl/internal/nn"
	"github.com/xlrl/xlrl/internal/run"
	"github.com/xlrl/xlrl/internal/worker"
)

// bestPeriodic is the best periodic evaluation's mean return, nil when the
// run made none (the agents report -Inf then, which JSON cannot hold).
func bestPeriodic(best float64) *float64 {
	if math.IsInf(best, -1) {
		return nil
	}
	return &best
}

// DeepResult is the deep RL part of the result.
type DeepResult struct {
	Backend       string              `json:"backend"`
	Tuned         bool                `json:"tuned"`
	GradientSteps int                 `json:"gradient_steps"`
	BestPeriodic  *float64            `json:"best_periodic_eval,omitempty"` // nil: no periodic evaluation ran
	StoppedAt     int                 `json:"stopped_at_step"`
	Solved        *bool               `json:"solved,omitempty"`
	Time          trainloop.Breakdown `json:"time"`
	Params        int                 `json:"params"`
	WorkerStartS  float64             `json:"worker_start_s"` // tf: starting the worker and importing TensorFlow
}

func init() { register(trainDeep, evalDeep, zoo.Algos...) }

// tabularOnly are train flags that the deep RL algorithms do not read.
var tabularOnly = []string{"episodes", "lr-end", "explore", "schedule", "explore-start", "explore-end",
	"decay-steps", "decay", "ucb-c", "map", "slippery"}

// zooOptions turns the flags into the options of zoo.Run (without
// Progress), checking them and the environment's spaces.
func (fl *Flags) zooOptions() (zoo.Options, *env.Spec, error) {
	o := &fl.Options
	for _, f := range tabularOnly {
		if fl.Changed(f) {
			return zoo.Options{}, nil, fmt.Errorf("--%s applies to the tabular agents, not to %s (deep RL takes --steps, --lr, --layers/--arch, --backend)", f, o.Algo)
		}
	}
	spec, err := env.LookupWith(o.Env, fl.envOptions()...)
	if err != nil {
		return zoo.Options{}, nil, err
	}
	if err := trainloop.CheckSpaces(o.Algo, spec); err != nil {
		return zoo.Options{}, nil, err
	}
	opts, err := fl.deepOverrides()
	return opts, spec, err
}

// deepOverrides are the given flags as zoo.Options overrides.
func (fl *Flags) deepOverrides() (zoo.Options, error) {
	o := &fl.Options
	opts := zoo.Options{Env: o.Env, EnvOptions: fl.envOptions(), Algo: o.Algo, Seed: o.Seed, Arch: o.Deep.Arch, NoEarlyStop: o.Deep.NoEarlyStop}
	var err error
	if opts.Set, err = fl.hpSet(); err != nil {
		return opts, err
	}
	if fl.Changed("steps") {
		if o.Steps <= 0 {
			return opts, fmt.Errorf("--steps %d: want a positive number of environment steps", o.Steps)
		}
		opts.Steps = int(o.Steps)
	}
	if fl.Changed("lr") {
		opts.LR = o.LR
	}
	if fl.Changed("gamma") {
		opts.Gamma = o.Gamma
	}
	if fl.Changed("eval-episodes") {
		opts.EvalEpisodes = o.EvalEpisodes
	}
	if fl.Changed("layers") {
		if opts.Hidden, err = nn.ParseLayers(o.Deep.Layers); err != nil {
			return opts, fmt.Errorf("--layers: %w", err)
		}
		if opts.Hidden == nil {
			opts.Hidden = []int{}
		}
	}
	if o.Deep.Arch != "" && fl.Changed("layers") {
		return opts, fmt.Errorf("--arch and --layers both describe the network: give one of them")
	}
	if _, ok := zoo.Architectures[o.Deep.Arch]; o.Deep.Arch != "" && !ok {
		return opts, fmt.Errorf("--arch %q: unknown architecture; known: %s (or give --layers such as 64,64)", o.Deep.Arch, zoo.ArchitectureNames())
	}
	return opts, nil
}

// workerBackend is a tf backend on a worker that the run started: closing
// it frees the networks and then stops the worker, so that a library
// caller's process keeps no Python process per training.
type workerBackend struct {
	*backend.TF
	worker *worker.Client
}

func (b *workerBackend) Close() error {
	return errors.Join(b.TF.Close(), b.worker.Close())
}

// announce prints which training starts and returns the hooks that print
// its periodic evaluations.
func announce(out io.Writer, fl *Flags, backendName string) *trainloop.Hooks {
	fmt.Fprintf(out, "training %s on %s with the %s backend (seed %d)\n", fl.Algo, fl.Env, backendName, fl.Seed)
	return &trainloop.Hooks{Eval: func(step int, m map[string]float64) {
		fmt.Fprintf(out, "step %7d: periodic eval %.1f, mean training return (last 100) %.1f\n", step, m[metric.EvalMean], m[metric.TrainMean])
	}}
}

// openBackend opens the --backend; the tf one starts the worker (its log in
// the run directory when there is one) and reports how long that took.
func openBackend(ctx context.Context, name string, r *Run, h Hooks) (backend.Backend, time.Duration, error) {
	switch name {
	case "go":
		return backend.NewGo(), 0, nil
	case "tf":
		t0 := time.Now()
		logFile := ""
		if r != nil {
			logFile = r.dir.WorkerLog()
		}
		c, err := h.StartWorker(ctx, logFile)
		if err != nil {
			return nil, 0, fmt.Errorf("the tf backend needs the Python worker (or use --backend go): %w", err)
		}
		return &workerBackend{TF: backend.NewTF(c), worker: c}, time.Since(t0), nil
	}
	b, ok, err := backend.OpenOptional(ctx, name)
	if !ok {
		hint := ""
		if name == "gorgonia" {
			hint = " (the gorgonia backend is built only with `go build -tags gorgonia`, e.g. `make build-gorgonia`)"
		}
		return nil, 0, fmt.Errorf("--backend %q: want one of %s%s", name, strings.Join(backend.Names(), ", "), hint)
	}
	return b, 0, err
}

func trainDeep(ctx context.Context, fl *Flags, r *Run, h Hooks) (*Result, error) {
	opts, spec, err := fl.zooOptions()
	if err != nil {
		return nil, err
	}
	be, workerStart, err := openBackend(ctx, fl.Deep.Backend, r, h)
	if err != nil {
		return nil, err
	}
	defer be.Close()

	opts.Hooks = announce(h.Progress, fl, be.Name())
	var rec *deepRecorder
	if r != nil {
		rec = r.deepRun(ctx, &opts)
	}
	rep, err := zoo.Run(ctx, opts, be)
	if err != nil {
		return nil, fmt.Errorf("%s on %s (%s backend): %w", fl.Algo, fl.Env, be.Name(), err)
	}
	if rec != nil {
		if rec.err != nil {
			return nil, rec.err
		}
		if err := r.savePolicy(rep.Policy, int64(rep.Steps), int64(rep.Episodes)); err != nil {
			return nil, err
		}
	}
	return deepResult(rep, spec, workerStart), nil
}

// deepResult is the result of a network agent's training run.
func deepResult(rep *zoo.Report, spec *env.Spec, workerStart time.Duration) *Result {
	res := &Result{
		Env: rep.Env, Algo: rep.Algo, Seed: rep.Seed, MeanReturn: rep.Eval.Mean, StdReturn: rep.Eval.Std,
		EvalEpisodes: rep.Eval.Episodes, TrainEpisodes: int64(rep.Episodes), TrainSteps: int64(rep.Steps),
		Deep: &DeepResult{Backend: rep.Backend, Tuned: rep.Tuned, GradientSteps: rep.GradSteps,
			BestPeriodic: bestPeriodic(rep.BestPeriodic), StoppedAt: rep.StoppedAt, Solved: rep.Solved, Time: rep.Breakdown,
			Params: len(rep.Policy.Params), WorkerStartS: workerStart.Seconds()},
	}
	res.SuccessRate = successRate(spec, rep.Eval.Returns)
	// The hyperparameters as their JSON names, for the result line.
	b, _ := json.Marshal(rep.Hyper)
	_ = json.Unmarshal(b, &res.Hyper)
	return res
}

// successRate is the share of returns at or above the environment's
// reward threshold (0 when it has none), as ReachedThreshold counts them.
func successRate(spec *env.Spec, returns []float64) float64 {
	if len(returns) == 0 {
		return 0
	}
	n, reached := 0, ReachedThreshold(spec)
	for _, r := range returns {
		if reached(r, false) {
			n++
		}
	}
	return float64(n) / float64(len(returns))
}

// PolicyKind names the checkpoints of the deep agents' final policy
// network: enough for xlrl eval, not for --resume (no optimizer state or
// replay buffer yet).
const PolicyKind = "deep-policy"

// deepRecorder is the run as the hooks of a deep trainer: every episode
// and update it reports goes to metrics.jsonl and the progress line.
type deepRecorder struct {
	r        *Run
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
	if err != nil {
		return 0
	}
	return int64(h.Steps())
}

// deepRun connects a deep trainer to the run through opts.Hooks: the
// recorder, each periodic evaluation as an eval record, and checkpoints
// into the run (ctx is the run's: its end marks a checkpoint saved on
// interruption).
func (r *Run) deepRun(ctx context.Context, opts *zoo.Options) *deepRecorder {
	r.startProgress(fmt.Sprintf("%s %s", opts.Algo, opts.Env), "steps", deepTotalSteps(*opts), r.counters.Steps)
	rec := &deepRecorder{r: r, episodes: r.counters.Episodes}
	opts.Hooks = &trainloop.Hooks{Episode: rec.Episode, Update: rec.Update,
		Eval: func(step int, m map[string]float64) {
			r.bar.Set("eval", m[metric.EvalMean])
			if err := r.ready(); err != nil {
				rec.keep(err)
				return
			}
			rec.keep(r.metrics.Write(run.Record{Kind: metric.KindEval, Step: int64(step),
				Values: map[string]float64{metric.EvalMean: m[metric.EvalMean], metric.EvalStd: m[metric.EvalStd]}}))
		},
		Checkpoint: &deepCheckpointer{r: r, ctx: ctx}}
	return rec
}

// deepCheckpointer is the run as a trainloop.Checkpointer: trainers that can save
// their whole state (DQN on the go backend) checkpoint into the run.
type deepCheckpointer struct {
	r   *Run
	ctx context.Context
}

func (d *deepCheckpointer) Resumed() *ckpt.Checkpoint { return d.r.resumed }
func (d *deepCheckpointer) Due() bool                 { return d.r.checkpointDue() }

func (d *deepCheckpointer) Save(c *ckpt.Checkpoint, step, episodes int) error {
	if err := d.r.saveCheckpoint(c, Counters{Steps: int64(step), Episodes: int64(episodes)}); err != nil {
		return err
	}
	if d.ctx.Err() != nil {
		d.r.interruptSaved = true
	}
	return nil
}

// savePolicy writes the trained network as the run's checkpoint.
func (r *Run) savePolicy(policy *nn.MLP, steps, episodes int64) error {
	r.bar.Update(steps)
	c, err := PolicyCheckpoint(policy)
	if err != nil {
		return err
	}
	return r.saveCheckpoint(c, Counters{Steps: steps, Episodes: episodes})
}

// PolicyCheckpoint is a checkpoint of kind PolicyKind holding policy.
func PolicyCheckpoint(policy *nn.MLP) (*ckpt.Checkpoint, error) {
	c := ckpt.New(PolicyKind)
	spec := policy.Spec()
	if err := c.PutJSON("policy_spec", map[string]any{
		"in": spec.In, "hidden": spec.Hidden, "activation": spec.Act.String(), "out": spec.Out}); err != nil {
		return nil, err
	}
	params := make([]float64, len(policy.Params))
	for i, p := range policy.Params {
		params[i] = float64(p)
	}
	c.PutFloat64s("policy", params)
	return c, nil
}

// LoadPolicy rebuilds the network PolicyCheckpoint wrote.
func LoadPolicy(c *ckpt.Checkpoint) (*nn.MLP, error) {
	if c.Kind != PolicyKind {
		return nil, fmt.Errorf("%w: the checkpoint holds a %q, want %q", ckpt.ErrBad, c.Kind, PolicyKind)
	}
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
		return nil, fmt.Errorf("%w: policy_spec: %v", ckpt.ErrBad, err)
	}
	spec := nn.Spec{In: s.In, Hidden: s.Hidden, Act: act, Out: s.Out}
	net, err := nn.New(spec, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, fmt.Errorf("%w: policy_spec: %v", ckpt.ErrBad, err)
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
		return nil, fmt.Errorf("%w: %v", ckpt.ErrBad, err)
	}
	return net, nil
}

// evalDeep evaluates a deep run's saved policy greedily, by default on the
// episodes of zoo.Run's final evaluation.
func evalDeep(ctx context.Context, fl *Flags, cp *ckpt.Checkpoint, episodes int, seed *uint64, res *Result) error {
	raw, err := env.Make(fl.Env, fl.envOptions()...)
	if err != nil {
		return err
	}
	e := env.OneHot(raw) // as the trainers saw it
	spec := e.Spec()
	var net *nn.MLP
	switch cp.Kind {
	case PolicyKind:
		net, err = LoadPolicy(cp)
	case dqn.CheckpointKind:
		// A run interrupted before its end: its best (else latest) Q-network.
		res.Partial = true
		net, err = dqn.GreedyNet(cp, spec.Observation.Dim(), spec.Action.N)
	default:
		err = fmt.Errorf("%w: a %s run's checkpoint holds a %q, want %q", ckpt.ErrBad, fl.Algo, cp.Kind, PolicyKind)
	}
	if err != nil {
		return err
	}
	if spec.Observation.Dim() != net.In() || spec.Action.N != net.Out() {
		return fmt.Errorf("%w: the network maps %d inputs to %d actions, %s has %d and %d",
			ckpt.ErrBad, net.In(), net.Out(), spec.ID, spec.Observation.Dim(), spec.Action.N)
	}
	if episodes == 0 {
		episodes = 100
		if fl.Changed("eval-episodes") {
			episodes = fl.EvalEpisodes
		}
	}
	s := trainloop.Mix(fl.Seed, trainloop.StreamFinalEval)
	if seed != nil {
		s = *seed
	}
	greedy := trainloop.NewGreedy(net)
	ev, err := EvaluateEpisodes(ctx, e, func(obs []float64) env.Action { return env.DiscreteAction(greedy.Act(obs)) },
		episodes, s, ReachedThreshold(spec))
	if err != nil {
		return err
	}
	ev.fill(res)
	return nil
}
