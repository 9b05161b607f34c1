// Command userlib is a user's own build of the xlrl_envs library: every
// built-in environment plus Corridor-v0, registered here. It imports only
// public packages, as a module of the user's would:
//
//	go build -buildmode=c-shared -o libmyenvs.so .
package main

import "github.com/xlrl/xlrl/envlib"

// corridor: walk right (action 1) from cell 0 to cell Len-1; each step costs
// 1, arriving pays Len.
type corridor struct {
	spec *envlib.Spec
	pos  int
	obs  []float64
}

const corridorLen = 5

func (c *corridor) Spec() *envlib.Spec { return c.spec }
func (c *corridor) Seed(uint64)        {}
func (c *corridor) Reset() []float64   { c.pos = 0; c.obs[0] = 0; return c.obs }

func (c *corridor) Step(a envlib.Action) ([]float64, float64, bool, bool) {
	if a.Discrete == 1 {
		c.pos++
	} else if c.pos > 0 {
		c.pos--
	}
	c.obs[0] = float64(c.pos)
	if c.pos == corridorLen-1 {
		return c.obs, corridorLen, true, false
	}
	return c.obs, -1, false, false
}

func init() {
	spec := envlib.Spec{
		ID:              "Corridor-v0",
		Observation:     envlib.Space{Kind: envlib.Box, Low: []float64{0}, High: []float64{corridorLen - 1}},
		Action:          envlib.Space{Kind: envlib.Discrete, N: 2},
		MaxEpisodeSteps: 20,
	}
	envlib.MustRegister(spec, func() (envlib.Env, error) {
		s := spec
		return &corridor{spec: &s, obs: make([]float64, 1)}, nil
	})
}

func main() {}
