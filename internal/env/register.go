package env

import (
	"fmt"
	"strings"
)

// Factory builds one environment for a spec registered with Register. The
// spec it receives has the time limit the caller asked for; Make wraps the
// result in that limit, so the factory's environment need not count steps.
type Factory func(spec *Spec) (Env, error)

// Register adds an environment of the caller's own under spec.ID, so that
// Make, Lookup, NewVector and everything built on them (the CLI, the C
// library behind the xlrl_envs Python package) serve it like a built-in one.
// Register is meant for init functions; it returns an error for an id
// already taken or a spec that cannot be stepped.
func Register(spec Spec, build Factory) error {
	if spec.ID == "" || strings.ContainsAny(spec.ID, ": \t\n") {
		return fmt.Errorf("env.Register: id %q: want a non-empty id without spaces or ':' (the prefix of resolved ids)", spec.ID)
	}
	if _, dup := registry[spec.ID]; dup {
		return fmt.Errorf("env.Register: id %q is registered already", spec.ID)
	}
	if build == nil {
		return fmt.Errorf("env.Register(%q): no factory", spec.ID)
	}
	for _, sp := range []struct {
		role string
		s    Space
	}{{"observation", spec.Observation}, {"action", spec.Action}} {
		switch {
		case sp.s.Kind == Discrete && sp.s.N <= 0:
			return fmt.Errorf("env.Register(%q): %s space Discrete(%d): want N >= 1", spec.ID, sp.role, sp.s.N)
		case sp.s.Kind == Box && (len(sp.s.Low) == 0 || len(sp.s.Low) != len(sp.s.High)):
			return fmt.Errorf("env.Register(%q): %s space has %d low and %d high bounds", spec.ID, sp.role, len(sp.s.Low), len(sp.s.High))
		}
	}
	if spec.MaxEpisodeSteps < 0 {
		return fmt.Errorf("env.Register(%q): MaxEpisodeSteps %d: want >= 0", spec.ID, spec.MaxEpisodeSteps)
	}
	register(&registration{spec: spec, build: func(s *Spec, _ *config) (Env, error) { return build(s) }})
	return nil
}
