package env

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Option changes how Make builds an environment.
type Option func(*config)

type config struct {
	mapText     *string
	slippery    *bool
	maxSteps    *int
	kwargs      map[string]string // for resolvers (WithKwarg)
	usedOptions []string
}

// WithMap sets FrozenLake's map: "4x4", "8x8", or rows separated by commas,
// e.g. "SFFF,FHFH,FFFH,HFFG" (S start, F frozen, H hole, G goal).
func WithMap(m string) Option {
	return func(c *config) { c.mapText = &m; c.usedOptions = append(c.usedOptions, "map") }
}

// WithSlippery sets is_slippery (FrozenLake: default true; CliffWalking:
// default false).
func WithSlippery(b bool) Option {
	return func(c *config) { c.slippery = &b; c.usedOptions = append(c.usedOptions, "slippery") }
}

// WithMaxEpisodeSteps replaces the registered time limit; 0 removes it.
func WithMaxEpisodeSteps(n int) Option {
	return func(c *config) { c.maxSteps = &n }
}

type registration struct {
	spec Spec
	// options lists the Option names (besides the time limit) the env accepts.
	options []string
	build   func(spec *Spec, c *config) (Env, error)
}

var registry = map[string]*registration{}

func register(r *registration) {
	if _, dup := registry[r.spec.ID]; dup {
		panic("env: id registered twice: " + r.spec.ID)
	}
	registry[r.spec.ID] = r
}

// alias registers id as another name for the environment registered as of.
func alias(id, of string) {
	r := *registry[of]
	r.spec.ID = id
	r.spec.AliasOf = of
	register(&r)
}

func threshold(v float64) *float64 { return &v }

// IDs lists the registered ids, sorted.
func IDs() []string {
	ids := make([]string, 0, len(registry))
	for id := range registry {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Specs lists the registered specs, sorted by id. The specs are copies.
func Specs() []*Spec {
	out := make([]*Spec, 0, len(registry))
	for _, id := range IDs() {
		s := registry[id].spec
		out = append(out, &s)
	}
	return out
}

// ErrUnknownID is wrapped by the error for an id that is not registered.
var ErrUnknownID = errors.New("unknown environment id")

// Lookup returns a copy of the spec registered under id, or the spec a
// resolver gives for a prefixed id (see RegisterResolver).
func Lookup(id string) (*Spec, error) {
	if _, ok := resolverFor(id); ok {
		return LookupWith(id)
	}
	r, ok := registry[id]
	if !ok {
		return nil, unknownID(id)
	}
	s := r.spec
	return &s, nil
}

// Make builds the environment registered under id, wrapped in its time
// limit (which truncates, never terminates). A prefixed id goes to its
// resolver (see RegisterResolver).
func Make(id string, opts ...Option) (Env, error) {
	if res, ok := resolverFor(id); ok {
		ro, err := resolverOptions(id, opts)
		if err != nil {
			return nil, err
		}
		return res.Make(id, ro)
	}
	r, ok := registry[id]
	if !ok {
		return nil, unknownID(id)
	}
	var c config
	for _, o := range opts {
		o(&c)
	}
	if len(c.kwargs) > 0 {
		return nil, fmt.Errorf("%s: %w (gym:... ids); Go environments take --map, --slippery and --max-episode-steps", id, ErrKwargsGoEnv)
	}
	for _, name := range c.usedOptions {
		if !contains(r.options, name) {
			return nil, fmt.Errorf("%s: option %q does not apply to this environment (it applies to: %s)",
				id, name, strings.Join(optionUsers(name), ", "))
		}
	}
	spec := r.spec
	if c.maxSteps != nil {
		if *c.maxSteps < 0 {
			return nil, fmt.Errorf("%s: max episode steps %d: want a positive number, or 0 for no limit", id, *c.maxSteps)
		}
		spec.MaxEpisodeSteps = *c.maxSteps
	}
	e, err := r.build(&spec, &c)
	if err != nil {
		return nil, err
	}
	if spec.MaxEpisodeSteps > 0 {
		return NewTimeLimit(e, spec.MaxEpisodeSteps), nil
	}
	return e, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func optionUsers(name string) []string {
	var ids []string
	for _, id := range IDs() {
		if contains(registry[id].options, name) {
			ids = append(ids, id)
		}
	}
	return ids
}
