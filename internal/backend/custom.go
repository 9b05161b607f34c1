package backend

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/xlrl/xlrl/internal/nn"
)

// The actor-critic algorithms (PPO, SAC, TD3) have losses that do not fit
// NetConfig's fixed menu: PPO's clipped surrogate needs the log-probabilities
// of the rollout, SAC's actor loss reaches the actor through the critic's
// action input, and the entropy temperature and a Gaussian's log standard
// deviation are parameters outside any network. Rather than write each loss
// twice (Go and TensorFlow) and test the two against each other, Go computes
// every loss and its gradient with respect to the networks' outputs
// (dLoss/dOutput, and through a critic's InputGrad where an actor needs it),
// and a Group only backpropagates those output gradients, clips and takes an
// Adam step. The maths lives in one place; a backend is a gradient engine.

// GradBatch is one network's part of a Group step: N rows of inputs X (the
// rows Go's own forward pass saw) and dLoss/dOutput for them in DOut.
type GradBatch struct {
	X    []float32
	DOut []float32
	N    int
	// WS, when set, is the caller's forward pass of these N rows through a
	// network of the group's spec and current weights (its acting copy):
	// the go backend backpropagates from it instead of repeating the pass,
	// overwriting its gradients. The tf backend ignores it.
	WS *nn.Workspace
}

// StepOptions are a Group step's per-call settings.
type StepOptions struct {
	// ExtraSq is the squared gradient norm of parameters the caller trains
	// itself (a Gaussian's log standard deviation), counted in the global
	// norm that clipping bounds.
	ExtraSq float64
	// LR, when positive, becomes the optimiser's learning rate from this
	// step on (schedules such as rl-zoo's lin_0.001).
	LR float64
}

// GroupConfig configures a Group's optimiser.
type GroupConfig struct {
	LR float64
	// MaxGradNorm clips the gradients of all the group's networks together
	// (and the caller's own parameters, see Group.Step) by their global
	// norm, as Stable-Baselines3 clips one optimiser's parameters; <= 0: no
	// clipping.
	MaxGradNorm float64
}

// Group is networks trained together by one Adam (Keras's, as everywhere in
// xlrl) from output gradients that the caller computed: PPO's policy and
// value networks, or SAC's and TD3's twin critics.
type Group interface {
	// Step backpropagates each batch's DOut through network i at inputs X,
	// scales all the gradients by one factor so that their global norm,
	// counting opts.ExtraSq, is at most MaxGradNorm, and takes one Adam step
	// on every network. It returns the factor (1 when nothing was clipped)
	// so that the caller scales its own gradient alike. When sync[i] is
	// non-nil it receives network i's new weights; sync may be nil.
	Step(ctx context.Context, batches []GradBatch, opts StepOptions, sync []*nn.MLP) (scale float64, err error)
	// Snapshot returns every network's weights and Adam state, in order.
	Snapshot(ctx context.Context) ([]NetState, error)
	// Restore sets what Snapshot returned.
	Restore(ctx context.Context, s []NetState) error
}

// GroupBackend is implemented by the backends that train Groups: go and tf.
type GroupBackend interface {
	Backend
	// NewGroup creates a group of networks initialised with inits' weights
	// (not modified or retained).
	NewGroup(ctx context.Context, cfg GroupConfig, inits []*nn.MLP) (Group, error)
}

// Groups returns be as a GroupBackend, or an error naming the backends that
// are.
func Groups(be Backend) (GroupBackend, error) {
	g, ok := be.(GroupBackend)
	if !ok {
		return nil, fmt.Errorf("the %s backend cannot train actor-critic networks (PPO, SAC, TD3): use --backend go or --backend tf", be.Name())
	}
	return g, nil
}

// checkBatches validates a step's batches against the networks' shapes.
func checkBatches(batches []GradBatch, specs []nn.Spec, sync []*nn.MLP) error {
	if len(batches) != len(specs) {
		return fmt.Errorf("backend: a group step with %d batches for %d networks", len(batches), len(specs))
	}
	if sync != nil && len(sync) != len(specs) {
		return fmt.Errorf("backend: a group step with %d sync targets for %d networks", len(sync), len(specs))
	}
	for i, b := range batches {
		sp := specs[i]
		if b.N <= 0 || len(b.X) < b.N*sp.In || len(b.DOut) < b.N*sp.Out {
			return fmt.Errorf("backend: group batch %d: %d rows need %d inputs and %d output gradients, got %d and %d",
				i, b.N, b.N*sp.In, b.N*sp.Out, len(b.X), len(b.DOut))
		}
	}
	return nil
}

// clipScale is the factor tf.clip_by_global_norm applies for a global norm
// of sqrt(sumSq).
func clipScale(sumSq, maxNorm float64) float64 {
	norm := math.Sqrt(sumSq)
	if maxNorm > 0 && norm > maxNorm {
		return maxNorm / norm
	}
	return 1
}

// NewGroup creates a group trained with internal/nn in process.
func (g *Go) NewGroup(_ context.Context, cfg GroupConfig, inits []*nn.MLP) (Group, error) {
	if len(inits) == 0 {
		return nil, fmt.Errorf("backend: a group needs at least one network")
	}
	gg := &goGroup{b: g, maxNorm: cfg.MaxGradNorm, grads: make([][]float32, len(inits))}
	for _, m := range inits {
		net := m.Clone()
		gg.nets = append(gg.nets, net)
		gg.specs = append(gg.specs, net.Spec())
		gg.ws = append(gg.ws, nil)
		gg.opt = append(gg.opt, nn.NewAdam(cfg.LR, len(net.Params)))
	}
	return gg, nil
}

type goGroup struct {
	b       *Go
	nets    []*nn.MLP
	specs   []nn.Spec
	ws      []*nn.Workspace
	grads   [][]float32 // this step's gradient of each network (in ws or the batch's WS)
	opt     []*nn.Adam
	maxNorm float64
}

func (gg *goGroup) Step(ctx context.Context, batches []GradBatch, opts StepOptions, sync []*nn.MLP) (float64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := checkBatches(batches, gg.specs, sync); err != nil {
		return 0, err
	}
	start := time.Now()
	sumSq := opts.ExtraSq
	back := func(i int) {
		b, net := batches[i], gg.nets[i]
		ws := b.WS
		if ws == nil || ws.Cap < b.N || len(ws.Grad) != len(net.Params) {
			if gg.ws[i] == nil || gg.ws[i].Cap < b.N {
				gg.ws[i] = net.NewWorkspace(b.N)
			}
			ws = gg.ws[i]
			net.Forward(ws, b.X, b.N)
		}
		gg.grads[i] = ws.Grad
		copy(net.OutputGrad(ws, b.N), b.DOut[:b.N*net.Out()])
		net.Backward(ws, b.N)
		if gg.maxNorm > 0 { // the norm only matters to clipping
			for _, v := range ws.Grad {
				sumSq += float64(v) * float64(v)
			}
		}
	}
	update := func(i int, scale float64) {
		net, grad := gg.nets[i], gg.grads[i]
		if scale != 1 {
			s := float32(scale)
			for j := range grad {
				grad[j] *= s
			}
		}
		if opts.LR > 0 {
			gg.opt[i].LR = opts.LR
		}
		gg.opt[i].Step(net.Params, grad)
		if sync != nil && sync[i] != nil {
			sync[i].CopyFrom(net)
		}
	}
	scale := 1.0
	if len(gg.nets) == 2 && gg.maxNorm <= 0 {
		// Two networks without a shared norm (SAC's and TD3's twin
		// critics) are independent: side by side where a core is free.
		nn.Pair(func() { back(0); update(0, 1) }, func() { back(1); update(1, 1) })
	} else {
		for i := range batches {
			back(i)
		}
		scale = clipScale(sumSq, gg.maxNorm)
		for i := range gg.nets {
			update(i, scale)
		}
	}
	gg.b.t.Calls++
	gg.b.t.Steps++
	gg.b.t.Compute += time.Since(start)
	return scale, nil
}

func (gg *goGroup) Snapshot(context.Context) ([]NetState, error) {
	out := make([]NetState, len(gg.nets))
	for i, net := range gg.nets {
		out[i] = NetState{Params: append([]float32(nil), net.Params...), Adam: gg.opt[i].State()}
	}
	return out, nil
}

func (gg *goGroup) Restore(_ context.Context, s []NetState) error {
	if len(s) != len(gg.nets) {
		return fmt.Errorf("backend: a state of %d networks for a group of %d", len(s), len(gg.nets))
	}
	for i, net := range gg.nets {
		if err := net.SetParams(s[i].Params); err != nil {
			return fmt.Errorf("backend: group network %d: %w", i, err)
		}
		if err := gg.opt[i].SetState(s[i].Adam); err != nil {
			return fmt.Errorf("backend: group network %d: %w", i, err)
		}
	}
	return nil
}
