package dqn

import (
	"math"
	"math/rand/v2"

	"github.com/xlrl/xlrl/internal/env"
)

// tinyCartPole is a stand-in for env's CartPole-v1 until it lands.
type tinyCartPole struct {
	s    [4]float64
	obs  []float64
	rng  *rand.Rand
	n    int
	spec env.Spec
}

func newTinyCartPole() *tinyCartPole {
	return &tinyCartPole{obs: make([]float64, 4), rng: rand.New(rand.NewPCG(1, 1)), spec: env.Spec{ID: "CartPole-v1",
		Observation: env.Space{Kind: env.Box, Low: make([]float64, 4), High: make([]float64, 4)},
		Action:      env.Space{Kind: env.Discrete, N: 2}, MaxEpisodeSteps: 500}}
}
func (c *tinyCartPole) Spec() *env.Spec  { return &c.spec }
func (c *tinyCartPole) Seed(seed uint64) { c.rng = rand.New(rand.NewPCG(seed, 7)) }
func (c *tinyCartPole) Reset() []float64 {
	for i := range c.s {
		c.s[i] = c.rng.Float64()*0.1 - 0.05
	}
	c.n = 0
	copy(c.obs, c.s[:])
	return c.obs
}
func (c *tinyCartPole) Step(a env.Action) ([]float64, float64, bool, bool) {
	x, xd, th, thd := c.s[0], c.s[1], c.s[2], c.s[3]
	f := -10.0
	if a.Discrete == 1 {
		f = 10
	}
	ct, st := math.Cos(th), math.Sin(th)
	temp := (f + 0.05*thd*thd*st) / 1.1
	thacc := (9.8*st - ct*temp) / (0.5 * (4.0/3.0 - 0.1*ct*ct/1.1))
	xacc := temp - 0.05*thacc*ct/1.1
	x, xd, th, thd = x+0.02*xd, xd+0.02*xacc, th+0.02*thd, thd+0.02*thacc
	c.s = [4]float64{x, xd, th, thd}
	c.n++
	copy(c.obs, c.s[:])
	term := x < -2.4 || x > 2.4 || th < -12*2*math.Pi/360 || th > 12*2*math.Pi/360
	return c.obs, 1, term, c.n >= 500
}
