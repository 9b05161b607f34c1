package mdp

import (
	"math/rand/v2"

	"github.com/xlrl/xlrl/internal/env"
)

// Tabular is a transition model written out as data: P[s][a] lists the
// outcomes of action a in state s. It is how tests and users describe small
// MDPs of their own.
type Tabular struct {
	P    [][][]env.Outcome
	Init []float64 // initial state distribution
}

func (t *Tabular) NumStates() int                     { return len(t.P) }
func (t *Tabular) NumActions() int                    { return len(t.P[0]) }
func (t *Tabular) Transitions(s, a int) []env.Outcome { return t.P[s][a] }
func (t *Tabular) InitialDistribution() []float64     { return t.Init }

// ModelEnv samples episodes from a transition model, so any env.Model can be
// learnt from by the agents that step env.Env.
// It implements env.Model itself by embedding the model.
type ModelEnv struct {
	env.Model
	spec  env.Spec
	rng   *rand.Rand
	state int
	steps int
	obs   [1]float64
}

// NewModelEnv wraps m as an environment with the given id and time limit
// (0: none).
func NewModelEnv(id string, m env.Model, maxSteps int) *ModelEnv {
	return &ModelEnv{
		Model: m,
		spec: env.Spec{
			ID:              id,
			Observation:     env.Space{Kind: env.Discrete, N: m.NumStates()},
			Action:          env.Space{Kind: env.Discrete, N: m.NumActions()},
			MaxEpisodeSteps: maxSteps,
		},
		rng: rand.New(rand.NewPCG(0, 0)),
	}
}

func (e *ModelEnv) Spec() *env.Spec  { return &e.spec }
func (e *ModelEnv) Seed(seed uint64) { e.rng = rand.New(rand.NewPCG(seed, 0x6d6f64656c)) }

func (e *ModelEnv) Reset() []float64 {
	e.state = sample(e.rng, e.Model.InitialDistribution())
	e.steps = 0
	e.obs[0] = float64(e.state)
	return e.obs[:]
}

func (e *ModelEnv) Step(a env.Action) ([]float64, float64, bool, bool) {
	if err := env.ValidateAction(&e.spec, a); err != nil {
		panic(err)
	}
	out := e.Model.Transitions(e.state, a.Discrete)
	u := e.rng.Float64()
	o := out[len(out)-1]
	for _, c := range out {
		if u < c.Prob {
			o = c
			break
		}
		u -= c.Prob
	}
	e.state = o.Next
	e.steps++
	e.obs[0] = float64(e.state)
	truncated := !o.Terminal && e.spec.MaxEpisodeSteps > 0 && e.steps >= e.spec.MaxEpisodeSteps
	return e.obs[:], o.Reward, o.Terminal, truncated
}

func sample(rng *rand.Rand, p []float64) int {
	u := rng.Float64()
	for i, w := range p {
		if u < w {
			return i
		}
		u -= w
	}
	return len(p) - 1
}
