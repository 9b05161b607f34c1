package env

import (
	"fmt"
	"math"
	"runtime"
	"sync/atomic"
	"time"
)

// vectorChunk is how many envs a goroutine claims at a time within a
// share (see share): small, so that a goroutine that finished its own share
// can take over much of a share whose owner the OS has descheduled.
const vectorChunk = 16

// shareAlign is the multiple of envs that shares start at: 8 envs' rewards
// (float64) fill a 64-byte cache line, so neighbouring shares never write
// the same line of rewards, observations or step counters (and with 64 envs
// or more a share, as 256 envs on 2 cores give, not of flags either).
const shareAlign = 8

// share is one goroutine's home range of envs [lo, hi): it steps them first,
// every step, so that their state stays in its core's cache, then helps the
// others. claimed counts the share's chunks claimed over all parallel steps
// and done its envs stepped: at the end of parallel step g, claimed is
// g*chunks and done is g*(hi-lo), so neither is ever reset (a reset would
// pull the owner's cache line to the caller once a step). Padded to 128
// bytes: the owner's counters share no line (nor adjacent-line prefetch
// pair) with another share's.
type share struct {
	lo, hi  int
	chunks  uint64
	claimed atomic.Uint64
	done    atomic.Uint64
	_       [128 - 5*8]byte
}

// claim returns the index within s of a chunk of parallel step g not yet
// claimed, or false when all are. A goroutine still holding an older g
// (it saw that step late) finds none.
func (s *share) claim(g uint64) (int, bool) {
	end := g * s.chunks
	for {
		c := s.claimed.Load()
		if c >= end {
			return 0, false
		}
		if s.claimed.CompareAndSwap(c, c+1) {
			return int(c - (end - s.chunks)), true
		}
	}
}

// fastStepper is the allocation-free, per-env fast path of a discrete-action
// environment: it writes observations straight into the caller's buffer.
type fastStepper interface {
	StepDiscrete(a int, obs []float64) (reward float64, terminated bool)
	ResetInto(obs []float64)
}

// Vector steps N copies of one environment on several goroutines (the
// caller's and workers-1 more, each stepping its own share of the envs, then
// helping with the others'), with automatic reset. All observations live in one contiguous
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
	carts      []*CartPole   // every env, when all are CartPoles; else nil
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
	// about 6 us on one core; a wake-up takes tens), so workers spin on gen
	// for a while before they park, and the caller spins on the shares'
	// done counters. See awaitStep and runParallel.
	workers int
	shares  []share       // one per goroutine; the caller's is shares[0]
	chunk   int           // envs claimed at a time: vectorChunk (tests vary it)
	gen     atomic.Uint64 // parallel steps started
	parked  []atomic.Bool // worker w sleeps on wake[w]
	wake    []chan struct{}
	closed  atomic.Bool
	yield   bool // more goroutines than Ps: yield while spinning

	tuner workerTuner // whether a step uses one goroutine or all of them
}

// How goroutines wait for each other. A worker waiting for the next step
// spins (checks gen in a loop) for up to idleSpin, then parks; the caller
// waiting for the last chunks of a step spins too. Neither yields with
// runtime.Gosched while there is a P for every goroutine (yield false): a
// yield costs a trip through the scheduler's global run queue (its lock,
// and hundreds of nanoseconds during which the yielder sees nothing), and
// the other spinning goroutine's P may take the yielded goroutine, so that
// both take turns on one P while the other P's thread goes to sleep.
// spinChecks is how many checks go between looks at the clock (and yields,
// where goroutines outnumber Ps).
const (
	spinChecks = 1024
	idleSpin   = 50 * time.Microsecond
	// callerSpin is how long the caller spins on a chunk another goroutine
	// holds before it yields: only a goroutine the runtime preempted mid-chunk
	// takes that long, and yielding lets it run again.
	callerSpin = 200 * time.Microsecond
)

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
	v := &Vector{n: n, workers: workers, yield: workers > runtime.GOMAXPROCS(0)}
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
	v.carts = make([]*CartPole, n)
	for i, e := range v.envs {
		if v.carts[i], _ = e.(*CartPole); v.carts[i] == nil {
			v.carts = nil
			break
		}
	}
	v.dim = v.spec.Observation.Dim()
	v.actDim = v.spec.Action.Dim()
	v.obs = make([]float64, n*v.dim)
	v.finalObs = make([]float64, n*v.dim)
	v.rewards = make([]float64, n)
	v.terminated = make([]bool, n)
	v.truncated = make([]bool, n)
	v.elapsed = make([]int, n)
	// The calling goroutine steps its share too; workers-1 goroutines join it.
	v.chunk = vectorChunk
	v.shares = makeShares(n, workers, v.chunk)
	v.parked = make([]atomic.Bool, workers)
	v.wake = make([]chan struct{}, workers)
	for w := 1; w < workers; w++ {
		v.wake[w] = make(chan struct{}, 1)
		go v.worker(w)
	}
	return v, nil
}

// makeShares splits n envs into workers home ranges of equal size, a
// multiple of shareAlign (the last takes the rest; some may be empty), each
// cut into chunks of chunk envs.
func makeShares(n, workers, chunk int) []share {
	per := (n + workers - 1) / workers
	per = (per + shareAlign - 1) / shareAlign * shareAlign
	shares := make([]share, workers)
	for w := range shares {
		s := &shares[w]
		s.lo, s.hi = min(w*per, n), min((w+1)*per, n)
		s.chunks = uint64((s.hi - s.lo + chunk - 1) / chunk)
	}
	return shares
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
	n := uint(v.spec.Action.N)
	for _, a := range actions {
		if uint(a) >= n { // one comparison for a < 0 || a >= N
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

// runParallel runs one step on all goroutines: the caller publishes it
// (gen), steps its own share and helps with the others' (stepShares), then
// waits until every share's envs are done. It waits on envs, not on workers:
// if the OS has descheduled a worker, the caller steps that worker's share
// itself and does not wait for it to wake up.
func (v *Vector) runParallel() {
	g := v.gen.Load() + 1
	v.startStep(g)
	v.stepShares(0, g)
	for i := range v.shares {
		s := &v.shares[i]
		want := g * uint64(s.hi-s.lo)
		var start time.Time
		for spin := 0; s.done.Load() != want; spin++ {
			if spin%spinChecks != spinChecks-1 {
				continue
			}
			if start.IsZero() {
				start = time.Now()
			} else if v.yield || time.Since(start) > callerSpin {
				runtime.Gosched()
			}
		}
	}
}

// startStep publishes parallel step g to the workers and wakes those asleep.
func (v *Vector) startStep(g uint64) {
	v.gen.Store(g)
	v.wakeParked()
}

func (v *Vector) wakeParked() {
	for w := 1; w < v.workers; w++ {
		if v.parked[w].CompareAndSwap(true, false) {
			v.wake[w] <- struct{}{}
		}
	}
}

func (v *Vector) worker(w int) {
	var seen uint64
	for {
		var ok bool
		if seen, ok = v.awaitStep(w, seen); !ok {
			return
		}
		v.stepShares(w, seen)
	}
}

// awaitStep returns the generation of the next step once it has started,
// or false once the vector is closed: it spins for idleSpin, then sleeps
// until startStep or Close wakes it. Whoever of the worker and the waker
// clears parked first owns the wake-up: if the waker does, it sends on
// wake[w] (buffered) and the worker takes it.
func (v *Vector) awaitStep(w int, seen uint64) (uint64, bool) {
	news := func() (uint64, bool) {
		g := v.gen.Load()
		return g, g != seen || v.closed.Load()
	}
	start := time.Now()
	for {
		for range spinChecks {
			if g, ok := news(); ok {
				return g, !v.closed.Load()
			}
		}
		if v.yield {
			runtime.Gosched()
		}
		if time.Since(start) < idleSpin {
			continue
		}
		v.parked[w].Store(true)
		if g, ok := news(); ok {
			if !v.parked[w].CompareAndSwap(true, false) {
				<-v.wake[w] // the waker cleared it and is sending
			}
			return g, !v.closed.Load()
		}
		<-v.wake[w]
		start = time.Now()
	}
}

// stepShares steps chunks of parallel step g: those of share home first,
// then those left in the others.
func (v *Vector) stepShares(home int, g uint64) {
	for k := range v.shares {
		s := &v.shares[(home+k)%len(v.shares)]
		for {
			c, ok := s.claim(g)
			if !ok {
				break
			}
			lo := s.lo + c*v.chunk
			hi := min(lo+v.chunk, s.hi)
			v.stepRange(lo, hi)
			s.done.Add(uint64(hi - lo))
		}
	}
}

func (v *Vector) stepRange(lo, hi int) {
	if v.carts != nil {
		v.stepCartPoles(lo, hi)
		return
	}
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

// stepCartPoles is stepRange for a vector of CartPoles: direct calls (no
// interface dispatch) on slices cut to [lo, hi), which lets the compiler
// drop most bounds checks; the same results as the general loop.
func (v *Vector) stepCartPoles(lo, hi int) {
	carts, acts, elapsed := v.carts[lo:hi], v.discrete[lo:hi], v.elapsed[lo:hi]
	rewards, terminated, truncated := v.rewards[lo:hi], v.terminated[lo:hi], v.truncated[lo:hi]
	obs, final := v.obs[4*lo:4*hi], v.finalObs[4*lo:4*hi]
	limit := v.maxSteps
	if limit <= 0 {
		limit = math.MaxInt
	}
	for i, c := range carts {
		slot := obs[4*i : 4*i+4 : 4*i+4]
		r, term := c.StepDiscrete(acts[i], slot)
		e := elapsed[i] + 1
		trunc := e >= limit
		rewards[i], terminated[i], truncated[i] = r, term, trunc
		if term || trunc {
			copy(final[4*i:4*i+4], slot)
			c.ResetInto(slot)
			e = 0
		}
		elapsed[i] = e
	}
}

// Close stops the worker goroutines. The Vector must not be stepped after.
func (v *Vector) Close() {
	if v.closed.Swap(true) {
		return
	}
	v.wakeParked()
}

// workerTuner chooses between stepping on one goroutine and on all of them
// by measuring both: a probe times probeSteps steps of each and compares
// their medians. The steps of the first probeWarmup of each half (at least
// one step) are not counted: they move the envs' state between cores'
// caches, and a parked worker takes tens of microseconds to wake up and
// find a free P, during which the caller steps its share too; counting
// them would make all goroutines look no faster than one. A step the OS
// interrupted moves a median little. All goroutines win only when their
// median is below parallelGain times one goroutine's: a tie keeps one core
// free. The winner then runs for a stretch of steps that doubles, up to
// maxExploit, while the probes keep agreeing, and falls back to minExploit
// when they change their verdict. Probing the slower choice costs at most
// probeSteps steps and probeWarmup in minExploit.
type workerTuner struct {
	max     int                          // the most goroutines allowed
	active  int                          // goroutines the current step uses
	phase   int                          // tunerExploit, tunerProbeOne or tunerProbeAll
	left    int                          // steps left in this phase
	warm    time.Duration                // time of the untimed steps so far in this probe half
	times   [2][probeSteps]time.Duration // probe step times: one goroutine, all
	exploit int                          // length of the next exploit stretch
	best    int                          // the verdict of the last probe
	probes  [2]time.Duration             // the last probe's medians, for reports
	fixed   bool                         // never probe: keep active (benchmarks)
}

const (
	tunerExploit = iota
	tunerProbeOne
	tunerProbeAll

	probeSteps   = 9
	probeWarmup  = 200 * time.Microsecond
	minExploit   = 512
	maxExploit   = 32768
	parallelGain = 0.95
)

func newWorkerTuner(max int) workerTuner {
	t := workerTuner{max: max, active: max, exploit: minExploit, best: max}
	if max > 1 {
		t.startProbe()
	}
	return t
}

func (t *workerTuner) startProbe() {
	t.phase, t.left, t.warm, t.active = tunerProbeOne, probeSteps, -1, 1
}

// record takes the duration of the step just done and sets active for the next.
func (t *workerTuner) record(d time.Duration) {
	if t.fixed {
		return
	}
	switch t.phase {
	case tunerExploit:
		if t.left--; t.left <= 0 {
			t.startProbe()
		}
	case tunerProbeOne, tunerProbeAll:
		if t.warm < probeWarmup {
			t.warm = max(t.warm, 0) + d
			return
		}
		t.left--
		t.times[t.phase-tunerProbeOne][t.left] = d
		if t.left > 0 {
			return
		}
		if t.phase == tunerProbeOne {
			t.phase, t.left, t.warm, t.active = tunerProbeAll, probeSteps, -1, t.max
			return
		}
		t.probes = [2]time.Duration{median(&t.times[0]), median(&t.times[1])}
		verdict := 1
		if float64(t.probes[1]) < parallelGain*float64(t.probes[0]) {
			verdict = t.max
		}
		if verdict == t.best {
			t.exploit = min(2*t.exploit, maxExploit)
		} else {
			t.best, t.exploit = verdict, minExploit
		}
		t.phase, t.left, t.active = tunerExploit, t.exploit, verdict
	}
}

// median sorts a in place (insertion sort: probeSteps values) and returns its middle.
func median(a *[probeSteps]time.Duration) time.Duration {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
	return a[len(a)/2]
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
