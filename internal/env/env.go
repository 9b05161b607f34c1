// Package env holds the environments the Go host steps: Gymnasium's classic
// control and toy-text tasks, reimplemented to match Gymnasium's dynamics,
// rewards, termination, reset distributions and time limits.
//
// The API follows Gymnasium's shape: Seed then Reset starts an episode, Step
// returns the observation, the reward and two flags. Terminated means the task
// reached a terminal state (do not bootstrap); truncated means a time limit cut
// the episode (bootstrap through it).
package env

import "fmt"

// SpaceKind says whether a space is a finite set or a box of reals.
type SpaceKind int

const (
	// Discrete spaces are {0, 1, ..., N-1}.
	Discrete SpaceKind = iota
	// Box spaces are vectors of reals bounded by Low and High.
	Box
)

// Space describes observations or actions.
type Space struct {
	Kind SpaceKind
	N    int       // number of elements, for Discrete
	Low  []float64 // bounds, for Box (len == dimension)
	High []float64
	// Shape is the shape of one Box element when it is not a plain vector
	// (images, from worker-hosted environments): Low, High and observations
	// hold it flattened in C order. nil means [len(Low)].
	Shape []int
}

// Dim is the length of the vector that carries one element of the space: 1
// for Discrete (the index as a float64), len(Low) for Box.
func (s Space) Dim() int {
	if s.Kind == Discrete {
		return 1
	}
	return len(s.Low)
}

func (s Space) String() string {
	if s.Kind == Discrete {
		return fmt.Sprintf("Discrete(%d)", s.N)
	}
	if len(s.Shape) > 1 {
		return fmt.Sprintf("Box%v", s.Shape)
	}
	return fmt.Sprintf("Box(%d)", len(s.Low))
}

// Spec is what an environment id promises: its spaces, time limit and the
// return at which Gymnasium calls it solved.
type Spec struct {
	ID              string
	Observation     Space
	Action          Space
	MaxEpisodeSteps int      // 0: no time limit
	RewardThreshold *float64 // nil: Gymnasium sets none
	// AliasOf names the id this one is another name for ("" if none).
	AliasOf string
	// State says what SetState takes (and what rollout --state means).
	State string
}

// Action is one action. Discrete action spaces read Discrete; Box action
// spaces read Continuous.
type Action struct {
	Discrete   int
	Continuous []float64
}

// DiscreteAction is the Action for index a of a Discrete action space.
func DiscreteAction(a int) Action { return Action{Discrete: a} }

// Env is one environment instance. It is not safe for concurrent use.
//
// The slice returned by Reset and Step is owned by the environment and is
// overwritten by the next call; copy it to keep it.
type Env interface {
	Spec() *Spec
	// Seed reseeds the environment's random source (Gymnasium's reset(seed=...)).
	Seed(seed uint64)
	// Reset starts a new episode and returns its first observation.
	Reset() []float64
	// Step applies one action. An invalid action panics with an error value of
	// type *ActionError; callers that take actions from users check with
	// ValidateAction first.
	Step(a Action) (obs []float64, reward float64, terminated, truncated bool)
}

// StateSetter is implemented by environments whose internal state can be set
// from a vector (for replaying trajectories from a chosen state).
type StateSetter interface {
	SetState(state []float64) error
}

// Outcome is one possible result of taking an action in a tabular model.
type Outcome struct {
	Prob     float64
	Next     int
	Reward   float64
	Terminal bool
}

// Model is the full transition model of a tabular environment, exposed for
// exact solvers. It matches Gymnasium's P[s][a] entry by entry.
type Model interface {
	NumStates() int
	NumActions() int
	// Transitions lists the outcomes of action a in state s, in Gymnasium's
	// order. The slice is shared by every instance: do not modify it.
	Transitions(s, a int) []Outcome
	// InitialDistribution is the probability of each state at reset (shared:
	// do not modify).
	InitialDistribution() []float64
}

// ActionError reports an action outside the action space.
type ActionError struct {
	ID     string
	Action Action
	Space  Space
}

func (e *ActionError) Error() string {
	if e.Space.Kind == Discrete {
		return fmt.Sprintf("%s: action %d is outside the action space %s (valid: 0..%d)",
			e.ID, e.Action.Discrete, e.Space, e.Space.N-1)
	}
	return fmt.Sprintf("%s: action %v does not fit the action space %s", e.ID, e.Action.Continuous, e.Space)
}

// ValidateAction checks a against the spec's action space.
func ValidateAction(spec *Spec, a Action) error {
	sp := spec.Action
	switch sp.Kind {
	case Discrete:
		if a.Discrete < 0 || a.Discrete >= sp.N {
			return &ActionError{ID: spec.ID, Action: a, Space: sp}
		}
	case Box:
		if len(a.Continuous) != len(sp.Low) {
			return &ActionError{ID: spec.ID, Action: a, Space: sp}
		}
	}
	return nil
}
