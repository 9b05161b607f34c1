package gymenv

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/worker"
)

type stepParams struct {
	Handle  int64        `msgpack:"handle"`
	Actions worker.Array `msgpack:"actions"`
}

type resetParams struct {
	Handle int64     `msgpack:"handle"`
	Seeds  []*uint64 `msgpack:"seeds"`
}

type resetResult struct {
	Obs worker.Array `msgpack:"obs"`
}

type stepResult struct {
	Obs        worker.Array `msgpack:"obs"`
	Rewards    worker.Array `msgpack:"rewards"`
	Terminated worker.Array `msgpack:"terminated"`
	Truncated  worker.Array `msgpack:"truncated"`
	Ended      worker.Array `msgpack:"ended"`
	FinalObs   worker.Array `msgpack:"final_obs"`
}

// toFloat64 converts a numeric array into dst, which must hold exactly its
// elements: sizes from the wire are checked, never trusted.
func toFloat64(dst []float64, a worker.Array) error {
	if err := a.Validate(); err != nil {
		return err
	}
	if a.Len() != len(dst) {
		return fmt.Errorf("array of shape %v: want %d elements", a.Shape, len(dst))
	}
	d := a.Data
	switch a.DType {
	case worker.Float64:
		for i := range dst {
			dst[i] = math.Float64frombits(binary.LittleEndian.Uint64(d[8*i:]))
		}
	case worker.Float32:
		for i := range dst {
			dst[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(d[4*i:])))
		}
	case worker.Uint8, worker.Bool:
		for i := range dst {
			dst[i] = float64(d[i])
		}
	case worker.Int32:
		for i := range dst {
			dst[i] = float64(int32(binary.LittleEndian.Uint32(d[4*i:])))
		}
	case worker.Int64:
		for i := range dst {
			dst[i] = float64(int64(binary.LittleEndian.Uint64(d[8*i:])))
		}
	default:
		return fmt.Errorf("array of dtype %s is not numeric", a.DType)
	}
	return nil
}

func toBools(dst []bool, a worker.Array) error {
	if a.DType != worker.Bool {
		return fmt.Errorf("array has dtype %s, want bool", a.DType)
	}
	if err := a.Validate(); err != nil {
		return err
	}
	if a.Len() != len(dst) {
		return fmt.Errorf("array of shape %v: want %d elements", a.Shape, len(dst))
	}
	for i := range dst {
		dst[i] = a.Data[i] != 0
	}
	return nil
}

// fail panics with the env.Failure of a call that failed (see env.Recover).
func (hd *handle) fail(what string, err error) {
	panic(&env.Failure{Err: fmt.Errorf("%s (%s): %w", hd.spec.ID, what, err)})
}

func (hd *handle) reset(seeds []*uint64, obs []float64) {
	var res resetResult
	if err := hd.client.Call(context.Background(), "env.reset", resetParams{Handle: hd.id, Seeds: seeds}, &res); err != nil {
		panic(&env.Failure{Err: remote(hd.spec.ID, err)})
	}
	if err := toFloat64(obs, res.Obs); err != nil {
		hd.fail("reset: observations", err)
	}
}

func (hd *handle) step(actions worker.Array, res *stepResult) {
	*res = stepResult{}
	if err := hd.client.Call(context.Background(), "env.step", stepParams{Handle: hd.id, Actions: actions}, res); err != nil {
		panic(&env.Failure{Err: remote(hd.spec.ID, err)})
	}
}

// Env is one worker-hosted environment. Its episodes end as the worker's
// environment says (Gymnasium's TimeLimit truncates); after an episode ends,
// Reset starts the next one (stepping on panics with an env.Failure).
// Reset and Step panic with an *env.Failure when the environment raises or
// the worker dies; bad actions panic with *env.ActionError, as Go
// environments do.
type Env struct {
	hd      *handle
	obs     []float64
	seed    *uint64
	actions []int64
	cont    []float64
	res     stepResult
	// id and opts made it; copies are its evaluation copies (EvalCopies).
	id     string
	opts   env.ResolverOptions
	copies *evalCopies
}

// Make makes one environment (a handle of one copy, reset explicitly).
func (h *Host) Make(id string, o env.ResolverOptions) (*Env, error) {
	hd, err := h.openStepping(id, 1, 0, o, false)
	if err != nil {
		return nil, err
	}
	return &Env{hd: hd, obs: make([]float64, hd.spec.Observation.Dim()), actions: make([]int64, 1), id: id, opts: o}, nil
}

// EvalCopies returns n copies of the environment stepped in one call each
// step, for evaluation episodes played many at once
// (trainloop.PlayEpisodes): the worker's round trip, not the environment,
// is most of a step's time. The same n returns the same copies, their
// random streams going on; another n closes them and makes new ones. A
// seed given to Seed and not yet used by a Reset seeds the copies' next
// Reset instead (copy i with seed+i, so copy 0 starts as the Env's own
// next episode would); the Env's own next Reset then continues its stream.
func (e *Env) EvalCopies(n int) (env.VectorEnv, error) {
	if e.copies != nil && e.copies.Len() != n {
		e.copies.Close()
		e.copies = nil
	}
	if e.copies == nil {
		hd, err := e.hd.host.openStepping(e.id, n, 0, e.opts, true)
		if err != nil {
			return nil, err
		}
		dim := hd.spec.Observation.Dim()
		e.copies = &evalCopies{Vector: &Vector{hd: hd, dim: dim, obs: make([]float64, n*dim), finalObs: make([]float64, n*dim),
			rewards: make([]float64, n), terminated: make([]bool, n), truncated: make([]bool, n), actions: make([]int64, n)}}
	}
	if e.seed != nil {
		seeds := make([]*uint64, n)
		for i := range seeds {
			s := *e.seed + uint64(i)
			seeds[i] = &s
		}
		e.copies.seeds, e.seed = seeds, nil
	}
	return e.copies, nil
}

// evalCopies is an Env's evaluation copies: a Vector whose next Reset may
// carry seeds.
type evalCopies struct {
	*Vector
	seeds []*uint64 // nil: the copies' streams go on
}

// Reset starts an episode in every copy, seeded when seeds are pending.
func (c *evalCopies) Reset() []float64 {
	seeds := c.seeds
	c.seeds = nil
	c.hd.reset(seeds, c.obs)
	return c.obs
}

// Spec is the environment's spec (a copy per call is not needed: do not modify).
func (e *Env) Spec() *env.Spec { return e.hd.spec }

// ObsDType is the dtype of the environment's observations in Python
// (observations reach Go as float64 either way).
func (e *Env) ObsDType() string { return e.hd.dtype }

// Seed seeds the next Reset (Gymnasium's reset(seed=...)). Without it the
// first reset takes seed 0 and later resets continue the stream.
func (e *Env) Seed(seed uint64) { e.seed = &seed }

// Reset starts an episode.
func (e *Env) Reset() []float64 {
	seeds := []*uint64{e.seed}
	e.seed = nil
	e.hd.reset(seeds, e.obs)
	return e.obs
}

// Step applies a.
func (e *Env) Step(a env.Action) ([]float64, float64, bool, bool) {
	spec := e.hd.spec
	if err := env.ValidateAction(spec, a); err != nil {
		panic(err)
	}
	if sh := e.hd.shm; sh != nil {
		if spec.Action.Kind == env.Discrete {
			sh.actInts[0] = int64(a.Discrete)
		} else {
			copy(sh.actFloats, a.Continuous)
		}
		e.hd.stepShm()
		var r [1]float64
		var term, trunc [1]bool
		if err := sh.read(e.obs, r[:], term[:], trunc[:], nil); err != nil {
			e.hd.fail("step: results", err)
		}
		return e.obs, r[0], term[0], trunc[0]
	}
	var arr worker.Array
	if spec.Action.Kind == env.Discrete {
		e.actions[0] = int64(a.Discrete)
		arr = worker.Int64Array(e.actions)
	} else {
		arr = worker.Float64Array(a.Continuous)
	}
	e.hd.step(arr, &e.res)
	var r [1]float64
	var term, trunc [1]bool
	if err := errorsJoin(toFloat64(e.obs, e.res.Obs), toFloat64(r[:], e.res.Rewards),
		toBools(term[:], e.res.Terminated), toBools(trunc[:], e.res.Truncated)); err != nil {
		e.hd.fail("step: results", err)
	}
	return e.obs, r[0], term[0], trunc[0]
}

// Close frees the environment, and its evaluation copies, in the worker.
func (e *Env) Close() {
	if e.copies != nil {
		e.copies.Close()
		e.copies = nil
	}
	e.hd.close()
}

func errorsJoin(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Vector is n worker-hosted copies stepped in one call each step, with the
// same-step reset of env.Vector: when copy i's episode ends, its slot of Obs
// holds the next episode's first observation and FinalObs the last one of
// the episode that ended. Copy i's first reset is seeded with seed+i.
type Vector struct {
	hd         *handle
	dim        int
	obs        []float64
	finalObs   []float64
	rewards    []float64
	terminated []bool
	truncated  []bool
	actions    []int64
	ended      []float64
	res        stepResult
}

// NewVector makes n copies of id in the host's worker.
func (h *Host) NewVector(id string, n int, seed uint64, o env.ResolverOptions) (*Vector, error) {
	if n <= 0 {
		return nil, fmt.Errorf("vector of %s: %d environments, want at least 1", id, n)
	}
	hd, err := h.openStepping(id, n, seed, o, true)
	if err != nil {
		return nil, err
	}
	dim := hd.spec.Observation.Dim()
	return &Vector{hd: hd, dim: dim, obs: make([]float64, n*dim), finalObs: make([]float64, n*dim),
		rewards: make([]float64, n), terminated: make([]bool, n), truncated: make([]bool, n),
		actions: make([]int64, n)}, nil
}

var _ env.VectorEnv = (*Vector)(nil)

// Spec is the spec of each copy.
func (v *Vector) Spec() *env.Spec { return v.hd.spec }

// ObsDType is the dtype of the observations in Python.
func (v *Vector) ObsDType() string { return v.hd.dtype }

// Len is the number of copies.
func (v *Vector) Len() int { return v.hd.n }

// Obs is the observation buffer, Len()*dim values.
func (v *Vector) Obs() []float64 { return v.obs }

// FinalObs holds the last observation of each copy whose episode ended in
// the last step (other slots are stale).
func (v *Vector) FinalObs() []float64 { return v.finalObs }

// Rewards are the last step's rewards.
func (v *Vector) Rewards() []float64 { return v.rewards }

// Terminated are the last step's terminated flags.
func (v *Vector) Terminated() []bool { return v.terminated }

// Truncated are the last step's truncated flags.
func (v *Vector) Truncated() []bool { return v.truncated }

// Reset starts a new episode in every copy.
func (v *Vector) Reset() []float64 {
	v.hd.reset(nil, v.obs)
	return v.obs
}

// StepDiscrete steps every copy (discrete action spaces).
func (v *Vector) StepDiscrete(actions []int) []float64 {
	spec := v.hd.spec
	if len(actions) != v.hd.n || spec.Action.Kind != env.Discrete {
		panic(fmt.Sprintf("gymenv.Vector.StepDiscrete: %d actions for %d envs of %s with action space %s",
			len(actions), v.hd.n, spec.ID, spec.Action))
	}
	for i, a := range actions {
		if a < 0 || a >= spec.Action.N {
			panic(&env.ActionError{ID: spec.ID, Action: env.DiscreteAction(a), Space: spec.Action})
		}
		v.actions[i] = int64(a)
	}
	if sh := v.hd.shm; sh != nil {
		copy(sh.actInts, v.actions)
		v.collectShm()
		return v.obs
	}
	v.collect(worker.Int64Array(v.actions))
	return v.obs
}

// StepContinuous steps every copy (Box action spaces of dimension d:
// actions[i*d:(i+1)*d] go to copy i).
func (v *Vector) StepContinuous(actions []float64) []float64 {
	spec := v.hd.spec
	if len(actions) != v.hd.n*spec.Action.Dim() || spec.Action.Kind != env.Box {
		panic(fmt.Sprintf("gymenv.Vector.StepContinuous: %d values for %d envs of %s with action space %s",
			len(actions), v.hd.n, spec.ID, spec.Action))
	}
	if sh := v.hd.shm; sh != nil {
		copy(sh.actFloats, actions)
		v.collectShm()
		return v.obs
	}
	v.collect(worker.Float64Array(actions, v.hd.n, spec.Action.Dim()))
	return v.obs
}

func (v *Vector) collect(actions worker.Array) {
	v.hd.step(actions, &v.res)
	r := &v.res
	err := errorsJoin(toFloat64(v.obs, r.Obs), toFloat64(v.rewards, r.Rewards),
		toBools(v.terminated, r.Terminated), toBools(v.truncated, r.Truncated))
	if err == nil {
		k := r.Ended.Len()
		if err = r.Ended.Validate(); err == nil && k > v.hd.n {
			err = fmt.Errorf("%d ended copies of %d", k, v.hd.n)
		}
		if err == nil && k > 0 {
			v.ended = append(v.ended[:0], make([]float64, k)...)
			final := make([]float64, k*v.dim)
			err = errorsJoin(toFloat64(v.ended, r.Ended), toFloat64(final, r.FinalObs))
			for j := 0; err == nil && j < k; j++ {
				i := int(v.ended[j])
				if i < 0 || i >= v.hd.n {
					err = fmt.Errorf("ended copy %d of %d", i, v.hd.n)
					break
				}
				copy(v.finalObs[i*v.dim:(i+1)*v.dim], final[j*v.dim:(j+1)*v.dim])
			}
		}
	}
	if err != nil {
		v.hd.fail("step: results", err)
	}
}

// collectShm steps the copies through the shared region, whose actions
// the caller has written, and reads the results out of it.
func (v *Vector) collectShm() {
	v.hd.stepShm()
	if err := v.hd.shm.read(v.obs, v.rewards, v.terminated, v.truncated, v.finalObs); err != nil {
		v.hd.fail("step: results", err)
	}
}

// Close frees the copies in the worker.
func (v *Vector) Close() { v.hd.close() }
