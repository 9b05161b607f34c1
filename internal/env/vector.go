package env

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"time"
)

// vectorChunk is how many envs a worker claims at a time: small enough that a
// worker the OS descheduled leaves little behind for the others to wait on,
// large enough that claiming (one atomic add) costs nothing and that two
// workers never write the same cache line: a chunk's terminated and
// truncated flags (one byte an env) fill a 64-byte line of their own, where
// chunks of 16 shared each line with three others on other workers.
const vectorChunk = 64

// fastStepper is the allocation-free, per-env fast path of a discrete-action
// environment: it writes observations straight into the caller's buffer.
type fastStepper interface {
	StepDiscrete(a int, obs []float64) (reward float64, terminated bool)
	ResetInto(obs []float64)
}

// Vector steps N copies of one environment on several goroutines (the
// caller's and workers-1 more, claiming chunks of envs), with automatic reset. All observations live in one contiguous
// buffer (env i's at Obs()[i*dim:(i+1)*dim]); a step allocates nothing.
//
// Reset happens in the same step as the episode's end (Gymnasium's
// AutoresetMode.SAME_STEP): when env i terminates or is truncated, its slot
// in the observation buffer already holds the first observation of the next
// episode, and FinalObs holds the last observation of the one that ended.
type Vector struct {
	spec       *Spec
	envs       []Env
	fast       []fastStepper // nil entries where the env has no fast path
	n, dim     int
	maxSteps   int
	elapsed    []int
	obs        []float64
	finalObs   []float64
	rewards    []float64
	terminated []bool
	truncated  []bool

	discrete   []int
	continuous []float64
	actDim     int

	// A step is shorter than waking a parked goroutine (256 CartPoles take
	// about 11 us; a wake-up takes several), so workers spin on gen for a
	// while before they park, and the caller spins on pending. See awaitStep.
	workers int
	gen     atomic.Uint64 // bumped to start a step (and by Close)
	pending atomic.Int64  // workers still stepping the current step
	parked  []atomic.Bool // worker w sleeps on wake[w]
	wake    []chan struct{}
	next    atomic.Int64 // next chunk to claim in the current step
	closed  atomic.Bool

	tuner workerTuner // whether a step uses one goroutine or all of them
}

// spinsBeforePark is how many times an idle worker yields before it sleeps:
// a few tens of microseconds, enough to span the gap between steps of a
// training loop, short enough not to hold a core when stepping stops.
const spinsBeforePark = 200

// NewVector makes n copies of id, seeds copy i with seed+i, and steps them
// on up to workers goroutines (0: one per CPU). Options apply to every copy.
// Call Close when done to stop the workers.
//
// Whether more goroutines help depends on the machine and on its load (on a
// shared machine a second core may be busy, and then the hand-offs cost more
// than they save), so the vector measures instead of guessing: it times its
// steps on one goroutine and on all of them, keeps the faster, and measures
// again from time to time (workerTuner). The results never depend on that
// choice.
func NewVector(id string, n, workers int, seed uint64, opts ...Option) (*Vector, error) {
	if n <= 0 {
		return nil, fmt.Errorf("vector of %s: %d environments, want at least 1", id, n)
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, n)
	v := &Vector{n: n, workers: workers}
	v.tuner = newWorkerTuner(workers)
	for i := 0; i < n; i++ {
		e, err := Make(id, opts...)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			v.spec = e.Spec()
			v.maxSteps = v.spec.MaxEpisodeSteps
		}
		raw := Unwrapped(e) // the vector keeps the time limit itself
		raw.Seed(seed + uint64(i))
		v.envs = append(v.envs, raw)
		fs, _ := raw.(fastStepper)
		v.fast = append(v.fast, fs)
	}
	v.dim = v.spec.Observation.Dim()
	v.actDim = v.spec.Action.Dim()
	v.obs = make([]float64, n*v.dim)
	v.finalObs = make([]float64, n*v.dim)
	v.rewards = make([]float64, n)
	v.terminated = make([]bool, n)
	v.truncated = make([]bool, n)
	v.elapsed = make([]int, n)
	// The calling goroutine steps chunks too; workers-1 goroutines join it.
	v.parked = make([]atomic.Bool, workers)
	v.wake = make([]chan struct{}, workers)
	for w := 1; w < workers; w++ {
		v.wake[w] = make(chan struct{}, 1)
		go v.worker(w)
	}
	return v, nil
}

// Spec is the spec of each copy (with its time limit).
func (v *Vector) Spec() *Spec { return v.spec }

// Len is the number of environments.
func (v *Vector) Len() int { return v.n }

// Obs is the observation buffer, n*dim values.
func (v *Vector) Obs() []float64 { return v.obs }

// FinalObs holds, for each env whose episode ended in the last step, its
// last observation (other slots are stale).
func (v *Vector) FinalObs() []float64 { return v.finalObs }

// Rewards, Terminated and Truncated are the last step's results per env.
func (v *Vector) Rewards() []float64 { return v.rewards }
func (v *Vector) Terminated() []bool { return v.terminated }
func (v *Vector) Truncated() []bool  { return v.truncated }

// Reset starts a new episode in every env and returns the observation buffer.
func (v *Vector) Reset() []float64 {
	for i := range v.envs {
		v.resetOne(i)
	}
	return v.obs
}

func (v *Vector) resetOne(i int) {
	v.elapsed[i] = 0
	slot := v.obs[i*v.dim : (i+1)*v.dim]
	if f := v.fast[i]; f != nil {
		f.ResetInto(slot)
		return
	}
	copy(slot, v.envs[i].Reset())
}

// StepDiscrete applies actions[i] to env i (discrete action spaces) and
// returns the observation buffer. It panics with *ActionError on an action
// out of range, before stepping any env.
func (v *Vector) StepDiscrete(actions []int) []float64 {
	if len(actions) != v.n || v.spec.Action.Kind != Discrete {
		panic(fmt.Sprintf("Vector.StepDiscrete: %d actions for %d envs of %s with action space %s",
			len(actions), v.n, v.spec.ID, v.spec.Action))
	}
	for _, a := range actions {
		if a < 0 || a >= v.spec.Action.N {
			panic(&ActionError{ID: v.spec.ID, Action: DiscreteAction(a), Space: v.spec.Action})
		}
	}
	v.discrete = actions
	v.run()
	return v.obs
}

// StepContinuous applies actions[i*d:(i+1)*d] to env i (Box action spaces of
// dimension d) and returns the observation buffer.
func (v *Vector) StepContinuous(actions []float64) []float64 {
	if len(actions) != v.n*v.actDim || v.spec.Action.Kind != Box {
		panic(fmt.Sprintf("Vector.StepContinuous: %d values for %d envs of %s with action space %s",
			len(actions), v.n, v.spec.ID, v.spec.Action))
	}
	v.continuous = actions
	v.run()
	return v.obs
}

// Workers is the number of goroutines the last step used: 1 or the maximum.
func (v *Vector) Workers() int { return v.tuner.active }

func (v *Vector) run() {
	if v.workers == 1 {
		v.stepRange(0, v.n)
		return
	}
	start := time.Now()
	if v.tuner.active == 1 {
		v.stepRange(0, v.n)
	} else {
		v.runParallel()
	}
	v.tuner.record(time.Since(start))
}

func (v *Vector) runParallel() {
	v.next.Store(0)
	v.pending.Store(int64(v.workers - 1))
	v.startStep()
	v.stepChunks()
	for v.pending.Load() != 0 {
		runtime.Gosched()
	}
}

// startStep publishes a new step to the workers and wakes those asleep.
func (v *Vector) startStep() {
	v.gen.Add(1)
	for w := 1; w < v.workers; w++ {
		if v.parked[w].CompareAndSwap(true, false) {
			v.wake[w] <- struct{}{}
		}
	}
}

func (v *Vector) worker(w int) {
	var seen uint64
	for {
		seen = v.awaitStep(w, seen)
		if v.closed.Load() {
			return
		}
		v.stepChunks()
		v.pending.Add(-1)
	}
}

// awaitStep returns the generation of the next step once it has started:
// it yields spinsBeforePark times, then sleeps until startStep wakes it.
// Whoever of the worker and startStep clears parked first owns the wake-up:
// if startStep does, it sends on wake[w] (buffered) and the worker takes it.
func (v *Vector) awaitStep(w int, seen uint64) uint64 {
	for spin := 0; ; spin++ {
		if g := v.gen.Load(); g != seen {
			return g
		}
		if spin < spinsBeforePark {
			runtime.Gosched()
			continue
		}
		v.parked[w].Store(true)
		if g := v.gen.Load(); g != seen {
			if !v.parked[w].CompareAndSwap(true, false) {
				<-v.wake[w] // startStep cleared it and is sending
			}
			return g
		}
		<-v.wake[w]
		spin = 0
	}
}

// stepChunks claims chunks of envs until none are left.
func (v *Vector) stepChunks() {
	for {
		lo := int(v.next.Add(1)-1) * vectorChunk
		if lo >= v.n {
			return
		}
		v.stepRange(lo, min(lo+vectorChunk, v.n))
	}
}

func (v *Vector) stepRange(lo, hi int) {
	d := v.dim
	for i := lo; i < hi; i++ {
		slot := v.obs[i*d : (i+1)*d]
		var r float64
		var term bool
		if f := v.fast[i]; f != nil {
			r, term = f.StepDiscrete(v.discrete[i], slot)
		} else {
			var a Action
			if v.spec.Action.Kind == Discrete {
				a.Discrete = v.discrete[i]
			} else {
				a.Continuous = v.continuous[i*v.actDim : (i+1)*v.actDim]
			}
			var o []float64
			o, r, term, _ = v.envs[i].Step(a)
			copy(slot, o)
		}
		v.elapsed[i]++
		trunc := v.maxSteps > 0 && v.elapsed[i] >= v.maxSteps
		v.rewards[i], v.terminated[i], v.truncated[i] = r, term, trunc
		if term || trunc {
			copy(v.finalObs[i*d:(i+1)*d], slot)
			v.resetOne(i)
		}
	}
}

// Close stops the worker goroutines. The Vector must not be stepped after.
func (v *Vector) Close() {
	if v.closed.Swap(true) {
		return
	}
	v.startStep()
}

// workerTuner chooses between stepping on one goroutine and on all of them
// by measuring both: a probe times probeSteps steps of each (the first step
// of each, which wakes parked workers or lets them park, is not counted),
// then the faster runs for a stretch of steps that doubles, up to
// maxExploit, while the probes keep agreeing, and falls back to minExploit
// when they change their verdict. Probing the slower choice costs at most
// 2*probeSteps steps in minExploit.
type workerTuner struct {
	max     int // the most goroutines allowed
	active  int // goroutines the current step uses
	phase   int // tunerExploit, tunerProbeOne or tunerProbeAll
	left    int // steps left in this phase
	skip    bool
	sum     [2]time.Duration // probe times: one goroutine, all
	exploit int              // length of the next exploit stretch
	best    int              // the verdict of the last probe
}

const (
	tunerExploit = iota
	tunerProbeOne
	tunerProbeAll

	probeSteps = 8
	minExploit = 512
	maxExploit = 32768
)

func newWorkerTuner(max int) workerTuner {
	t := workerTuner{max: max, active: max, exploit: minExploit, best: max}
	if max > 1 {
		t.startProbe()
	}
	return t
}

func (t *workerTuner) startProbe() {
	t.phase, t.left, t.skip, t.active = tunerProbeOne, probeSteps, true, 1
	t.sum = [2]time.Duration{}
}

// record takes the duration of the step just done and sets active for the next.
func (t *workerTuner) record(d time.Duration) {
	switch t.phase {
	case tunerExploit:
		if t.left--; t.left <= 0 {
			t.startProbe()
		}
	case tunerProbeOne, tunerProbeAll:
		if t.skip {
			t.skip = false
			return
		}
		t.sum[t.phase-tunerProbeOne] += d
		if t.left--; t.left > 0 {
			return
		}
		if t.phase == tunerProbeOne {
			t.phase, t.left, t.skip, t.active = tunerProbeAll, probeSteps, true, t.max
			return
		}
		verdict := t.max
		if t.sum[0] < t.sum[1] {
			verdict = 1
		}
		if verdict == t.best {
			t.exploit = min(2*t.exploit, maxExploit)
		} else {
			t.best, t.exploit = verdict, minExploit
		}
		t.phase, t.left, t.active = tunerExploit, t.exploit, verdict
	}
}

// Seed reseeds copy i with seed+i (Gymnasium's vector reset(seed=...));
// the next Reset starts from those seeds.
func (v *Vector) Seed(seed uint64) {
	for i, e := range v.envs {
		e.Seed(seed + uint64(i))
	}
}

// UseBuffers makes the vector write its results into the given slices
// instead of its own (memory shared with another language: the xlrl_envs
// Python package views these as numpy arrays). Each must have the length of
// the buffer it replaces; the vector must not be stepping.
func (v *Vector) UseBuffers(obs, finalObs, rewards []float64, terminated, truncated []bool) error {
	if len(obs) != len(v.obs) || len(finalObs) != len(v.finalObs) || len(rewards) != v.n ||
		len(terminated) != v.n || len(truncated) != v.n {
		return fmt.Errorf("Vector.UseBuffers: lengths %d, %d, %d, %d, %d; want %d, %d, %d, %d, %d",
			len(obs), len(finalObs), len(rewards), len(terminated), len(truncated), len(v.obs), len(v.finalObs), v.n, v.n, v.n)
	}
	copy(obs, v.obs)
	v.obs, v.finalObs, v.rewards, v.terminated, v.truncated = obs, finalObs, rewards, terminated, truncated
	return nil
}
