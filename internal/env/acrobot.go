package env

import "math"

// Acrobot's constants ("book" dynamics, no torque noise).
var (
	abDt     = 0.2
	abL1     = 1.0
	abM1     = 1.0
	abM2     = 1.0
	abLC1    = 0.5
	abLC2    = 0.5
	abMOI    = 1.0
	abMaxV1  = 4 * math.Pi
	abMaxV2  = 9 * math.Pi
	abG      = 9.8
	abTorque = [3]float64{-1, 0, 1}
)

// acrobot is Gymnasium's AcrobotEnv: one RK4 step of length dt per action,
// joint angles wrapped to [-pi, pi], velocities bounded.
type acrobot struct {
	spec *Spec
	s    [4]float64
	rng  RNG
	obs  [6]float64
}

func (e *acrobot) Spec() *Spec      { return e.spec }
func (e *acrobot) Seed(seed uint64) { e.rng.Seed(seed) }

func (e *acrobot) observe() []float64 {
	e.obs[0] = float32Round(cosAccurate(e.s[0]))
	e.obs[1] = float32Round(sinAccurate(e.s[0]))
	e.obs[2] = float32Round(cosAccurate(e.s[1]))
	e.obs[3] = float32Round(sinAccurate(e.s[1]))
	e.obs[4] = float32Round(e.s[2])
	e.obs[5] = float32Round(e.s[3])
	return e.obs[:]
}

// Reset draws each state variable from U(-0.1, 0.1) and, as Gymnasium does,
// stores it as a float32.
func (e *acrobot) Reset() []float64 {
	for i := range e.s {
		e.s[i] = float32Round(e.rng.Uniform(-0.1, 0.1))
	}
	return e.observe()
}

// acrobotDsdt is AcrobotEnv._dsdt with book dynamics, term by term in
// Python's order. Every product that is then added sits in float64(...): the
// conversion keeps it rounded on its own where the compiler could otherwise
// fuse a multiply-add (NumPy never does).
func acrobotDsdt(s [4]float64, a float64) [4]float64 {
	th1, th2, dth1, dth2 := s[0], s[1], s[2], s[3]
	m1, m2, l1, lc1, lc2, i1, i2, g := abM1, abM2, abL1, abLC1, abLC2, abMOI, abMOI, abG
	cos2, sin2 := cosAccurate(th2), sinAccurate(th2)
	d1 := float64(m1*(lc1*lc1)) +
		float64(m2*(float64(l1*l1)+float64(lc2*lc2)+float64(float64(float64(2*l1)*lc2)*cos2))) + i1 + i2
	d2 := float64(m2*(float64(lc2*lc2)+float64(float64(l1*lc2)*cos2))) + i2
	phi2 := float64(float64(float64(m2*lc2)*g) * cosAccurate(th1+th2-math.Pi/2.0))
	phi1 := float64(float64(float64(float64(-m2*l1)*lc2)*(dth2*dth2))*sin2) -
		float64(float64(float64(float64(float64(float64(2*m2)*l1)*lc2)*dth2)*dth1)*sin2) +
		float64(float64(float64(float64(m1*lc1)+float64(m2*l1))*g)*cosAccurate(th1-math.Pi/2)) + phi2
	ddth2 := (a + float64(d2/d1*phi1) - float64(float64(float64(float64(m2*l1)*lc2)*(dth1*dth1))*sin2) - phi2) /
		(float64(m2*(lc2*lc2)) + i2 - (d2*d2)/d1)
	ddth1 := -(float64(d2*ddth2) + phi1) / d1
	return [4]float64{dth1, dth2, ddth1, ddth2}
}

func wrapAngle(x float64) float64 {
	for x > math.Pi {
		x -= 2 * math.Pi
	}
	for x < -math.Pi {
		x += 2 * math.Pi
	}
	return x
}

func (e *acrobot) Step(a Action) ([]float64, float64, bool, bool) {
	if a.Discrete < 0 || a.Discrete > 2 {
		panic(&ActionError{ID: e.spec.ID, Action: a, Space: e.spec.Action})
	}
	torque := abTorque[a.Discrete]
	dt := abDt
	dt2 := dt / 2.0
	y0 := e.s
	add := func(y [4]float64, h float64, k [4]float64) (out [4]float64) {
		for i := range y {
			out[i] = y[i] + float64(h*k[i])
		}
		return out
	}
	k1 := acrobotDsdt(y0, torque)
	k2 := acrobotDsdt(add(y0, dt2, k1), torque)
	k3 := acrobotDsdt(add(y0, dt2, k2), torque)
	k4 := acrobotDsdt(add(y0, dt, k3), torque)
	var ns [4]float64
	for i := range ns {
		ns[i] = y0[i] + float64(dt/6.0*(k1[i]+float64(2*k2[i])+float64(2*k3[i])+k4[i]))
	}
	ns[0] = wrapAngle(ns[0])
	ns[1] = wrapAngle(ns[1])
	ns[2] = math.Min(math.Max(ns[2], -abMaxV1), abMaxV1)
	ns[3] = math.Min(math.Max(ns[3], -abMaxV2), abMaxV2)
	e.s = ns
	terminated := -cosAccurate(ns[0])-cosAccurate(ns[1]+ns[0]) > 1.0
	reward := -1.0
	if terminated {
		reward = 0
	}
	return e.observe(), reward, terminated, false
}

// SetState takes theta1, theta2, dtheta1, dtheta2.
func (e *acrobot) SetState(s []float64) error {
	if err := checkStateLen(e.spec, s, 4); err != nil {
		return err
	}
	copy(e.s[:], s)
	return nil
}

func init() {
	high := []float64{1, 1, 1, 1, float32Round(abMaxV1), float32Round(abMaxV2)}
	register(&registration{
		spec: Spec{
			ID:              "Acrobot-v1",
			Observation:     Space{Kind: Box, Low: neg(high), High: high},
			Action:          Space{Kind: Discrete, N: 3},
			MaxEpisodeSteps: 500,
			RewardThreshold: threshold(-100),
			State:           "4 values: theta1, theta2, dtheta1, dtheta2",
		},
		build: func(s *Spec, _ *config) (Env, error) { return &acrobot{spec: s}, nil },
	})
}
