package env

import (
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
	v, err := NewVector("CartPole-v1", 2, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	v.Reset()
	defer func() {
		if _, ok := recover().(*ActionError); !ok {
			t.Fatal("action 5 did not panic with *ActionError")
		}
	}()
	v.StepDiscrete([]int{0, 5})
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
	run(&tu, maxExploit+4*probeSteps, true)
	if tu.best != 1 {
		t.Fatalf("one goroutine faster: verdict %d", tu.best)
	}
	one, all = run(&tu, 200_000, true)
	if all > 200_000/50 {
		t.Errorf("one goroutine faster: %d of %d steps on all", all, one+all)
	}
	run(&tu, maxExploit+4*probeSteps, false)
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
	for range 4 * probeSteps {
		seen[v.Workers()] = true
		v.StepDiscrete(actions)
	}
	if !seen[1] || !seen[2] {
		t.Errorf("worker counts used in the first probe: %v, want 1 and 2", seen)
	}
}
