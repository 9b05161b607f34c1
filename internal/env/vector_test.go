package env

import (
	"math"
	"testing"
	"time"
)

// TestVectorMatchesSequential: a Vector steps exactly as n separate envs
// seeded seed+i, with the time limit and same-step auto-reset.
func TestVectorMatchesSequential(t *testing.T) {
	for _, tc := range []struct {
		id      string
		workers int
	}{
		{"CartPole-v1", 1}, {"CartPole-v1", 3}, {"MountainCar-v0", 2}, {"FrozenLake-v1", 2},
		{"Taxi-v3", 4}, {"Pendulum-v1", 2}, {"Acrobot-v1", 2},
	} {
		const n, seed, steps = 7, 100, 520
		v, err := NewVector(tc.id, n, tc.workers, seed)
		if err != nil {
			t.Fatal(err)
		}
		refs := make([]Env, n)
		for i := range refs {
			refs[i] = must(Make(tc.id))
			refs[i].Seed(seed + uint64(i))
		}
		spec := v.Spec()
		dim := spec.Observation.Dim()
		check := func(step int, got []float64, want [][]float64) {
			for i := 0; i < n; i++ {
				for j := 0; j < dim; j++ {
					if got[i*dim+j] != want[i][j] {
						t.Fatalf("%s workers %d step %d env %d: obs %v, sequential %v", tc.id, tc.workers, step, i, got[i*dim:(i+1)*dim], want[i])
					}
				}
			}
		}
		want := make([][]float64, n)
		for i := range refs {
			want[i] = append([]float64(nil), refs[i].Reset()...)
		}
		check(0, v.Reset(), want)
		rng := NewRNG(9)
		da := make([]int, n)
		ca := make([]float64, n)
		ends := 0
		for k := 1; k <= steps; k++ {
			for i := range da {
				if spec.Action.Kind == Discrete {
					da[i] = rng.Intn(spec.Action.N)
				} else {
					ca[i] = rng.Uniform(-2, 2)
				}
			}
			var obs []float64
			if spec.Action.Kind == Discrete {
				obs = v.StepDiscrete(da)
			} else {
				obs = v.StepContinuous(ca)
			}
			for i, e := range refs {
				a := DiscreteAction(da[i])
				if spec.Action.Kind == Box {
					a = Action{Continuous: ca[i : i+1]}
				}
				o, r, term, trunc := e.Step(a)
				if r != v.Rewards()[i] || term != v.Terminated()[i] || trunc != v.Truncated()[i] {
					t.Fatalf("%s step %d env %d: vector %v %v %v, sequential %v %v %v", tc.id, k, i,
						v.Rewards()[i], v.Terminated()[i], v.Truncated()[i], r, term, trunc)
				}
				want[i] = append(want[i][:0], o...)
				if term || trunc {
					ends++
					for j := 0; j < dim; j++ {
						if v.FinalObs()[i*dim+j] != o[j] {
							t.Fatalf("%s step %d env %d: final obs differs", tc.id, k, i)
						}
					}
					want[i] = append(want[i][:0], e.Reset()...)
				}
			}
			check(k, obs, want)
		}
		if ends == 0 {
			t.Errorf("%s: no episode ended in %d steps; the test did not exercise auto-reset", tc.id, steps)
		}
		v.Close()
	}
}

func TestVectorStepAllocatesNothing(t *testing.T) {
	for _, workers := range []int{1, 2} {
		v, err := NewVector("CartPole-v1", 64, workers, 1)
		if err != nil {
			t.Fatal(err)
		}
		actions := make([]int, 64)
		v.Reset()
		rng := NewRNG(1)
		allocs := testing.AllocsPerRun(200, func() {
			for i := range actions {
				actions[i] = rng.Intn(2)
			}
			v.StepDiscrete(actions)
		})
		v.Close()
		if allocs != 0 {
			t.Errorf("workers %d: %v allocations per step", workers, allocs)
		}
	}
	v, _ := NewVector("Pendulum-v1", 8, 2, 1)
	defer v.Close()
	acts := make([]float64, 8)
	v.Reset()
	if a := testing.AllocsPerRun(100, func() { v.StepContinuous(acts) }); a != 0 {
		t.Errorf("Pendulum: %v allocations per step", a)
	}
}

func TestVectorRejectsBadActions(t *testing.T) {
	for _, bad := range []int{5, 2, -1, math.MinInt} {
		v := mustVector(t, "CartPole-v1", 2, 1, 1)
		v.Reset()
		before := append([]float64(nil), v.Obs()...)
		func() {
			defer func() {
				if _, ok := recover().(*ActionError); !ok {
					t.Errorf("action %d did not panic with *ActionError", bad)
				}
			}()
			v.StepDiscrete([]int{0, bad})
		}()
		for i := range before {
			if v.Obs()[i] != before[i] {
				t.Errorf("action %d: env stepped before the check", bad)
			}
		}
		v.Close()
	}
}

func TestVectorBadSize(t *testing.T) {
	if _, err := NewVector("CartPole-v1", 0, 1, 1); err == nil {
		t.Fatal("NewVector accepted 0 envs")
	}
	if _, err := NewVector("Nope-v0", 2, 1, 1); err == nil {
		t.Fatal("NewVector accepted an unknown id")
	}
}

// TestWorkerTuner drives the tuner with made-up step times: it settles on
// the faster choice, probes less while the verdict holds, and follows a
// change (a second core that becomes busy, then free again).
func TestWorkerTuner(t *testing.T) {
	const fast, slow = 10 * time.Microsecond, 18 * time.Microsecond
	run := func(tu *workerTuner, steps int, oneFaster bool) (one, all int) {
		for range steps {
			d := fast
			if (tu.active == 1) != oneFaster {
				d = slow
			}
			if tu.active == 1 {
				one++
			} else {
				all++
			}
			tu.record(d)
		}
		return one, all
	}
	tu := newWorkerTuner(2)
	if tu.active != 1 {
		t.Fatalf("a new tuner starts by probing one goroutine, got %d", tu.active)
	}
	one, all := run(&tu, 200_000, false) // two goroutines are faster
	if tu.best != 2 || one > 200_000/50 {
		t.Errorf("parallel faster: verdict %d, %d of %d steps on one goroutine", tu.best, one, one+all)
	}
	if tu.exploit != maxExploit {
		t.Errorf("a stable verdict should stretch the exploit phase to %d, got %d", maxExploit, tu.exploit)
	}
	// The second core gets busy: within one exploit stretch and a probe, the
	// tuner switches to one goroutine.
	probe := 2 * (probeSteps + int(probeWarmup/fast) + 1) // steps of a whole probe, at most
	run(&tu, maxExploit+probe, true)
	if tu.best != 1 {
		t.Fatalf("one goroutine faster: verdict %d", tu.best)
	}
	one, all = run(&tu, 200_000, true)
	if all > 200_000/50 {
		t.Errorf("one goroutine faster: %d of %d steps on all", all, one+all)
	}
	run(&tu, maxExploit+probe, false)
	if tu.best != 2 {
		t.Errorf("parallel faster again: verdict %d", tu.best)
	}
	if single := newWorkerTuner(1); single.active != 1 {
		t.Errorf("one allowed goroutine: active %d", single.active)
	}
}

// TestVectorUsesBothModes: a vector of two workers steps on one goroutine
// and on two within its first probe, and Workers reports which.
func TestVectorUsesBothModes(t *testing.T) {
	v, err := NewVector("CartPole-v1", 64, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	v.Reset()
	actions := make([]int, 64)
	seen := map[int]bool{}
	// A probe's halves last probeSteps steps after probeWarmup each.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && !(seen[1] && seen[2]); {
		seen[v.Workers()] = true
		v.StepDiscrete(actions)
	}
	if !seen[1] || !seen[2] {
		t.Errorf("worker counts used in the first probe: %v, want 1 and 2", seen)
	}
}

// setChunk re-cuts v's shares into chunks of chunk envs (v must not be stepping).
func setChunk(v *Vector, chunk int) {
	v.chunk = chunk
	v.shares = makeShares(v.n, v.workers, chunk)
	v.gen.Store(0)
}

// vectorTrace steps v with the actions of rng and returns everything it
// reports: observations, final observations of ended episodes, rewards and
// flags, step by step.
func vectorTrace(t *testing.T, v *Vector, steps int, mode func(k int) int) (trace []float64, ends int) {
	t.Helper()
	spec := v.Spec()
	rng := NewRNG(11)
	da := make([]int, v.Len())
	ca := make([]float64, v.Len()*spec.Action.Dim())
	out := append([]float64(nil), v.Reset()...)
	for k := 0; k < steps; k++ {
		if mode != nil {
			v.tuner = workerTuner{max: v.workers, active: mode(k), fixed: true}
		}
		var obs []float64
		if spec.Action.Kind == Discrete {
			for i := range da {
				da[i] = rng.Intn(spec.Action.N)
			}
			obs = v.StepDiscrete(da)
		} else {
			for i := range ca {
				ca[i] = rng.Uniform(-2, 2)
			}
			obs = v.StepContinuous(ca)
		}
		out = append(out, obs...)
		for i := 0; i < v.Len(); i++ {
			out = append(out, v.Rewards()[i], b2f(v.Terminated()[i]), b2f(v.Truncated()[i]))
			if v.Terminated()[i] || v.Truncated()[i] {
				out = append(out, v.FinalObs()[i*v.dim:(i+1)*v.dim]...)
				ends++
			}
		}
	}
	return out, ends
}

func mustVector(t *testing.T, id string, n, workers int, seed uint64) *Vector {
	t.Helper()
	v, err := NewVector(id, n, workers, seed)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// TestVectorSameForAnyWorkersAndChunks: observations, rewards, flags and
// episode ends do not depend on the number of goroutines, on how the envs
// are cut into chunks, nor on the tuner switching between one goroutine and
// all of them from step to step.
func TestVectorSameForAnyWorkersAndChunks(t *testing.T) {
	for _, tc := range []struct {
		id    string
		n     int
		steps int
	}{
		{"CartPole-v1", 256, 600}, {"CartPole-v1", 300, 120}, {"CartPole-v1", 13, 520},
		{"MountainCar-v0", 100, 210}, {"Pendulum-v1", 40, 210},
	} {
		ref := mustVector(t, tc.id, tc.n, 1, 7)
		want, ends := vectorTrace(t, ref, tc.steps, nil)
		ref.Close()
		if ends == 0 {
			t.Fatalf("%s: no episode ended in %d steps; auto-reset untested", tc.id, tc.steps)
		}
		for _, workers := range []int{2, 3, 4} {
			for _, chunk := range []int{1, 5, 16, 64, 1000} {
				for name, mode := range map[string]func(int) int{
					"all":       func(int) int { return workers },
					"alternate": func(k int) int { return []int{1, workers}[k%2] },
					"tuner":     nil,
				} {
					v := mustVector(t, tc.id, tc.n, workers, 7)
					setChunk(v, chunk)
					got, _ := vectorTrace(t, v, tc.steps, mode)
					v.Close()
					if len(got) != len(want) {
						t.Fatalf("%s n=%d workers=%d chunk=%d %s: %d values, 1 worker %d", tc.id, tc.n, workers, chunk, name, len(got), len(want))
					}
					for i := range got {
						if got[i] != want[i] {
							t.Fatalf("%s n=%d workers=%d chunk=%d %s: value %d is %v, 1 worker %v", tc.id, tc.n, workers, chunk, name, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

// TestMakeShares: the shares cover [0, n) in order without overlap, start
// at multiples of shareAlign (neighbours write no common cache line of
// float64s), and their chunks cover each share.
func TestMakeShares(t *testing.T) {
	for _, tc := range []struct{ n, workers, chunk int }{
		{256, 2, 16}, {300, 2, 16}, {7, 3, 16}, {100, 4, 5}, {1, 1, 16}, {1000, 3, 64}, {65, 2, 1},
	} {
		shares := makeShares(tc.n, tc.workers, tc.chunk)
		if len(shares) != tc.workers {
			t.Fatalf("%+v: %d shares", tc, len(shares))
		}
		next := 0
		for w := range shares {
			s := &shares[w]
			if s.lo != next || s.hi < s.lo || (s.lo < tc.n && s.lo%shareAlign != 0) {
				t.Fatalf("%+v: share %d is [%d, %d) after %d", tc, w, s.lo, s.hi, next)
			}
			if int(s.chunks)*tc.chunk < s.hi-s.lo || (s.chunks > 0 && int(s.chunks-1)*tc.chunk >= s.hi-s.lo) {
				t.Fatalf("%+v: share %d of %d envs has %d chunks of %d", tc, w, s.hi-s.lo, s.chunks, tc.chunk)
			}
			next = s.hi
		}
		if next != tc.n {
			t.Fatalf("%+v: shares end at %d", tc, next)
		}
	}
	if got := makeShares(256, 2, 16); got[0].hi != 128 {
		t.Errorf("256 envs on 2: first share ends at %d, want 128 (halves, 64-env aligned)", got[0].hi)
	}
}

// TestVectorParallelStepWithoutWorkers: a parallel step completes, with the
// same results, when no worker takes part (as when the OS has descheduled
// them): the caller steps every share itself and waits for none.
func TestVectorParallelStepWithoutWorkers(t *testing.T) {
	ref := mustVector(t, "CartPole-v1", 256, 1, 3)
	want, _ := vectorTrace(t, ref, 50, nil)
	v := mustVector(t, "CartPole-v1", 256, 2, 3)
	v.Close() // the worker goroutine exits; the shares stay
	got, _ := vectorTrace(t, v, 50, func(int) int { return 2 })
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("value %d: %v, 1 worker %v", i, got[i], want[i])
		}
	}
	if g := v.gen.Load(); g < 50 {
		t.Errorf("%d parallel steps counted, want at least 50", g)
	}
}

// TestWorkerTunerVerdicts: the verdict follows the probes' medians, a step
// the OS interrupted (one slow outlier among probeSteps) does not change it,
// and all goroutines must beat one by the margin parallelGain to win.
func TestWorkerTunerVerdicts(t *testing.T) {
	const us = time.Microsecond
	for _, tc := range []struct {
		name     string
		one, all func(i int) time.Duration // the probe's i-th timed step
		want     int
	}{
		{"parallel faster", func(int) time.Duration { return 6 * us }, func(int) time.Duration { return 3500 }, 2},
		{"parallel slower", func(int) time.Duration { return 6 * us }, func(int) time.Duration { return 7 * us }, 1},
		{"tie keeps one core free", func(int) time.Duration { return 6 * us }, func(int) time.Duration { return 5900 }, 1},
		{"one outlier in the parallel probe", func(int) time.Duration { return 6 * us },
			func(i int) time.Duration { return map[bool]time.Duration{true: 4000 * us, false: 3500}[i == 2] }, 2},
		{"two outliers in the one-goroutine probe", func(i int) time.Duration {
			return map[bool]time.Duration{true: 1, false: 6 * us}[i < 2]
		}, func(int) time.Duration { return 3500 }, 2},
	} {
		tu := newWorkerTuner(2)
		tu.record(time.Second) // the untimed first step of the probe of one
		for i := range probeSteps {
			tu.record(tc.one(i))
		}
		if tu.active != 2 {
			t.Fatalf("%s: the second half of the probe runs on %d goroutines", tc.name, tu.active)
		}
		tu.record(time.Second)
		for i := range probeSteps {
			tu.record(tc.all(i))
		}
		if tu.active != tc.want || tu.phase != tunerExploit {
			t.Errorf("%s: verdict %d (phase %d), want %d", tc.name, tu.active, tu.phase, tc.want)
		}
	}
}

// TestWorkerTunerWarmup: the steps of the first probeWarmup of a probe half
// are not timed. A parked worker that needs ~190 us to wake (the caller
// stepping alone meanwhile, at one goroutine's speed) must not make all
// goroutines look no faster than one.
func TestWorkerTunerWarmup(t *testing.T) {
	const one, all = 6 * time.Microsecond, 3 * time.Microsecond
	tu := newWorkerTuner(2)
	for tu.active == 1 {
		tu.record(one)
	}
	waking := 0
	for elapsed := time.Duration(0); elapsed < probeWarmup-one; elapsed += one {
		tu.record(one) // the worker is not there yet
		waking++
	}
	// The first of these completes the warm-up; probeSteps more are timed.
	for range probeSteps + 1 {
		tu.record(all)
	}
	if waking <= probeSteps {
		t.Fatalf("test setup: %d waking steps do not outnumber the %d timed ones", waking, probeSteps)
	}
	if tu.phase != tunerExploit || tu.active != 2 {
		t.Errorf("after a slow wake-up: phase %d, verdict %d, want exploit on 2", tu.phase, tu.active)
	}
}
