// Command custom-cli is xlrl's whole command line (train, eval, solve,
// rollout, envs, plot, bench, ...) for two environments of its own,
// registered before cli.Main runs:
//
//	Corridor-v0  Discrete observations: cells 0..7 in a row, start in cell
//	             3, -1 at the left end, +1 at the right end (it has a
//	             model, so solve and "% of optimal" work)
//	Reach-v0     a Box observation: a position in [-1, 1] starting at 0,
//	             moves of 0.1, -0.01 per step and +1 on reaching 0.5
//
// Try: custom-cli train --env Corridor-v0 --algo q-learning
//
//	custom-cli train --env Reach-v0 --algo dqn --backend go --steps 8000
package main

import (
	"github.com/xlrl/xlrl"
	"github.com/xlrl/xlrl/cli"
)

func main() {
	for _, r := range []struct {
		spec xlrl.Spec
		make func() (xlrl.Env, error)
	}{
		{corridorSpec, newCorridor},
		{reachSpec, newReach},
	} {
		if err := xlrl.RegisterEnv(r.spec, r.make); err != nil {
			panic(err)
		}
	}
	cli.Main()
}

const corridorLen = 8

var corridorSpec = xlrl.Spec{ID: "Corridor-v0", Observation: xlrl.Space{Kind: xlrl.Discrete, N: corridorLen},
	Action: xlrl.Space{Kind: xlrl.Discrete, N: 2}, MaxEpisodeSteps: 50}

// Corridor implements xlrl.Env and xlrl.Model.
type Corridor struct {
	spec *xlrl.Spec
	s    int
	obs  []float64
}

func newCorridor() (xlrl.Env, error) {
	s := corridorSpec
	return &Corridor{spec: &s, obs: make([]float64, 1)}, nil
}

func (c *Corridor) Spec() *xlrl.Spec { return c.spec }
func (c *Corridor) Seed(uint64)      {}
func (c *Corridor) Reset() []float64 { c.s = 3; c.obs[0] = 3; return c.obs }
func (c *Corridor) NumStates() int   { return corridorLen }
func (c *Corridor) NumActions() int  { return 2 }
func (c *Corridor) InitialDistribution() []float64 {
	p := make([]float64, corridorLen)
	p[3] = 1
	return p
}

// Transitions: action 0 moves left, 1 right; both ends are terminal.
func (c *Corridor) Transitions(s, a int) []xlrl.Outcome {
	if s == 0 || s == corridorLen-1 {
		return []xlrl.Outcome{{Prob: 1, Next: s, Terminal: true}}
	}
	next := s + 2*a - 1
	reward := 0.0
	switch next {
	case 0:
		reward = -1
	case corridorLen - 1:
		reward = 1
	}
	return []xlrl.Outcome{{Prob: 1, Next: next, Reward: reward, Terminal: next == 0 || next == corridorLen-1}}
}

func (c *Corridor) Step(a xlrl.Action) ([]float64, float64, bool, bool) {
	o := c.Transitions(c.s, a.Discrete)[0]
	c.s = o.Next
	c.obs[0] = float64(o.Next)
	return c.obs, o.Reward, o.Terminal, false
}

var reachSpec = xlrl.Spec{ID: "Reach-v0",
	Observation: xlrl.Space{Kind: xlrl.Box, Low: []float64{-1}, High: []float64{1}},
	Action:      xlrl.Space{Kind: xlrl.Discrete, N: 2}, MaxEpisodeSteps: 100}

// Reach implements xlrl.Env with a Box observation.
type Reach struct {
	spec *xlrl.Spec
	x    float64
	obs  []float64
}

func newReach() (xlrl.Env, error) {
	s := reachSpec
	return &Reach{spec: &s, obs: make([]float64, 1)}, nil
}

func (r *Reach) Spec() *xlrl.Spec { return r.spec }
func (r *Reach) Seed(uint64)      {}
func (r *Reach) Reset() []float64 { r.x = 0; r.obs[0] = 0; return r.obs }

func (r *Reach) Step(a xlrl.Action) ([]float64, float64, bool, bool) {
	r.x = max(-1, r.x+0.1*float64(2*a.Discrete-1))
	r.obs[0] = r.x
	if r.x >= 0.5-1e-9 {
		return r.obs, 1, true, false
	}
	return r.obs, -0.01, false, false
}
