package zoo

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/xlrl/xlrl/internal/agent/dqn"
	"github.com/xlrl/xlrl/internal/agent/pg"
	"github.com/xlrl/xlrl/internal/agent/trainloop"
	"github.com/xlrl/xlrl/internal/backend"
	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/nn"
)

// Architecture is a named network for --arch.
type Architecture struct {
	Hidden     []int
	Activation string
	Loss       string // DQN only
	LR         float64
}

// Architectures are the named networks. "seed" is the seed project's
// _create_neural_network: Dense 32 relu then a linear output, Adam at
// 0.001, MSE.
var Architectures = map[string]Architecture{
	"seed": {Hidden: []int{32}, Activation: "relu", Loss: "mse", LR: 0.001},
}

// Options choose what Run trains. Zero values keep the table's defaults.
type Options struct {
	Env          string
	EnvOptions   []env.Option // e.g. env.WithKwarg for gym: ids
	Algo         string
	Seed         uint64
	Steps        int
	Hidden       []int  // overrides the table's hidden layers
	Arch         string // a named architecture; exclusive with Hidden
	LR           float64
	Gamma        float64
	EvalEpisodes int  // final evaluation episodes (default 100)
	NoEarlyStop  bool // train for the whole budget even if evaluation is perfect
	// Set overrides values of the table's entry by name (Hyper.Set: e.g.
	// "double": "false", "train_freq": "4"), before the other options.
	Set map[string]string
	// Hooks receive the training's episodes, updates and periodic evaluations
	// and checkpoint it (nil: none).
	Hooks *trainloop.Hooks
}

// Report is the outcome of Run.
type Report struct {
	Env          string               `json:"env"`
	Algo         string               `json:"algo"`
	Backend      string               `json:"backend"`
	Seed         uint64               `json:"seed"`
	Tuned        bool                 `json:"tuned"` // the table has an entry for this env and algo
	Steps        int                  `json:"steps"`
	Episodes     int                  `json:"episodes"`
	GradSteps    int                  `json:"gradient_steps"`
	TrainMean    float64              `json:"train_mean_return"`
	BestPeriodic float64              `json:"best_periodic_eval"`
	StoppedAt    int                  `json:"stopped_at_step"`
	Eval         trainloop.Evaluation `json:"eval"`
	Solved       *bool                `json:"solved,omitempty"` // eval mean >= the env's reward threshold
	Breakdown    trainloop.Breakdown  `json:"time"`
	WallS        float64              `json:"wall_s"`
	Hyper        any                  `json:"hyperparameters"`
	Policy       *nn.MLP              `json:"-"`
}

// Run trains opts.Algo on opts.Env with the table's hyperparameters (and the
// overrides in opts) on be, then evaluates the greedy policy on fresh
// episodes (seeded apart from training and periodic evaluation).
func Run(ctx context.Context, opts Options, be backend.Backend) (_ *Report, err error) {
	defer env.Recover(&err) // an environment that fails inside Step (gym:... ids) is an error
	start := time.Now()
	spec, err := env.LookupWith(opts.Env, opts.EnvOptions...)
	if err != nil {
		return nil, err
	}
	if err := trainloop.CheckSpaces(opts.Algo, spec); err != nil {
		return nil, err
	}
	if !IsAlgo(opts.Algo) {
		return nil, fmt.Errorf("unknown deep RL algorithm %q: want one of %s", opts.Algo, strings.Join(Algos, ", "))
	}
	h, tuned, err := Defaults(opts.Env, opts.Algo)
	if err != nil {
		return nil, err
	}
	if opts.Arch != "" && opts.Hidden != nil {
		return nil, fmt.Errorf("choose either a named architecture (--arch %s) or a layer list (--layers), not both", opts.Arch)
	}
	if err := h.Set(opts.Set); err != nil {
		return nil, err
	}
	mk := func() (env.Env, error) { return env.Make(opts.Env, opts.EnvOptions...) }
	rep := &Report{Env: opts.Env, Algo: opts.Algo, Backend: be.Name(), Seed: opts.Seed, Tuned: tuned}

	if h.DQN != nil {
		c := h.DQN
		if err := applyDQN(c, opts); err != nil {
			return nil, err
		}
		rep.Hyper = c
		res, err := dqn.Train(ctx, *c, mk, be, opts.Seed, opts.Hooks)
		if err != nil {
			return nil, err
		}
		rep.Policy, rep.Steps, rep.Episodes, rep.GradSteps = res.Q, res.Steps, res.Episodes, res.GradSteps
		rep.TrainMean, rep.BestPeriodic, rep.StoppedAt, rep.Breakdown = res.TrainMean, res.Best, res.StoppedAt, res.Breakdown
	} else {
		res, err := runPG(ctx, h, opts, mk, be, rep)
		if err != nil {
			return nil, err
		}
		rep.Policy, rep.Steps, rep.Episodes, rep.GradSteps = res.Policy, res.Steps, res.Episodes, res.Updates
		rep.TrainMean, rep.BestPeriodic, rep.StoppedAt, rep.Breakdown = res.TrainMean, res.Best, res.StoppedAt, res.Breakdown
	}

	episodes := opts.EvalEpisodes
	if episodes <= 0 {
		episodes = 100
	}
	evalEnv, err := mk()
	if err != nil {
		return nil, err
	}
	evalEnv.Seed(trainloop.Mix(opts.Seed, trainloop.StreamFinalEval))
	if rep.Eval, err = trainloop.Evaluate(ctx, evalEnv, episodes, trainloop.NewGreedy(rep.Policy).Act); err != nil {
		return nil, err
	}
	if spec.RewardThreshold != nil {
		solved := rep.Eval.Mean >= *spec.RewardThreshold
		rep.Solved = &solved
	}
	rep.WallS = time.Since(start).Seconds()
	return rep, nil
}

func applyDQN(c *dqn.Config, o Options) error {
	if o.Steps > 0 {
		c.Steps = o.Steps
	}
	if o.Arch != "" {
		a, err := architecture(o.Arch)
		if err != nil {
			return err
		}
		c.Hidden, c.Activation, c.Loss, c.LR = a.Hidden, a.Activation, a.Loss, a.LR
	}
	if o.Hidden != nil {
		c.Hidden = o.Hidden
	}
	if o.LR > 0 {
		c.LR = o.LR
	}
	if o.Gamma > 0 {
		c.Gamma = o.Gamma
	}
	if o.NoEarlyStop {
		c.StopAt = nil
	}
	return c.Validate()
}

// architecture looks up a named architecture (--arch).
func architecture(name string) (Architecture, error) {
	a, ok := Architectures[name]
	if !ok {
		return Architecture{}, fmt.Errorf("unknown architecture %q: known are %s; or give a layer list such as --layers 64,64", name, ArchitectureNames())
	}
	return a, nil
}

// runPG trains the policy-gradient entry of h (reinforce or a2c) with the
// overrides of opts; rep.Hyper records the configuration used.
func runPG(ctx context.Context, h Hyper, opts Options, mk trainloop.EnvFactory, be backend.Backend, rep *Report) (*pg.Result, error) {
	var common *pg.Common
	if h.REINFORCE != nil {
		common = &h.REINFORCE.Common
	} else {
		common = &h.A2C.Common
	}
	if err := applyPG(common, opts); err != nil {
		return nil, err
	}
	rep.Hyper = h.Config()
	if h.REINFORCE != nil {
		return pg.TrainREINFORCE(ctx, *h.REINFORCE, mk, be, opts.Seed, opts.Hooks)
	}
	return pg.TrainA2C(ctx, *h.A2C, mk, be, opts.Seed, opts.Hooks)
}

func applyPG(c *pg.Common, o Options) error {
	if o.Steps > 0 {
		c.Steps = o.Steps
	}
	if o.Arch != "" {
		a, err := architecture(o.Arch)
		if err != nil {
			return err
		}
		c.Hidden, c.Activation = a.Hidden, a.Activation
	}
	if o.Hidden != nil {
		c.Hidden = o.Hidden
	}
	if o.LR > 0 {
		c.LR = o.LR
	}
	if o.Gamma > 0 {
		c.Gamma = o.Gamma
	}
	if o.NoEarlyStop {
		c.StopAt = nil
	}
	return nil
}

// ArchitectureNames lists the named networks, each with what it is, e.g.
// "seed (Dense 32 relu, Adam 0.001, MSE)": the text of --arch's help and
// errors, so that the table above is the only definition.
func ArchitectureNames() string {
	names := make([]string, 0, len(Architectures))
	for n := range Architectures {
		names = append(names, n)
	}
	slices.Sort(names)
	for i, n := range names {
		a := Architectures[n]
		layers := make([]string, len(a.Hidden))
		for j, h := range a.Hidden {
			layers[j] = fmt.Sprintf("Dense %d %s", h, a.Activation)
		}
		names[i] = fmt.Sprintf("%s (%s, Adam %g, %s)", n, strings.Join(layers, ", "), a.LR, strings.ToUpper(a.Loss))
	}
	return strings.Join(names, "; ")
}
