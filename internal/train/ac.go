package train

import (
	"context"
	"fmt"
	"slices"

	"github.com/xlrl/xlrl/internal/agent/ac"
	"github.com/xlrl/xlrl/internal/agent/ppo"
	"github.com/xlrl/xlrl/internal/agent/trainloop"
	"github.com/xlrl/xlrl/internal/agent/zoo"
	"github.com/xlrl/xlrl/internal/ckpt"
	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/nn"
)

// ACPolicyKind names the checkpoints of the actor-critic agents' final
// policy: the network (as PolicyCheckpoint writes it), how it acts and its
// observation statistics; enough for xlrl eval. While they train, the
// agents write their own checkpoints (kinds "ppo", "sac", "td3": the whole
// training state) through the run's Checkpointer, which --resume continues.
const ACPolicyKind = "ac-policy"

func init() { register(trainAC, evalAC, zoo.ACAlgos...) }

func trainAC(ctx context.Context, fl *Flags, r *Run, h Hooks) (*Result, error) {
	o := &fl.Options
	for _, f := range tabularOnly {
		if fl.Changed(f) {
			return nil, fmt.Errorf("--%s applies to the tabular agents, not to %s (it takes --steps, --lr, --gamma, --layers, --backend, --hp)", f, o.Algo)
		}
	}
	if r != nil && r.resumed != nil && r.resumed.Kind == ACPolicyKind {
		return nil, fmt.Errorf("cannot resume %s: the run is complete (its checkpoint holds the final policy, "+
			"for xlrl eval); start a new run instead", r.dir.Path)
	}
	spec, err := env.Lookup(o.Env)
	if err != nil {
		return nil, err
	}
	if o.Algo != "ppo" && spec.Action.Kind != env.Box {
		return nil, fmt.Errorf("%s needs a Box action space, but %s has %s actions; use ppo or dqn for discrete actions, or a continuous environment (e.g. Pendulum-v1)", o.Algo, spec.ID, spec.Action)
	}
	opts, err := fl.deepOverrides()
	if err != nil {
		return nil, err
	}
	be, workerStart, err := openBackend(ctx, fl.Deep.Backend, r, h)
	if err != nil {
		return nil, err
	}
	defer be.Close()
	opts.Hooks = announce(h.Progress, fl, be.Name())
	var rec *deepRecorder
	if r != nil {
		withTotal := opts
		withTotal.Steps = zoo.ACSteps(opts)
		rec = r.deepRun(ctx, &withTotal)
		opts.Hooks = withTotal.Hooks
	}
	rep, err := zoo.RunAC(ctx, opts, be)
	if err != nil {
		return nil, fmt.Errorf("%s on %s (%s backend): %w", fl.Algo, fl.Env, be.Name(), err)
	}
	if rec != nil {
		if rec.err != nil {
			return nil, rec.err
		}
		c, err := PolicyCheckpoint(rep.Policy)
		if err != nil {
			return nil, err
		}
		c.Kind = ACPolicyKind
		if err := c.PutJSON("act", rep.ActMode); err != nil {
			return nil, err
		}
		if rep.ObsNorm != nil {
			if err := c.PutJSON("obs_norm", rep.ObsNorm); err != nil {
				return nil, err
			}
		}
		r.bar.Update(int64(rep.Steps))
		if err := r.saveCheckpoint(c, Counters{Steps: int64(rep.Steps), Episodes: int64(rep.Episodes)}); err != nil {
			return nil, err
		}
	}
	return deepResult(&rep.Report, spec, workerStart), nil
}

// evalAC evaluates an actor-critic run's policy deterministically, by
// default on the episodes of RunAC's final evaluation: a finished run's
// saved policy, or, for a run interrupted before its end, the policy its
// training checkpoint holds (res.Partial; see ACPolicyOf).
func evalAC(ctx context.Context, fl *Flags, cp *ckpt.Checkpoint, episodes int, seed *uint64, res *Result) error {
	raw, err := env.Make(fl.Env)
	if err != nil {
		return err
	}
	e := env.OneHot(raw) // as the trainers saw it
	spec := e.Spec()
	net, mode, norm, err := ACPolicyOf(cp, fl.Algo, spec)
	if err != nil {
		return err
	}
	res.Partial = cp.Kind != ACPolicyKind
	if spec.Observation.Dim() != net.In() {
		return fmt.Errorf("%w: the network takes %d inputs, %s's observations have %d", ckpt.ErrBad, net.In(), spec.ID, spec.Observation.Dim())
	}
	act, err := zoo.ACPolicy(net, mode, norm, spec)
	if err != nil {
		return fmt.Errorf("%w: %v", ckpt.ErrBad, err)
	}
	if episodes == 0 {
		episodes = 100
		if fl.Changed("eval-episodes") {
			episodes = fl.EvalEpisodes
		}
	}
	s := trainloop.Mix(fl.Seed, trainloop.StreamFinalEval)
	if seed != nil {
		s = *seed
	}
	ev, err := EvaluateEpisodes(ctx, e, act, episodes, s, ReachedThreshold(spec))
	if err != nil {
		return err
	}
	ev.fill(res)
	return nil
}

// ACPolicyOf reads the policy network an algo run's checkpoint acts with,
// how it acts (zoo.ACReport's ActMode) and its observation statistics
// (nil: none), on spec's environment: the final policy of a finished run
// (kind ACPolicyKind), or the best evaluated, else the latest, weights of
// a training checkpoint (kinds "ppo", "sac", "td3": a run interrupted
// before its end, as DQN's).
func ACPolicyOf(cp *ckpt.Checkpoint, algo string, spec *env.Spec) (*nn.MLP, string, *ac.RunningMeanStd, error) {
	d := spec.Observation.Dim()
	switch {
	case cp.Kind == ACPolicyKind:
		var mode string
		if err := cp.GetJSON("act", &mode); err != nil {
			return nil, "", nil, err
		}
		asPolicy := *cp
		asPolicy.Kind = PolicyKind
		net, err := LoadPolicy(&asPolicy)
		if err != nil {
			return nil, "", nil, err
		}
		var norm *ac.RunningMeanStd
		if slices.Contains(cp.Sections(), "obs_norm") {
			norm = &ac.RunningMeanStd{}
			if err := cp.GetJSON("obs_norm", norm); err != nil {
				return nil, "", nil, err
			}
		}
		return net, mode, norm, nil
	case cp.Kind == algo && algo == ppo.CheckpointKind:
		mode, n := "argmax", spec.Action.N
		if spec.Action.Kind == env.Box {
			mode, n = "clip", len(spec.Action.Low)
		}
		net, norm, err := ppo.PolicyNet(cp, d, n)
		return net, mode, norm, err
	case cp.Kind == algo && spec.Action.Kind == env.Box: // sac, td3
		net, norm, sde, err := ac.OffPolicyNet(cp, d, len(spec.Action.Low))
		mode := "tanh"
		if sde {
			mode = "tanh_clip"
		}
		return net, mode, norm, err
	}
	return nil, "", nil, fmt.Errorf("%w: a %s run's checkpoint holds a %q, want %q (a finished run) or %q (an interrupted one)",
		ckpt.ErrBad, algo, cp.Kind, ACPolicyKind, algo)
}
