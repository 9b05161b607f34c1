// Package gymenv hosts Gymnasium environments in the Python worker and
// presents them as env.Env and env.VectorEnv: ids of the form gym:ID (any
// id registered with Gymnasium, e.g. gym:LunarLander-v3) or
// gym:package.module:Name (a class or factory importable by the worker's
// Python). Importing the package registers the "gym:" resolver with
// internal/env, so those ids resolve wherever ids are looked up.
//
// The worker holds the copies (pyworker/envs.py) and steps all of a handle's
// copies in one call; on Linux the step's arrays lie in memory both
// processes map (shm.go), elsewhere they travel as raw bytes. One worker process per
// Host serves every environment of that host; the default host starts on
// first use and stops with Shutdown.
package gymenv

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/worker"
)

// Prefix starts every id this package serves.
const Prefix = "gym:"

// Host starts one worker on first use and makes environments in it.
type Host struct {
	opts worker.Options

	mu     sync.Mutex
	client *worker.Client
	err    error // a failed start, returned to every later call
	specs  map[string]*env.Spec
	noShm  bool // step through messages only (tests of that path)
}

// NewHost returns a host whose worker starts with opts on first use.
func NewHost(opts worker.Options) *Host {
	return &Host{opts: opts, specs: map[string]*env.Spec{}}
}

var defaultHost = NewHost(worker.Options{})

// Default is the host behind the "gym:" resolver.
func Default() *Host { return defaultHost }

// Configure sets the options the default host starts its worker with (the
// CLI passes --python); it stops a worker already started with others.
func Configure(opts worker.Options) {
	_ = defaultHost.Close()
	defaultHost.mu.Lock()
	defaultHost.opts = opts
	defaultHost.mu.Unlock()
}

// Shutdown stops the default host's worker (a later use starts a new one).
func Shutdown() error { return defaultHost.Close() }

func init() { env.RegisterResolver(Prefix, resolver{}) }

// Client returns the host's worker, starting it if needed.
func (h *Host) Client(ctx context.Context) (*worker.Client, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.client != nil {
		return h.client, nil
	}
	if h.err != nil {
		return nil, h.err
	}
	c, err := worker.Start(ctx, h.opts)
	if err != nil {
		// Not cached when the caller's context ended: a later call may try again.
		if ctx.Err() == nil {
			h.err = fmt.Errorf("worker-hosted environments (gym:...) need the Python worker with gymnasium installed: %w", err)
			return nil, h.err
		}
		return nil, err
	}
	h.client = c
	return c, nil
}

// Close stops the worker; the host can start a new one later.
func (h *Host) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.client
	h.client, h.err = nil, nil
	h.specs = map[string]*env.Spec{}
	if c == nil {
		return nil
	}
	return c.Close()
}

// callTimeout bounds calls that make or reset environments (making one can
// import a large package, MuJoCo or Box2D, on first use).
const callTimeout = 5 * time.Minute

// makeParams are env.make's arguments.
type makeParams struct {
	ID              string            `msgpack:"id"`
	Num             int               `msgpack:"num"`
	Seed            uint64            `msgpack:"seed"`
	Kwargs          map[string]string `msgpack:"kwargs"`
	MaxEpisodeSteps int               `msgpack:"max_episode_steps"`
	Autoreset       bool              `msgpack:"autoreset"`
}

type wireSpace struct {
	Kind  string       `msgpack:"kind"`
	N     int          `msgpack:"n"`
	Shape []int        `msgpack:"shape"`
	DType string       `msgpack:"dtype"`
	Low   worker.Array `msgpack:"low"`
	High  worker.Array `msgpack:"high"`
}

type wireSpec struct {
	ID              string    `msgpack:"id"`
	Observation     wireSpace `msgpack:"observation"`
	Action          wireSpace `msgpack:"action"`
	MaxEpisodeSteps int       `msgpack:"max_episode_steps"`
	RewardThreshold *float64  `msgpack:"reward_threshold"`
	AutoresetMode   string    `msgpack:"autoreset_mode"`
}

type makeResult struct {
	Handle int64    `msgpack:"handle"`
	Spec   wireSpec `msgpack:"spec"`
}

func convertSpace(w wireSpace, role, id string) (env.Space, error) {
	switch w.Kind {
	case "discrete":
		if w.N <= 0 {
			return env.Space{}, fmt.Errorf("%s: %s space Discrete(%d): want at least one element", id, role, w.N)
		}
		return env.Space{Kind: env.Discrete, N: w.N}, nil
	case "box":
		low, err := w.Low.Float64s()
		if err != nil {
			return env.Space{}, fmt.Errorf("%s: %s space bounds: %w", id, role, err)
		}
		high, err := w.High.Float64s()
		if err != nil {
			return env.Space{}, fmt.Errorf("%s: %s space bounds: %w", id, role, err)
		}
		n := 1
		for _, d := range w.Shape {
			if d < 0 {
				return env.Space{}, fmt.Errorf("%s: %s space shape %v", id, role, w.Shape)
			}
			n *= d
		}
		if len(low) != n || len(high) != n || n == 0 {
			return env.Space{}, fmt.Errorf("%s: %s space of shape %v has %d low and %d high bounds", id, role, w.Shape, len(low), len(high))
		}
		s := env.Space{Kind: env.Box, Low: low, High: high}
		if len(w.Shape) > 1 {
			s.Shape = append([]int(nil), w.Shape...)
		}
		return s, nil
	}
	return env.Space{}, fmt.Errorf("%s: %s space of kind %q", id, role, w.Kind)
}

// obsDTypes are the observation dtypes that travel (pyworker/envs.py sends
// any other as float64).
var obsDTypes = map[string]bool{"float32": true, "float64": true, "uint8": true, "int32": true, "int64": true, "bool": true,
	"int8": true, "int16": true, "uint16": true, "uint32": true, "uint64": true, "float16": true}

func convertSpec(id string, w wireSpec) (*env.Spec, error) {
	obs, err := convertSpace(w.Observation, "observation", id)
	if err != nil {
		return nil, err
	}
	act, err := convertSpace(w.Action, "action", id)
	if err != nil {
		return nil, err
	}
	if w.MaxEpisodeSteps < 0 {
		return nil, fmt.Errorf("%s: max_episode_steps %d", id, w.MaxEpisodeSteps)
	}
	s := &env.Spec{ID: id, Observation: obs, Action: act, MaxEpisodeSteps: w.MaxEpisodeSteps, RewardThreshold: w.RewardThreshold}
	if obs.Kind == env.Box && !obsDTypes[w.Observation.DType] {
		return nil, fmt.Errorf("%s: observations of dtype %q", id, w.Observation.DType)
	}
	return s, nil
}

// handle is one env.make in the worker: n copies.
type handle struct {
	host   *Host
	client *worker.Client
	id     int64
	spec   *env.Spec
	dtype  string // the observation space's dtype ("int64" for Discrete)
	n      int
	shm    *shmRegion // the step's arrays in shared memory; nil: in the messages
}

func (h *Host) open(id string, n int, seed uint64, o env.ResolverOptions, autoreset bool) (*handle, error) {
	name, ok := strings.CutPrefix(id, Prefix)
	if !ok || name == "" {
		return nil, fmt.Errorf("%q: want gym:ID (a Gymnasium id) or gym:package.module:Name", id)
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	c, err := h.Client(ctx)
	if err != nil {
		return nil, err
	}
	p := makeParams{ID: name, Num: n, Seed: seed, Kwargs: o.Kwargs, Autoreset: autoreset}
	if p.Kwargs == nil {
		p.Kwargs = map[string]string{}
	}
	if o.MaxEpisodeSteps != nil {
		if *o.MaxEpisodeSteps < 0 {
			return nil, fmt.Errorf("%s: max episode steps %d: want a positive number", id, *o.MaxEpisodeSteps)
		}
		p.MaxEpisodeSteps = *o.MaxEpisodeSteps
	}
	var res makeResult
	if err := c.Call(ctx, "env.make", p, &res); err != nil {
		return nil, remote(id, err)
	}
	spec, err := convertSpec(id, res.Spec)
	if err != nil {
		return nil, err
	}
	dtype := res.Spec.Observation.DType
	if spec.Observation.Kind == env.Discrete {
		dtype = "int64"
	}
	return &handle{host: h, client: c, id: res.Handle, spec: spec, dtype: dtype, n: n}, nil
}

// openStepping is open for a handle that will be stepped: with its shared
// region where the platform and the worker allow one.
func (h *Host) openStepping(id string, n int, seed uint64, o env.ResolverOptions, autoreset bool) (*handle, error) {
	hd, err := h.open(id, n, seed, o, autoreset)
	if err != nil {
		return nil, err
	}
	hd.attachShm()
	return hd, nil
}

func (hd *handle) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = hd.client.Call(ctx, "env.close", map[string]any{"handle": hd.id}, nil)
	if hd.shm != nil {
		hd.shm.close()
		hd.shm = nil
	}
}

// remote turns a worker error into one that reads as the environment's.
func remote(id string, err error) error {
	var re *worker.RemoteError
	if errors.As(err, &re) {
		if name := strings.TrimPrefix(id, Prefix); strings.HasPrefix(re.Message, name) || strings.HasPrefix(re.Message, id) {
			// The worker's message names the environment already.
			return fmt.Errorf("%s%s%w", Prefix, strings.TrimPrefix(re.Message, Prefix), errSuffix{err})
		}
		return fmt.Errorf("%s: %s%w", id, re.Message, errSuffix{err})
	}
	return fmt.Errorf("%s: %w", id, err)
}

// errSuffix keeps the worker's error in the chain (errors.As finds
// *worker.RemoteError) without repeating its text.
type errSuffix struct{ err error }

func (e errSuffix) Error() string { return "" }
func (e errSuffix) Unwrap() error { return e.err }

// Lookup returns the spec of a gym: id, asking the worker once per id and
// options.
func (h *Host) Lookup(id string, o env.ResolverOptions) (*env.Spec, error) {
	key := specKey(id, o)
	h.mu.Lock()
	s, ok := h.specs[key]
	h.mu.Unlock()
	if ok {
		c := *s
		return &c, nil
	}
	hd, err := h.open(id, 1, 0, o, false)
	if err != nil {
		return nil, err
	}
	hd.close()
	h.mu.Lock()
	h.specs[key] = hd.spec
	h.mu.Unlock()
	c := *hd.spec
	return &c, nil
}

func specKey(id string, o env.ResolverOptions) string {
	var b strings.Builder
	b.WriteString(id)
	keys := make([]string, 0, len(o.Kwargs))
	for k := range o.Kwargs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "\x00%s=%s", k, o.Kwargs[k])
	}
	if o.MaxEpisodeSteps != nil {
		fmt.Fprintf(&b, "\x00max=%d", *o.MaxEpisodeSteps)
	}
	return b.String()
}

// resolver serves "gym:" ids from the default host.
type resolver struct{}

func (resolver) Lookup(id string, o env.ResolverOptions) (*env.Spec, error) {
	return defaultHost.Lookup(id, o)
}

func (resolver) Make(id string, o env.ResolverOptions) (env.Env, error) {
	e, err := defaultHost.Make(id, o)
	if err != nil {
		return nil, err
	}
	return e, nil
}

func (resolver) MakeVector(id string, n int, seed uint64, o env.ResolverOptions) (env.VectorEnv, error) {
	v, err := defaultHost.NewVector(id, n, seed, o)
	if err != nil {
		return nil, err
	}
	return v, nil
}
