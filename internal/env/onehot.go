package env

// OneHot presents an environment with Discrete(N) observations to agents that
// need vectors: state i becomes the one-hot vector e_i of a Box(N) space in
// [0, 1], as Stable-Baselines3 encodes Discrete observations. Any other
// environment is returned as it is. The wrapper unwraps (Unwrapped, ModelOf,
// RNGStateOf and SetState reach the environment inside).
func OneHot(e Env) Env {
	spec := e.Spec()
	if spec.Observation.Kind != Discrete {
		return e
	}
	n := spec.Observation.N
	s := *spec
	s.Observation = Space{Kind: Box, Low: make([]float64, n), High: make([]float64, n)}
	for i := range s.Observation.High {
		s.Observation.High[i] = 1
	}
	return &oneHot{inner: e, spec: &s, obs: make([]float64, n)}
}

type oneHot struct {
	inner Env
	spec  *Spec
	obs   []float64 // the one-hot vector, reused: only the hot index changes
	hot   int
}

func (o *oneHot) Spec() *Spec      { return o.spec }
func (o *oneHot) Seed(seed uint64) { o.inner.Seed(seed) }
func (o *oneHot) Unwrap() Env      { return o.inner }
func (o *oneHot) Reset() []float64 { return o.encode(o.inner.Reset()) }

func (o *oneHot) Step(a Action) ([]float64, float64, bool, bool) {
	obs, r, terminated, truncated := o.inner.Step(a)
	return o.encode(obs), r, terminated, truncated
}

func (o *oneHot) encode(state []float64) []float64 {
	o.obs[o.hot] = 0
	o.hot = int(state[0])
	o.obs[o.hot] = 1
	return o.obs
}
