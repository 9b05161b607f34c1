package backend

import (
	"context"

	"github.com/xlrl/xlrl/internal/worker"
)

// The worker's gradient and forward pass of one network, without a step:
// only the parity tests need them, to check the backends against each
// other.

// Gradient is the loss and flat gradient (Keras order) of one minibatch of
// n rows, without a step: for checking the backends against each other.
func (n *TFNet) Gradient(ctx context.Context, x []float32, a []int32, y []float32, rows, in int) (float64, []float32, error) {
	var res struct {
		Loss float64      `msgpack:"loss"`
		Grad worker.Array `msgpack:"grad"`
	}
	err := n.b.c.Call(ctx, "rl.gradient", map[string]any{
		"net": n.id, "x": worker.Float32Array(x, rows, in), "a": worker.Int32Array(a, rows), "y": worker.Float32Array(y, rows),
	}, &res)
	if err != nil {
		return 0, nil, err
	}
	g, err := res.Grad.Float32s()
	return res.Loss, g, err
}

// Forward is the worker's forward pass of x (rows, in).
func (n *TFNet) Forward(ctx context.Context, x []float32, rows, in int) ([]float32, error) {
	var res struct {
		Y worker.Array `msgpack:"y"`
	}
	if err := n.b.c.Call(ctx, "rl.forward", map[string]any{"net": n.id, "x": worker.Float32Array(x, rows, in)}, &res); err != nil {
		return nil, err
	}
	return res.Y.Float32s()
}
