package env

import "math"

var (
	pdMaxSpeed  = 8.0
	pdMaxTorque = 2.0
	pdDt        = 0.05
	pdG         = 10.0
	pdM         = 1.0
	pdL         = 1.0
)

// pendulum is Gymnasium's PendulumEnv (g = 10). The torque is taken as a
// float32, the dtype of its action space, and the terms that involve it are
// computed in float32 as NumPy does for a float32 action.
type pendulum struct {
	spec      *Spec
	th, thDot float64
	rng       RNG
	obs       [3]float64
}

func (p *pendulum) Spec() *Spec      { return p.spec }
func (p *pendulum) Seed(seed uint64) { p.rng.Seed(seed) }

func (p *pendulum) observe() []float64 {
	p.obs[0] = float32Round(cosAccurate(p.th))
	p.obs[1] = float32Round(sinAccurate(p.th))
	p.obs[2] = float32Round(p.thDot)
	return p.obs[:]
}

func (p *pendulum) Reset() []float64 {
	p.th = p.rng.Uniform(-math.Pi, math.Pi)
	p.thDot = p.rng.Uniform(-1, 1)
	return p.observe()
}

// angleNormalize is (x + pi) mod 2pi - pi with Python's floored modulo.
func angleNormalize(x float64) float64 {
	y := x + math.Pi
	m := math.Mod(y, 2*math.Pi)
	if m != 0 && (m < 0) != (2*math.Pi < 0) {
		m += 2 * math.Pi
	}
	return m - math.Pi
}

func (p *pendulum) Step(a Action) ([]float64, float64, bool, bool) {
	if len(a.Continuous) != 1 {
		panic(&ActionError{ID: p.spec.ID, Action: a, Space: p.spec.Action})
	}
	u := float32(a.Continuous[0])
	u = min(max(u, float32(-pdMaxTorque)), float32(pdMaxTorque))
	an := angleNormalize(p.th)
	uCost := float32(0.001) * (u * u)
	costs := float64(an*an) + float64(0.1*float64(p.thDot*p.thDot)) + float64(uCost)
	uAcc := float32(3.0/(pdM*pdL*pdL)) * u
	// float64(...) keeps each product rounded on its own, as NumPy does, where
	// the compiler could fuse a multiply-add.
	newThDot := p.thDot + float64((float64(3*pdG/(2*pdL)*sinAccurate(p.th))+float64(uAcc))*pdDt)
	newThDot = math.Min(math.Max(newThDot, -pdMaxSpeed), pdMaxSpeed)
	p.th += float64(newThDot * pdDt)
	p.thDot = newThDot
	return p.observe(), -costs, false, false
}

// SetState takes theta, theta_dot.
func (p *pendulum) SetState(s []float64) error {
	if err := checkStateLen(p.spec, s, 2); err != nil {
		return err
	}
	p.th, p.thDot = s[0], s[1]
	return nil
}

func init() {
	register(&registration{
		spec: Spec{
			ID:              "Pendulum-v1",
			Observation:     Space{Kind: Box, Low: []float64{-1, -1, -pdMaxSpeed}, High: []float64{1, 1, pdMaxSpeed}},
			Action:          Space{Kind: Box, Low: []float64{-pdMaxTorque}, High: []float64{pdMaxTorque}},
			MaxEpisodeSteps: 200,
			State:           "2 values: theta, theta_dot",
		},
		build: func(s *Spec, _ *config) (Env, error) { return &pendulum{spec: s}, nil },
	})
}
