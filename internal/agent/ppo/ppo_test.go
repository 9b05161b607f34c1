package ppo

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/xlrl/xlrl/internal/agent/trainloop"
	"github.com/xlrl/xlrl/internal/backend"
	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/nn"
	"github.com/xlrl/xlrl/internal/worker"
	"github.com/xlrl/xlrl/internal/worker/workertest"
)

func maker(id string) trainloop.EnvFactory {
	return func() (env.Env, error) { return env.Make(id) }
}

// fakeRollout fills a rollout with random observations, actions, returns
// and old log-probabilities near the current ones (ratios in about
// [0.7, 1.4], so that some rows are clipped).
func fakeRollout(t *testing.T, tr *trainer, rng *rand.Rand) *rollout {
	t.Helper()
	r := tr.newRollout()
	n := tr.cfg.NEnvs * tr.cfg.NSteps
	for i := range r.x {
		r.x[i] = float32(rng.NormFloat64())
	}
	for row := 0; row < n; row++ {
		if tr.box {
			for j := 0; j < tr.nOut; j++ {
				r.aBox[row*tr.nOut+j] = float32(rng.NormFloat64())
			}
		} else {
			r.aDisc[row] = int32(rng.IntN(tr.nOut))
		}
		r.adv[row] = float32(rng.NormFloat64())
		r.ret[row] = float32(rng.NormFloat64())
		r.val[row] = float32(rng.NormFloat64() * 0.3)
	}
	// old log-probabilities: the current ones shifted by up to +-0.35
	for row := 0; row < n; row++ {
		r.logp[row] = float32(tr.logProb(r, row) + 0.35*(2*rng.Float64()-1))
	}
	return r
}

// logProb is the current policy's log-probability of the rollout's action
// at row, computed independently of gradients().
func (tr *trainer) logProb(r *rollout, row int) float64 {
	x := r.x[row*tr.obsDim : (row+1)*tr.obsDim]
	out := tr.pi.Forward(tr.pi.NewWorkspace(1), x, 1)
	if !tr.box {
		lp := make([]float64, tr.nOut)
		nn.LogSoftmax(out, lp)
		return lp[r.aDisc[row]]
	}
	var s float64
	for j := 0; j < tr.nOut; j++ {
		sd := math.Exp(float64(tr.logStd[j]))
		z := (float64(r.aBox[row*tr.nOut+j]) - float64(out[j])) / sd
		s += -0.5*z*z - math.Log(sd) - 0.5*math.Log(2*math.Pi)
	}
	return s
}

// TestGradientsMatchFiniteDifferences: the output gradients gradients()
// writes, backpropagated, are the derivatives of the PPO loss it reports
// (clipped surrogate - ent_coef * entropy + vf_coef * clipped value loss),
// for Discrete and Box actions, with respect to the policy's and value's
// weights and the log standard deviation.
func TestGradientsMatchFiniteDifferences(t *testing.T) {
	for _, id := range []string{"CartPole-v1", "Pendulum-v1", "Acrobot-v1"} {
		t.Run(id, func(t *testing.T) {
			cfg := Default()
			cfg.Hidden, cfg.NEnvs, cfg.NSteps, cfg.BatchSize = []int{8}, 2, 12, 24
			cfg.EntCoef, cfg.ClipRangeVF, cfg.LogStdInit, cfg.EvalEvery = 0.05, 0.2, -0.3, 0
			cfg.OrthoInit = false // Glorot weights give the value net large enough gradients
			tr, _, err := newTrainer(context.Background(), cfg, maker(id), backend.NewGo(), 3)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(9, 9))
			r := fakeRollout(t, tr, rng)
			n := cfg.NEnvs * cfg.NSteps
			mb := tr.newMinibatch(n, n)
			rows := mb.idx[:n]
			const clip = 0.2
			loss := func() float64 {
				st := tr.gradients(r, mb, rows, clip)
				return st.pl - cfg.EntCoef*st.ent + cfg.VFCoef*st.vl
			}
			loss()
			grad := func(net *nn.MLP, dOut []float32) []float32 {
				ws := net.NewWorkspace(n)
				net.Forward(ws, mb.x, n)
				copy(net.OutputGrad(ws, n), dOut)
				net.Backward(ws, n)
				return append([]float32(nil), ws.Grad...)
			}
			gPi := grad(tr.pi, mb.dPi)
			gV := grad(tr.v, mb.dV)
			gLS := append([]float64(nil), mb.gLogStd...)
			check := func(what string, p []float32, analytic func(i int) float64, count int) {
				t.Helper()
				var largest float64
				for c := 0; c < count; c++ {
					i := rng.IntN(len(p))
					orig := p[i]
					p[i] = orig + 1e-3
					up := loss()
					p[i] = orig - 1e-3
					down := loss()
					p[i] = orig
					num := (up - down) / 2e-3
					largest = math.Max(largest, math.Abs(num))
					if a := analytic(i); math.Abs(a-num) > 3e-3*(1+math.Abs(num)) {
						t.Fatalf("%s[%d]: analytic %v, finite differences %v", what, i, a, num)
					}
				}
				if largest == 0 {
					t.Fatalf("%s: every sampled derivative is zero; the check proves nothing", what)
				}
			}
			check("policy weights", tr.pi.Params, func(i int) float64 { return float64(gPi[i]) }, 40)
			check("value weights", tr.v.Params, func(i int) float64 { return float64(gV[i]) }, 40)
			if tr.box {
				check("log std", tr.logStd, func(i int) float64 { return gLS[i] }, 3)
			}
		})
	}
}

// TestGAE: advantages and returns of a hand-computed rollout of one env,
// with a termination in the middle (no bootstrap across it).
func TestGAE(t *testing.T) {
	cfg := Default()
	cfg.NEnvs, cfg.NSteps, cfg.Gamma, cfg.GAELambda, cfg.EvalEvery = 1, 3, 0.5, 0.5, 0
	tr, _, err := newTrainer(context.Background(), cfg, maker("CartPole-v1"), backend.NewGo(), 1)
	if err != nil {
		t.Fatal(err)
	}
	r := tr.newRollout()
	copy(r.rew, []float32{1, 2, 3})
	copy(r.val, []float32{0.5, 1, 2})
	r.done[0] = true
	r.lastV[0] = 4
	tr.gae(r)
	// t=2: delta = 3 + 0.5*4 - 2 = 3, A = 3
	// t=1: delta = 2 + 0.5*2 - 1 = 2, A = 2 + 0.25*3 = 2.75
	// t=0 (terminal): delta = 1 - 0.5 = 0.5, A = 0.5
	want := []float32{0.5, 2.75, 3}
	for i, w := range want {
		if math.Abs(float64(r.adv[i]-w)) > 1e-6 || math.Abs(float64(r.ret[i]-(w+r.val[i]))) > 1e-6 {
			t.Fatalf("step %d: advantage %v return %v, want %v and %v", i, r.adv[i], r.ret[i], w, w+r.val[i])
		}
	}
}

// TestTruncationBootstraps: a time limit adds gamma V(final observation) to
// the truncated step's reward; a termination does not.
func TestTruncationBootstraps(t *testing.T) {
	cfg := Default()
	cfg.NEnvs, cfg.NSteps, cfg.BatchSize, cfg.Epochs, cfg.Steps, cfg.EvalEvery = 2, 16, 16, 1, 32, 0
	mk := func() (env.Env, error) { return env.Make("CartPole-v1", env.WithMaxEpisodeSteps(5)) }
	tr, envs, err := newTrainer(context.Background(), cfg, mk, backend.NewGo(), 2)
	if err != nil {
		t.Fatal(err)
	}
	r := tr.newRollout()
	tr.rolloutOnce(context.Background(), envs, r, 0, nil)
	bootstrapped := 0
	for row := range r.rew {
		if r.done[row] && r.rew[row] != 1 {
			bootstrapped++
		}
		if !r.done[row] && r.rew[row] != 1 {
			t.Fatalf("row %d: reward %v on a step that did not end an episode", row, r.rew[row])
		}
	}
	if bootstrapped == 0 {
		t.Fatal("no truncated step got its bootstrap")
	}
}

// TestGoAndTFTrainAlike: a short PPO run (two updates) on the tf backend
// ends with the same weights as on the go backend, for Discrete and Box.
func TestGoAndTFTrainAlike(t *testing.T) {
	c := startWorker(t)
	for _, id := range []string{"CartPole-v1", "Pendulum-v1"} {
		t.Run(id, func(t *testing.T) {
			cfg := Default()
			cfg.Hidden, cfg.NEnvs, cfg.NSteps, cfg.BatchSize, cfg.Epochs, cfg.Steps, cfg.EvalEvery = []int{16}, 2, 32, 32, 2, 128, 0
			cfg.LinearLR, cfg.LR = true, 3e-3
			ctx := context.Background()
			g, err := Train(ctx, cfg, maker(id), backend.NewGo(), 5, nil)
			if err != nil {
				t.Fatal(err)
			}
			f, err := Train(ctx, cfg, maker(id), backend.NewTF(c), 5, nil)
			if err != nil {
				t.Fatal(err)
			}
			if g.Updates != 8 || f.Updates != 8 {
				t.Fatalf("updates: go %d, tf %d, want 8", g.Updates, f.Updates)
			}
			for i, p := range g.Policy.Net.Params {
				if math.Abs(float64(p-f.Policy.Net.Params[i])) > 1e-4 {
					t.Fatalf("policy parameter %d: go %v, tf %v", i, p, f.Policy.Net.Params[i])
				}
			}
			for i, p := range g.Value.Params {
				if math.Abs(float64(p-f.Value.Params[i])) > 1e-4 {
					t.Fatalf("value parameter %d: go %v, tf %v", i, p, f.Value.Params[i])
				}
			}
			for i, s := range g.Policy.LogStd {
				if math.Abs(s-f.Policy.LogStd[i]) > 1e-5 || s == 0 {
					t.Fatalf("log std %d: go %v, tf %v (and it must have moved from 0)", i, s, f.Policy.LogStd[i])
				}
			}
		})
	}
}

// startWorker starts the Python worker for the tf backend; the test fails
// (with the fix) when it cannot.
func startWorker(t *testing.T) *worker.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := worker.Start(ctx, worker.Options{Python: workertest.Python(t)})
	if err != nil {
		t.Fatalf("the tf backend needs the Python worker (run `make venv`, or set XLRL_PYTHON): %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
