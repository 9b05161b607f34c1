package nn

import "fmt"

// AdamState is Adam's full state (moments and step count), for checkpoints:
// restored into an Adam of the same size, it takes the same next steps.
type AdamState struct {
	M, V []float32
	T    int
}

// State returns a copy of the optimizer's state.
func (o *Adam) State() AdamState {
	return AdamState{M: append([]float32(nil), o.m...), V: append([]float32(nil), o.v...), T: o.t}
}

// SetState restores a state returned by State.
func (o *Adam) SetState(s AdamState) error {
	if len(s.M) != len(o.m) || len(s.V) != len(o.v) {
		return fmt.Errorf("nn: Adam state for %d and %d parameters, this optimizer has %d", len(s.M), len(s.V), len(o.m))
	}
	if s.T < 0 {
		return fmt.Errorf("nn: Adam state at step %d", s.T)
	}
	copy(o.m, s.M)
	copy(o.v, s.V)
	o.t = s.T
	return nil
}
