package ac

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/xlrl/xlrl/internal/backend"
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

// TestOffPolicyNetActsAsTheStoppedAgent: the actor OffPolicyNet reads
// from a SAC or TD3 training checkpoint acts as the agent would if it
// finished there: its best evaluated weights with their statistics when
// it evaluated (here the best is not the latest), else the latest with
// the current statistics; with and without normalisation, for SAC's 2
// dim(A) outputs and TD3's dim(A).
func TestOffPolicyNetActsAsTheStoppedAgent(t *testing.T) {
	for _, c := range []struct {
		name      string
		out       func(int) int
		normalize bool
		evals     int
	}{
		{"sac/latest", func(d int) int { return 2 * d }, false, 0},
		{"sac/latest/normalised", func(d int) int { return 2 * d }, true, 0},
		{"sac/best/normalised", func(d int) int { return 2 * d }, true, 4},
		{"td3/best", func(d int) int { return d }, false, 4},
		{"td3/best/normalised", func(d int) int { return d }, true, 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			cfg := OffDefaults([]int{8, 8}, 1e-3)
			cfg.NormalizeObs, cfg.EvalEvery, cfg.EvalEpisodes = c.normalize, min(c.evals, 1), 1
			mk := func() (env.Env, error) { return env.Make("Pendulum-v1") }
			g, e, err := NewOffAgent(ctx, "test", cfg, c.out, mk, backend.NewGo(), 3)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(5, 6))
			obs := make([]float64, 0, 3*g.ObsDim)
			e.Reset()
			// "Training": new weights and statistics, then an evaluation,
			// but none of the latest weights.
			for i := 1; i <= c.evals+1; i++ {
				st, err := g.Pi.Snapshot(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for j := range st[0].Params {
					st[0].Params[j] += float32(0.5 * rng.NormFloat64())
				}
				if err := g.Pi.Restore(ctx, st); err != nil {
					t.Fatal(err)
				}
				copy(g.Actor.Params, st[0].Params) // the Go copy, as the agents sync it
				if g.obsRMS != nil {
					obs = obs[:0]
					for range 3 {
						o, _, _, _ := e.Step(env.Action{Continuous: []float64{4*rng.Float64() - 2}})
						obs = append(obs, o...)
					}
					g.obsRMS.Update(obs, 3)
				}
				if i <= c.evals {
					if _, err := g.evaluate(ctx, 100*i); err != nil {
						t.Fatal(err)
					}
				}
			}
			cp := ckpt.New("test")
			if err := g.save(ctx, cp, cfg); err != nil {
				t.Fatal(err)
			}
			if err := PutStats(cp, "obs_rms", g.obsRMS); err != nil { // as OffPolicy.save does
				t.Fatal(err)
			}
			net, norm, _, err := OffPolicyNet(cp, g.ObsDim, g.ActDim)
			if err != nil {
				t.Fatal(err)
			}
			g.Res.Steps = g.lastEval // finish without another evaluation
			want, err := g.finish(ctx)
			if err != nil {
				t.Fatal(err)
			}
			got := &TanhPolicy{Net: net, Low: g.Low, High: g.High, ObsNorm: norm}
			if net.Out() != c.out(g.ActDim) || (norm == nil) != !c.normalize {
				t.Fatalf("an actor of %d outputs, statistics %v", net.Out(), norm)
			}
			for i := range 200 {
				o := []float64{2*rng.Float64() - 1, 2*rng.Float64() - 1, 16*rng.Float64() - 8}
				if a, b := got.Act(o).Continuous[0], want.Policy.Act(o).Continuous[0]; a != b {
					t.Fatalf("observation %d %v: the checkpoint's actor acts %v, the agent %v", i, o, a, b)
				}
			}
		})
	}
}

// TestOffPolicyNetRefusesWhatNoRunWrote: an actor whose weights fit no
// network of the saved configuration, or a checkpoint of another kind.
func TestOffPolicyNetRefusesWhatNoRunWrote(t *testing.T) {
	good := func() *ckpt.Checkpoint {
		c := ckpt.New("sac")
		cfg := OffDefaults([]int{4}, 1e-3)
		if err := c.PutJSON("agent", agentState{Config: []byte(`{"hidden":[4],"activation":"relu"}`), Steps: cfg.Steps}); err != nil {
			t.Fatal(err)
		}
		c.PutFloat32s("actor_0", make([]float32, (3+1)*4+(4+1)*2))
		if err := PutStats(c, "obs_rms", nil); err != nil {
			t.Fatal(err)
		}
		if err := c.PutJSON("best", bestState{Step: -1}); err != nil {
			t.Fatal(err)
		}
		return c
	}
	if _, _, _, err := OffPolicyNet(good(), 3, 1); err != nil {
		t.Fatalf("a consistent checkpoint: %v", err)
	}
	for _, c := range []struct {
		name  string
		spoil func(c *ckpt.Checkpoint)
	}{
		{"actor of odd size", func(c *ckpt.Checkpoint) { c.PutFloat32s("actor_0", make([]float32, 27)) }},
		{"actor too small for the action", func(c *ckpt.Checkpoint) { c.PutFloat32s("actor_0", make([]float32, 16)) }},
		{"no agent section", func(c *ckpt.Checkpoint) { *c = *ckpt.New("ppo") }},
		{"a hidden layer of 0", func(c *ckpt.Checkpoint) {
			_ = c.PutJSON("agent", agentState{Config: []byte(`{"hidden":[0],"activation":"relu"}`)})
		}},
		{"statistics the configuration does not keep", func(c *ckpt.Checkpoint) {
			_ = PutStats(c, "obs_rms", NewRunningMeanStd(3))
		}},
	} {
		cp := good()
		c.spoil(cp)
		if _, _, _, err := OffPolicyNet(cp, 3, 2); !errors.Is(err, ckpt.ErrBad) {
			t.Errorf("%s: err = %v, want ErrBad", c.name, err)
		}
	}
}
