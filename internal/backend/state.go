package backend

import (
	"fmt"

	"github.com/xlrl/xlrl/internal/nn"
)

// Snapshotter is implemented by nets whose whole training state, weights
// and optimizer, can be saved and restored exactly: the go backend's.
// Checkpoints that resume a run bit for bit need it.
type Snapshotter interface {
	Snapshot() NetState
	Restore(NetState) error
}

// NetState is a trained network's weights and optimizer state.
type NetState struct {
	Params []float32
	Adam   nn.AdamState
}

func (n *goNet) Snapshot() NetState {
	return NetState{Params: append([]float32(nil), n.tr.Net.Params...), Adam: n.tr.Opt.State()}
}

func (n *goNet) Restore(s NetState) error {
	if len(s.Params) != len(n.tr.Net.Params) {
		return fmt.Errorf("backend: a state of %d parameters for a network of %d", len(s.Params), len(n.tr.Net.Params))
	}
	copy(n.tr.Net.Params, s.Params)
	return n.tr.Opt.SetState(s.Adam)
}
