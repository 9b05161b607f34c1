package env

// Checkpoints save the state of an environment's random source: restored
// with Seed(state) at an episode boundary, the environment continues the
// exact sequence of episodes it would have produced.

func (c *CartPole) RNGState() uint64    { return c.rng.state }
func (e *acrobot) RNGState() uint64     { return e.rng.state }
func (m *mountainCar) RNGState() uint64 { return m.rng.state }
func (p *pendulum) RNGState() uint64    { return p.rng.state }
func (t *tabular) RNGState() uint64     { return t.rng.state }

// RNGStateOf returns the state of e's random source, looking through
// wrappers; false when e does not expose it. e.Seed(state) restores it,
// because the source's state is its seed.
func RNGStateOf(e Env) (uint64, bool) {
	s, ok := Unwrapped(e).(interface{ RNGState() uint64 })
	if !ok {
		return 0, false
	}
	return s.RNGState(), true
}
