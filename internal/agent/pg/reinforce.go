package pg

import (
	"context"
	"time"

	"github.com/xlrl/xlrl/internal/agent/trainloop"
	"github.com/xlrl/xlrl/internal/backend"
	"github.com/xlrl/xlrl/internal/env"
)

// TrainREINFORCE runs REINFORCE with a learned baseline: each update
// collects cfg.Episodes complete episodes with the stochastic policy, takes
// one policy-gradient step on all their steps with advantage G_t - V(s_t),
// and cfg.VFSteps value steps regressing V(s_t) onto G_t.
func TrainREINFORCE(ctx context.Context, cfg REINFORCEConfig, mk trainloop.EnvFactory, be backend.Backend, seed uint64, h *trainloop.Hooks) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a, e, err := newAgent(ctx, "reinforce", cfg.Common, mk, be, seed, h)
	if err != nil {
		return nil, err
	}
	d := a.obsDim
	var (
		xs       []float32
		acts     []int32
		rews     []float32
		adv, ret []float32
		epStart  []int // first row of each episode in xs
		pb, vb   *backend.Batches
		one      = make([]float32, d)
		act1     = make([]int32, 1)
		v1       = make([]float32, 1)
	)
	step := 0
	for step < cfg.Steps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		prev := step
		xs, acts, rews, ret, epStart = xs[:0], acts[:0], rews[:0], ret[:0], epStart[:0]
		for ep := 0; ep < cfg.Episodes && step < cfg.Steps; ep++ {
			t0 := time.Now()
			obs := e.Reset()
			a.clock.Env += time.Since(t0)
			epStart = append(epStart, len(acts))
			for {
				for j, v := range obs {
					one[j] = float32(v)
				}
				t0 := time.Now()
				a.sample(one, 1, act1)
				a.clock.Forward += time.Since(t0)
				t0 = time.Now()
				next, r, term, trunc := e.Step(env.DiscreteAction(int(act1[0])))
				a.clock.Env += time.Since(t0)
				xs = append(xs, one...)
				acts = append(acts, act1[0])
				rews = append(rews, float32(r))
				a.eps.Add(r)
				step++
				if term || trunc || step >= cfg.Steps {
					// Bootstrap a cut-off episode from the value of where it stopped.
					var g float32
					if !term {
						for j, v := range next {
							one[j] = float32(v)
						}
						t0 := time.Now()
						a.values(one, 1, v1)
						a.clock.Forward += time.Since(t0)
						g = v1[0]
					}
					start := epStart[len(epStart)-1]
					ret = append(ret, make([]float32, len(rews)-start)...)
					for t := len(rews) - 1; t >= start; t-- {
						g = rews[t] + float32(cfg.Gamma)*g
						ret[t] = g
					}
					if term || trunc {
						a.eps.Done()
						r, n := a.eps.Last()
						a.hooks.OnEpisode(step, r, n)
					}
					break
				}
				obs = next
			}
		}
		n := len(acts)
		t0 := time.Now()
		adv = append(adv[:0], make([]float32, n)...)
		a.values(xs, n, adv)
		for i := range adv {
			adv[i] = ret[i] - adv[i]
		}
		a.normalize(adv)
		a.clock.Forward += time.Since(t0)
		if err := a.fit(ctx, xs, acts, adv, ret, n, cfg.VFSteps, &pb, &vb); err != nil {
			return nil, err
		}
		a.res.Steps = step
		stop, err := a.maybeEvaluate(ctx, step, prev)
		if err != nil {
			return nil, err
		}
		if stop {
			break
		}
	}
	return a.finish(ctx)
}
