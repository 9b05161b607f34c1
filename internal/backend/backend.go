// Package backend trains the deep RL agents' networks. The agents act and
// compute their targets in Go with internal/nn on a copy of the weights; a
// Backend only takes gradient steps and hands the new weights back.
//
//   - go: internal/nn's Trainer in process; no Python at all.
//   - tf: the Python worker (pyworker/rl.py) with Keras and a tf.function
//     training step; several gradient steps per call so that the link is not
//     the bottleneck.
//
// Both implement the same losses (nn.Loss) and Keras's Adam, start from the
// same Go-initialised weights, and are tested to compute the same forward
// pass and gradient.
package backend

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/xlrl/xlrl/internal/nn"
)

// NetConfig describes one trained network.
type NetConfig struct {
	Loss        nn.Loss
	LR          float64
	EntCoef     float64 // nn.Policy only
	MaxGradNorm float64 // global-norm clipping; <= 0: none
}

// Batches is K minibatches of N rows each, stored contiguously so that the
// tf backend sends them as three arrays: X (K, N, In), A (K, N), Y (K, N).
// Y holds the regression target or, for nn.Policy, the advantage.
type Batches struct {
	K, N, In int
	X        []float32
	A        []int32
	Y        []float32
	// Double, when set, makes the backend compute Y itself before each step
	// (Double DQN; see Bootstrap); what Y holds afterwards is unspecified.
	Double *Bootstrap
}

// Bootstrap is what a backend needs to compute Double DQN's targets itself,
// minibatch by minibatch, with the online weights of each gradient step (as
// van Hasselt et al. 2016 and SB3 do). Before step k the backend sets
//
//	Y[k][i] = R[i] + Discount[i] * QTarget[i][argmax_a online(Next[i])[a]]
//
// where online is the network as steps 0..k-1 left it and QTarget holds the
// target network's outputs for the next states, fixed during the call. (With
// the argmax taken once per call, a target network copied at every call's
// start would make Double DQN plain DQN.)
type Bootstrap struct {
	Out      int       // the network's output width (actions)
	Next     []float32 // K*N*In next states
	R        []float32 // K*N rewards
	Discount []float32 // K*N: gamma, or 0 where the next state is terminal
	QTarget  []float32 // K*N*Out target-network Q-values of the next states
}

// NewBootstrap allocates a Bootstrap for b's minibatches and nA actions.
func (b *Batches) NewBootstrap(nA int) *Bootstrap {
	return &Bootstrap{Out: nA, Next: make([]float32, len(b.X)), R: make([]float32, len(b.Y)),
		Discount: make([]float32, len(b.Y)), QTarget: make([]float32, len(b.Y)*nA)}
}

// Targets writes minibatch k's Double DQN targets into y, given the online
// network's outputs qOnline (N*Out values) for its next states.
func (d *Bootstrap) Targets(k, n int, qOnline, y []float32) {
	for i := 0; i < n; i++ {
		row := k*n + i
		a := nn.Argmax(qOnline[i*d.Out : (i+1)*d.Out])
		y[i] = d.R[row] + d.Discount[row]*d.QTarget[row*d.Out+a]
	}
}

// check reports a Bootstrap whose sizes do not fit the minibatches.
func (d *Bootstrap) check(b *Batches) error {
	if d.Out <= 0 || len(d.Next) != b.K*b.N*b.In || len(d.R) != b.K*b.N || len(d.Discount) != b.K*b.N || len(d.QTarget) != b.K*b.N*d.Out {
		return fmt.Errorf("backend: a Double DQN bootstrap of %d next-state values, %d rewards, %d discounts and %d Q-values (%d actions) for %d minibatches of %d rows of %d inputs",
			len(d.Next), len(d.R), len(d.Discount), len(d.QTarget), d.Out, b.K, b.N, b.In)
	}
	return nil
}

// NewBatches allocates K minibatches of N rows of in inputs.
func NewBatches(k, n, in int) *Batches {
	return &Batches{K: k, N: n, In: in, X: make([]float32, k*n*in), A: make([]int32, k*n), Y: make([]float32, k*n)}
}

// Row views minibatch k: its inputs, actions and targets.
func (b *Batches) Row(k int) (x []float32, a []int32, y []float32) {
	return b.X[k*b.N*b.In : (k+1)*b.N*b.In], b.A[k*b.N : (k+1)*b.N], b.Y[k*b.N : (k+1)*b.N]
}

// Net is one network being trained.
type Net interface {
	// Fit takes one gradient step per minibatch, in order, and returns the
	// mean loss. When sync is non-nil the trained weights are copied into it
	// (the agent's acting copy).
	Fit(ctx context.Context, b *Batches, sync *nn.MLP) (float64, error)
}

// Forwarder is implemented by backends that run large batched forward
// passes faster than Go's scalar loops: DQN's target Q-values for
// gradient_steps x batch_size next states per training call. The weights
// come from Go (which owns the target network); Go then computes the
// Bellman targets from the outputs. Acting (one state at a time) always
// stays in Go.
type Forwarder interface {
	// ForwardBatch writes nets[i]'s outputs for the rows of x into outs[i].
	ForwardBatch(ctx context.Context, nets []*nn.MLP, x []float32, rows int, outs [][]float32) error
}

// Timings is where a backend spent its time.
type Timings struct {
	Calls   int           // Fit calls
	Steps   int           // gradient steps
	Compute time.Duration // gradient steps themselves (Go, or TF inside the worker)
	Forward time.Duration // Forwarder only: batched forward passes inside the worker
	Link    time.Duration // tf only: Fit round trips minus worker compute (encoding, pipe, decoding)
	// ForwardLink is the same for ForwardBatch round trips.
	ForwardLink time.Duration
}

// Backend creates networks on one training engine.
type Backend interface {
	Name() string
	// NewNet creates a trained network initialised with init's weights
	// (init is not modified or retained).
	NewNet(ctx context.Context, cfg NetConfig, init *nn.MLP) (Net, error)
	Timings() Timings
	Close() error
}

// Names lists the backends this build offers: go and tf always, and those
// that build tags add (gorgonia).
func Names() []string {
	names := []string{"go", "tf"}
	for name := range optional {
		names = append(names, name)
	}
	slices.Sort(names[2:])
	return names
}

// optional holds the backends compiled in by build tags, by name.
var optional = map[string]func(context.Context) (Backend, error){}

func register(name string, open func(context.Context) (Backend, error)) { optional[name] = open }

// OpenOptional opens a backend that a build tag compiled in; ok is false when
// this build has none of that name.
func OpenOptional(ctx context.Context, name string) (b Backend, ok bool, err error) {
	open, ok := optional[name]
	if !ok {
		return nil, false, nil
	}
	b, err = open(ctx)
	return b, true, err
}
