package backend

import (
	"context"
	"fmt"

	"github.com/xlrl/xlrl/internal/nn"
)

// Snapshotter is implemented by nets whose whole training state, weights
// and optimizer, can be saved and restored: the go backend's (exactly, so a
// resumed run matches an uninterrupted one bit for bit) and the tf backend's
// (through the worker). Checkpoints that resume a run need it.
type Snapshotter interface {
	Snapshot(ctx context.Context) (NetState, error)
	Restore(ctx context.Context, s NetState) error
}

// NetState is a trained network's weights and optimizer state.
type NetState struct {
	Params []float32
	Adam   nn.AdamState
}

func (n *goNet) Snapshot(context.Context) (NetState, error) {
	return NetState{Params: append([]float32(nil), n.tr.Net.Params...), Adam: n.tr.Opt.State()}, nil
}

func (n *goNet) Restore(_ context.Context, s NetState) error {
	if len(s.Params) != len(n.tr.Net.Params) {
		return fmt.Errorf("backend: a state of %d parameters for a network of %d", len(s.Params), len(n.tr.Net.Params))
	}
	copy(n.tr.Net.Params, s.Params)
	return n.tr.Opt.SetState(s.Adam)
}
