package env

// TimeLimit ends episodes after a number of steps by setting truncated, as
// Gymnasium's TimeLimit wrapper does: it never sets terminated, and an
// episode that terminates on its last allowed step reports both flags.
type TimeLimit struct {
	env     Env
	max     int
	elapsed int
	spec    Spec
}

// NewTimeLimit wraps e so that episodes are truncated after max steps.
func NewTimeLimit(e Env, max int) *TimeLimit {
	t := &TimeLimit{env: e, max: max, spec: *e.Spec()}
	t.spec.MaxEpisodeSteps = max
	return t
}

// Spec returns the wrapped env's spec with this time limit.
func (t *TimeLimit) Spec() *Spec { return &t.spec }

// Seed reseeds the wrapped environment.
func (t *TimeLimit) Seed(seed uint64) { t.env.Seed(seed) }

// Reset starts a new episode and restarts the step count.
func (t *TimeLimit) Reset() []float64 {
	t.elapsed = 0
	return t.env.Reset()
}

// Step steps the wrapped environment and truncates at the limit.
func (t *TimeLimit) Step(a Action) ([]float64, float64, bool, bool) {
	obs, r, term, trunc := t.env.Step(a)
	t.elapsed++
	if t.elapsed >= t.max {
		trunc = true
	}
	return obs, r, term, trunc
}

// Unwrap returns the wrapped environment.
func (t *TimeLimit) Unwrap() Env { return t.env }

// Elapsed is the number of steps taken in the current episode.
func (t *TimeLimit) Elapsed() int { return t.elapsed }

// Unwrapper is implemented by wrappers.
type Unwrapper interface{ Unwrap() Env }

// Unwrapped peels every wrapper off e.
func Unwrapped(e Env) Env {
	for {
		w, ok := e.(Unwrapper)
		if !ok {
			return e
		}
		e = w.Unwrap()
	}
}

// ModelOf returns the transition model of e (through its wrappers) when it
// has one: the grid environments do.
func ModelOf(e Env) (Model, bool) {
	m, ok := Unwrapped(e).(Model)
	return m, ok
}

// SetState sets the state of e (through its wrappers); the length and meaning
// of state are documented per environment (StateDoc in the spec).
func SetState(e Env, state []float64) error {
	s, ok := Unwrapped(e).(StateSetter)
	if !ok {
		return &StateError{ID: e.Spec().ID, Msg: "this environment cannot be set to a state"}
	}
	return s.SetState(state)
}

// StateError reports a state vector that does not fit the environment.
type StateError struct {
	ID  string
	Msg string
}

func (e *StateError) Error() string { return e.ID + ": " + e.Msg }
