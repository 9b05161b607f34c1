package env

import (
	"fmt"
	"math"
)

// CartPole's constants. Gymnasium derives some of them in float64 (total
// mass masspole + masscart, polemass_length, the angle limit 12*2*pi/360,
// each operation rounded); Go would fold such expressions exactly, so the
// derived ones are written as the float64 values Python computes
// (TestCartPoleConstants recomputes them step by step). Constants, not
// variables, so that the step loads none of them from memory.
const (
	cpGravity     = 9.8
	cpMassPole    = 0.1
	cpTotalMass   = 1.1                 // 0.1 + 1.0 in float64
	cpLength      = 0.5                 // half the pole's length
	cpPoleMassLen = 0.05                // 0.1 * 0.5 in float64
	cpForceMag    = 10.0                //
	cpTau         = 0.02                //
	cpFourThirds  = 1.3333333333333333  // 4.0 / 3.0 in float64
	cpThetaLimit  = 0.20943951023931953 // 12 * 2 * math.pi / 360 in float64
	cpXLimit      = 2.4
)

var (
	cpObsHighs      = []float64{float32Round(2 * cpXLimit), math.Inf(1), float32Round(2 * cpThetaLimit), math.Inf(1)}
	cartPoleRegSpec = Spec{
		ID:              "CartPole-v1",
		Observation:     Space{Kind: Box, Low: neg(cpObsHighs), High: cpObsHighs},
		Action:          Space{Kind: Discrete, N: 2},
		MaxEpisodeSteps: 500,
		RewardThreshold: threshold(475),
		State:           "4 values: x, x_dot, theta, theta_dot",
	}
)

func neg(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = -x
	}
	return out
}

// CartPole is Gymnasium's CartPoleEnv (explicit Euler, tau 0.02). Its
// concrete methods StepDiscrete and ResetInto are the fast path the vector
// runner and the benchmark use; Step and Reset wrap them for the Env API.
type CartPole struct {
	spec                  *Spec
	x, xDot, theta, thDot float64
	terminatedBefore      bool // Gymnasium's steps_beyond_terminated is not None
	rng                   RNG
	obs                   [4]float64
}

// NewCartPole returns a CartPole with no time limit.
func NewCartPole() *CartPole {
	s := cartPoleRegSpec
	s.MaxEpisodeSteps = 0
	return &CartPole{spec: &s}
}

func (c *CartPole) Spec() *Spec      { return c.spec }
func (c *CartPole) Seed(seed uint64) { c.rng.Seed(seed) }

// ResetInto starts an episode (each state variable uniform in
// [-0.05, 0.05)) and writes the observation into obs[:4].
func (c *CartPole) ResetInto(obs []float64) {
	c.x = c.rng.Uniform(-0.05, 0.05)
	c.xDot = c.rng.Uniform(-0.05, 0.05)
	c.theta = c.rng.Uniform(-0.05, 0.05)
	c.thDot = c.rng.Uniform(-0.05, 0.05)
	c.terminatedBefore = false
	c.observe(obs)
}

func (c *CartPole) observe(obs []float64) {
	_ = obs[3]
	obs[0] = float32Round(c.x)
	obs[1] = float32Round(c.xDot)
	obs[2] = float32Round(c.theta)
	obs[3] = float32Round(c.thDot)
}

// StepDiscrete applies action a (0 push left, 1 push right; anything else
// than 1 pushes left, so callers validate first) and writes the observation
// into obs[:4].
func (c *CartPole) StepDiscrete(a int, obs []float64) (reward float64, terminated bool) {
	// The force's sign bit, chosen by a conditional move: a branch on a
	// random action mispredicts every other step and costs more than the
	// rest of the step's arithmetic can hide (a fifth of the step's time).
	var left uint64 = 1 << 63
	if a == 1 {
		left = 0
	}
	force := math.Float64frombits(math.Float64bits(cpForceMag) | left)
	// The state in locals: loaded once, stored once.
	x, xDot, theta, thDot := c.x, c.xDot, c.theta, c.thDot
	sin, cos := sinCos(theta)
	// The float64(...) conversions keep each product rounded on its own, as
	// NumPy does, where the compiler could otherwise fuse multiply-adds.
	temp := (force + float64(float64(cpPoleMassLen*(thDot*thDot))*sin)) / cpTotalMass
	thetaAcc := (float64(cpGravity*sin) - float64(cos*temp)) /
		(cpLength * (cpFourThirds - float64(cpMassPole*(cos*cos))/cpTotalMass))
	xAcc := temp - float64(cpPoleMassLen*thetaAcc)*cos/cpTotalMass
	x += float64(cpTau * xDot)
	xDot += float64(cpTau * xAcc)
	theta += float64(cpTau * thDot)
	thDot += float64(cpTau * thetaAcc)
	c.x, c.xDot, c.theta, c.thDot = x, xDot, theta, thDot
	terminated = x < -cpXLimit || x > cpXLimit || theta < -cpThetaLimit || theta > cpThetaLimit
	_ = obs[3]
	obs[0] = float32Round(x)
	obs[1] = float32Round(xDot)
	obs[2] = float32Round(theta)
	obs[3] = float32Round(thDot)
	switch {
	case !terminated:
		return 1, false
	case !c.terminatedBefore:
		c.terminatedBefore = true
		return 1, true
	default:
		return 0, true // stepping on after the end: Gymnasium pays nothing
	}
}

func (c *CartPole) Reset() []float64 {
	c.ResetInto(c.obs[:])
	return c.obs[:]
}

func (c *CartPole) Step(a Action) ([]float64, float64, bool, bool) {
	if a.Discrete != 0 && a.Discrete != 1 {
		panic(&ActionError{ID: c.spec.ID, Action: a, Space: c.spec.Action})
	}
	r, term := c.StepDiscrete(a.Discrete, c.obs[:])
	return c.obs[:], r, term, false
}

// SetState takes x, x_dot, theta, theta_dot.
func (c *CartPole) SetState(s []float64) error {
	if err := checkStateLen(c.spec, s, 4); err != nil {
		return err
	}
	c.x, c.xDot, c.theta, c.thDot = s[0], s[1], s[2], s[3]
	c.terminatedBefore = false
	c.observe(c.obs[:])
	return nil
}

func checkStateLen(spec *Spec, s []float64, n int) error {
	if len(s) != n {
		return &StateError{ID: spec.ID, Msg: fmt.Sprintf("state has %d values, want %s", len(s), spec.State)}
	}
	return nil
}

func init() {
	register(&registration{spec: cartPoleRegSpec, build: func(s *Spec, _ *config) (Env, error) {
		c := NewCartPole()
		c.spec = s
		return c, nil
	}})
}
