package gymenv

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/xlrl/xlrl/internal/agent/trainloop"
	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/worker"
	"github.com/xlrl/xlrl/internal/worker/workertest"
)

// TestMain puts the repository (for pyworker) and tests/fixtures (for
// gym_fixtures) on the worker's PYTHONPATH, and stops the default host.
func TestMain(m *testing.M) {
	root, _ := filepath.Abs("../..")
	os.Setenv("PYTHONPATH", root+string(os.PathListSeparator)+filepath.Join(root, "tests", "fixtures"))
	code := m.Run()
	_ = Shutdown()
	os.Exit(code)
}

func testHost(t testing.TB) *Host {
	t.Helper()
	h := NewHost(worker.Options{Python: workertest.Python(t)})
	t.Cleanup(func() { _ = h.Close() })
	return h
}

// bothPaths runs test on a host whose handles step through shared memory
// where the platform allows it, and on one that steps through messages.
func bothPaths(t *testing.T, test func(t *testing.T, h *Host)) {
	for _, noShm := range []bool{false, true} {
		name := "shm"
		if noShm {
			name = "messages"
		}
		t.Run(name, func(t *testing.T) {
			h := testHost(t)
			h.noShm = noShm
			test(t, h)
		})
	}
}

func TestSharedRegionInUse(t *testing.T) {
	bothPaths(t, func(t *testing.T, h *Host) {
		v, err := h.NewVector("gym:CartPole-v1", 3, 0, env.ResolverOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		if want := !h.noShm && runtime.GOOS == "linux"; (v.hd.shm != nil) != want {
			t.Fatalf("shared region %v, want one: %v", v.hd.shm != nil, want)
		}
		v.Reset()
		v.StepDiscrete([]int{0, 1, 0})
		if len(v.Obs()) != 12 || v.Rewards()[2] != 1 {
			t.Fatalf("obs %v rewards %v", v.Obs(), v.Rewards())
		}
	})
}

func TestSpecOfGymCartPoleMatchesGo(t *testing.T) {
	h := testHost(t)
	got, err := h.Lookup("gym:CartPole-v1", env.ResolverOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := env.Lookup("CartPole-v1")
	if got.Observation.String() != want.Observation.String() || got.Action.String() != want.Action.String() ||
		got.MaxEpisodeSteps != 500 || got.RewardThreshold == nil || *got.RewardThreshold != 475 {
		t.Fatalf("gym spec %+v, Go spec %+v", got, want)
	}
	for i := range want.Observation.Low {
		// Gymnasium's bounds are float32: compare at that precision.
		if float32(got.Observation.High[i]) != float32(want.Observation.High[i]) {
			t.Errorf("high[%d] = %v, Go %v", i, got.Observation.High[i], want.Observation.High[i])
		}
	}
}

func TestEnvSameSeedSameTrajectory(t *testing.T) {
	bothPaths(t, func(t *testing.T, h *Host) {
		e, err := h.Make("gym:CartPole-v1", env.ResolverOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		run := func() []float64 {
			e.Seed(3)
			var seq []float64
			seq = append(seq, e.Reset()...)
			for t := 0; ; t++ {
				obs, r, term, trunc := e.Step(env.DiscreteAction(t % 2))
				seq = append(seq, obs...)
				seq = append(seq, r)
				if term || trunc {
					return seq
				}
			}
		}
		a, b := run(), run()
		if len(a) != len(b) || len(a) < 10 {
			t.Fatalf("trajectories of %d and %d values", len(a), len(b))
		}
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("value %d differs: %v vs %v", i, a[i], b[i])
			}
		}
		// The episode ended: stepping on is refused until Reset.
		err = func() (err error) {
			defer env.Recover(&err)
			e.Step(env.DiscreteAction(0))
			return nil
		}()
		if err == nil || !strings.Contains(err.Error(), "reset it first") {
			t.Fatalf("step after the end: %v", err)
		}
	})
}

func TestVectorSameStepResetAndFinalObs(t *testing.T) {
	bothPaths(t, func(t *testing.T, h *Host) {
		v, err := h.NewVector("gym:gym_fixtures:Chain", 2, 0, env.ResolverOptions{Kwargs: map[string]string{"n": "3", "limit": "4"}})
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		if v.Spec().Observation.Dim() != 3 || v.Spec().Action.N != 2 {
			t.Fatalf("spec %+v", v.Spec())
		}
		v.Reset()
		v.StepDiscrete([]int{1, 1})
		obs := v.StepDiscrete([]int{1, 0})
		// Copy 0 reached the end (state 2), copy 1 took the prize in state 1:
		// both terminated and were reset in the same step.
		if !v.Terminated()[0] || !v.Terminated()[1] || v.Rewards()[0] != 1 || v.Rewards()[1] != 0.1 || v.Truncated()[0] {
			t.Fatalf("terminated %v truncated %v rewards %v", v.Terminated(), v.Truncated(), v.Rewards())
		}
		wantFinal := []float64{0, 0, 1, 0, 1, 0}
		wantObs := []float64{1, 0, 0, 1, 0, 0}
		for i := range wantFinal {
			if v.FinalObs()[i] != wantFinal[i] || obs[i] != wantObs[i] {
				t.Fatalf("final obs %v, obs %v", v.FinalObs(), obs)
			}
		}

		long, err := h.NewVector("gym:gym_fixtures:Chain", 1, 0, env.ResolverOptions{Kwargs: map[string]string{"n": "10", "limit": "3"}})
		if err != nil {
			t.Fatal(err)
		}
		defer long.Close()
		long.Reset()
		for i := 0; i < 3; i++ {
			long.StepDiscrete([]int{1})
		}
		if !long.Truncated()[0] || long.Terminated()[0] || long.FinalObs()[3] != 1 || long.Obs()[0] != 1 {
			t.Fatalf("after the limit: truncated %v terminated %v final %v obs %v", long.Truncated(), long.Terminated(), long.FinalObs(), long.Obs())
		}
	})
}

func TestImageObservations(t *testing.T) {
	bothPaths(t, func(t *testing.T, h *Host) {
		v, err := h.NewVector("gym:gym_fixtures:Noisy", 3, 5, env.ResolverOptions{Kwargs: map[string]string{"shape": "(2, 3, 4)", "dtype": "uint8"}})
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		s := v.Spec().Observation
		if s.String() != "Box[2 3 4]" || s.Dim() != 24 || v.ObsDType() != "uint8" || v.Spec().Action.Dim() != 2 {
			t.Fatalf("space %s dtype %s", s, v.ObsDType())
		}
		obs := v.Reset()
		big := false
		for _, x := range obs {
			if x != float64(int(x)) || x < 0 || x > 255 {
				t.Fatalf("uint8 observation %v", x)
			}
			big = big || x > 1
		}
		if !big {
			t.Fatal("observations all 0 or 1: not the uint8 draws")
		}
		v.StepContinuous([]float64{0.5, 0.5, 1, 1, 0, 0})
		if r := v.Rewards(); r[0] != 1 || r[1] != 2 || r[2] != 0 {
			t.Fatalf("rewards %v", r)
		}
	})
}

func TestErrors(t *testing.T) {
	h := testHost(t)
	tests := []struct {
		id   string
		want string
	}{
		{"gym:gym_fixtures:DictObs", "the observation space is Dict"},
		{"gym:NoSuch-v0", "gym:NoSuch-v0"},
		{"gym:", "want gym:ID"},
		{"gym:no_such_module_q:Env", "add the module's directory to PYTHONPATH"},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			_, err := h.Lookup(tt.id, env.ResolverOptions{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			var re *worker.RemoteError
			if tt.id != "gym:" && !errors.As(err, &re) {
				t.Errorf("the worker's error is not in the chain: %v", err)
			}
		})
	}
}

func TestExceptionInsideTheEnv(t *testing.T) {
	bothPaths(t, func(t *testing.T, h *Host) {
		v, err := h.NewVector("gym:gym_fixtures:Exploding", 2, 0, env.ResolverOptions{Kwargs: map[string]string{"at": "2"}})
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		err = func() (err error) {
			defer env.Recover(&err)
			v.Reset()
			v.StepDiscrete([]int{0, 1})
			v.StepDiscrete([]int{0, 1})
			return nil
		}()
		want := "gym:gym_fixtures:Exploding copy 0 step 2: ValueError: the reactor overheated"
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Fatalf("error %q, want it to start with %q", err, want)
		}
		// A bad action is refused on the Go side, as Go environments do.
		err = func() (err error) {
			defer env.Recover(&err)
			v.StepDiscrete([]int{0, 2})
			return nil
		}()
		var ae *env.ActionError
		if !errors.As(err, &ae) {
			t.Fatalf("error %v, want an ActionError", err)
		}
	})
}

func TestResolverServesGymIDs(t *testing.T) {
	t.Setenv("XLRL_PYTHON", workertest.Python(t))
	e, err := env.Make("gym:gym_fixtures:Chain", env.WithKwarg("n", "4"))
	if err != nil {
		t.Fatal(err)
	}
	if e.Spec().Observation.Dim() != 4 || e.Spec().ID != "gym:gym_fixtures:Chain" {
		t.Fatalf("spec %+v", e.Spec())
	}
	if s, err := env.LookupWith("gym:gym_fixtures:Chain", env.WithKwarg("n", "5")); err != nil || s.Observation.Dim() != 5 {
		t.Fatalf("spec %+v, %v", s, err)
	}
	v, err := env.MakeVector("gym:CartPole-v1", 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if len(v.Reset()) != 16 {
		t.Fatal("vector of 4 CartPoles")
	}
	if _, err := env.Make("gym:CartPole-v1", env.WithSlippery(true)); err == nil || !strings.Contains(err.Error(), "--env-kwargs") {
		t.Fatalf("Go option on a gym id: %v", err)
	}
}

// TestEvaluationOverCopiesPlaysEachEpisodeAsAlone: trainloop.PlayEpisodes
// plays a worker-hosted environment's episodes over copies (EvalCopies);
// every episode's return is the one the same episode earns played alone:
// copy i of the copies seeded with s plays the consecutive episodes of an
// Env seeded s+i, taking the next episode to play whenever one of its own
// ends (copies in index order).
func TestEvaluationOverCopiesPlaysEachEpisodeAsAlone(t *testing.T) {
	bothPaths(t, func(t *testing.T, h *Host) {
		act := func(obs []float64) env.Action { // leans with the pole: episodes of varied length
			if obs[2] > 0 {
				return env.DiscreteAction(1)
			}
			return env.DiscreteAction(0)
		}
		for _, episodes := range []int{7, 40} {
			e, err := h.Make("gym:CartPole-v1", env.ResolverOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			e.Seed(11)
			terminated := 0
			ev, err := trainloop.PlayEpisodes(context.Background(), e, episodes, act, func(_ float64, term bool) {
				if term {
					terminated++
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			n := min(episodes, trainloop.MaxEvalCopies)
			if e.copies == nil || e.copies.Len() != n || len(ev.Returns) != episodes {
				t.Fatalf("%d episodes: %d returns", episodes, len(ev.Returns))
			}
			want := scheduleAlone(t, h, 11, n, episodes, act)
			distinct := map[float64]bool{}
			for j := range want {
				distinct[want[j]] = true
				if ev.Returns[j] != want[j] {
					t.Errorf("%d episodes: episode %d returned %v over copies, %v alone", episodes, j, ev.Returns[j], want[j])
				}
			}
			if len(distinct) < 3 || terminated != episodes {
				t.Errorf("%d episodes: %d distinct returns, %d terminated", episodes, len(distinct), terminated)
			}
		}
	})
}

// scheduleAlone plays each copy's episodes alone (an Env seeded seed+i)
// and returns episode j's return under PlayEpisodes' schedule.
func scheduleAlone(t *testing.T, h *Host, seed uint64, n, episodes int, act func([]float64) env.Action) []float64 {
	alone, err := h.Make("gym:CartPole-v1", env.ResolverOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer alone.Close()
	rets, lens := make([][]float64, n), make([][]int, n)
	for i := range n {
		alone.Seed(seed + uint64(i))
		for range episodes - n + 1 {
			r, l := playAlone(alone, act)
			rets[i], lens[i] = append(rets[i], r), append(lens[i], l)
		}
	}
	want := make([]float64, episodes)
	next, endAt, playing := make([]int, n), make([]int, n), make([]bool, n)
	for i := range n {
		want[i], endAt[i], next[i], playing[i] = rets[i][0], lens[i][0], 1, true
	}
	for started, finished, step := n, 0, 1; finished < episodes; step++ {
		for i := range n {
			if !playing[i] || endAt[i] != step {
				continue
			}
			finished++
			playing[i] = started < episodes
			if playing[i] {
				want[started], endAt[i] = rets[i][next[i]], step+lens[i][next[i]]
				next[i]++
				started++
			}
		}
	}
	return want
}

func playAlone(e *Env, act func([]float64) env.Action) (float64, int) {
	obs := e.Reset()
	var ret float64
	for n := 1; ; n++ {
		o, r, term, trunc := e.Step(act(obs))
		ret += r
		if term || trunc {
			return ret, n
		}
		obs = o
	}
}

// TestEvaluationOverCopiesContinuousActions: Box actions travel per copy
// (copy i's slice of the vector's actions), episode by episode as alone.
func TestEvaluationOverCopiesContinuousActions(t *testing.T) {
	bothPaths(t, func(t *testing.T, h *Host) {
		act := func(obs []float64) env.Action { return env.Action{Continuous: []float64{-2 * obs[2]}} } // damps the swing
		e, err := h.Make("gym:Pendulum-v1", env.ResolverOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		e.Seed(5)
		ev, err := trainloop.PlayEpisodes(context.Background(), e, 3, act, nil)
		if err != nil {
			t.Fatal(err)
		}
		alone, err := h.Make("gym:Pendulum-v1", env.ResolverOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer alone.Close()
		for i, got := range ev.Returns {
			alone.Seed(5 + uint64(i))
			if want, _ := playAlone(alone, act); got != want || (i > 0 && got == ev.Returns[0]) {
				t.Errorf("episode %d returned %v over copies, %v alone (returns %v)", i, got, want, ev.Returns)
			}
		}
	})
}
