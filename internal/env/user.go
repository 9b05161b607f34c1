package env

import (
	"errors"
	"fmt"
	"math"
)

// Register adds an environment defined outside this package (a library
// user's own) under spec.ID: Make(spec.ID) then calls mk and wraps the
// result in spec's time limit, and every command that takes an
// environment id finds it. An empty or taken id, an invalid space or a
// negative time limit is an error. Register is meant for init functions and
// the start of main: it must not run concurrently with Make or Lookup.
func Register(spec Spec, mk func() (Env, error)) error {
	if mk == nil {
		return errors.New("env: Register: the make function is nil")
	}
	if err := checkSpec(&spec); err != nil {
		return err
	}
	if _, dup := registry[spec.ID]; dup {
		return fmt.Errorf("env: id %q is already registered; choose another id (xlrl envs lists the taken ones)", spec.ID)
	}
	spec.AliasOf = ""
	spec.Observation, spec.Action = spec.Observation.clone(), spec.Action.clone()
	if spec.RewardThreshold != nil {
		spec.RewardThreshold = threshold(*spec.RewardThreshold)
	}
	registry[spec.ID] = &registration{spec: spec, build: func(want *Spec, _ *config) (Env, error) {
		e, err := mk()
		if err != nil {
			return nil, fmt.Errorf("%s: making the environment: %w", want.ID, err)
		}
		if e == nil {
			return nil, fmt.Errorf("%s: the make function returned no environment", want.ID)
		}
		if got := e.Spec(); got == nil || !sameShape(got.Observation, want.Observation) || !sameShape(got.Action, want.Action) {
			return nil, fmt.Errorf("%s: the environment's Spec() spaces differ from the registered ones", want.ID)
		}
		return e, nil
	}}
	return nil
}

// checkSpec validates a spec given to Register.
func checkSpec(s *Spec) error {
	if s.ID == "" {
		return errors.New("env: Register: the spec has an empty ID; give it a name such as MyGrid-v0")
	}
	if s.MaxEpisodeSteps < 0 {
		return fmt.Errorf("env: Register %s: MaxEpisodeSteps %d: want 0 (no limit) or a positive number", s.ID, s.MaxEpisodeSteps)
	}
	if err := s.Observation.check(); err != nil {
		return fmt.Errorf("env: Register %s: observation space: %w", s.ID, err)
	}
	if err := s.Action.check(); err != nil {
		return fmt.Errorf("env: Register %s: action space: %w", s.ID, err)
	}
	return nil
}

// check reports what makes a space unusable.
func (s Space) check() error {
	switch s.Kind {
	case Discrete:
		if s.N <= 0 {
			return fmt.Errorf("Discrete space with N = %d: want at least 1 element", s.N)
		}
	case Box:
		if len(s.Low) == 0 || len(s.Low) != len(s.High) {
			return fmt.Errorf("Box space with %d lower and %d upper bounds: want the same positive number", len(s.Low), len(s.High))
		}
		for i := range s.Low {
			if math.IsNaN(s.Low[i]) || math.IsNaN(s.High[i]) || s.Low[i] > s.High[i] {
				return fmt.Errorf("Box space bound %d: [%v, %v] is not an interval", i, s.Low[i], s.High[i])
			}
		}
	default:
		return fmt.Errorf("unknown space kind %d: want Discrete or Box", s.Kind)
	}
	return nil
}

func (s Space) clone() Space {
	s.Low, s.High = append([]float64(nil), s.Low...), append([]float64(nil), s.High...)
	return s
}

func sameShape(a, b Space) bool {
	return a.Kind == b.Kind && a.N == b.N && len(a.Low) == len(b.Low)
}
