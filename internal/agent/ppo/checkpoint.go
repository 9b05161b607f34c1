package ppo

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/xlrl/xlrl/internal/agent/ac"
	"github.com/xlrl/xlrl/internal/agent/trainloop"
	"github.com/xlrl/xlrl/internal/ckpt"
	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/nn"
)

// CheckpointKind names PPO's training checkpoints.
const CheckpointKind = "ppo"

// state is the counters of a checkpoint, taken between two rollouts.
type state struct {
	Config   json.RawMessage         `json:"config"`
	Step     int                     `json:"step"`
	Updates  int                     `json:"updates"`
	LastEval int                     `json:"last_eval"`
	Episodes trainloop.EpisodesState `json:"episodes"`
	EpLen    []int                   `json:"episode_lengths"` // per environment
	EvalRNG  *uint64                 `json:"eval_rng,omitempty"`
}

// save is the checkpoint after the rollout and update that ended at step:
// the networks and their optimiser, the log std, the statistics, the
// counters, the best weights, and what the rollout carries into the next
// one (each environment's observation, running return and tape).
func (tr *trainer) save(ctx context.Context, r *rollout, step int) (*ckpt.Checkpoint, error) {
	b, err := json.Marshal(tr.cfg)
	if err != nil {
		return nil, err
	}
	st := state{Config: b, Step: step, Updates: tr.res.Updates, LastEval: tr.lastEval, Episodes: tr.eps.State(), EpLen: r.epLen}
	if tr.evalEnv != nil {
		s, _ := env.RNGStateOf(tr.evalEnv)
		st.EvalRNG = &s
	}
	c := ckpt.New(CheckpointKind)
	if err := c.PutJSON("ppo", st); err != nil {
		return nil, err
	}
	if err := ac.PutRNG(c, "agent_rng", tr.src); err != nil {
		return nil, err
	}
	if err := ac.PutGroup(ctx, c, "nets", tr.group); err != nil {
		return nil, err
	}
	if tr.box {
		if err := ac.PutParam(c, "log_std", tr.logStd, tr.lsAdam); err != nil {
			return nil, err
		}
		c.PutFloat64s("best_log_std", tr.bestLS)
	}
	for name, s := range map[string]*ac.RunningMeanStd{"obs_rms": tr.obsRMS, "ret_rms": tr.retRMS, "best_norm": tr.bestNorm} {
		if err := ac.PutStats(c, name, s); err != nil {
			return nil, err
		}
	}
	if err := ac.PutBest(c, "best", tr.best); err != nil {
		return nil, err
	}
	if err := ac.PutMetrics(c, "last", tr.res.Last); err != nil {
		return nil, err
	}
	c.PutFloat32s("step_x", r.stepX)
	c.PutFloat64s("raw_obs", r.raw)
	c.PutFloat64s("episode_returns", r.epRet)
	c.PutFloat64s("discounted_returns", r.rets)
	for i, t := range r.tapes {
		if err := t.Put(c, fmt.Sprintf("env_%d", i)); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// restore reads what save wrote into a new trainer and rollout, replaying
// each environment's episode so far, and returns the step to continue from.
func (tr *trainer) restore(ctx context.Context, c *ckpt.Checkpoint, envs []env.Env, r *rollout) (int, error) {
	if err := ac.CheckKind(c, CheckpointKind); err != nil {
		return 0, err
	}
	var st state
	if err := c.GetJSON("ppo", &st); err != nil {
		return 0, err
	}
	var saved Config
	if err := json.Unmarshal(st.Config, &saved); err != nil {
		return 0, fmt.Errorf("%w: ppo config: %v", ckpt.ErrBad, err)
	}
	if err := ac.SameConfig("ppo", st.Config, tr.cfg, saved.Steps, tr.cfg.Steps); err != nil {
		return 0, err
	}
	ne, d := tr.cfg.NEnvs, tr.obsDim
	ep := st.Episodes
	if st.Step <= 0 || st.Step >= tr.cfg.Steps || st.Updates < 0 || st.LastEval < -1 || st.LastEval > st.Step ||
		ep.Count < 0 || ep.Count > st.Step || len(ep.Recent) > min(100, ep.Count) || len(st.EpLen) != ne || (st.EvalRNG == nil) != (tr.evalEnv == nil) {
		return 0, fmt.Errorf("%w: ppo: impossible counters (step %d of %d, %d updates, %d episodes, %d environments)",
			ckpt.ErrBad, st.Step, tr.cfg.Steps, st.Updates, ep.Count, len(st.EpLen))
	}
	if err := ac.GetRNG(c, "agent_rng", tr.src); err != nil {
		return 0, err
	}
	if err := ac.GetGroup(ctx, c, "nets", tr.group, tr.pi, tr.v); err != nil {
		return 0, err
	}
	if tr.box {
		if err := ac.GetParam(c, "log_std", tr.logStd, tr.lsAdam); err != nil {
			return 0, err
		}
	}
	if err := ac.GetStats(c, "obs_rms", tr.obsRMS, d); err != nil {
		return 0, err
	}
	if err := ac.GetStats(c, "ret_rms", tr.retRMS, 1); err != nil {
		return 0, err
	}
	had, err := ac.GetBest(c, "best", tr.best, len(tr.pi.Params))
	if err != nil {
		return 0, err
	}
	if had {
		if tr.obsRMS != nil {
			tr.bestNorm = ac.NewRunningMeanStd(d)
			if err := ac.GetStats(c, "best_norm", tr.bestNorm, d); err != nil {
				return 0, err
			}
		}
		if tr.box {
			if tr.bestLS, err = c.Float64s("best_log_std", tr.nOut); err != nil {
				return 0, err
			}
		}
	}
	if err := ac.GetMetrics(c, "last", tr.res.Last); err != nil {
		return 0, err
	}
	x, err := c.Float32s("step_x", ne*d)
	if err != nil {
		return 0, err
	}
	raw, err := c.Float64s("raw_obs", ne*d)
	if err != nil {
		return 0, err
	}
	epRet, err := c.Float64s("episode_returns", ne)
	if err != nil {
		return 0, err
	}
	rets, err := c.Float64s("discounted_returns", ne)
	if err != nil {
		return 0, err
	}
	for i, e := range envs {
		if st.EpLen[i] < 0 || st.EpLen[i] > st.Step {
			return 0, fmt.Errorf("%w: ppo: environment %d is %d steps into an episode at step %d", ckpt.ErrBad, i, st.EpLen[i], st.Step)
		}
		if err := r.tapes[i].Replay(c, fmt.Sprintf("env_%d", i), e, raw[i*d:(i+1)*d]); err != nil {
			return 0, err
		}
	}
	copy(r.stepX, x)
	copy(r.raw, raw)
	copy(r.epRet, epRet)
	copy(r.epLen, st.EpLen)
	copy(r.rets, rets)
	r.started = true
	tr.eps.SetState(ep)
	if tr.evalEnv != nil {
		tr.evalEnv.Seed(*st.EvalRNG)
	}
	tr.res.Updates, tr.res.Steps, tr.lastEval = st.Updates, st.Step, st.LastEval
	tr.syncPolicy()
	return st.Step, nil
}

// PolicyNet rebuilds the policy network of a training checkpoint (a run
// interrupted before its end) and the observation statistics it acts with
// (nil: none), for evaluating it: the best evaluated weights with theirs
// when the run evaluated, else the latest (ac.ActingWeights). obsDim is
// the environment's observation size, nOut its action count (Discrete) or
// dimension (Box, whose deterministic action is the mean: the log std
// does not change it).
func PolicyNet(c *ckpt.Checkpoint, obsDim, nOut int) (*nn.MLP, *ac.RunningMeanStd, error) {
	if err := ac.CheckKind(c, CheckpointKind); err != nil {
		return nil, nil, err
	}
	var st state
	if err := c.GetJSON("ppo", &st); err != nil {
		return nil, nil, err
	}
	var cfg Config
	if err := json.Unmarshal(st.Config, &cfg); err != nil {
		return nil, nil, fmt.Errorf("%w: ppo config: %v", ckpt.ErrBad, err)
	}
	net, err := ac.NewPolicyNet(obsDim, cfg.Hidden, cfg.Activation, nOut)
	if err != nil {
		return nil, nil, err
	}
	norm, err := ac.ActingWeights(c, net, []string{"nets_0"}, "best_norm", cfg.NormalizeObs) // nets_0: the group's policy
	if err != nil {
		return nil, nil, err
	}
	return net, norm, nil
}
