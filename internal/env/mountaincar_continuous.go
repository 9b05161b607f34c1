package env

import "math"

const (
	mccPower   = 0.0015
	mccGoalPos = 0.45
)

// mountainCarContinuous is Gymnasium's Continuous_MountainCarEnv
// (MountainCarContinuous-v0). Gymnasium keeps its state as float32 after
// the first step (the state a reset draws is float64) and, under NumPy 2's
// promotion rules, does that step's arithmetic in float32; fresh says the
// state is still the float64 one, and the float32 steps round as NumPy
// does. The reward is 100 on reaching the goal minus 0.1 * action^2 of the
// unclipped action.
type mountainCarContinuous struct {
	spec     *Spec
	pos, vel float64
	fresh    bool // the state is float64 (after Reset or SetState)
	rng      RNG
	obs      [2]float64
}

func (m *mountainCarContinuous) Spec() *Spec      { return m.spec }
func (m *mountainCarContinuous) Seed(seed uint64) { m.rng.Seed(seed) }

func (m *mountainCarContinuous) observe() []float64 {
	m.obs[0], m.obs[1] = float32Round(m.pos), float32Round(m.vel)
	return m.obs[:]
}

func (m *mountainCarContinuous) Reset() []float64 {
	m.pos, m.vel, m.fresh = m.rng.Uniform(-0.6, -0.4), 0, true
	return m.observe()
}

func (m *mountainCarContinuous) Step(a Action) ([]float64, float64, bool, bool) {
	if len(a.Continuous) != 1 {
		panic(&ActionError{ID: m.spec.ID, Action: a, Space: m.spec.Action})
	}
	u := float32(a.Continuous[0])
	force := min(max(u, -1), 1)
	push := force * float32(mccPower)
	var term bool
	if m.fresh {
		pos, vel := m.pos, m.vel
		vel += float64(float64(push) - 0.0025*cosAccurate(3*pos))
		vel = math.Min(math.Max(vel, -mcMaxSpeed), mcMaxSpeed)
		pos += vel
		pos = math.Min(math.Max(pos, mcMinPos), mcMaxPos)
		if pos == mcMinPos && vel < 0 {
			vel = 0
		}
		term = pos >= mccGoalPos && vel >= 0
		m.pos, m.vel = float32Round(pos), float32Round(vel)
		m.fresh = false
	} else {
		pos, vel := float32(m.pos), float32(m.vel)
		gravity := float32(0.0025 * cosAccurate(float64(float32(3)*pos)))
		vel += push - gravity
		if vel > float32(mcMaxSpeed) {
			vel = float32(mcMaxSpeed)
		}
		if vel < -float32(mcMaxSpeed) {
			vel = -float32(mcMaxSpeed)
		}
		pos += vel
		if pos > float32(mcMaxPos) {
			pos = float32(mcMaxPos)
		}
		if pos < float32(mcMinPos) {
			pos = float32(mcMinPos)
		}
		if pos == float32(mcMinPos) && vel < 0 {
			vel = 0
		}
		term = pos >= float32(mccGoalPos) && vel >= 0
		m.pos, m.vel = float64(pos), float64(vel)
	}
	reward := 0.0
	if term {
		reward = 100
	}
	reward -= float64(float64(u)*float64(u)) * 0.1
	return m.observe(), reward, term, false
}

// SetState takes position, velocity (as float64, as Gymnasium's reset
// leaves them).
func (m *mountainCarContinuous) SetState(s []float64) error {
	if err := checkStateLen(m.spec, s, 2); err != nil {
		return err
	}
	m.pos, m.vel, m.fresh = s[0], s[1], true
	return nil
}

func init() {
	register(&registration{
		spec: Spec{
			ID:              "MountainCarContinuous-v0",
			Observation:     Space{Kind: Box, Low: []float64{float32Round(mcMinPos), float32Round(-mcMaxSpeed)}, High: []float64{float32Round(mcMaxPos), float32Round(mcMaxSpeed)}},
			Action:          Space{Kind: Box, Low: []float64{-1}, High: []float64{1}},
			MaxEpisodeSteps: 999,
			RewardThreshold: threshold(90),
			State:           "2 values: position, velocity",
		},
		build: func(s *Spec, _ *config) (Env, error) { return &mountainCarContinuous{spec: s}, nil },
	})
}

// RNGState is the state of the random source, for checkpoints.
func (m *mountainCarContinuous) RNGState() uint64 { return m.rng.state }
