package train

import (
	"context"
	"fmt"

	"github.com/xlrl/xlrl/internal/agent/tabular"
	"github.com/xlrl/xlrl/internal/agent/trainloop"
	"github.com/xlrl/xlrl/internal/ckpt"
	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/run"
	"github.com/xlrl/xlrl/internal/watch"
)

// Greedy is a run's greedy policy, restored from its checkpoint: the
// environment it acts in (as the run configured it, observations as the
// environment gives them) and its action in each observation.
type Greedy struct {
	Env  env.Env
	Act  func(obs []float64) int
	Seed uint64 // the seed of the episodes Train evaluated on at the end
	// MaxSteps cuts episodes of environments without a time limit (0: none).
	MaxSteps int
	Flags    *Flags // the run's configuration
	Map      string // the FrozenLake map Env has ("" for the id's own)
}

// LoadGreedy restores the greedy policy of the run in runDir.
func LoadGreedy(runDir string) (*Greedy, error) {
	dir, err := run.Open(runDir)
	if err != nil {
		return nil, err
	}
	fl, err := ReadConfig(dir)
	if err != nil {
		return nil, err
	}
	cp, err := ckpt.Read(dir.Checkpoint(), "")
	if err != nil {
		return nil, err
	}
	switch cp.Kind {
	case tabular.CheckpointKind:
		e, agent, _, err := BuildTabular(fl)
		if err != nil {
			return nil, err
		}
		if err := agent.Load(cp); err != nil {
			return nil, err
		}
		g := &Greedy{Env: e, Act: func(obs []float64) int { return agent.Greedy(int(obs[0])) },
			Seed: EvalSeed(fl.Seed), Flags: fl, Map: fl.Map}
		if e.Spec().MaxEpisodeSteps == 0 {
			g.MaxSteps = noLimitHorizon
		}
		return g, nil
	case PolicyKind:
		net, err := LoadPolicy(cp)
		if err != nil {
			return nil, err
		}
		e, err := env.Make(fl.Env) // as the deep trainers make it (no --map)
		if err != nil {
			return nil, err
		}
		// The network saw Discrete(N) states one-hot encoded (env.OneHot).
		encode := func(obs []float64) []float64 { return obs }
		if sp := e.Spec().Observation; sp.Kind == env.Discrete {
			hot := make([]float64, sp.N)
			encode = func(obs []float64) []float64 {
				clear(hot)
				hot[int(obs[0])] = 1
				return hot
			}
		}
		if in := env.OneHot(e).Spec().Observation.Dim(); in != net.In() || e.Spec().Action.N != net.Out() {
			return nil, fmt.Errorf("%w: the network maps %d inputs to %d actions, %s has %d and %d",
				ckpt.ErrBad, net.In(), net.Out(), fl.Env, in, e.Spec().Action.N)
		}
		greedy := trainloop.NewGreedy(net)
		return &Greedy{Env: e, Act: func(obs []float64) int { return greedy.Act(encode(obs)) },
			Seed: trainloop.Mix(fl.Seed, trainloop.StreamFinalEval), MaxSteps: noLimitHorizon, Flags: fl}, nil
	}
	return nil, fmt.Errorf("%w: %s holds a %q checkpoint: xlrl eval --gif draws tabular and deep runs",
		ckpt.ErrBad, dir.Checkpoint(), cp.Kind)
}

// WatchOptions say what Watch draws.
type WatchOptions struct {
	Episodes int     // episodes to draw (at least 1)
	Seed     *uint64 // nil: the first of the episodes Train evaluated on
	Out      string  // the .gif or .mp4 file
	FPS      int
	Every    int // draw one step in Every (1: each)
}

// Watch is `xlrl eval RUN --gif FILE`: it records episodes of the run's
// greedy policy and has the worker c draw them into o.Out.
func Watch(ctx context.Context, runDir string, c watch.Caller, o WatchOptions) (*watch.Result, error) {
	g, err := LoadGreedy(runDir)
	if err != nil {
		return nil, err
	}
	seed := g.Seed
	if o.Seed != nil {
		seed = *o.Seed
	}
	g.Env.Seed(seed)
	eps, err := watch.Record(ctx, g.Env, o.Episodes, g.MaxSteps, g.Act)
	if err != nil {
		return nil, err
	}
	grid, err := watch.Grid(g.Flags.Env, g.Map)
	if err != nil {
		return nil, err
	}
	return watch.Render(ctx, c, g.Flags.Env, eps, grid, o.Out, o.FPS, max(o.Every, 1))
}
