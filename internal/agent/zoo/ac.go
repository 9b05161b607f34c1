package zoo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/xlrl/xlrl/internal/agent/ac"
	"github.com/xlrl/xlrl/internal/agent/ppo"
	"github.com/xlrl/xlrl/internal/agent/sac"
	"github.com/xlrl/xlrl/internal/agent/td3"
	"github.com/xlrl/xlrl/internal/agent/trainloop"
	"github.com/xlrl/xlrl/internal/backend"
	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/nn"
)

// ACReport is the outcome of RunAC.
type ACReport struct {
	Report
	// Act is the trained policy's deterministic action.
	Act func(obs []float64) env.Action `json:"-"`
	// ActMode says how Act turns Policy's outputs into an action:
	// "argmax", "clip" (a Gaussian's mean clipped to the bounds), "tanh"
	// (tanh of the first dim(A) outputs rescaled to the bounds) or
	// "tanh_clip" (the same with the outputs clipped to +-sac.ClipMean
	// first: SAC with gSDE).
	ActMode string `json:"-"`
	// ObsNorm is the observation statistics the policy standardises its
	// input with (nil: none); a saved policy must keep them.
	ObsNorm *ac.RunningMeanStd `json:"-"`
	// Last is the metrics of the last update.
	Last map[string]float64 `json:"last_update"`
}

// RunAC trains opts.Algo (ppo, sac or td3) on opts.Env with the table's
// configuration and the overrides in opts, then evaluates the deterministic
// policy on fresh episodes, as Run does for the other deep agents.
func RunAC(ctx context.Context, opts Options, be backend.Backend) (*ACReport, error) {
	start := time.Now()
	spec, err := env.Lookup(opts.Env)
	if err != nil {
		return nil, err
	}
	if !IsACAlgo(opts.Algo) {
		return nil, fmt.Errorf("unknown actor-critic algorithm %q: want one of %s", opts.Algo, strings.Join(ACAlgos, ", "))
	}
	h, tuned, err := Defaults(opts.Env, opts.Algo)
	if err != nil {
		return nil, err
	}
	if opts.Arch != "" {
		return nil, fmt.Errorf("--arch names a DQN/policy-gradient network; %s takes --layers (e.g. --layers 64,64)", opts.Algo)
	}
	if err := h.Set(opts.Set); err != nil {
		return nil, err
	}
	cfg := h.Config()
	mk := func() (env.Env, error) { return env.Make(opts.Env) }
	rep := &ACReport{Report: Report{Env: opts.Env, Algo: opts.Algo, Backend: be.Name(), Seed: opts.Seed, Tuned: tuned, Hyper: cfg}}
	common := func(steps *int, hidden *[]int, lr, gamma *float64, stopAt **float64) {
		if opts.Steps > 0 {
			*steps = opts.Steps
		}
		if opts.Hidden != nil {
			*hidden = opts.Hidden
		}
		if opts.LR > 0 {
			*lr = opts.LR
		}
		if opts.Gamma > 0 {
			*gamma = opts.Gamma
		}
		if opts.NoEarlyStop {
			*stopAt = nil
		}
	}
	switch c := cfg.(type) {
	case *ppo.Config:
		common(&c.Steps, &c.Hidden, &c.LR, &c.Gamma, &c.StopAt)
		res, err := ppo.Train(ctx, *c, mk, be, opts.Seed, opts.Hooks)
		if err != nil {
			return nil, err
		}
		rep.Policy, rep.Act, rep.ActMode = res.Policy.Net, res.Policy.Act, "argmax"
		if res.Policy.LogStd != nil {
			rep.ActMode = "clip"
		}
		rep.ObsNorm = res.Policy.ObsNorm
		rep.Steps, rep.Episodes, rep.GradSteps, rep.Last = res.Steps, res.Episodes, res.Updates, res.Last
		rep.TrainMean, rep.BestPeriodic, rep.StoppedAt, rep.Breakdown = res.TrainMean, res.Best, res.StoppedAt, res.Breakdown
	case *sac.Config:
		common(&c.Steps, &c.Hidden, &c.LR, &c.Gamma, &c.StopAt)
		res, err := sac.Train(ctx, *c, mk, be, opts.Seed, opts.Hooks)
		if err != nil {
			return nil, err
		}
		rep.Policy, rep.Act, rep.ActMode = res.Policy.Net, res.Policy.Act, "tanh"
		if res.Policy.ClipMean > 0 {
			rep.ActMode = "tanh_clip"
		}
		rep.ObsNorm = res.Policy.ObsNorm
		rep.Steps, rep.Episodes, rep.GradSteps, rep.Last = res.Steps, res.Episodes, res.GradSteps, res.Last
		rep.TrainMean, rep.BestPeriodic, rep.StoppedAt, rep.Breakdown = res.TrainMean, res.Best, res.StoppedAt, res.Breakdown
	case *td3.Config:
		common(&c.Steps, &c.Hidden, &c.LR, &c.Gamma, &c.StopAt)
		res, err := td3.Train(ctx, *c, mk, be, opts.Seed, opts.Hooks)
		if err != nil {
			return nil, err
		}
		rep.Policy, rep.Act, rep.ActMode = res.Policy.Net, res.Policy.Act, "tanh"
		rep.ObsNorm = res.Policy.ObsNorm
		rep.Steps, rep.Episodes, rep.GradSteps, rep.Last = res.Steps, res.Episodes, res.GradSteps, res.Last
		rep.TrainMean, rep.BestPeriodic, rep.StoppedAt, rep.Breakdown = res.TrainMean, res.Best, res.StoppedAt, res.Breakdown
	}
	episodes := opts.EvalEpisodes
	if episodes <= 0 {
		episodes = 100
	}
	evalEnv, err := trainloop.EnvFactory(mk).Vectors()()
	if err != nil {
		return nil, err
	}
	evalEnv.Seed(trainloop.Mix(opts.Seed, trainloop.StreamFinalEval))
	if rep.Eval, err = ac.Evaluate(ctx, evalEnv, episodes, rep.Act); err != nil {
		return nil, err
	}
	if spec.RewardThreshold != nil {
		solved := rep.Eval.Mean >= *spec.RewardThreshold
		rep.Solved = &solved
	}
	rep.WallS = time.Since(start).Seconds()
	return rep, nil
}

// ACSteps is the step budget RunAC will use for opts (for progress bars).
func ACSteps(opts Options) int {
	if opts.Steps > 0 {
		return opts.Steps
	}
	h, _, err := Defaults(opts.Env, opts.Algo)
	if err != nil {
		return 0
	}
	return h.Steps()
}

// ACPolicy rebuilds a deterministic policy from a saved network, its
// ActMode and observation statistics (nil: none), for evaluation of a
// finished run; spec is the environment's.
func ACPolicy(net *nn.MLP, mode string, norm *ac.RunningMeanStd, spec *env.Spec) (func(obs []float64) env.Action, error) {
	if norm != nil && (len(norm.Mean) != net.In() || len(norm.Var) != net.In()) {
		return nil, fmt.Errorf("the observation statistics have %d and %d values for a network of %d inputs", len(norm.Mean), len(norm.Var), net.In())
	}
	switch mode {
	case "argmax":
		if spec.Action.Kind != env.Discrete || net.Out() != spec.Action.N {
			return nil, fmt.Errorf("the policy picks among %d actions, %s has %s", net.Out(), spec.ID, spec.Action)
		}
		return (&ppo.Policy{Net: net, ObsNorm: norm}).Act, nil
	case "clip", "tanh", "tanh_clip":
		d := len(spec.Action.Low)
		if spec.Action.Kind != env.Box || (mode == "clip" && net.Out() != d) || (mode != "clip" && net.Out() < d) {
			return nil, fmt.Errorf("the policy's %d outputs do not fit %s's %s actions", net.Out(), spec.ID, spec.Action)
		}
		if mode == "clip" {
			return (&ppo.Policy{Net: net, LogStd: make([]float64, d), Low: spec.Action.Low, High: spec.Action.High, ObsNorm: norm}).Act, nil
		}
		p := &sac.Policy{Net: net, Low: spec.Action.Low, High: spec.Action.High, ObsNorm: norm}
		if mode == "tanh_clip" {
			p.ClipMean = sac.ClipMean
		}
		return p.Act, nil
	}
	return nil, fmt.Errorf("unknown policy mode %q: want argmax, clip, tanh or tanh_clip", mode)
}
