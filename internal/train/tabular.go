package train

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/xlrl/xlrl/internal/agent/tabular"
	"github.com/xlrl/xlrl/internal/agent/zoo"
	"github.com/xlrl/xlrl/internal/ckpt"
	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/policy"
)

// EvalSeed keeps a tabular run's evaluation episodes apart from its
// training ones (tabular.EvalSeed).
func EvalSeed(seed uint64) uint64 { return tabular.EvalSeed(seed) }

// noLimitHorizon is the horizon of the exact comparison with the optimum
// (and of xlrl watch's episodes) on environments with no time limit
// (CliffWalking): the branch and bound of the best stationary policy runs
// one backward induction of that many steps per node.
const noLimitHorizon = 1000

// TabularHyper merges the tuned defaults, the --hp overrides (set as
// given) and the flags given (which adjust what the entry then holds).
func (fl *Flags) TabularHyper() (tabular.Hyper, error) {
	o, changed := &fl.Options, fl.Changed
	d, err := fl.tunedEntry()
	if err != nil {
		return tabular.Hyper{}, err
	}
	h := *d.Tabular
	// A new episode count stretches the tuned decays with it, so that
	// epsilon and the learning rate end where they were tuned to end.
	scale := func(n int64) int64 { return n }
	if changed("episodes") {
		tunedEpisodes := h.Episodes
		h.Episodes = o.Episodes
		scale = func(n int64) int64 { return max(n*o.Episodes/tunedEpisodes, 1) }
	} else if changed("steps") {
		h.Episodes = 0 // a step budget alone replaces the tuned episode count
	}
	h.LRDecayEpisodes = scale(h.LRDecayEpisodes)
	h.Explore.DecaySteps = scale(h.Explore.DecaySteps)
	if changed("lr") {
		h.LR = o.LR
		if !changed("lr-end") {
			h.LREnd = 0 // a given rate is constant unless a decay is asked for too
		}
	}
	if changed("lr-end") {
		h.LREnd = o.LREnd
		if h.LRDecayEpisodes == 0 {
			h.LRDecayEpisodes = max(h.Episodes, 1)
		}
	}
	if changed("gamma") {
		h.Gamma = o.Gamma
	}
	if changed("eval-episodes") {
		h.EvalEpisodes = o.EvalEpisodes
	}
	h.Explore = fl.explore(h.Explore, h.Episodes)
	return h, nil
}

// explore applies the exploration flags to the tuned block: a new kind
// replaces it; single values adjust it.
func (fl *Flags) explore(e policy.Config, episodes int64) policy.Config {
	o, changed := &fl.Explore, fl.Changed
	if changed("explore") && o.Kind != e.Kind {
		e = policy.Config{Kind: o.Kind, Schedule: "constant", Start: 0.1, C: 1}
		if o.Kind == "boltzmann" {
			e.Start = 1
		}
	}
	if changed("schedule") {
		e.Schedule = o.Schedule
	}
	if changed("explore-start") {
		e.Start = o.Start
	}
	if changed("explore-end") {
		e.End = o.End
	}
	if changed("decay-steps") {
		e.DecaySteps = o.DecaySteps
	}
	if changed("decay") {
		e.Decay = o.Decay
	}
	if changed("ucb-c") {
		e.C = o.C
	}
	if e.Schedule == "linear" && e.DecaySteps == 0 {
		e.DecaySteps = max(episodes/2, 1)
	}
	return e
}

// IsTabular says whether algo is one of the tabular agents.
func IsTabular(algo string) bool { return slices.Contains(tabular.Algorithms, algo) }

// deepOnly are train flags that the tabular agents do not read.
var deepOnly = []string{"backend", "layers", "arch", "no-early-stop"}

func trainTabular(ctx context.Context, fl *Flags, r *Run, h Hooks) (*Result, error) {
	for _, f := range deepOnly {
		if fl.Changed(f) {
			return nil, fmt.Errorf("--%s applies to the deep agents (%s), not to %s (the tabular agents take --episodes, --lr, --gamma, --explore and its schedule)",
				f, strings.Join(zoo.Algos, ", "), fl.Algo)
		}
	}
	trainEnv, agent, hp, err := BuildTabular(fl)
	if err != nil {
		return nil, err
	}
	spec := trainEnv.Spec()
	steps := int64(0)
	if fl.Changed("steps") {
		steps = fl.Steps
	}
	fmt.Fprintf(h.Progress, "training %s on %s: %d episodes, lr %g, gamma %g, %s\n",
		fl.Algo, spec.ID, hp.Episodes, hp.LR, hp.Gamma, agent.Explorer())
	trainEnv.Seed(fl.Seed)
	budget := tabular.Budget{Episodes: hp.Episodes, Steps: steps}
	var st tabular.TrainStats
	if r != nil {
		st, err = trainTabularInRun(ctx, r, agent, trainEnv, budget, fl.Algo+" "+spec.ID)
	} else {
		st, err = agent.Train(ctx, trainEnv, budget, nil)
	}
	if err != nil {
		return nil, err
	}
	res := &Result{
		Env: spec.ID, Algo: fl.Algo, Seed: fl.Seed, TrainEpisodes: st.Episodes, TrainSteps: st.Steps,
		Hyper: map[string]any{
			"episodes": hp.Episodes, "lr": hp.LR, "lr_end": hp.LREnd, "gamma": hp.Gamma,
			"exploration": agent.Explorer().String(),
		},
	}
	if err := evaluateTabular(ctx, fl, agent, hp.EvalEpisodes, EvalSeed(fl.Seed), res); err != nil {
		return nil, err
	}
	return res, nil
}

// BuildTabular makes the environment and the agent that fl describes, with
// the tuned defaults merged in.
func BuildTabular(fl *Flags) (env.Env, *tabular.Agent, tabular.Hyper, error) {
	h, err := fl.TabularHyper()
	if err != nil {
		return nil, nil, h, err
	}
	e, err := env.Make(fl.Env, fl.envOptions()...)
	if err != nil {
		return nil, nil, h, err
	}
	spec := e.Spec()
	agent, err := tabular.New(tabular.Config{
		Algorithm: fl.Algo, LR: h.LR, LREnd: h.LREnd, LRDecayEpisodes: h.LRDecayEpisodes,
		Gamma: h.Gamma, Explore: h.Explore, Seed: fl.Seed,
	}, spec.Observation, spec.Action)
	if err != nil {
		return nil, nil, h, fmt.Errorf("%s on %s: %w", fl.Algo, fl.Env, err)
	}
	return e, agent, h, nil
}

func evalTabular(ctx context.Context, fl *Flags, cp *ckpt.Checkpoint, episodes int, seed *uint64, res *Result) error {
	if cp.Kind != tabular.CheckpointKind {
		return fmt.Errorf("%w: a %s run's checkpoint holds a %q, want %q", ckpt.ErrBad, fl.Algo, cp.Kind, tabular.CheckpointKind)
	}
	_, agent, h, err := BuildTabular(fl)
	if err != nil {
		return err
	}
	if err := agent.Load(cp); err != nil {
		return err
	}
	if episodes == 0 {
		episodes = h.EvalEpisodes
	}
	s := EvalSeed(fl.Seed)
	if seed != nil {
		s = *seed
	}
	return evaluateTabular(ctx, fl, agent, episodes, s, res)
}

// evaluateTabular runs the agent's greedy policy for n episodes of a fresh
// environment seeded with seed, and fills res's evaluation figures and, for
// environments with a model, the exact optimum.
func evaluateTabular(ctx context.Context, fl *Flags, agent *tabular.Agent, n int, seed uint64, res *Result) error {
	evalEnv, err := env.Make(fl.Env, fl.envOptions()...)
	if err != nil {
		return err
	}
	spec := evalEnv.Spec()
	greedy := func(obs []float64) env.Action { return env.DiscreteAction(agent.Greedy(int(obs[0]))) }
	ev, err := EvaluateEpisodes(ctx, evalEnv, greedy, n, seed, SuccessFunc(tabular.Success(spec.ID)))
	if err != nil {
		return err
	}
	ev.fill(res)
	if m, ok := env.ModelOf(evalEnv); ok {
		return compareWithOptimum(m, spec, agent.Policy(), res)
	}
	return nil
}

// compareWithOptimum fills res's exact figures (tabular.CompareWithOptimum):
// the greedy policy's value, the finite-horizon optimum and the best
// stationary policy's value, all within the time limit, or within
// noLimitHorizon steps for environments without one; and the percentages of both
// optima the policy reaches, from exact values (so never above 100).
func compareWithOptimum(m env.Model, spec *env.Spec, policy []int, res *Result) error {
	horizon := spec.MaxEpisodeSteps
	if horizon == 0 {
		horizon = noLimitHorizon
	}
	o, err := tabular.CompareWithOptimum(m, policy, horizon)
	if err != nil {
		return fmt.Errorf("comparing with the exact optimum of %s: %w", spec.ID, err)
	}
	res.Optimum, res.PolicyValue, res.BestStationary = &o.Optimum, &o.PolicyValue, &o.BestStationary
	res.BestStationaryExact = &o.StationaryExact
	res.OptimumPercent, res.BestStationaryPercent = o.PercentOfOptimum, o.PercentOfStationary
	return nil
}

// tabularChunk is how many episodes run between two looks at the clock (for
// checkpoints) and at Ctrl-C.
const tabularChunk = 256

// trainTabularInRun trains agent on e (already seeded) within the run r:
// one metrics record per episode, a checkpoint every --checkpoint-every, on
// Ctrl-C and at the end, and, when r resumes a run, the agent, the
// environment's random state and the counters restored from its checkpoint
// first, so that the result is the one an uninterrupted run gets.
func trainTabularInRun(ctx context.Context, r *Run, agent *tabular.Agent, e env.Env, b tabular.Budget, label string) (tabular.TrainStats, error) {
	done, err := resumeTabular(r, agent, e)
	if err != nil {
		return done, err
	}
	save := func() error {
		c := ckpt.New(tabular.CheckpointKind)
		if err := agent.Save(c); err != nil {
			return err
		}
		// An environment without RNGState (a user's own) gets a checkpoint
		// for xlrl eval that --resume refuses.
		if envState, ok := env.RNGStateOf(e); ok {
			if err := c.PutJSON("env_rng", envState); err != nil {
				return err
			}
		}
		return r.saveCheckpoint(c, Counters{Steps: done.Steps, Episodes: done.Episodes})
	}
	if b.Episodes > 0 {
		r.startProgress(label, "episodes", b.Episodes, done.Episodes)
	} else {
		r.startProgress(label, "steps", b.Steps, done.Steps)
	}
	finished := func() bool {
		return (b.Episodes > 0 && done.Episodes >= b.Episodes) || (b.Steps > 0 && done.Steps >= b.Steps)
	}
	for !finished() {
		if ctx.Err() != nil {
			if err := save(); err != nil {
				return done, err
			}
			return done, interrupted(ctx)
		}
		if err := tabularChunkInRun(ctx, r, agent, e, b, &done); err != nil {
			return done, err
		}
		if r.checkpointDue() {
			if err := save(); err != nil {
				return done, err
			}
		}
	}
	return done, save()
}

// resumeTabular restores the agent, the environment's random state and the
// counters from the checkpoint of a resumed run (nothing for a new run).
func resumeTabular(r *Run, agent *tabular.Agent, e env.Env) (tabular.TrainStats, error) {
	if r.resumed == nil {
		return tabular.TrainStats{}, nil
	}
	if err := agent.Load(r.resumed); err != nil {
		return tabular.TrainStats{}, fmt.Errorf("resuming %s: %w", r.dir.Path, err)
	}
	if !slices.Contains(r.resumed.Sections(), "env_rng") {
		return tabular.TrainStats{}, fmt.Errorf("cannot resume %s: %s has no RNGState method, so its random state "+
			"was not saved and the run cannot continue exactly; start a new run", r.dir.Path, e.Spec().ID)
	}
	var envState uint64
	if err := r.resumed.GetJSON("env_rng", &envState); err != nil {
		return tabular.TrainStats{}, err
	}
	e.Seed(envState)
	return tabular.TrainStats{Episodes: r.counters.Episodes, Steps: r.counters.Steps}, nil
}

// tabularChunkInRun trains up to tabularChunk episodes (within the budget
// left), logs each, and adds them to done.
func tabularChunkInRun(ctx context.Context, r *Run, agent *tabular.Agent, e env.Env, b tabular.Budget, done *tabular.TrainStats) error {
	chunk := tabular.Budget{Episodes: tabularChunk}
	if b.Episodes > 0 {
		chunk.Episodes = min(chunk.Episodes, b.Episodes-done.Episodes)
	}
	if b.Steps > 0 {
		chunk.Steps = b.Steps - done.Steps
	}
	base := *done
	var logErr error
	st, err := agent.Train(ctx, e, chunk, func(s tabular.TrainStats, ret float64, length int64) {
		if err := r.episode(base.Steps+s.Steps, base.Episodes+s.Episodes, ret, length, nil); err != nil && logErr == nil {
			logErr = err
		}
	})
	done.Episodes += st.Episodes
	done.Steps += st.Steps
	if logErr != nil {
		return logErr
	}
	if err != nil && !errors.Is(err, context.Canceled) && ctx.Err() == nil {
		return err
	}
	if b.Episodes > 0 {
		r.bar.Update(done.Episodes)
	} else {
		r.bar.Update(done.Steps)
	}
	return nil
}
