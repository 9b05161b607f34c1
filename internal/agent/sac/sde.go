package sac

import (
	"context"
	"fmt"
	"math"

	"github.com/xlrl/xlrl/internal/agent/ac"
	"github.com/xlrl/xlrl/internal/backend"
	"github.com/xlrl/xlrl/internal/ckpt"
	"github.com/xlrl/xlrl/internal/nn"
)

// Generalized State-Dependent Exploration (gSDE, Raffin et al. 2021) as
// Stable-Baselines3's SAC actor uses it (StateDependentNoiseDistribution
// with full_std, learn_features=True, squash_output, use_expln=False):
//
//   - the actor outputs the mean mu only, clipped by Hardtanh to
//     [-ClipMean, ClipMean]; the features h are its last hidden layer;
//   - log_std is a parameter matrix L (dim(h) x dim(A)), initialised to
//     log_std_init, trained by an Adam of its own at the actor's learning
//     rate (SB3: the actor's optimiser; Adam is per parameter, so the
//     same); std S = exp(L), unclamped;
//   - the exploration matrix X = S * eps, eps ~ N(0, 1), is drawn at the
//     start of every rollout of train_freq steps (and every
//     sde_sample_freq steps within one when that is positive) and before
//     every gradient step; it is a reparameterised sample, so the losses
//     reach L through it;
//   - u = m + h X, a = tanh(u); the log-probability is that of
//     N(m, sqrt(h^2 S^2 + 1e-6)) at atanh(a) (a clamped to 1 - float32's
//     epsilon first, as SB3's TanhBijector.inverse), minus
//     log(1 - tanh(.)^2 + 1e-6);
//   - the gradients reach the features h (learn_features=True) through
//     the noise and the variance as well as through the mean;
//   - the deterministic action is tanh(m).
//
// The actor is trained as two networks sharing its parameters
// (ac.OffAgent.SplitActor), so that the gradient with respect to h is
// added to the hidden layers' before they backpropagate.

// ClipMean bounds the gSDE actor's mean, before tanh (SB3's SAC Actor
// clip_mean), in training and in the deterministic policy.
const ClipMean = 2.0

const (
	sdeEpsilon = 1e-6 // StateDependentNoiseDistribution's epsilon, added to the variance
	// atanhClamp is 1 - float32's machine epsilon: TanhBijector.inverse
	// clamps actions to +-atanhClamp before atanh.
	atanhClamp = 1 - 1.1920928955078125e-07
)

// gsde is the state gSDE adds to the trainer.
type gsde struct {
	body, head *nn.MLP // the actor's hidden layers (linear output) and output layer
	act        nn.Activation
	hid, d     int
	logStd     []float32 // (hid, d) row-major
	adam       *nn.Adam
	expl       []float32 // the exploration matrix, (hid, d)
	std2       []float64 // exp(2 logStd), refreshed by each forward pass
	freq       int       // sde_sample_freq
	pi, next   *sdePass  // the batch's states and next states
	one        *sdePass  // acting
	gLogStd    []float64
	gLS32      []float32
	dh         []float64
}

// sdePass is one forward pass of the gSDE actor on n rows and what its
// gradient needs.
type sdePass struct {
	wsB, wsH *nn.Workspace
	h        []float32 // features, n*hid
	s2       []float64 // n*d, the variance (with epsilon)
	mu       []float32 // n*d, the head's outputs (before Hardtanh)
	a        []float32 // n*d, tanh(u)
	logp     []float32 // n
	dz, dmu  []float32 // the body's and the head's output gradients
}

func newSDE(ctx context.Context, tr *trainer) (*gsde, error) {
	body, head, err := tr.SplitActor(ctx)
	if err != nil {
		return nil, err
	}
	act, _ := nn.ParseActivation(tr.cfg.Activation)
	hid, d := head.In(), tr.ActDim
	s := &gsde{body: body, head: head, act: act, hid: hid, d: d, freq: tr.cfg.SDESampleFreq,
		logStd: make([]float32, hid*d), adam: nn.NewAdam(tr.cfg.LR, hid*d),
		expl: make([]float32, hid*d), std2: make([]float64, hid*d),
		gLogStd: make([]float64, hid*d), gLS32: make([]float32, hid*d)}
	for i := range s.logStd {
		s.logStd[i] = float32(tr.cfg.LogStdInit)
	}
	s.pi, s.next, s.one = s.newPass(tr.cfg.BatchSize), s.newPass(tr.cfg.BatchSize), s.newPass(1)
	s.dh = make([]float64, tr.cfg.BatchSize*hid)
	tr.Res.Policy.ClipMean = ClipMean
	return s, nil
}

func (s *gsde) newPass(n int) *sdePass {
	f := func(k int) []float64 { return make([]float64, k) }
	return &sdePass{wsB: s.body.NewWorkspace(n), wsH: s.head.NewWorkspace(n), h: make([]float32, n*s.hid),
		s2: f(n * s.d), mu: make([]float32, n*s.d), a: make([]float32, n*s.d), logp: make([]float32, n),
		dz: make([]float32, n*s.hid), dmu: make([]float32, n*s.d)}
}

// resample draws a new exploration matrix exp(logStd) * eps from tr's
// generator (SB3's reset_noise).
func (s *gsde) resample(tr *trainer) {
	for i, ls := range s.logStd {
		s.expl[i] = float32(math.Exp(float64(ls)) * tr.Rng.NormFloat64())
	}
}

// rolloutStep resamples at the start of each rollout and, with a positive
// sde_sample_freq, every that many steps within it.
func (s *gsde) rolloutStep(tr *trainer, collected int) {
	if collected == 0 || (s.freq > 0 && collected%s.freq == 0) {
		s.resample(tr)
	}
}

// forward runs the actor on n rows of obs with the current exploration
// matrix, filling p: the squashed actions and their log-probabilities.
func (s *gsde) forward(p *sdePass, obs []float32, n int) {
	hid, d := s.hid, s.d
	for i, ls := range s.logStd {
		s.std2[i] = math.Exp(2 * float64(ls))
	}
	z := s.body.Forward(p.wsB, obs, n)
	for i, v := range z[:n*hid] {
		switch s.act {
		case nn.ReLU:
			v = max(v, 0)
		case nn.Tanh:
			v = float32(math.Tanh(float64(v)))
		}
		p.h[i] = v
	}
	mu := s.head.Forward(p.wsH, p.h, n)
	copy(p.mu, mu)
	for r := 0; r < n; r++ {
		h := p.h[r*hid : (r+1)*hid]
		var lp float64
		for j := 0; j < d; j++ {
			var noise, v float64
			for i, hi := range h {
				x := float64(hi)
				noise += x * float64(s.expl[i*d+j])
				v += x * x * s.std2[i*d+j]
			}
			k := r*d + j
			m := min(max(float64(mu[k]), -ClipMean), ClipMean)
			u := m + noise
			a := math.Tanh(u)
			s2 := v + sdeEpsilon
			x := math.Atanh(min(max(a, -atanhClamp), atanhClamp))
			e, t := x-m, math.Tanh(x)
			lp += -e*e/(2*s2) - 0.5*math.Log(s2) - 0.5*ac.Log2Pi - math.Log(1-t*t+1e-6)
			p.s2[k], p.a[k] = s2, float32(a)
		}
		p.logp[r] = float32(lp)
	}
}

// grad computes, for the loss sum_r (c logp_r + f(a_r)) with dA =
// df/da (n*d), the head's output gradient p.dmu, the body's p.dz and the
// gradient with respect to logStd into s.gLogStd; p is the forward pass
// the loss was computed from.
func (s *gsde) grad(p *sdePass, n int, dA []float32, c float64) {
	hid, d := s.hid, s.d
	clear(s.gLogStd)
	dh := s.dh[:n*hid]
	clear(dh)
	mu := p.mu
	for r := 0; r < n; r++ {
		h := p.h[r*hid : (r+1)*hid]
		dhr := dh[r*hid : (r+1)*hid]
		for j := 0; j < d; j++ {
			k := r*d + j
			a, s2 := float64(p.a[k]), p.s2[k]
			m := min(max(float64(mu[k]), -ClipMean), ClipMean)
			clamped := a < -atanhClamp || a > atanhClamp
			x := math.Atanh(min(max(a, -atanhClamp), atanhClamp))
			e, t := x-m, math.Tanh(x)
			// d logp/du through x = atanh(tanh(u)) (identity unless clamped).
			var dlx float64
			if !clamped {
				dlx = -e/s2 + 2*t*(1-t*t)/(1-t*t+1e-6)
			}
			gu := float64(dA[k])*(1-a*a) + c*dlx
			gm := gu + c*e/s2 // and through the Gaussian's own mean
			if raw := float64(mu[k]); raw <= -ClipMean || raw >= ClipMean {
				gm = 0 // Hardtanh
			}
			p.dmu[k] = float32(gm)
			gs2 := c * (e*e/(2*s2*s2) - 1/(2*s2))
			for i, hv := range h {
				hi := float64(hv)
				xij, sij := float64(s.expl[i*d+j]), s.std2[i*d+j]
				// u = m + sum_i h_i X_ij, X = exp(L) eps; var = sum_i h_i^2 exp(2L).
				s.gLogStd[i*d+j] += gu*hi*xij + gs2*2*hi*hi*sij
				dhr[i] += gu*xij + gs2*2*hi*sij
			}
		}
		// Through the head: dh += W dmu (W is (hid, d) row-major).
		w := s.head.Layers[0].W
		for i := range dhr {
			var g float64
			for j := 0; j < d; j++ {
				g += float64(w[i*d+j]) * float64(p.dmu[r*d+j])
			}
			dhr[i] += g
		}
	}
	for i, g := range dh {
		switch s.act {
		case nn.ReLU:
			if p.h[i] <= 0 {
				g = 0
			}
		case nn.Tanh:
			hi := float64(p.h[i])
			g *= 1 - hi*hi
		}
		p.dz[i] = float32(g)
	}
}

// step takes the actor's Adam step from the gradients grad left in p and
// s: the split actor's group and logStd's own Adam.
func (s *gsde) step(ctx context.Context, tr *trainer, p *sdePass, obs []float32, n int) error {
	batches := []backend.GradBatch{{X: obs, DOut: p.dz, N: n, WS: p.wsB}, {X: p.h, DOut: p.dmu, N: n, WS: p.wsH}}
	if _, err := tr.Pi.Step(ctx, batches, backend.StepOptions{}, tr.ActorNets); err != nil {
		return err
	}
	for i, g := range s.gLogStd {
		s.gLS32[i] = float32(g)
	}
	s.adam.Step(s.logStd, s.gLS32)
	return nil
}

// save and restore add log_std, its Adam moments and the current
// exploration matrix to a checkpoint (the generator is the agent's, which
// the shared state saves).
func (s *gsde) save(c *ckpt.Checkpoint) error {
	c.PutFloat32s("sde_exploration", s.expl)
	return ac.PutParam(c, "sde_log_std", s.logStd, s.adam)
}

func (s *gsde) restore(c *ckpt.Checkpoint) error {
	if err := ac.GetParam(c, "sde_log_std", s.logStd, s.adam); err != nil {
		return err
	}
	x, err := c.Float32s("sde_exploration", len(s.expl))
	if err != nil {
		return fmt.Errorf("sac: gSDE exploration matrix: %w", err)
	}
	copy(s.expl, x)
	return nil
}
