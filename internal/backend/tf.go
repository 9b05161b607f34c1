package backend

import (
	"context"
	"fmt"
	"time"

	"github.com/xlrl/xlrl/internal/nn"
	"github.com/xlrl/xlrl/internal/worker"
)

// TF trains in the Python worker (pyworker/rl.py) with Keras.
type TF struct {
	c *worker.Client
	t Timings
}

// NewTF uses a started worker; Close does not stop it (its owner does).
func NewTF(c *worker.Client) *TF { return &TF{c: c} }

func (b *TF) Name() string     { return "tf" }
func (b *TF) Timings() Timings { return b.t }
func (b *TF) Close() error     { return nil }

// TFNet is a network living in the worker.
type TFNet struct {
	b   *TF
	id  int
	out int
}

func (b *TF) NewNet(ctx context.Context, cfg NetConfig, init *nn.MLP) (Net, error) {
	spec := init.Spec()
	var res struct {
		Net    int `msgpack:"net"`
		Params int `msgpack:"params"`
	}
	hidden := spec.Hidden
	if hidden == nil {
		hidden = []int{}
	}
	err := b.c.Call(ctx, "rl.create", map[string]any{
		"n_in": spec.In, "n_out": spec.Out, "hidden": hidden, "activation": spec.Act.String(),
		"loss": cfg.Loss.String(), "lr": cfg.LR, "ent_coef": cfg.EntCoef, "max_grad_norm": cfg.MaxGradNorm,
		"weights": worker.Float32Array(init.Params, len(init.Params)),
	}, &res)
	if err != nil {
		return nil, err
	}
	if res.Params != len(init.Params) {
		return nil, fmt.Errorf("tf backend: the worker's network has %d parameters, the Go one %d", res.Params, len(init.Params))
	}
	return &TFNet{b: b, id: res.Net, out: spec.Out}, nil
}

func (n *TFNet) Fit(ctx context.Context, bs *Batches, sync *nn.MLP) (float64, error) {
	var res struct {
		Loss     float64      `msgpack:"loss"`
		Weights  worker.Array `msgpack:"weights"`
		ComputeS float64      `msgpack:"compute_s"`
	}
	args := map[string]any{
		"net":            n.id,
		"x":              worker.Float32Array(bs.X, bs.K, bs.N, bs.In),
		"a":              worker.Int32Array(bs.A, bs.K, bs.N),
		"y":              worker.Float32Array(bs.Y, bs.K, bs.N),
		"return_weights": sync != nil,
	}
	if d := bs.Double; d != nil {
		if err := d.check(bs); err != nil {
			return 0, err
		}
		if d.Out != n.out {
			return 0, fmt.Errorf("tf backend: a Double DQN bootstrap for %d actions, the network has %d outputs", d.Out, n.out)
		}
		// The worker computes the targets before each step (rl.fit's double_*).
		args["double_next"] = worker.Float32Array(d.Next, bs.K, bs.N, bs.In)
		args["double_r"] = worker.Float32Array(d.R, bs.K, bs.N)
		args["double_discount"] = worker.Float32Array(d.Discount, bs.K, bs.N)
		args["double_q_target"] = worker.Float32Array(d.QTarget, bs.K, bs.N, d.Out)
	}
	start := time.Now()
	err := n.b.c.Call(ctx, "rl.fit", args, &res)
	if err != nil {
		return 0, err
	}
	if sync != nil {
		w, err := res.Weights.Float32s()
		if err != nil {
			return 0, fmt.Errorf("tf backend: the weights from rl.fit: %w", err)
		}
		if err := sync.SetParams(w); err != nil {
			return 0, fmt.Errorf("tf backend: %w", err)
		}
	}
	rt := time.Since(start)
	compute := time.Duration(res.ComputeS * float64(time.Second))
	n.b.t.Calls++
	n.b.t.Steps += bs.K
	n.b.t.Compute += compute
	n.b.t.Link += max(0, rt-compute)
	return res.Loss, nil
}

// ForwardBatch runs the forward passes in the worker (rl.predict): one round
// trip carrying the weights and the rows, TensorFlow's batched matrix
// products instead of Go's scalar loops.
func (b *TF) ForwardBatch(ctx context.Context, nets []*nn.MLP, x []float32, rows int, outs [][]float32) error {
	specs := make([]map[string]any, len(nets))
	weights := make([]worker.Array, len(nets))
	for i, m := range nets {
		sp := m.Spec()
		hidden := sp.Hidden
		if hidden == nil {
			hidden = []int{}
		}
		specs[i] = map[string]any{"n_in": sp.In, "hidden": hidden, "activation": sp.Act.String(), "n_out": sp.Out}
		weights[i] = worker.Float32Array(m.Params, len(m.Params))
	}
	var res struct {
		Y        []worker.Array `msgpack:"y"`
		ComputeS float64        `msgpack:"compute_s"`
	}
	start := time.Now()
	err := b.c.Call(ctx, "rl.predict", map[string]any{
		"specs": specs, "weights": weights, "x": worker.Float32Array(x[:rows*nets[0].In()], rows, nets[0].In()),
	}, &res)
	if err != nil {
		return err
	}
	if len(res.Y) != len(nets) {
		return fmt.Errorf("tf backend: rl.predict returned %d outputs for %d networks", len(res.Y), len(nets))
	}
	for i, y := range res.Y {
		v, err := y.Float32s()
		if err != nil {
			return fmt.Errorf("tf backend: the outputs of rl.predict: %w", err)
		}
		if len(v) != rows*nets[i].Out() {
			return fmt.Errorf("tf backend: rl.predict returned %d values, want %d", len(v), rows*nets[i].Out())
		}
		copy(outs[i], v)
	}
	compute := time.Duration(res.ComputeS * float64(time.Second))
	b.t.Forward += compute
	b.t.ForwardLink += max(0, time.Since(start)-compute)
	return nil
}

// Snapshot fetches the network's weights and Keras's Adam state (moments and
// step count, in the Go layout) from the worker.
func (n *TFNet) Snapshot(ctx context.Context) (NetState, error) {
	var res struct {
		Params worker.Array `msgpack:"params"`
		M      worker.Array `msgpack:"m"`
		V      worker.Array `msgpack:"v"`
		T      int          `msgpack:"t"`
	}
	if err := n.b.c.Call(ctx, "rl.get_state", map[string]any{"net": n.id}, &res); err != nil {
		return NetState{}, err
	}
	var s NetState
	var err error
	if s.Params, err = res.Params.Float32s(); err != nil {
		return NetState{}, fmt.Errorf("tf backend: state params: %w", err)
	}
	if s.Adam.M, err = res.M.Float32s(); err != nil {
		return NetState{}, fmt.Errorf("tf backend: state m: %w", err)
	}
	if s.Adam.V, err = res.V.Float32s(); err != nil {
		return NetState{}, fmt.Errorf("tf backend: state v: %w", err)
	}
	s.Adam.T = res.T
	return s, nil
}

// Restore sets the network's weights and Keras's Adam state in the worker.
func (n *TFNet) Restore(ctx context.Context, s NetState) error {
	return n.b.c.Call(ctx, "rl.set_state", map[string]any{
		"net":    n.id,
		"params": worker.Float32Array(s.Params),
		"m":      worker.Float32Array(s.Adam.M),
		"v":      worker.Float32Array(s.Adam.V),
		"t":      s.Adam.T,
	}, nil)
}
