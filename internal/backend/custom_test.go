package backend

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/xlrl/xlrl/internal/nn"
)

// groupFixture is two networks of different shapes and a few steps' worth
// of inputs and output gradients, large enough that clipping bites.
type groupFixture struct {
	inits []*nn.MLP
	steps [][]GradBatch
}

func newGroupFixture(t *testing.T, seed uint64) groupFixture {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 99))
	a, err := nn.New(nn.Spec{In: 4, Hidden: []int{16, 8}, Act: nn.Tanh, Out: 3}, rng)
	if err != nil {
		t.Fatal(err)
	}
	b, err := nn.New(nn.Spec{In: 5, Hidden: []int{8}, Act: nn.ReLU, Out: 1}, rng)
	if err != nil {
		t.Fatal(err)
	}
	f := groupFixture{inits: []*nn.MLP{a, b}}
	randn := func(n int, s float64) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(s * rng.NormFloat64())
		}
		return v
	}
	for k := 0; k < 4; k++ {
		f.steps = append(f.steps, []GradBatch{
			{X: randn(32*4, 1), DOut: randn(32*3, 0.5), N: 32},
			{X: randn(20*5, 1), DOut: randn(20*1, 0.5), N: 20},
		})
	}
	return f
}

// TestGoAndTFGroupsAgree: from the same weights, inputs and output
// gradients the go and tf groups take the same clipped Adam steps (the same
// clipping factor, counting the caller's extra squared norm) and end in the
// same training state; a tf group restored from the go group's state then
// continues as the go group does.
func TestGoAndTFGroupsAgree(t *testing.T) {
	ctx := context.Background()
	tf := NewTF(sharedWorker(t))
	f := newGroupFixture(t, 1)
	cfg := GroupConfig{LR: 0.01, MaxGradNorm: 0.5}
	gg, err := NewGo().NewGroup(ctx, cfg, f.inits)
	if err != nil {
		t.Fatal(err)
	}
	tg, err := tf.NewGroup(ctx, cfg, f.inits)
	if err != nil {
		t.Fatal(err)
	}
	syncGo := []*nn.MLP{f.inits[0].Clone(), f.inits[1].Clone()}
	syncTF := []*nn.MLP{f.inits[0].Clone(), nil}
	clipped := false
	for k, batches := range f.steps {
		opts := StepOptions{ExtraSq: 0.01 * float64(k)}
		if k >= 2 {
			opts.LR = 0.003 // a schedule's later learning rate
		}
		sg, err := gg.Step(ctx, batches, opts, syncGo)
		if err != nil {
			t.Fatal(err)
		}
		st, err := tg.Step(ctx, batches, opts, syncTF)
		if err != nil {
			t.Fatal(err)
		}
		if !near(sg, st, 1e-4) {
			t.Fatalf("step %d: clipping factor go %v, tf %v", k, sg, st)
		}
		clipped = clipped || sg < 1
	}
	if !clipped {
		t.Fatal("no step was clipped: the check of the global norm proves nothing")
	}
	for j := range syncGo[0].Params {
		if math.Abs(float64(syncGo[0].Params[j]-syncTF[0].Params[j])) > 2e-5 {
			t.Fatalf("synced weights %d: go %v, tf %v", j, syncGo[0].Params[j], syncTF[0].Params[j])
		}
	}
	moved := false
	for j := range syncGo[0].Params {
		moved = moved || syncGo[0].Params[j] != f.inits[0].Params[j]
	}
	if !moved {
		t.Fatal("the steps did not change the weights")
	}
	sameStates := func(what string, got, want []NetState) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d states, want %d", what, len(got), len(want))
		}
		for i := range got {
			if got[i].Adam.T != want[i].Adam.T {
				t.Errorf("%s: net %d step count %d, want %d", what, i, got[i].Adam.T, want[i].Adam.T)
			}
			for _, v := range []struct {
				name      string
				got, want []float32
			}{{"params", got[i].Params, want[i].Params}, {"m", got[i].Adam.M, want[i].Adam.M}, {"v", got[i].Adam.V, want[i].Adam.V}} {
				if len(v.got) != len(v.want) {
					t.Fatalf("%s: net %d %s has %d values, want %d", what, i, v.name, len(v.got), len(v.want))
				}
				for j := range v.got {
					if math.Abs(float64(v.got[j]-v.want[j])) > 2e-5+1e-4*math.Abs(float64(v.want[j])) {
						t.Fatalf("%s: net %d %s[%d] = %g, want %g", what, i, v.name, j, v.got[j], v.want[j])
					}
				}
			}
		}
	}
	goState, err := gg.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tfState, err := tg.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sameStates("after 4 steps", tfState, goState)

	restored, err := tf.NewGroup(ctx, cfg, f.inits)
	if err != nil {
		t.Fatal(err)
	}
	if err := restored.Restore(ctx, goState); err != nil {
		t.Fatal(err)
	}
	more := newGroupFixture(t, 2)
	for _, batches := range more.steps { // a restored group has its configured rate: callers with a schedule pass theirs
		if _, err := gg.Step(ctx, batches, StepOptions{LR: 0.003}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := restored.Step(ctx, batches, StepOptions{LR: 0.003}, nil); err != nil {
			t.Fatal(err)
		}
	}
	goState, _ = gg.Snapshot(ctx)
	tfState, err = restored.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sameStates("restored, then 4 more steps", tfState, goState)
}

// TestGroupStepRejectsBadBatches: a step whose batches do not fit the
// networks fails with an error on both backends and changes nothing.
func TestGroupStepRejectsBadBatches(t *testing.T) {
	ctx := context.Background()
	f := newGroupFixture(t, 3)
	for _, be := range []GroupBackend{NewGo(), NewTF(sharedWorker(t))} {
		g, err := be.NewGroup(ctx, GroupConfig{LR: 0.01}, f.inits)
		if err != nil {
			t.Fatal(err)
		}
		short := []GradBatch{f.steps[0][0], {X: f.steps[0][1].X, DOut: f.steps[0][1].DOut[:3], N: 20}}
		for name, bad := range map[string][]GradBatch{"one batch for two nets": f.steps[0][:1], "short output gradients": short} {
			if _, err := g.Step(ctx, bad, StepOptions{}, nil); err == nil {
				t.Errorf("%s: %s accepted", be.Name(), name)
			}
		}
		s, _ := g.Snapshot(ctx)
		for j, v := range s[0].Params {
			if v != f.inits[0].Params[j] {
				t.Fatalf("%s: a rejected step changed the weights", be.Name())
			}
		}
	}
}

// TestGoGroupBackpropagatesFromTheCallersPass: a batch that carries the
// caller's forward pass (GradBatch.WS) takes exactly the step the group
// takes when it repeats the pass itself, and the pass is really the one
// used: a workspace of other rows gives another step.
func TestGoGroupBackpropagatesFromTheCallersPass(t *testing.T) {
	ctx := context.Background()
	f := newGroupFixture(t, 4)
	run := func(ws func(i int, b GradBatch, acting *nn.MLP) *nn.Workspace) []float32 {
		g, err := NewGo().NewGroup(ctx, GroupConfig{LR: 1e-2, MaxGradNorm: 0.5}, f.inits)
		if err != nil {
			t.Fatal(err)
		}
		acting := []*nn.MLP{f.inits[0].Clone(), f.inits[1].Clone()}
		for _, step := range f.steps {
			batches := append([]GradBatch(nil), step...)
			for i := range batches {
				batches[i].WS = ws(i, batches[i], acting[i])
			}
			if _, err := g.Step(ctx, batches, StepOptions{}, acting); err != nil {
				t.Fatal(err)
			}
		}
		return append(append([]float32(nil), acting[0].Params...), acting[1].Params...)
	}
	own := run(func(int, GradBatch, *nn.MLP) *nn.Workspace { return nil })
	callers := run(func(_ int, b GradBatch, acting *nn.MLP) *nn.Workspace {
		ws := acting.NewWorkspace(b.N)
		acting.Forward(ws, b.X, b.N)
		return ws
	})
	for i := range own {
		if own[i] != callers[i] {
			t.Fatalf("parameter %d: %v with the group's own pass, %v with the caller's", i, own[i], callers[i])
		}
	}
	other := run(func(_ int, b GradBatch, acting *nn.MLP) *nn.Workspace {
		ws := acting.NewWorkspace(b.N)
		x := append([]float32(nil), b.X...)
		for j := range x {
			x[j] *= -1
		}
		acting.Forward(ws, x, b.N)
		return ws
	})
	same := true
	for i := range own {
		same = same && own[i] == other[i]
	}
	if same {
		t.Fatal("a workspace of other rows gave the same step: the group ignores GradBatch.WS")
	}
}
