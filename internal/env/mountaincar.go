package env

import "math"

var (
	mcMinPos   = -1.2
	mcMaxPos   = 0.6
	mcMaxSpeed = 0.07
	mcGoalPos  = 0.5
	mcForce    = 0.001
	mcGravity  = 0.0025
)

// mountainCar is Gymnasium's MountainCarEnv (discrete actions, goal_velocity 0).
type mountainCar struct {
	spec     *Spec
	pos, vel float64
	rng      RNG
	obs      [2]float64
}

func (m *mountainCar) Spec() *Spec      { return m.spec }
func (m *mountainCar) Seed(seed uint64) { m.rng.Seed(seed) }

func (m *mountainCar) observe() []float64 {
	m.obs[0], m.obs[1] = float32Round(m.pos), float32Round(m.vel)
	return m.obs[:]
}

func (m *mountainCar) Reset() []float64 {
	m.pos, m.vel = m.rng.Uniform(-0.6, -0.4), 0
	return m.observe()
}

func (m *mountainCar) Step(a Action) ([]float64, float64, bool, bool) {
	if a.Discrete < 0 || a.Discrete > 2 {
		panic(&ActionError{ID: m.spec.ID, Action: a, Space: m.spec.Action})
	}
	m.vel += float64(float64(a.Discrete-1)*mcForce) + float64(cosAccurate(3*m.pos)*-mcGravity)
	m.vel = math.Min(math.Max(m.vel, -mcMaxSpeed), mcMaxSpeed)
	m.pos += m.vel
	m.pos = math.Min(math.Max(m.pos, mcMinPos), mcMaxPos)
	if m.pos == mcMinPos && m.vel < 0 {
		m.vel = 0
	}
	return m.observe(), -1, m.pos >= mcGoalPos && m.vel >= 0, false
}

// SetState takes position, velocity.
func (m *mountainCar) SetState(s []float64) error {
	if err := checkStateLen(m.spec, s, 2); err != nil {
		return err
	}
	m.pos, m.vel = s[0], s[1]
	return nil
}

func init() {
	register(&registration{
		spec: Spec{
			ID:              "MountainCar-v0",
			Observation:     Space{Kind: Box, Low: []float64{float32Round(mcMinPos), float32Round(-mcMaxSpeed)}, High: []float64{float32Round(mcMaxPos), float32Round(mcMaxSpeed)}},
			Action:          Space{Kind: Discrete, N: 3},
			MaxEpisodeSteps: 200,
			RewardThreshold: threshold(-110),
			State:           "2 values: position, velocity",
		},
		build: func(s *Spec, _ *config) (Env, error) { return &mountainCar{spec: s}, nil },
	})
}
