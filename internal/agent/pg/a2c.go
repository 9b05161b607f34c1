package pg

import (
	"context"
	"time"

	"github.com/xlrl/xlrl/internal/agent/trainloop"
	"github.com/xlrl/xlrl/internal/backend"
	"github.com/xlrl/xlrl/internal/env"
)

// TrainA2C runs A2C: cfg.NEnvs environments step in lockstep for cfg.NSteps
// steps, then one policy step and one value step on the NEnvs*NSteps rows,
// with n-step returns bootstrapped from V of the last observation.
func TrainA2C(ctx context.Context, cfg A2CConfig, mk trainloop.EnvFactory, be backend.Backend, seed uint64, h *trainloop.Hooks) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	mk = mk.Vectors() // for the extra environments below; newAgent does the same
	a, first, err := newAgent(ctx, "a2c", cfg.Common, mk, be, seed, h)
	if err != nil {
		return nil, err
	}
	ne, ns, d := cfg.NEnvs, cfg.NSteps, a.obsDim
	envs := []env.Env{first}
	for i := 1; i < ne; i++ {
		e, err := mk()
		if err != nil {
			return nil, err
		}
		e.Seed(trainloop.Mix(trainloop.Mix(seed, trainloop.StreamTrainEnv), uint64(i)))
		envs = append(envs, e)
	}
	n := ne * ns
	var (
		obs    = make([]float32, ne*d) // current observation of each env
		xs     = make([]float32, n*d)  // rows are [t][env]
		acts   = make([]int32, n)
		rews   = make([]float32, n)
		term   = make([]bool, n)    // the step ended the episode without bootstrapping
		cut    = make([]bool, n)    // the step ended the episode by truncation
		boot   = make([]float32, n) // V(final obs) for truncated steps
		ret    = make([]float32, n)
		adv    = make([]float32, n)
		stepA  = make([]int32, ne)
		epRet  = make([]float64, ne) // each env's running episode return and length
		epLen  = make([]int, ne)
		lastV  = make([]float32, ne)
		one    = make([]float32, d)
		v1     = make([]float32, 1)
		pb, vb *backend.Batches
	)
	t0 := time.Now()
	for i, e := range envs {
		for j, v := range e.Reset() {
			obs[i*d+j] = float32(v)
		}
	}
	a.clock.Env += time.Since(t0)
	step := 0
	for step < cfg.Steps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		prev := step
		for t := 0; t < ns; t++ {
			t0 := time.Now()
			a.sample(obs, ne, stepA)
			a.clock.Forward += time.Since(t0)
			copy(xs[t*ne*d:(t+1)*ne*d], obs)
			for i, e := range envs {
				row := t*ne + i
				t0 := time.Now()
				next, r, te, tr := e.Step(env.DiscreteAction(int(stepA[i])))
				a.clock.Env += time.Since(t0)
				acts[row], rews[row], term[row], cut[row] = stepA[i], float32(r), te, tr && !te
				epRet[i] += r
				epLen[i]++
				if te || tr {
					a.eps.Record(epRet[i], epLen[i])
					a.hooks.OnEpisode(step+i+1, epRet[i], epLen[i])
					epRet[i], epLen[i] = 0, 0
					if cut[row] {
						for j, v := range next {
							one[j] = float32(v)
						}
						t0 := time.Now()
						a.values(one, 1, v1)
						a.clock.Forward += time.Since(t0)
						boot[row] = v1[0]
					}
					t0 := time.Now()
					next = e.Reset()
					a.clock.Env += time.Since(t0)
				}
				for j, v := range next {
					obs[i*d+j] = float32(v)
				}
			}
			step += ne
		}
		t0 := time.Now()
		a.values(obs, ne, lastV)
		a.values(xs, n, adv) // V(s_t), turned into advantages below
		gamma := float32(cfg.Gamma)
		for i := 0; i < ne; i++ {
			g := lastV[i]
			for t := ns - 1; t >= 0; t-- {
				row := t*ne + i
				switch {
				case term[row]:
					g = 0
				case cut[row]:
					g = boot[row]
				}
				g = rews[row] + gamma*g
				ret[row] = g
				adv[row] = g - adv[row]
			}
		}
		a.normalize(adv)
		a.clock.Forward += time.Since(t0)
		if err := a.fit(ctx, xs, acts, adv, ret, n, 1, &pb, &vb); err != nil {
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
