//go:build gorgonia

package backend

import (
	"context"
	"fmt"
	"time"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/xlrl/xlrl/internal/nn"
)

// Gorgonia trains with Gorgonia's graph engine in process: Gorgonia computes
// the network's forward pass and, by its symbolic differentiation, the
// gradient of every weight. The loss's derivative with respect to the
// network's outputs comes from nn.LossGrad and is fed back into the graph
// (the graph's scalar is sum(out * dL/dout), whose gradient with respect to
// the weights is the backpropagated loss gradient), so the three losses are
// defined once for every backend; the Adam step is nn.Adam, Keras's.
//
// Built only with -tags gorgonia. Gorgonia v0.9.18 needs go.mod to pin
// go4.org/unsafe/assume-no-moving-gc (2023-11 or later) and
// github.com/chewxy/math32 v1.11.0 to run on Go 1.21 and later.
type Gorgonia struct {
	t Timings
}

func init() {
	register("gorgonia", func(context.Context) (Backend, error) { return &Gorgonia{}, nil })
}

func (g *Gorgonia) Name() string     { return "gorgonia" }
func (g *Gorgonia) Timings() Timings { return g.t }
func (g *Gorgonia) Close() error     { return nil }

func (g *Gorgonia) NewNet(_ context.Context, cfg NetConfig, init *nn.MLP) (Net, error) {
	net := init.Clone()
	return &gorgoniaNet{b: g, cfg: cfg, net: net, opt: nn.NewAdam(cfg.LR, len(net.Params)), grad: make([]float32, len(net.Params))}, nil
}

type gorgoniaNet struct {
	b    *Gorgonia
	cfg  NetConfig
	net  *nn.MLP // the weights; the graphs' weight tensors share its memory
	opt  *nn.Adam
	grad []float32
	ws   *nn.Workspace // Double DQN's online forward passes

	rows   int // the graphs are built for minibatches of this many rows
	fwd    *graph
	bwd    *graph
	upOut  []float32 // dL/dout, fed to the backward graph
	params []*G.Node // the backward graph's weights, in net.Params order
}

// graph is one compiled MLP: its input, its output and its machine.
type graph struct {
	g   *G.ExprGraph
	x   []float32 // the input's memory, written before each run
	out *G.Node
	vm  G.VM
}

// build compiles the MLP for n rows. With upstream non-nil it adds the
// scalar sum(out * upstream) and its gradient with respect to the weights.
func (m *gorgoniaNet) build(n int, upstream []float32) (*graph, []*G.Node, error) {
	g := G.NewGraph()
	gr := &graph{g: g, x: make([]float32, n*m.net.In())}
	h := G.NewMatrix(g, tensor.Float32, G.WithShape(n, m.net.In()), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(n, m.net.In()), tensor.WithBacking(gr.x))))
	var params []*G.Node
	for i, ly := range m.net.Layers {
		w := G.NewMatrix(g, tensor.Float32, G.WithShape(ly.In, ly.Out), G.WithName(fmt.Sprintf("w%d", i)),
			G.WithValue(tensor.New(tensor.WithShape(ly.In, ly.Out), tensor.WithBacking(ly.W))))
		b := G.NewMatrix(g, tensor.Float32, G.WithShape(1, ly.Out), G.WithName(fmt.Sprintf("b%d", i)),
			G.WithValue(tensor.New(tensor.WithShape(1, ly.Out), tensor.WithBacking(ly.B))))
		params = append(params, w, b)
		z, err := G.Mul(h, w)
		if err != nil {
			return nil, nil, err
		}
		if z, err = G.BroadcastAdd(z, b, nil, []byte{0}); err != nil {
			return nil, nil, err
		}
		switch ly.Act {
		case nn.ReLU:
			z, err = G.Rectify(z)
		case nn.Tanh:
			z, err = G.Tanh(z)
		}
		if err != nil {
			return nil, nil, err
		}
		h = z
	}
	gr.out = h
	if upstream == nil {
		gr.vm = G.NewTapeMachine(g)
		return gr, nil, nil
	}
	up := G.NewMatrix(g, tensor.Float32, G.WithShape(n, m.net.Out()), G.WithName("dout"),
		G.WithValue(tensor.New(tensor.WithShape(n, m.net.Out()), tensor.WithBacking(upstream))))
	prod, err := G.HadamardProd(h, up)
	if err != nil {
		return nil, nil, err
	}
	scalar, err := G.Sum(prod)
	if err != nil {
		return nil, nil, err
	}
	if _, err := G.Grad(scalar, params...); err != nil {
		return nil, nil, err
	}
	gr.vm = G.NewTapeMachine(g, G.BindDualValues(params...))
	return gr, params, nil
}

func (m *gorgoniaNet) prepare(n int) error {
	if m.rows == n {
		return nil
	}
	var err error
	if m.fwd, _, err = m.build(n, nil); err != nil {
		return fmt.Errorf("gorgonia: building the forward graph: %w", err)
	}
	m.upOut = make([]float32, n*m.net.Out())
	if m.bwd, m.params, err = m.build(n, m.upOut); err != nil {
		return fmt.Errorf("gorgonia: building the gradient graph: %w", err)
	}
	m.rows = n
	return nil
}

// step takes one gradient step on n rows and returns the loss.
func (m *gorgoniaNet) step(x []float32, a []int32, y []float32, n int) (float64, error) {
	copy(m.fwd.x, x)
	if err := m.fwd.vm.RunAll(); err != nil {
		return 0, fmt.Errorf("gorgonia: forward pass: %w", err)
	}
	out := m.fwd.out.Value().Data().([]float32)
	loss := nn.LossGrad(m.cfg.Loss, out, m.net.Out(), a, y, n, m.cfg.EntCoef, m.upOut)
	m.fwd.vm.Reset()

	copy(m.bwd.x, x)
	if err := m.bwd.vm.RunAll(); err != nil {
		return 0, fmt.Errorf("gorgonia: backward pass: %w", err)
	}
	off := 0
	for _, p := range m.params {
		gv, err := p.Grad()
		if err != nil {
			return 0, fmt.Errorf("gorgonia: gradient of %s: %w", p.Name(), err)
		}
		g := gv.Data().([]float32)
		off += copy(m.grad[off:], g)
		clear(g) // Gorgonia adds each run's gradient to the last one's
	}
	m.bwd.vm.Reset()
	nn.ClipGradNorm(m.grad, m.cfg.MaxGradNorm)
	m.opt.Step(m.net.Params, m.grad)
	return loss, nil
}

func (m *gorgoniaNet) Fit(ctx context.Context, b *Batches, sync *nn.MLP) (float64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	start := time.Now()
	if err := m.prepare(b.N); err != nil {
		return 0, err
	}
	if b.Double != nil {
		if err := b.Double.check(b); err != nil {
			return 0, err
		}
		if m.ws == nil || m.ws.Cap < b.N {
			m.ws = m.net.NewWorkspace(b.N)
		}
	}
	var total float64
	for k := 0; k < b.K; k++ {
		x, a, y := b.Row(k)
		if d := b.Double; d != nil { // the online argmax with this step's weights
			next := d.Next[k*b.N*b.In : (k+1)*b.N*b.In]
			d.Targets(k, b.N, m.net.Forward(m.ws, next, b.N), y)
		}
		loss, err := m.step(x, a, y, b.N)
		if err != nil {
			return 0, err
		}
		total += loss
	}
	if sync != nil {
		sync.CopyFrom(m.net)
	}
	m.b.t.Calls++
	m.b.t.Steps += b.K
	m.b.t.Compute += time.Since(start)
	return total / float64(b.K), nil
}
