// Package nn is a small pure-Go multilayer perceptron: dense layers with
// relu, tanh or linear activations, backpropagation, Adam and the losses the
// deep RL agents need.
//
// It exists so that the agent's forward pass (one state per environment step)
// costs well under a microsecond instead of a round trip to TensorFlow, and so
// that small networks can be trained with no Python at all (the `go`
// backend).
//
// Parameters are float32 and stored in one contiguous slice in Keras order:
// for each layer its kernel of shape (in, out), row-major, then its bias of
// length out. A Keras model's get_weights(), flattened and concatenated, is
// exactly Params, so weights move between the two without reshuffling.
//
// Forward and Backward run on a caller-owned Workspace and allocate nothing.
// On amd64 they run on vector kernels (kernels_amd64.s: AVX-512 where the
// processor has it, else AVX2 and FMA), elsewhere on portable Go loops;
// Kernel says which (docs/architecture.md).
package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Activation is the nonlinearity applied after a dense layer.
type Activation int

const (
	Linear Activation = iota
	ReLU
	Tanh
)

func (a Activation) String() string {
	switch a {
	case ReLU:
		return "relu"
	case Tanh:
		return "tanh"
	default:
		return "linear"
	}
}

// ParseActivation reads "relu", "tanh" or "linear".
func ParseActivation(s string) (Activation, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "relu":
		return ReLU, nil
	case "tanh":
		return Tanh, nil
	case "linear", "":
		return Linear, nil
	}
	return 0, fmt.Errorf("activation %q: want relu, tanh or linear", s)
}

// ParseLayers reads a hidden-layer list such as "64,64". An empty string
// means no hidden layer (a linear model).
func ParseLayers(s string) ([]int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	var sizes []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 || n > 1<<16 {
			return nil, fmt.Errorf("layer list %q: %q is not a layer size (want positive integers separated by commas, e.g. 64,64)", s, f)
		}
		sizes = append(sizes, n)
	}
	return sizes, nil
}

// Layer is one dense layer; W and B are views into the MLP's Params.
type Layer struct {
	In, Out int
	Act     Activation
	W       []float32 // kernel, (In, Out) row-major
	B       []float32 // bias, Out
}

// MLP is a stack of dense layers.
type MLP struct {
	Layers []Layer
	Params []float32 // every layer's kernel then bias, in order
}

// Spec is the shape of an MLP: input width, hidden widths with their
// activation, and output width (the output layer is linear).
type Spec struct {
	In     int
	Hidden []int
	Act    Activation
	Out    int
}

// Sizes is the list of layer widths from input to output.
func (s Spec) Sizes() []int {
	sizes := append([]int{s.In}, s.Hidden...)
	return append(sizes, s.Out)
}

// NumParams is the length of Params for this shape.
func (s Spec) NumParams() int {
	n := 0
	sizes := s.Sizes()
	for l := 0; l+1 < len(sizes); l++ {
		n += sizes[l]*sizes[l+1] + sizes[l+1]
	}
	return n
}

// New builds an MLP of the given shape with Keras's default initialisation:
// Glorot-uniform kernels (U(-l, l), l = sqrt(6/(in+out))) and zero biases.
func New(spec Spec, rng *rand.Rand) (*MLP, error) {
	if spec.In <= 0 || spec.Out <= 0 {
		return nil, fmt.Errorf("nn: input and output widths must be positive, got %d and %d", spec.In, spec.Out)
	}
	for _, h := range spec.Hidden {
		if h <= 0 {
			return nil, fmt.Errorf("nn: hidden layer widths must be positive, got %v", spec.Hidden)
		}
	}
	m := &MLP{Params: make([]float32, spec.NumParams())}
	sizes := spec.Sizes()
	off := 0
	for l := 0; l+1 < len(sizes); l++ {
		in, out := sizes[l], sizes[l+1]
		act := spec.Act
		if l+2 == len(sizes) {
			act = Linear
		}
		ly := Layer{In: in, Out: out, Act: act}
		ly.W = m.Params[off : off+in*out : off+in*out]
		off += in * out
		ly.B = m.Params[off : off+out : off+out]
		off += out
		limit := math.Sqrt(6 / float64(in+out))
		for i := range ly.W {
			ly.W[i] = float32((2*rng.Float64() - 1) * limit)
		}
		m.Layers = append(m.Layers, ly)
	}
	return m, nil
}

// Spec returns the shape of m.
func (m *MLP) Spec() Spec {
	s := Spec{In: m.Layers[0].In, Out: m.Layers[len(m.Layers)-1].Out}
	for _, ly := range m.Layers[:len(m.Layers)-1] {
		s.Hidden = append(s.Hidden, ly.Out)
		s.Act = ly.Act
	}
	return s
}

// In and Out are the input and output widths.
func (m *MLP) In() int  { return m.Layers[0].In }
func (m *MLP) Out() int { return m.Layers[len(m.Layers)-1].Out }

// Clone returns an independent copy of m.
func (m *MLP) Clone() *MLP {
	c := &MLP{Params: append([]float32(nil), m.Params...)}
	off := 0
	for _, ly := range m.Layers {
		w, b := ly.In*ly.Out, ly.Out
		c.Layers = append(c.Layers, Layer{In: ly.In, Out: ly.Out, Act: ly.Act,
			W: c.Params[off : off+w : off+w], B: c.Params[off+w : off+w+b : off+w+b]})
		off += w + b
	}
	return c
}

// CopyFrom copies src's parameters into m; the shapes must match.
func (m *MLP) CopyFrom(src *MLP) {
	if len(src.Params) != len(m.Params) {
		panic(fmt.Sprintf("nn: CopyFrom between different shapes (%d vs %d parameters)", len(src.Params), len(m.Params)))
	}
	copy(m.Params, src.Params)
}

// SetParams loads a flat parameter vector in Keras order.
func (m *MLP) SetParams(p []float32) error {
	if len(p) != len(m.Params) {
		return fmt.Errorf("nn: got %d parameters for a network with %d", len(p), len(m.Params))
	}
	copy(m.Params, p)
	return nil
}

// SoftUpdate moves m towards src: m = tau*src + (1-tau)*m (Polyak
// averaging), computed as m += tau*(src - m); the shapes must match.
func (m *MLP) SoftUpdate(src *MLP, tau float32) {
	if len(src.Params) != len(m.Params) {
		panic(fmt.Sprintf("nn: SoftUpdate between different shapes (%d vs %d parameters)", len(src.Params), len(m.Params)))
	}
	polyak(m.Params, src.Params, tau)
}

// Workspace holds the activations and deltas of one forward/backward pass
// for batches of up to Cap rows. One workspace serves one goroutine.
type Workspace struct {
	Cap   int
	acts  [][]float32 // acts[0] is the input copy, acts[l+1] the output of layer l
	delta [][]float32 // delta[l]: dLoss/d(pre-activation of layer l)
	Grad  []float32   // gradient, laid out like Params
	s     *scratch    // the vector kernels' scratch
	ones  []float32   // Cap ones (the vector kernels' bias gradient)
}

// NewWorkspace allocates a workspace for m and batches of up to capRows.
func (m *MLP) NewWorkspace(capRows int) *Workspace {
	ws := &Workspace{Cap: capRows, Grad: make([]float32, len(m.Params)), ones: make([]float32, capRows)}
	ws.acts = append(ws.acts, make([]float32, capRows*m.In()))
	for _, ly := range m.Layers {
		ws.acts = append(ws.acts, make([]float32, capRows*ly.Out))
		ws.delta = append(ws.delta, make([]float32, capRows*ly.Out))
	}
	ws.s = newScratch(m, capRows)
	for i := range ws.ones {
		ws.ones[i] = 1
	}
	return ws
}

// Forward computes the outputs for n rows of x (n*In values, row-major) and
// returns them (n*Out values). The result lives in ws and is overwritten by
// the next call.
func (m *MLP) Forward(ws *Workspace, x []float32, n int) []float32 {
	if n > ws.Cap {
		panic(fmt.Sprintf("nn: batch of %d rows exceeds the workspace capacity %d", n, ws.Cap))
	}
	in := ws.acts[0][:n*m.In()]
	copy(in, x[:n*m.In()])
	for l := range m.Layers {
		ly := &m.Layers[l]
		dense(ly, ws.acts[l][:n*ly.In], ws.acts[l+1][:n*ly.Out], n, ws.s)
	}
	return ws.acts[len(m.Layers)][:n*m.Out()]
}

// newScratch is the scratch the vector kernels need for m and batches of up
// to capRows rows: a panel of 32 columns of the longest inner dimension
// (the helper goroutines of large products have their own).
func newScratch(m *MLP, capRows int) *scratch {
	inner := capRows
	for _, ly := range m.Layers {
		inner = max(inner, ly.In, ly.Out)
	}
	return &scratch{f: make([]float32, 32*inner)}
}

// dense computes y = act(x W + b) for n rows.
func dense(ly *Layer, x, y []float32, n int, s *scratch) {
	out := ly.Out
	for r := 0; r < n; r++ {
		copy(y[r*out:(r+1)*out], ly.B)
	}
	if n == 1 { // acting: one state
		gemv(x, ly.In, ly.W, out, y)
	} else {
		mulAdd(x, n, ly.In, ly.W, out, y, s)
	}
	switch ly.Act {
	case ReLU:
		relu(y)
	case Tanh:
		tanhInPlace(y)
	}
}

// axpy adds a*x to y; len(x) == len(y).
func axpy(a float32, x, y []float32) {
	y = y[:len(x)]
	i := 0
	for ; i+4 <= len(x); i += 4 {
		y[i] += a * x[i]
		y[i+1] += a * x[i+1]
		y[i+2] += a * x[i+2]
		y[i+3] += a * x[i+3]
	}
	for ; i < len(x); i++ {
		y[i] += a * x[i]
	}
}

func dot(x, y []float32) float32 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return s0 + s1 + s2 + s3
}

// Backward computes the gradient of the loss with respect to Params into
// ws.Grad, given dOut = dLoss/dOutput for the n rows of the last Forward
// call on ws. Callers fill dOut from OutputGrad(ws, n) (see the loss
// functions), which returns the slice to write into.
func (m *MLP) Backward(ws *Workspace, n int) {
	clear(ws.Grad)
	L := len(m.Layers)
	off := len(m.Params)
	for l := L - 1; l >= 0; l-- {
		ly := &m.Layers[l]
		in, out := ly.In, ly.Out
		off -= in*out + out
		gW := ws.Grad[off : off+in*out]
		gB := ws.Grad[off+in*out : off+in*out+out]
		d := ws.delta[l][:n*out]
		x := ws.acts[l][:n*in]
		sumRows(d, n, out, gB, ws.ones)
		mulTAdd(x, n, in, d, out, gW, ws.s)
		if l == 0 {
			break
		}
		// delta of the layer below: (d Wᵀ) * act'(its output).
		prev := &m.Layers[l-1]
		dp := ws.delta[l-1][:n*in]
		mulBT(d, n, out, ly.W, in, dp, ws.s)
		switch prev.Act {
		case ReLU:
			reluGrad(x, dp)
		case Tanh:
			for i, v := range x {
				dp[i] *= 1 - v*v
			}
		}
	}
}

// OutputGrad is the slice (n*Out values) into which a loss writes
// dLoss/dOutput before Backward. The output layer is linear, so this is also
// the delta of its pre-activation.
func (m *MLP) OutputGrad(ws *Workspace, n int) []float32 {
	return ws.delta[len(m.Layers)-1][:n*m.Out()]
}

// ClipGradNorm scales g so that its L2 norm is at most maxNorm (as
// tf.clip_by_global_norm does) and returns the norm before clipping.
// maxNorm <= 0 disables clipping.
func ClipGradNorm(g []float32, maxNorm float64) float64 {
	norm := math.Sqrt(sumSquares(g))
	if maxNorm > 0 && norm > maxNorm {
		scale := float32(maxNorm / norm)
		for i := range g {
			g[i] *= scale
		}
	}
	return norm
}
