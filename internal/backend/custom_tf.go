package backend

import (
	"context"
	"fmt"
	"time"

	"github.com/xlrl/xlrl/internal/nn"
	"github.com/xlrl/xlrl/internal/worker"
)

// NewGroup creates a group in the worker (pyworker/ac.py): Keras models
// with Go's initial weights and one Keras Adam over all of them. A step is
// one round trip: the inputs and output gradients go out, TensorFlow runs
// tape.gradient(outputs, weights, output_gradients=...), clips and applies
// Adam, and the new weights come back when asked.
func (b *TF) NewGroup(ctx context.Context, cfg GroupConfig, inits []*nn.MLP) (Group, error) {
	if len(inits) == 0 {
		return nil, fmt.Errorf("backend: a group needs at least one network")
	}
	nets := make([]map[string]any, len(inits))
	g := &tfGroup{b: b}
	for i, m := range inits {
		sp := m.Spec()
		hidden := sp.Hidden
		if hidden == nil {
			hidden = []int{}
		}
		nets[i] = map[string]any{"n_in": sp.In, "hidden": hidden, "activation": sp.Act.String(), "n_out": sp.Out,
			"weights": worker.Float32Array(m.Params, len(m.Params))}
		g.specs = append(g.specs, sp)
		g.sizes = append(g.sizes, len(m.Params))
	}
	var res struct {
		Group  int   `msgpack:"group"`
		Params []int `msgpack:"params"`
	}
	if err := b.c.Call(ctx, "ac.create", map[string]any{"nets": nets, "lr": cfg.LR, "max_grad_norm": cfg.MaxGradNorm}, &res); err != nil {
		return nil, err
	}
	if len(res.Params) != len(inits) {
		return nil, fmt.Errorf("tf backend: ac.create made %d networks, want %d", len(res.Params), len(inits))
	}
	for i, n := range res.Params {
		if n != g.sizes[i] {
			return nil, fmt.Errorf("tf backend: the worker's network %d has %d parameters, the Go one %d", i, n, g.sizes[i])
		}
	}
	g.id = res.Group
	b.live[tfObject{"ac.free", "group", g.id}] = struct{}{}
	return g, nil
}

type tfGroup struct {
	b     *TF
	id    int
	specs []nn.Spec
	sizes []int
}

func (g *tfGroup) Step(ctx context.Context, batches []GradBatch, opts StepOptions, sync []*nn.MLP) (float64, error) {
	if err := checkBatches(batches, g.specs, sync); err != nil {
		return 0, err
	}
	xs := make([]worker.Array, len(batches))
	ds := make([]worker.Array, len(batches))
	want := make([]bool, len(batches))
	for i, b := range batches {
		sp := g.specs[i]
		xs[i] = worker.Float32Array(b.X[:b.N*sp.In], b.N, sp.In)
		ds[i] = worker.Float32Array(b.DOut[:b.N*sp.Out], b.N, sp.Out)
		want[i] = sync != nil && sync[i] != nil
	}
	var res struct {
		Scale    float64        `msgpack:"scale"`
		Weights  []worker.Array `msgpack:"weights"`
		ComputeS float64        `msgpack:"compute_s"`
	}
	start := time.Now()
	err := g.b.c.Call(ctx, "ac.step", map[string]any{
		"group": g.id, "x": xs, "dout": ds, "extra_sq": opts.ExtraSq, "lr": opts.LR, "return_weights": want,
	}, &res)
	if err != nil {
		return 0, err
	}
	if len(res.Weights) != len(batches) {
		return 0, fmt.Errorf("tf backend: ac.step returned %d weight vectors for %d networks", len(res.Weights), len(batches))
	}
	for i, w := range res.Weights {
		if !want[i] {
			continue
		}
		v, err := w.Float32s()
		if err != nil {
			return 0, fmt.Errorf("tf backend: the weights from ac.step: %w", err)
		}
		if err := sync[i].SetParams(v); err != nil {
			return 0, fmt.Errorf("tf backend: %w", err)
		}
	}
	compute := time.Duration(res.ComputeS * float64(time.Second))
	g.b.t.Calls++
	g.b.t.Steps++
	g.b.t.Compute += compute
	g.b.t.Link += max(0, time.Since(start)-compute)
	return res.Scale, nil
}

func (g *tfGroup) Snapshot(ctx context.Context) ([]NetState, error) {
	var res struct {
		Params []worker.Array `msgpack:"params"`
		M      []worker.Array `msgpack:"m"`
		V      []worker.Array `msgpack:"v"`
		T      int            `msgpack:"t"`
	}
	if err := g.b.c.Call(ctx, "ac.get_state", map[string]any{"group": g.id}, &res); err != nil {
		return nil, err
	}
	if len(res.Params) != len(g.sizes) || len(res.M) != len(g.sizes) || len(res.V) != len(g.sizes) {
		return nil, fmt.Errorf("tf backend: ac.get_state returned the state of %d networks, want %d", len(res.Params), len(g.sizes))
	}
	out := make([]NetState, len(g.sizes))
	for i := range out {
		var err error
		if out[i].Params, err = res.Params[i].Float32s(); err != nil {
			return nil, fmt.Errorf("tf backend: group state params: %w", err)
		}
		if out[i].Adam.M, err = res.M[i].Float32s(); err != nil {
			return nil, fmt.Errorf("tf backend: group state m: %w", err)
		}
		if out[i].Adam.V, err = res.V[i].Float32s(); err != nil {
			return nil, fmt.Errorf("tf backend: group state v: %w", err)
		}
		out[i].Adam.T = res.T
	}
	return out, nil
}

func (g *tfGroup) Restore(ctx context.Context, s []NetState) error {
	if len(s) != len(g.sizes) {
		return fmt.Errorf("backend: a state of %d networks for a group of %d", len(s), len(g.sizes))
	}
	params := make([]worker.Array, len(s))
	ms := make([]worker.Array, len(s))
	vs := make([]worker.Array, len(s))
	for i, st := range s {
		if len(st.Params) != g.sizes[i] || len(st.Adam.M) != g.sizes[i] || len(st.Adam.V) != g.sizes[i] {
			return fmt.Errorf("backend: group network %d has %d parameters, the state %d", i, g.sizes[i], len(st.Params))
		}
		if st.Adam.T != s[0].Adam.T {
			return fmt.Errorf("backend: the group's networks share one optimiser, but the state has step counts %d and %d", s[0].Adam.T, st.Adam.T)
		}
		params[i] = worker.Float32Array(st.Params)
		ms[i] = worker.Float32Array(st.Adam.M)
		vs[i] = worker.Float32Array(st.Adam.V)
	}
	return g.b.c.Call(ctx, "ac.set_state", map[string]any{"group": g.id, "params": params, "m": ms, "v": vs, "t": s[0].Adam.T}, nil)
}
