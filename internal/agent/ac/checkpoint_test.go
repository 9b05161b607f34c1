package ac

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/xlrl/xlrl/internal/ckpt"
	"github.com/xlrl/xlrl/internal/env"
)

// TestTapeRebuildsAnEnvironmentMidEpisode: an environment replayed from
// its tape continues exactly as the original (observations, rewards, the
// time limit, the next episodes' starts); a tape that does not lead to the
// saved observation, or runs past the episode, is refused.
func TestTapeRebuildsAnEnvironmentMidEpisode(t *testing.T) {
	for _, id := range []string{"Pendulum-v1", "CartPole-v1", "MountainCarContinuous-v0"} {
		t.Run(id, func(t *testing.T) {
			orig, _ := env.Make(id)
			orig.Seed(11)
			spec := orig.Spec()
			rng := rand.New(rand.NewPCG(3, 4))
			act := func() env.Action {
				if spec.Action.Kind == env.Box {
					return env.Action{Continuous: []float64{spec.Action.Low[0] + rng.Float64()*(spec.Action.High[0]-spec.Action.Low[0])}}
				}
				return env.DiscreteAction(rng.IntN(spec.Action.N))
			}
			tape := NewTape(spec, true)
			obs := tape.Reset(orig)
			for i := 0; i < 250; i++ { // past CartPole's first episodes and into Pendulum's second
				o, _, term, trunc := tape.Step(orig, act())
				obs = o
				if term || trunc {
					obs = tape.Reset(orig)
				}
			}
			c := ckpt.New("test")
			if err := tape.Put(c, "env"); err != nil {
				t.Fatal(err)
			}
			saved := slices.Clone(obs)
			copyEnv, _ := env.Make(id)
			again := NewTape(spec, true)
			if err := again.Replay(c, "env", copyEnv, saved); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 600; i++ {
				a := act()
				o1, r1, te1, tr1 := tape.Step(orig, a)
				o2, r2, te2, tr2 := again.Step(copyEnv, a)
				if !slices.Equal(o1, o2) || r1 != r2 || te1 != te2 || tr1 != tr2 {
					t.Fatalf("step %d after the replay: %v %v %v %v, the original %v %v %v %v", i, o2, r2, te2, tr2, o1, r1, te1, tr1)
				}
				if te1 || tr1 {
					if !slices.Equal(tape.Reset(orig), again.Reset(copyEnv)) {
						t.Fatalf("step %d: the next episodes start apart", i)
					}
				}
			}
			saved[0] += 1
			if err := NewTape(spec, true).Replay(c, "env", copyEnv, saved); !errors.Is(err, ckpt.ErrBad) {
				t.Errorf("a tape that does not reach the saved observation: err = %v", err)
			}
		})
	}
}

// TestReplayPutGet: a buffer saved and restored samples the same batches;
// another capacity or impossible positions are refused.
func TestReplayPutGet(t *testing.T) {
	b, _ := NewReplay(8, 2, 1)
	for i := 0; i < 11; i++ {
		f := float32(i)
		b.Add([]float32{f, -f}, []float32{f / 10}, f, []float32{f + 1, -f - 1}, i%3 == 0)
	}
	c := ckpt.New("test")
	if err := b.Put(c, "replay"); err != nil {
		t.Fatal(err)
	}
	r, _ := NewReplay(8, 2, 1)
	if err := r.Get(c, "replay"); err != nil {
		t.Fatal(err)
	}
	x, y := b.NewBatch(16), r.NewBatch(16)
	b.Sample(rand.New(rand.NewPCG(1, 1)), x)
	r.Sample(rand.New(rand.NewPCG(1, 1)), y)
	if !slices.Equal(x.Obs, y.Obs) || !slices.Equal(x.Next, y.Next) || !slices.Equal(x.Act, y.Act) || !slices.Equal(x.Rew, y.Rew) || !slices.Equal(x.Term, y.Term) {
		t.Fatal("the restored buffer samples other transitions")
	}
	small, _ := NewReplay(4, 2, 1)
	if err := small.Get(c, "replay"); !errors.Is(err, ckpt.ErrBad) {
		t.Errorf("a buffer of 8 into one of 4: err = %v", err)
	}
	if err := c.PutJSON("replay", replayState{Size: 3, Next: 5}); err != nil {
		t.Fatal(err)
	}
	if err := r.Get(c, "replay"); !errors.Is(err, ckpt.ErrBad) {
		t.Errorf("a part-filled buffer whose next slot is not its size: err = %v", err)
	}
}
