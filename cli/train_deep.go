package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/xlrl/xlrl/internal/agent/deep"
	"github.com/xlrl/xlrl/internal/agent/zoo"
	"github.com/xlrl/xlrl/internal/backend"
	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/nn"
)

// deepFlags are the flags only the deep RL algorithms read.
type deepFlags struct {
	backend     string
	layers      string
	arch        string
	noEarlyStop bool
	hp          []string
}

func (d *deepFlags) register(f *pflag.FlagSet) {
	f.StringVar(&d.backend, "backend", "tf", "deep RL: where gradient steps run: tf (the Python worker) or go (pure Go, no Python)")
	f.StringVar(&d.layers, "layers", "", "deep RL: hidden layer sizes, e.g. 64,64 (default: tuned)")
	f.StringVar(&d.arch, "arch", "", "deep RL: a named network instead of --layers: seed (Dense 32 relu, Adam 0.001, MSE)")
	f.BoolVar(&d.noEarlyStop, "no-early-stop", false, "deep RL: use the whole step budget even after a perfect periodic evaluation")
	f.StringArrayVar(&d.hp, "hp", nil, "deep RL: set a hyperparameter of the tuned table by name, e.g. --hp double=false --hp train_freq=4 (repeatable; see docs/deeprl.md)")
}

// deepResult is the deep RL part of the result.
type deepResult struct {
	Backend       string         `json:"backend"`
	Tuned         bool           `json:"tuned"`
	GradientSteps int            `json:"gradient_steps"`
	BestPeriodic  float64        `json:"best_periodic_eval"`
	StoppedAt     int            `json:"stopped_at_step"`
	Solved        *bool          `json:"solved,omitempty"`
	Time          deep.Breakdown `json:"time"`
	Params        int            `json:"params"`
	WorkerStartS  float64        `json:"worker_start_s"` // tf: starting the worker and importing TensorFlow
}

func init() { registerTrainer(trainDeep, zoo.Algos...) }

// tabularOnly are train flags that the deep RL algorithms do not read.
var tabularOnly = []string{"episodes", "lr-end", "explore", "schedule", "explore-start", "explore-end",
	"decay-steps", "decay", "ucb-c", "map", "slippery"}

func trainDeep(ctx context.Context, w io.Writer, o *trainOptions) (*trainResult, error) {
	for _, f := range tabularOnly {
		if o.changed(f) {
			return nil, usageErrorf("--%s applies to the tabular agents, not to %s (deep RL takes --steps, --lr, --layers/--arch, --backend)", f, o.algo)
		}
	}
	spec, err := env.Lookup(o.envID)
	if err != nil {
		return nil, err
	}
	if err := deep.CheckSpaces(o.algo, spec); err != nil {
		return nil, err
	}
	opts := zoo.Options{Env: o.envID, Algo: o.algo, Seed: o.seed, Arch: o.deep.arch, NoEarlyStop: o.deep.noEarlyStop}
	for _, kv := range o.deep.hp {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usageErrorf("--hp %q: want name=value, e.g. --hp double=false", kv)
		}
		if opts.Set == nil {
			opts.Set = map[string]string{}
		}
		opts.Set[k] = v
	}
	if o.changed("steps") {
		if o.steps <= 0 {
			return nil, usageErrorf("--steps %d: want a positive number of environment steps", o.steps)
		}
		opts.Steps = int(o.steps)
	}
	if o.changed("lr") {
		opts.LR = o.lr
	}
	if o.changed("gamma") {
		opts.Gamma = o.gamma
	}
	if o.changed("eval-episodes") {
		opts.EvalEpisodes = o.evalEpisodes
	}
	if o.changed("layers") {
		if opts.Hidden, err = nn.ParseLayers(o.deep.layers); err != nil {
			return nil, usageErrorf("--layers: %v", err)
		}
		if opts.Hidden == nil {
			opts.Hidden = []int{}
		}
	}
	if o.deep.arch != "" && o.changed("layers") {
		return nil, usageErrorf("--arch and --layers both describe the network: give one of them")
	}
	if _, ok := zoo.Architectures[o.deep.arch]; o.deep.arch != "" && !ok {
		return nil, usageErrorf("--arch %q: unknown architecture; known: seed (or give --layers such as 64,64)", o.deep.arch)
	}

	var be backend.Backend
	var workerStart time.Duration
	switch o.deep.backend {
	case "go":
		be = backend.NewGo()
	case "tf":
		t0 := time.Now()
		logFile := "" // the worker's log goes into the run directory, when there is one
		if o.run != nil {
			logFile = o.run.dir.WorkerLog()
		}
		c, err := startWorker(ctx, logFile)
		workerStart = time.Since(t0)
		if err != nil {
			return nil, fmt.Errorf("the tf backend needs the Python worker (or use --backend go): %w", err)
		}
		defer c.Close()
		be = backend.NewTF(c)
	default:
		b, ok, err := backend.OpenOptional(ctx, o.deep.backend)
		if !ok {
			hint := ""
			if o.deep.backend == "gorgonia" {
				hint = " (the gorgonia backend is built only with `go build -tags gorgonia`, e.g. `make build-gorgonia`)"
			}
			return nil, usageErrorf("--backend %q: want one of %s%s", o.deep.backend, strings.Join(backend.Names(), ", "), hint)
		}
		if err != nil {
			return nil, err
		}
		be = b
	}
	defer be.Close()

	fmt.Fprintf(w, "training %s on %s with the %s backend (seed %d)\n", o.algo, o.envID, be.Name(), o.seed)
	opts.Progress = func(step int, m map[string]float64) {
		fmt.Fprintf(w, "step %7d: periodic eval %.1f, mean training return (last 100) %.1f\n", step, m["eval_mean"], m["train_mean"])
	}
	var rec *deepRecorder
	if o.run != nil {
		ctx, rec = o.run.deepRun(ctx, &opts)
	}
	rep, err := zoo.Run(ctx, opts, be)
	if err != nil {
		return nil, fmt.Errorf("%s on %s (%s backend): %w", o.algo, o.envID, be.Name(), err)
	}
	if rec != nil {
		if rec.err != nil {
			return nil, rec.err
		}
		if err := o.run.savePolicy(rep.Policy, int64(rep.Steps), int64(rep.Episodes)); err != nil {
			return nil, err
		}
	}
	res := &trainResult{
		Env: rep.Env, Algo: rep.Algo, Seed: rep.Seed, MeanReturn: rep.Eval.Mean, StdReturn: rep.Eval.Std,
		EvalEpisodes: rep.Eval.Episodes, TrainEpisodes: int64(rep.Episodes), TrainSteps: int64(rep.Steps),
		Deep: &deepResult{Backend: rep.Backend, Tuned: rep.Tuned, GradientSteps: rep.GradSteps,
			BestPeriodic: rep.BestPeriodic, StoppedAt: rep.StoppedAt, Solved: rep.Solved, Time: rep.Breakdown,
			Params: len(rep.Policy.Params), WorkerStartS: workerStart.Seconds()},
	}
	if spec.RewardThreshold != nil {
		n := 0
		for _, r := range rep.Eval.Returns {
			if r >= *spec.RewardThreshold {
				n++
			}
		}
		res.SuccessRate = float64(n) / float64(len(rep.Eval.Returns))
	}
	// The hyperparameters as their JSON names, for the result line.
	b, _ := json.Marshal(rep.Hyper)
	_ = json.Unmarshal(b, &res.Hyper)
	return res, nil
}

func printDeepResult(w io.Writer, d *deepResult) {
	if d.Solved != nil {
		verdict := "not solved"
		if *d.Solved {
			verdict = "solved"
		}
		fmt.Fprintf(w, "%s (mean return against the environment's threshold)\n", verdict)
	}
	t := d.Time
	fmt.Fprintf(w, "time (%s backend, %d gradient steps): env %.2fs, Go forward %.2fs, worker forward %.2fs, gradient steps %.2fs, link %.2fs, periodic eval %.2fs, network setup %.2fs, other %.2fs; training %.2fs",
		d.Backend, d.GradientSteps, t.Env, t.Forward, t.TFForward, t.Train, t.Link, t.Eval, t.Setup, t.Other, t.Total)
	if d.WorkerStartS > 0 {
		fmt.Fprintf(w, ", worker start %.2fs", d.WorkerStartS)
	}
	fmt.Fprintln(w)
}
