package envlib

/*
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
*/
import "C"

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"sync"
	"unsafe"

	"github.com/xlrl/xlrl/internal/env"
)

// ABIVersion changes whenever a function's signature or meaning changes;
// xlrl_envs refuses a library of another version.
const ABIVersion = 2

// vector is one make_vec: a Vector whose results live in C memory.
type vector struct {
	mu       sync.Mutex
	v        *env.Vector
	spec     *env.Spec
	n, dim   int
	mem      []unsafe.Pointer // C allocations, freed by close
	discrete []int
	obsPtr   unsafe.Pointer
	finalPtr unsafe.Pointer
	rewPtr   unsafe.Pointer
	termPtr  unsafe.Pointer
	truncPtr unsafe.Pointer
}

var (
	handlesMu  sync.Mutex
	handles    = map[int64]*vector{}
	nextHandle int64
)

func cstr(s string) *C.char { return C.CString(s) }

// errOut stores msg in *errp (when errp is not NULL) for the caller to free.
func errOut(errp **C.char, format string, args ...any) {
	if errp != nil {
		*errp = cstr(fmt.Sprintf(format, args...))
	}
}

// recovered turns a panic inside an environment (a user's Step that
// panics) into the call's error instead of the death of the Python process.
func recovered(msg **C.char) {
	if r := recover(); r != nil {
		*msg = cstr(fmt.Sprintf("panic inside the environment: %v", r))
	}
}

// recoveredStep is recovered for the step functions.
func recoveredStep(ret *C.int64_t, errp **C.char) {
	if r := recover(); r != nil {
		*ret = -1
		errOut(errp, "panic inside the environment: %v", r)
	}
}

func get(h C.int64_t) *vector {
	handlesMu.Lock()
	defer handlesMu.Unlock()
	return handles[int64(h)]
}

type wireSpace struct {
	Kind  string    `json:"kind"`
	N     int       `json:"n,omitempty"`
	Shape []int     `json:"shape,omitempty"`
	Low   []float64 `json:"low,omitempty"`
	High  []float64 `json:"high,omitempty"`
}

type wireSpec struct {
	ID              string    `json:"id"`
	Observation     wireSpace `json:"observation"`
	Action          wireSpace `json:"action"`
	MaxEpisodeSteps int       `json:"max_episode_steps"`
	RewardThreshold *float64  `json:"reward_threshold"`
	AliasOf         string    `json:"alias_of,omitempty"`
}

// finite replaces infinities (which JSON cannot carry) by ±MaxFloat64;
// the Python side maps those back to ±inf.
func finite(xs []float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		switch {
		case math.IsInf(x, 1):
			out[i] = math.MaxFloat64
		case math.IsInf(x, -1):
			out[i] = -math.MaxFloat64
		default:
			out[i] = x
		}
	}
	return out
}

func toWireSpace(s env.Space) wireSpace {
	if s.Kind == env.Discrete {
		return wireSpace{Kind: "discrete", N: s.N}
	}
	shape := s.Shape
	if shape == nil {
		shape = []int{len(s.Low)}
	}
	return wireSpace{Kind: "box", Shape: shape, Low: finite(s.Low), High: finite(s.High)}
}

func toWireSpec(s *env.Spec) wireSpec {
	return wireSpec{ID: s.ID, Observation: toWireSpace(s.Observation), Action: toWireSpace(s.Action),
		MaxEpisodeSteps: s.MaxEpisodeSteps, RewardThreshold: s.RewardThreshold, AliasOf: s.AliasOf}
}

// options are make_vec's keyword arguments.
type options struct {
	Map             *string `json:"map"`
	Slippery        *bool   `json:"slippery"`
	MaxEpisodeSteps *int    `json:"max_episode_steps"`
}

func parseOptions(text string) ([]env.Option, error) {
	if text == "" {
		return nil, nil
	}
	var o options
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		return nil, fmt.Errorf("options: %v (known: map, slippery, max_episode_steps)", err)
	}
	var opts []env.Option
	if o.Map != nil {
		opts = append(opts, env.WithMap(*o.Map))
	}
	if o.Slippery != nil {
		opts = append(opts, env.WithSlippery(*o.Slippery))
	}
	if o.MaxEpisodeSteps != nil {
		opts = append(opts, env.WithMaxEpisodeSteps(*o.MaxEpisodeSteps))
	}
	return opts, nil
}

// XlrlEnvsABI returns ABIVersion.
//
//export XlrlEnvsABI
func XlrlEnvsABI() C.int64_t { return ABIVersion }

// XlrlEnvsSpecs returns the JSON list of every registered spec; free it with XlrlEnvsFree.
//
//export XlrlEnvsSpecs
func XlrlEnvsSpecs() *C.char {
	var out []wireSpec
	for _, s := range env.Specs() {
		out = append(out, toWireSpec(s))
	}
	b, _ := json.Marshal(out)
	return cstr(string(b))
}

// XlrlEnvsFree frees a string this library returned.
//
//export XlrlEnvsFree
func XlrlEnvsFree(p *C.char) { C.free(unsafe.Pointer(p)) }

// XlrlVecNew makes n copies of id (copy i seeded with seed+i) on workers
// goroutines (0: one per CPU), with options as a JSON object. It returns a
// handle > 0, or 0 with *err set (free it with XlrlEnvsFree).
//
//export XlrlVecNew
func XlrlVecNew(id *C.char, n C.int64_t, workers C.int64_t, seed C.uint64_t, optionsJSON *C.char, errp **C.char) C.int64_t {
	if n <= 0 || n > 1<<20 {
		errOut(errp, "num_envs=%d: want 1 to %d", int64(n), 1<<20)
		return 0
	}
	if workers < 0 {
		errOut(errp, "workers=%d: want 0 (one per CPU) or more", int64(workers))
		return 0
	}
	var text string
	if optionsJSON != nil {
		text = C.GoString(optionsJSON)
	}
	opts, err := parseOptions(text)
	if err != nil {
		errOut(errp, "%v", err)
		return 0
	}
	goID := C.GoString(id)
	if _, err := env.Lookup(goID); err != nil {
		errOut(errp, "%v", err)
		return 0
	}
	v, err := env.NewVector(goID, int(n), int(workers), uint64(seed), opts...)
	if err != nil {
		errOut(errp, "%v", err)
		return 0
	}
	vec := &vector{v: v, spec: v.Spec(), n: int(n), dim: v.Spec().Observation.Dim(), discrete: make([]int, n)}
	alloc := func(size int) unsafe.Pointer {
		p := C.calloc(C.size_t(size), 1)
		vec.mem = append(vec.mem, p)
		return p
	}
	nd := vec.n * vec.dim
	vec.obsPtr, vec.finalPtr = alloc(8*nd), alloc(8*nd)
	vec.rewPtr, vec.termPtr, vec.truncPtr = alloc(8*vec.n), alloc(vec.n), alloc(vec.n)
	// Go slices over C memory: Go writes the results where numpy reads them.
	err = v.UseBuffers(unsafe.Slice((*float64)(vec.obsPtr), nd), unsafe.Slice((*float64)(vec.finalPtr), nd),
		unsafe.Slice((*float64)(vec.rewPtr), vec.n), unsafe.Slice((*bool)(vec.termPtr), vec.n),
		unsafe.Slice((*bool)(vec.truncPtr), vec.n))
	if err != nil {
		vec.free()
		errOut(errp, "%v", err)
		return 0
	}
	handlesMu.Lock()
	nextHandle++
	h := nextHandle
	handles[h] = vec
	handlesMu.Unlock()
	return C.int64_t(h)
}

func (vec *vector) free() {
	vec.v.Close()
	for _, p := range vec.mem {
		C.free(p)
	}
	vec.mem = nil
}

// XlrlVecSpec returns the vector's spec as JSON (free it with XlrlEnvsFree), or NULL.
//
//export XlrlVecSpec
func XlrlVecSpec(h C.int64_t) *C.char {
	vec := get(h)
	if vec == nil {
		return nil
	}
	b, _ := json.Marshal(toWireSpec(vec.spec))
	return cstr(string(b))
}

// XlrlVecBuffers gives the C memory the vector writes its results into:
// observations and final observations (n*dim doubles each), rewards (n
// doubles), terminated and truncated (n bytes each). It returns 0, or -1
// for an unknown handle. The memory stays valid until XlrlVecClose.
//
//export XlrlVecBuffers
func XlrlVecBuffers(h C.int64_t, obs, finalObs, rewards, terminated, truncated *unsafe.Pointer) C.int {
	vec := get(h)
	if vec == nil || obs == nil || finalObs == nil || rewards == nil || terminated == nil || truncated == nil {
		return -1
	}
	*obs, *finalObs, *rewards, *terminated, *truncated = vec.obsPtr, vec.finalPtr, vec.rewPtr, vec.termPtr, vec.truncPtr
	return 0
}

// XlrlVecReset starts a new episode in every copy, reseeding copy i with
// seed+i first when reseed is non-zero. It returns NULL, or an error to free.
//
//export XlrlVecReset
func XlrlVecReset(h C.int64_t, seed C.uint64_t, reseed C.int) (msg *C.char) {
	defer recovered(&msg)
	vec := get(h)
	if vec == nil {
		return cstr(fmt.Sprintf("no vector with handle %d (closed?)", int64(h)))
	}
	vec.mu.Lock()
	defer vec.mu.Unlock()
	if reseed != 0 {
		vec.v.Seed(uint64(seed))
	}
	vec.v.Reset()
	return nil
}

// ended counts the copies whose episode ended in the last step.
func (vec *vector) ended() C.int64_t {
	n := 0
	term, trunc := vec.v.Terminated(), vec.v.Truncated()
	for i := range term {
		if term[i] || trunc[i] {
			n++
		}
	}
	return C.int64_t(n)
}

// XlrlVecStepDiscrete steps every copy with actions[i] (n int64s). It
// returns the number of copies whose episode ended (and were reset), or -1
// with *err set (free it with XlrlEnvsFree; nothing was stepped).
//
//export XlrlVecStepDiscrete
func XlrlVecStepDiscrete(h C.int64_t, actions *C.int64_t, errp **C.char) (ret C.int64_t) {
	defer recoveredStep(&ret, errp)
	vec := get(h)
	if vec == nil {
		errOut(errp, "no vector with handle %d (closed?)", int64(h))
		return -1
	}
	if vec.spec.Action.Kind != env.Discrete {
		errOut(errp, "%s has %s actions: call step with floats", vec.spec.ID, vec.spec.Action)
		return -1
	}
	if actions == nil {
		errOut(errp, "actions is NULL")
		return -1
	}
	vec.mu.Lock()
	defer vec.mu.Unlock()
	as := unsafe.Slice((*int64)(unsafe.Pointer(actions)), vec.n)
	for i, a := range as {
		if a < 0 || a >= int64(vec.spec.Action.N) {
			errOut(errp, "%s: action %d of copy %d is outside the action space %s (valid: 0..%d)",
				vec.spec.ID, a, i, vec.spec.Action, vec.spec.Action.N-1)
			return -1
		}
		vec.discrete[i] = int(a)
	}
	vec.v.StepDiscrete(vec.discrete)
	return vec.ended()
}

// XlrlVecStepContinuous steps every copy with actions[i*d:(i+1)*d] (n*d
// doubles, d the action dimension). It returns what XlrlVecStepDiscrete does.
//
//export XlrlVecStepContinuous
func XlrlVecStepContinuous(h C.int64_t, actions *C.double, errp **C.char) (ret C.int64_t) {
	defer recoveredStep(&ret, errp)
	vec := get(h)
	if vec == nil {
		errOut(errp, "no vector with handle %d (closed?)", int64(h))
		return -1
	}
	if vec.spec.Action.Kind != env.Box {
		errOut(errp, "%s has %s actions: call step with integers", vec.spec.ID, vec.spec.Action)
		return -1
	}
	if actions == nil {
		errOut(errp, "actions is NULL")
		return -1
	}
	vec.mu.Lock()
	defer vec.mu.Unlock()
	// The caller's memory, read during the call only.
	vec.v.StepContinuous(unsafe.Slice((*float64)(unsafe.Pointer(actions)), vec.n*vec.spec.Action.Dim()))
	return vec.ended()
}

// XlrlVecClose stops the vector and frees its memory; closing twice is harmless.
//
//export XlrlVecClose
func XlrlVecClose(h C.int64_t) {
	handlesMu.Lock()
	vec := handles[int64(h)]
	delete(handles, int64(h))
	handlesMu.Unlock()
	if vec != nil {
		vec.mu.Lock()
		vec.free()
		vec.mu.Unlock()
	}
}
