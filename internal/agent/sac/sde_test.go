package sac

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/xlrl/xlrl/internal/agent/learncheck"
	"github.com/xlrl/xlrl/internal/backend"
)

func smallSDE(act string, logStdInit float64) Config {
	c := small()
	c.UseSDE, c.LogStdInit, c.Activation = true, logStdInit, act
	return c
}

func newSDETrainer(t *testing.T, cfg Config) *trainer {
	t.Helper()
	tr, _, err := newTrainer(context.Background(), cfg, learncheck.Maker("Pendulum-v1"), backend.NewGo(), 4)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestSDEGradMatchesFiniteDifferences: the gSDE actor loss's gradients
// (through the action's noise and mean, the log-probability's variance and
// the learned features) with respect to the actor's weights and to
// log_std are the loss's derivatives, the exploration matrix's standard
// normal draws held fixed (a reparameterised sample).
func TestSDEGradMatchesFiniteDifferences(t *testing.T) {
	for _, c := range []struct {
		act        string
		logStdInit float64
		obsScale   float64 // 8: most means beyond the clip
	}{{"relu", -3.67, 2}, {"relu", -0.5, 2}, {"tanh", -1, 2}, {"tanh", 0.3, 2}, {"relu", -1, 8}} {
		t.Run(fmt.Sprintf("%s/log_std_init=%v/obs*%v", c.act, c.logStdInit, c.obsScale), func(t *testing.T) {
			tr := newSDETrainer(t, smallSDE(c.act, c.logStdInit))
			s := tr.sde
			rng := rand.New(rand.NewPCG(5, 5))
			n := tr.cfg.BatchSize
			obs := make([]float32, n*tr.ObsDim)
			for i := range obs {
				obs[i] = float32(c.obsScale * rng.NormFloat64())
			}
			for i := range s.logStd { // log_std away from its uniform start
				s.logStd[i] += float32(0.3 * rng.NormFloat64())
			}
			s.resample(tr)
			eps := make([]float64, len(s.expl))
			for i, x := range s.expl {
				eps[i] = float64(x) / math.Exp(float64(s.logStd[i]))
			}
			const alpha = 0.3
			inv := 1 / float64(n)
			w := &tr.w
			loss := func() float64 {
				for i := range s.expl {
					s.expl[i] = float32(math.Exp(float64(s.logStd[i])) * eps[i])
				}
				s.forward(s.pi, obs, n)
				copy(w.aPi, s.pi.a)
				copy(w.logp, s.pi.logp)
				return tr.criticActionGrad(obs, n, alpha)
			}
			loss()
			var clipped int
			for _, m := range s.pi.mu {
				if math.Abs(float64(m)) >= ClipMean {
					clipped++
				}
			}
			t.Logf("%d of %d means beyond the clip", clipped, n)
			s.grad(s.pi, n, w.dA, alpha*inv)
			copy(s.body.OutputGrad(s.pi.wsB, n), s.pi.dz)
			s.body.Backward(s.pi.wsB, n)
			copy(s.head.OutputGrad(s.pi.wsH, n), s.pi.dmu)
			s.head.Backward(s.pi.wsH, n)
			grad := slices.Concat(s.pi.wsB.Grad, s.pi.wsH.Grad)
			gLS := make([]float32, len(s.gLogStd))
			for i, g := range s.gLogStd {
				gLS[i] = float32(g)
			}
			everyGradMatches(t, "actor", tr.Actor.Params, grad, loss)
			everyGradMatches(t, "log_std", s.logStd, gLS, loss)
		})
	}
}

// everyGradMatches checks every parameter's derivative by central
// differences of step 1e-4; where a relu kink lies within the step (a
// hidden unit within 1e-4 of zero on some row), backprop's derivative must
// match one of the one-sided differences instead.
func everyGradMatches(t *testing.T, name string, params, grad []float32, loss func() float64) {
	t.Helper()
	const h = 1e-4
	near := func(g, num float64) bool { return math.Abs(g-num) <= 3e-3*(1+math.Abs(num)) }
	l0 := loss()
	var largest float64
	for i, orig := range params {
		params[i] = orig + h
		up := loss()
		params[i] = orig - h
		down := loss()
		params[i] = orig
		num, g := (up-down)/(2*h), float64(grad[i])
		largest = math.Max(largest, math.Abs(num))
		if !near(g, num) && !near(g, (up-l0)/h) && !near(g, (l0-down)/h) {
			t.Fatalf("%s parameter %d: backprop %v, finite differences %v", name, i, g, num)
		}
	}
	if largest == 0 {
		t.Fatalf("%s: every derivative is zero: the check proves nothing", name)
	}
}

// TestSDENoiseHasTheLogProbVariance: over many exploration matrices, the
// pre-tanh action of one state has the mean and variance of the Gaussian
// whose log-probability the actor uses.
func TestSDENoiseHasTheLogProbVariance(t *testing.T) {
	tr := newSDETrainer(t, smallSDE("relu", -1))
	s := tr.sde
	obs := []float32{0.3, -0.8, 1.5}
	const m = 20_000
	var sum, sq float64
	for k := 0; k < m; k++ {
		s.resample(tr)
		s.forward(s.one, obs, 1)
		e := math.Atanh(float64(s.one.a[0])) - float64(s.one.mu[0]) // the mean is checked to be inside the clip below
		sum += e
		sq += e * e
	}
	if math.Abs(float64(s.one.mu[0])) >= ClipMean {
		t.Fatalf("the mean %v is clipped: the check needs one inside", s.one.mu[0])
	}
	mean, v := sum/m, sq/m-(sum/m)*(sum/m)
	want := s.one.s2[0] - sdeEpsilon
	if math.Abs(mean) > 4*math.Sqrt(want/m) || math.Abs(v/want-1) > 0.05 {
		t.Errorf("noise mean %v and variance %v, want 0 and %v", mean, v, want)
	}
}

// TestSDEResamplesPerRollout: the exploration matrix changes at a
// rollout's start and, with sde_sample_freq, every that many steps, and
// not otherwise.
func TestSDEResamplesPerRollout(t *testing.T) {
	for _, c := range []struct {
		freq      int
		collected []int
		want      []bool
	}{
		{-1, []int{0, 1, 4, 31, 0}, []bool{true, false, false, false, true}},
		{4, []int{0, 1, 3, 4, 8, 9}, []bool{true, false, false, true, true, false}},
	} {
		cfg := smallSDE("relu", -3.67)
		cfg.SDESampleFreq = c.freq
		tr := newSDETrainer(t, cfg)
		for i, k := range c.collected {
			before := slices.Clone(tr.sde.expl)
			tr.sde.rolloutStep(tr, k)
			if changed := !slices.Equal(before, tr.sde.expl); changed != c.want[i] {
				t.Errorf("sde_sample_freq %d, %d steps collected: resampled %v, want %v", c.freq, k, changed, c.want[i])
			}
		}
	}
}

// TestSDEStartsAtLogStdInit: log_std starts at log_std_init everywhere
// (SB3: the initial std per feature is exp(-3.67) = 0.025), the actor
// outputs the mean only, and the deterministic policy clips it.
func TestSDEStartsAtLogStdInit(t *testing.T) {
	tr := newSDETrainer(t, smallSDE("relu", -3.67))
	s := tr.sde
	if len(s.logStd) != 16*tr.ActDim || tr.Actor.Out() != tr.ActDim {
		t.Fatalf("log_std has %d values, the actor %d outputs", len(s.logStd), tr.Actor.Out())
	}
	for _, v := range s.logStd {
		if v != float32(-3.67) {
			t.Fatalf("log_std starts at %v", v)
		}
	}
	if tr.Res.Policy.ClipMean != ClipMean {
		t.Errorf("the deterministic policy clips at %v", tr.Res.Policy.ClipMean)
	}
}

// TestSDEGoAndTFTrainAlike: a short gSDE run (300 gradient steps) trains
// the split actor to nearly the same weights on both backends, and the
// configuration without a hidden layer is refused.
func TestSDEGoAndTFTrainAlike(t *testing.T) {
	ctx := context.Background()
	cfg := smallSDE("relu", -2)
	g, err := Train(ctx, cfg, learncheck.Maker("Pendulum-v1"), backend.NewGo(), 7, nil)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Train(ctx, cfg, learncheck.Maker("Pendulum-v1"), backend.NewTF(learncheck.StartWorker(t)), 7, nil)
	if err != nil {
		t.Fatal(err)
	}
	if g.GradSteps != 300 || f.GradSteps != 300 || g.Policy.Net.Out() != 1 {
		t.Fatalf("gradient steps: go %d, tf %d; %d policy outputs", g.GradSteps, f.GradSteps, g.Policy.Net.Out())
	}
	learncheck.Near(t, "actor", g.Policy.Net.Params, f.Policy.Net.Params, 2e-3)
	learncheck.Near(t, "q1", g.Q1.Params, f.Q1.Params, 2e-3)
	learncheck.Near(t, "q2", g.Q2.Params, f.Q2.Params, 2e-3)
	cfg.Hidden = nil
	if err := cfg.Validate(); err == nil {
		t.Error("use_sde without a hidden layer was accepted")
	}
}
