// Package nnbench measures the go backend's network code beside
// TensorFlow's in one run (`xlrl bench nn`): one Adam step on a minibatch
// and the forward pass of one state, on the networks the deep RL agents use.
//
// The go step uses nn.Threads() goroutines for large products (TensorFlow
// uses every core too); the one-goroutine figure is reported beside it.
// The go and tf measurements alternate, round by round, so that both see the
// same machine load; each figure is the median over the rounds. The tf
// figure is the worker's own compute time for the step inside its
// tf.function (rl.fit's compute_s divided by the steps of the call), so the
// link between the processes is not counted against TensorFlow.
package nnbench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xlrl/xlrl/internal/nn"
	"github.com/xlrl/xlrl/internal/worker"
)

// Case is one measurement.
type Case struct {
	Name  string
	Spec  nn.Spec
	Batch int  // rows per step; 1 for Forward
	Step  bool // an Adam step (forward, backward, clipping, update); else a forward pass
	// Goal: the go figure is at most GoalUS microseconds, or (GoalTFRatio
	// > 0) at most GoalTFRatio times the tf figure.
	GoalUS, GoalTFRatio float64
}

// Cases are the measurements the project's goals name (docs/benchmarks.md).
var Cases = []Case{
	{Name: "step_256x256_b64", Spec: nn.Spec{In: 4, Hidden: []int{256, 256}, Act: nn.ReLU, Out: 2}, Batch: 64, Step: true, GoalTFRatio: 0.5},
	{Name: "step_64x64_b64", Spec: nn.Spec{In: 4, Hidden: []int{64, 64}, Act: nn.ReLU, Out: 2}, Batch: 64, Step: true, GoalUS: 100},
	{Name: "forward_64x64_one_state", Spec: nn.Spec{In: 4, Hidden: []int{64, 64}, Act: nn.ReLU, Out: 2}, Batch: 1, GoalUS: 0.5},
}

// Result is one case's figures.
type Result struct {
	Name   string  `json:"name"`
	Layers string  `json:"layers"` // e.g. 4-256-256-2
	Batch  int     `json:"batch"`
	GoUS   float64 `json:"go_us"`
	// GoOneThreadUS is the go step with nn.SetThreads(1): large products
	// not shared among goroutines (steps only).
	GoOneThreadUS float64 `json:"go_1thread_us,omitempty"`
	// GoCPUUS is the one-goroutine figure in CPU time of its thread (Linux):
	// what the operation costs on a core, whatever else the machine runs.
	GoCPUUS float64 `json:"go_cpu_us,omitempty"`
	// TFUS is TensorFlow's time for the same step (0: not measured:
	// forward passes of one state, or --no-tf).
	TFUS float64 `json:"tf_us,omitempty"`
	// TFCPUUS is the CPU time of the worker's threads for the step
	// (rl.fit's compute_cpu_s), to set beside GoCPUUS.
	TFCPUUS  float64 `json:"tf_cpu_us,omitempty"`
	TFOverGo float64 `json:"tf_over_go,omitempty"`
	Goal     string  `json:"goal"`
	Met      bool    `json:"met"`
	// MetCPU is the goal judged on CPU time (GoCPUUS, TFCPUUS): what each
	// side costs on the cores it gets, on a machine other work shares.
	MetCPU bool `json:"met_cpu"`
}

// Report is the whole run.
type Report struct {
	Kernel  string   `json:"kernel"`  // nn.Kernel(): avx512, avx2 or go
	Threads int      `json:"threads"` // nn.Threads(): goroutines a large product may use
	Rounds  int      `json:"rounds"`
	Results []Result `json:"results"`
}

// Options tune the run.
type Options struct {
	Rounds   int           // alternating go/tf rounds per case (>= 1)
	MinRound time.Duration // the least time one round measures
	// Worker, when set, runs the tf side; nil measures go only.
	Worker *worker.Client
}

// Run measures the cases.
func Run(ctx context.Context, cases []Case, o Options) (*Report, error) {
	if o.Rounds < 1 || o.MinRound <= 0 {
		return nil, fmt.Errorf("nnbench: rounds (%d) and the round time (%v) must be positive", o.Rounds, o.MinRound)
	}
	rep := &Report{Kernel: nn.Kernel(), Threads: nn.Threads(), Rounds: o.Rounds}
	for _, c := range cases {
		r, err := runCase(ctx, c, o)
		if err != nil {
			return nil, fmt.Errorf("nnbench: %s: %w", c.Name, err)
		}
		rep.Results = append(rep.Results, r)
	}
	return rep, nil
}

func layers(s nn.Spec) string {
	parts := []string{}
	for _, n := range s.Sizes() {
		parts = append(parts, strconv.Itoa(n))
	}
	return strings.Join(parts, "-")
}

// batch is a random minibatch for spec: inputs, actions and targets.
func batch(rng *rand.Rand, spec nn.Spec, n int) ([]float32, []int32, []float32) {
	x, a, y := make([]float32, n*spec.In), make([]int32, n), make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	for i := range a {
		a[i], y[i] = int32(rng.IntN(spec.Out)), float32(rng.NormFloat64())
	}
	return x, a, y
}

func runCase(ctx context.Context, c Case, o Options) (Result, error) {
	rng := rand.New(rand.NewPCG(1, 2))
	net, err := nn.New(c.Spec, rng)
	if err != nil {
		return Result{}, err
	}
	x, a, y := batch(rng, c.Spec, c.Batch)
	var goOp func()
	if c.Step {
		tr := nn.NewTrainer(net.Clone(), nn.Huber, 1e-3, c.Batch)
		tr.MaxGradNorm = 10
		goOp = func() { tr.Step(x, a, y, c.Batch) }
	} else {
		ws := net.NewWorkspace(1)
		goOp = func() { net.Forward(ws, x, 1) }
	}
	var tfRound func() (float64, float64, error)
	if o.Worker != nil && c.Step {
		if tfRound, err = tfStepper(ctx, o, c, net, x, a, y); err != nil {
			return Result{}, err
		}
	}
	goOp() // warm up
	var goUS, go1US, cpuUS, tfUS, tfCPU []float64
	for range o.Rounds {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		if c.Step {
			goUS = append(goUS, timeGo(o.MinRound, goOp))
		}
		prev := nn.SetThreads(1)
		wall, cpu := timeOneThread(o.MinRound, goOp)
		nn.SetThreads(prev)
		go1US, cpuUS = append(go1US, wall), append(cpuUS, cpu)
		if tfRound != nil {
			us, cpu, err := tfRound()
			if err != nil {
				return Result{}, err
			}
			tfUS, tfCPU = append(tfUS, us), append(tfCPU, cpu)
		}
	}
	r := Result{Name: c.Name, Layers: layers(c.Spec), Batch: c.Batch, GoUS: median(go1US), GoCPUUS: median(cpuUS)}
	if c.Step {
		r.GoUS, r.GoOneThreadUS = median(goUS), median(go1US)
	}
	if tfUS != nil {
		r.TFUS, r.TFCPUUS = median(tfUS), median(tfCPU)
		r.TFOverGo = r.TFUS / r.GoUS
	}
	switch {
	case c.GoalTFRatio > 0:
		r.Goal = fmt.Sprintf("go <= %g x tf", c.GoalTFRatio)
		r.Met = r.TFUS > 0 && r.GoUS <= c.GoalTFRatio*r.TFUS
		r.MetCPU = r.TFCPUUS > 0 && r.GoCPUUS > 0 && r.GoCPUUS <= c.GoalTFRatio*r.TFCPUUS
	default:
		r.Goal = fmt.Sprintf("go <= %g us", c.GoalUS)
		r.Met = r.GoUS <= c.GoalUS
		r.MetCPU = r.GoCPUUS > 0 && r.GoCPUUS <= c.GoalUS
	}
	return r, nil
}

// timeGo is op's time in microseconds, over as many calls as fill minDur.
func timeGo(minDur time.Duration, op func()) float64 {
	for n := 1; ; n *= 2 {
		start := time.Now()
		for range n {
			op()
		}
		if d := time.Since(start); d >= minDur || n >= 1<<30 {
			return float64(d.Nanoseconds()) / 1e3 / float64(n)
		}
	}
}

// timeOneThread is op's wall and thread CPU time in microseconds, on one
// locked OS thread.
func timeOneThread(minDur time.Duration, op func()) (wall, cpu float64) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for n := 1; ; n *= 2 {
		start, c0 := time.Now(), threadCPU()
		for range n {
			op()
		}
		if d := time.Since(start); d >= minDur || n >= 1<<30 {
			return float64(d.Nanoseconds()) / 1e3 / float64(n), float64(threadCPU()-c0) / 1e3 / float64(n)
		}
	}
}

// tfStepper creates the same network in the worker and returns a round:
// rl.fit calls of 64 copies of the minibatch until minRound has passed,
// timed by the worker's compute_s.
func tfStepper(ctx context.Context, o Options, c Case, init *nn.MLP, x []float32, a []int32, y []float32) (func() (wall, cpu float64, err error), error) {
	var created struct {
		Net int `msgpack:"net"`
	}
	err := o.Worker.Call(ctx, "rl.create", map[string]any{
		"n_in": c.Spec.In, "n_out": c.Spec.Out, "hidden": c.Spec.Hidden, "activation": c.Spec.Act.String(),
		"loss": "huber", "lr": 1e-3, "max_grad_norm": 10.0,
		"weights": worker.Float32Array(init.Params, len(init.Params)),
	}, &created)
	if err != nil {
		return nil, err
	}
	const k = 64
	xs, as, ys := make([]float32, 0, k*len(x)), make([]int32, 0, k*len(a)), make([]float32, 0, k*len(y))
	for range k {
		xs, as, ys = append(xs, x...), append(as, a...), append(ys, y...)
	}
	args := map[string]any{
		"net": created.Net,
		"x":   worker.Float32Array(xs, k, c.Batch, c.Spec.In),
		"a":   worker.Int32Array(as, k, c.Batch),
		"y":   worker.Float32Array(ys, k, c.Batch),
	}
	fit := func() (wall, cpu float64, err error) {
		var res struct {
			ComputeS    float64 `msgpack:"compute_s"`
			ComputeCPUS float64 `msgpack:"compute_cpu_s"`
		}
		err = o.Worker.Call(ctx, "rl.fit", args, &res)
		return res.ComputeS, res.ComputeCPUS, err
	}
	if _, _, err := fit(); err != nil { // traces the tf.function
		return nil, err
	}
	return func() (float64, float64, error) {
		var wall, cpu float64
		steps := 0
		for start := time.Now(); time.Since(start) < o.MinRound || steps == 0; {
			w, c, err := fit()
			if err != nil {
				return 0, 0, err
			}
			wall, cpu = wall+w, cpu+c
			steps += k
		}
		return wall * 1e6 / float64(steps), cpu * 1e6 / float64(steps), nil
	}, nil
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
