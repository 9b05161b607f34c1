package env

import (
	"fmt"
	"sync"
)

// tabular is an environment given entirely by its transition table, as
// Gymnasium's toy-text environments are: a step samples one outcome of
// P[s][a] by inverse CDF over the listed probabilities, in their order.
type tabular struct {
	spec *Spec
	nS   int
	nA   int
	p    [][]Outcome // p[s*nA+a]
	init []float64
	s    int
	rng  RNG
	obs  [1]float64
}

func newTabular(spec *Spec, nS, nA int) *tabular {
	return &tabular{spec: spec, nS: nS, nA: nA, p: make([][]Outcome, nS*nA), init: make([]float64, nS)}
}

// tables caches built transition tables by a key naming the environment and
// its options. Tables are never modified after building, so every instance
// of the same environment shares one: a vector of 256 Taxis then steps
// through 170 KB of table instead of 256 copies that miss the cache.
var tables sync.Map // string -> *tabular

// sharedTabular returns a fresh instance (own state and RNG) whose table is
// the one cached under key, building it with build on first use.
func sharedTabular(key string, spec *Spec, build func() *tabular) *tabular {
	v, ok := tables.Load(key)
	if !ok {
		v, _ = tables.LoadOrStore(key, build())
	}
	proto := v.(*tabular)
	return &tabular{spec: spec, nS: proto.nS, nA: proto.nA, p: proto.p, init: proto.init}
}

func (t *tabular) Spec() *Spec                    { return t.spec }
func (t *tabular) Seed(seed uint64)               { t.rng.Seed(seed) }
func (t *tabular) NumStates() int                 { return t.nS }
func (t *tabular) NumActions() int                { return t.nA }
func (t *tabular) Transitions(s, a int) []Outcome { return t.p[s*t.nA+a] }
func (t *tabular) InitialDistribution() []float64 { return t.init }
func (t *tabular) add(s, a int, o Outcome)        { t.p[s*t.nA+a] = append(t.p[s*t.nA+a], o) }
func (t *tabular) observe() []float64             { t.obs[0] = float64(t.s); return t.obs[:] }

// sample mirrors gymnasium.envs.toy_text.utils.categorical_sample: the first
// index whose cumulative probability exceeds a uniform draw.
func sample(probs func(i int) float64, n int, u float64) int {
	c := 0.0
	for i := 0; i < n; i++ {
		c += probs(i)
		if c > u {
			return i
		}
	}
	return 0 // u beyond the total (rounding): numpy's argmax of all-false is 0
}

func (t *tabular) Reset() []float64 {
	t.s = sample(func(i int) float64 { return t.init[i] }, t.nS, t.rng.Float64())
	return t.observe()
}

func (t *tabular) Step(a Action) ([]float64, float64, bool, bool) {
	if a.Discrete < 0 || a.Discrete >= t.nA {
		panic(&ActionError{ID: t.spec.ID, Action: a, Space: t.spec.Action})
	}
	r, term := t.StepDiscrete(a.Discrete, t.obs[:])
	return t.obs[:], r, term, false
}

// StepDiscrete is the vector runner's fast path: a must be valid.
func (t *tabular) StepDiscrete(a int, obs []float64) (float64, bool) {
	outs := t.p[t.s*t.nA+a]
	i := 0
	if len(outs) > 1 {
		i = sample(func(i int) float64 { return outs[i].Prob }, len(outs), t.rng.Float64())
	}
	o := outs[i]
	t.s = o.Next
	obs[0] = float64(t.s)
	return o.Reward, o.Terminal
}

// ResetInto is Reset writing into obs[:1].
func (t *tabular) ResetInto(obs []float64) { obs[0] = t.Reset()[0] }

// SetState takes one number: the state index.
func (t *tabular) SetState(state []float64) error {
	if len(state) != 1 {
		return &StateError{ID: t.spec.ID, Msg: fmt.Sprintf("state has %d values, want 1 (the state index 0..%d)", len(state), t.nS-1)}
	}
	s := int(state[0])
	if float64(s) != state[0] || s < 0 || s >= t.nS {
		return &StateError{ID: t.spec.ID, Msg: fmt.Sprintf("state %v: want an integer index 0..%d", state[0], t.nS-1)}
	}
	t.s = s
	return nil
}
