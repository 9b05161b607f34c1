package env

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Resolver builds the environments of every id that starts with a prefix
// (such as "gym:", served by the Python worker): ids that no table lists
// because another system knows them. Lookup, LookupWith, Make and MakeVector
// hand such ids to the resolver registered for their prefix.
type Resolver interface {
	// Lookup returns the spec of id (the whole id, prefix included).
	Lookup(id string, o ResolverOptions) (*Spec, error)
	// Make builds one environment; its episodes end as the spec says (a
	// resolver applies the time limit itself).
	Make(id string, o ResolverOptions) (Env, error)
	// MakeVector builds n copies stepped together, copy i seeded with seed+i.
	MakeVector(id string, n int, seed uint64, o ResolverOptions) (VectorEnv, error)
}

// ResolverOptions are the options a resolver receives: those that apply to
// environments of any origin.
type ResolverOptions struct {
	// Kwargs are the KEY=VALUE constructor arguments (--env-kwargs), as text.
	Kwargs map[string]string
	// MaxEpisodeSteps replaces the registered time limit when not nil.
	MaxEpisodeSteps *int
}

// VectorEnv is what Vector offers, for vectors of any origin: N copies
// stepped in one call with same-step reset (see Vector).
type VectorEnv interface {
	Spec() *Spec
	Len() int
	Reset() []float64
	StepDiscrete(actions []int) []float64
	StepContinuous(actions []float64) []float64
	Obs() []float64
	FinalObs() []float64
	Rewards() []float64
	Terminated() []bool
	Truncated() []bool
	Close()
}

var _ VectorEnv = (*Vector)(nil)

var (
	resolversMu sync.RWMutex
	resolvers   = map[string]Resolver{}
)

// RegisterResolver makes r serve every id that starts with prefix, which
// must end in ':' (e.g. "gym:"). Registering a prefix again replaces its
// resolver (tests swap in their own).
func RegisterResolver(prefix string, r Resolver) {
	if !strings.HasSuffix(prefix, ":") || len(prefix) < 2 {
		panic("env: a resolver prefix ends in ':', got " + prefix)
	}
	resolversMu.Lock()
	defer resolversMu.Unlock()
	resolvers[prefix] = r
}

// Prefixes lists the prefixes that have a resolver, sorted.
func Prefixes() []string {
	resolversMu.RLock()
	defer resolversMu.RUnlock()
	out := make([]string, 0, len(resolvers))
	for p := range resolvers {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// resolverFor returns the resolver of id's prefix, if id has one.
func resolverFor(id string) (Resolver, bool) {
	i := strings.IndexByte(id, ':')
	if i < 0 {
		return nil, false
	}
	resolversMu.RLock()
	defer resolversMu.RUnlock()
	r, ok := resolvers[id[:i+1]]
	return r, ok
}

// WithKwarg passes a constructor argument to an environment a resolver
// builds (--env-kwargs KEY=VALUE); the built-in Go environments take none.
func WithKwarg(key, value string) Option {
	return func(c *config) {
		if c.kwargs == nil {
			c.kwargs = map[string]string{}
		}
		c.kwargs[key] = value
	}
}

// ParseKwargs turns KEY=VALUE strings into options.
func ParseKwargs(pairs []string) ([]Option, error) {
	var opts []Option
	for _, kv := range pairs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--env-kwargs %q: want KEY=VALUE, e.g. --env-kwargs render_mode=rgb_array", kv)
		}
		opts = append(opts, WithKwarg(k, v))
	}
	return opts, nil
}

// resolverOptions checks that opts hold only options a resolver takes.
func resolverOptions(id string, opts []Option) (ResolverOptions, error) {
	var c config
	for _, o := range opts {
		o(&c)
	}
	if len(c.usedOptions) > 0 {
		return ResolverOptions{}, fmt.Errorf("%s: option %q applies to xlrl's Go environments only (%s); pass constructor arguments with --env-kwargs KEY=VALUE",
			id, c.usedOptions[0], strings.Join(optionUsers(c.usedOptions[0]), ", "))
	}
	return ResolverOptions{Kwargs: c.kwargs, MaxEpisodeSteps: c.maxSteps}, nil
}

// ErrKwargsGoEnv is wrapped by the error for --env-kwargs on a Go environment.
var ErrKwargsGoEnv = errors.New("constructor arguments (--env-kwargs) apply to worker-hosted environments only")

// LookupWith is Lookup for an id whose spec depends on options (a resolver's
// constructor arguments can change its spaces).
func LookupWith(id string, opts ...Option) (*Spec, error) {
	if r, ok := resolverFor(id); ok {
		ro, err := resolverOptions(id, opts)
		if err != nil {
			return nil, err
		}
		return r.Lookup(id, ro)
	}
	return Lookup(id)
}

// MakeVector builds n copies of id stepped together: a Vector for the Go
// environments (on one goroutine per CPU), the resolver's vector for
// prefixed ids. Copy i is seeded with seed+i.
func MakeVector(id string, n int, seed uint64, opts ...Option) (VectorEnv, error) {
	if r, ok := resolverFor(id); ok {
		ro, err := resolverOptions(id, opts)
		if err != nil {
			return nil, err
		}
		if n <= 0 {
			return nil, fmt.Errorf("vector of %s: %d environments, want at least 1", id, n)
		}
		return r.MakeVector(id, n, seed, ro)
	}
	return NewVector(id, n, 0, seed, opts...)
}

// unknownID is the error for an id nothing serves.
func unknownID(id string) error {
	hint := ""
	if p := Prefixes(); len(p) > 0 {
		hint = fmt.Sprintf("; or an id with a prefix: %s (e.g. gym:LunarLander-v3, gym:my_package.module:MyEnv)", strings.Join(p, ", "))
	} else if strings.Contains(id, ":") {
		hint = "; prefixed ids such as gym:... need the worker-hosted environments (package internal/gymenv) linked in"
	}
	return fmt.Errorf("%w %q: known ids are %s%s", ErrUnknownID, id, strings.Join(IDs(), ", "), hint)
}

// Failure is the panic value of an environment that failed inside Reset or
// Step (an exception inside a worker-hosted environment, a worker that
// died): Env's methods return no error, so they panic with a *Failure, and
// whatever drives them turns it back into an error with Recover.
type Failure struct{ Err error }

func (f *Failure) Error() string { return f.Err.Error() }

// Unwrap returns the cause.
func (f *Failure) Unwrap() error { return f.Err }

// Recover, deferred by a function with a named error result, turns a panic
// with a *Failure or an *ActionError into that error; other panics go on:
//
//	func run() (err error) {
//		defer env.Recover(&err)
//		...
//	}
func Recover(err *error) {
	r := recover()
	if r == nil {
		return
	}
	switch v := r.(type) {
	case *Failure:
		*err = v.Err
	case *ActionError:
		*err = v
	default:
		panic(r)
	}
}
