// Package tabular holds the table-based agents: Q-learning, SARSA, Expected
// SARSA and Double Q-learning. They share the Q-update kernel (qupdate) and
// the exploration strategies (policy), and learn from any environment whose
// observations and actions are both Discrete.
package tabular

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/policy"
	"github.com/xlrl/xlrl/internal/qupdate"
)

// The algorithm names New accepts.
const (
	QLearning     = "q-learning"
	SARSA         = "sarsa"
	ExpectedSARSA = "expected-sarsa"
	DoubleQ       = "double-q-learning"
)

// Algorithms lists the names in the order the help text shows them.
var Algorithms = []string{QLearning, SARSA, ExpectedSARSA, DoubleQ}

// IsAlgorithm reports whether name is a tabular algorithm.
func IsAlgorithm(name string) bool { return slices.Contains(Algorithms, name) }

// Config is what an agent needs besides the environment's spaces.
type Config struct {
	Algorithm string
	// LR is the learning rate at the start; LREnd, when positive, is where a
	// linear decay over LRDecayEpisodes episodes ends (a decaying step size
	// lets the table settle instead of chasing the latest sample).
	LR, LREnd       float64
	LRDecayEpisodes int64
	Gamma           float64
	Explore         policy.Config
	Seed            uint64
}

// Agent is a tabular learner. It is not safe for concurrent use.
type Agent struct {
	cfg      Config
	nS, nA   int
	q, q2    []float64 // q2: Double Q-learning's second table
	sum      []float64 // scratch: q + q2 for acting in Double Q-learning
	probs    []float64 // scratch for Expected SARSA
	explorer policy.Explorer
	lr       policy.Schedule
	rng      *rand.Rand
	src      *rand.PCG // rng's source, kept for checkpoints
}

// New checks cfg against the spaces and builds the agent.
func New(cfg Config, obs, act env.Space) (*Agent, error) {
	if !IsAlgorithm(cfg.Algorithm) {
		return nil, fmt.Errorf("unknown tabular algorithm %q: want one of %s", cfg.Algorithm, strings.Join(Algorithms, ", "))
	}
	if obs.Kind != env.Discrete || act.Kind != env.Discrete {
		return nil, fmt.Errorf("%s is tabular and needs Discrete observations and actions, got observations %s and actions %s; use a deep agent (e.g. dqn) for continuous spaces",
			cfg.Algorithm, obs, act)
	}
	if !(cfg.LR > 0 && cfg.LR <= 1) {
		return nil, fmt.Errorf("learning rate %g outside (0, 1]", cfg.LR)
	}
	if cfg.LREnd != 0 && !(cfg.LREnd > 0 && cfg.LREnd <= 1) {
		return nil, fmt.Errorf("final learning rate %g outside (0, 1]", cfg.LREnd)
	}
	if !(cfg.Gamma > 0 && cfg.Gamma <= 1) {
		return nil, fmt.Errorf("discount %g outside (0, 1]", cfg.Gamma)
	}
	ex, err := policy.New(cfg.Explore)
	if err != nil {
		return nil, err
	}
	if _, ok := ex.(policy.Distribution); cfg.Algorithm == ExpectedSARSA && !ok {
		return nil, fmt.Errorf("%s averages over the exploration policy's action probabilities, which %s does not define; use epsilon-greedy or boltzmann", ExpectedSARSA, ex)
	}
	var lr policy.Schedule = policy.Constant{V: cfg.LR}
	if cfg.LREnd > 0 {
		if cfg.LRDecayEpisodes <= 0 {
			return nil, errors.New("a final learning rate needs a positive number of decay episodes")
		}
		lr = policy.Linear{Start: cfg.LR, End: cfg.LREnd, Steps: cfg.LRDecayEpisodes}
	}
	a := &Agent{
		cfg: cfg, nS: obs.N, nA: act.N,
		q:        make([]float64, obs.N*act.N),
		probs:    make([]float64, act.N),
		explorer: ex,
		lr:       lr,
		src:      rand.NewPCG(cfg.Seed, 0x7461627561),
	}
	a.rng = rand.New(a.src)
	if cfg.Algorithm == DoubleQ {
		a.q2 = make([]float64, len(a.q))
		a.sum = make([]float64, act.N)
	}
	return a, nil
}

// Q is the action-value table, row s at [s*NumActions : (s+1)*NumActions]. For
// Double Q-learning it is the first of the two tables.
func (a *Agent) Q() []float64 { return a.q }

// Explorer is the agent's exploration strategy (its position is the episode count).
func (a *Agent) Explorer() policy.Explorer { return a.explorer }

// values is the row the agent acts on in state s.
func (a *Agent) values(s int) []float64 {
	row := a.q[s*a.nA : (s+1)*a.nA]
	if a.q2 == nil {
		return row
	}
	row2 := a.q2[s*a.nA : (s+1)*a.nA]
	for i := range row {
		a.sum[i] = row[i] + row2[i]
	}
	return a.sum
}

// Act picks an exploring action in state s.
func (a *Agent) Act(s int) int {
	if sel, ok := a.explorer.(policy.StateSelector); ok {
		return sel.SelectState(s, a.values(s), a.rng)
	}
	return a.explorer.Select(a.values(s), a.rng)
}

// Greedy is the deterministic greedy action in s (the first maximal one).
func (a *Agent) Greedy(s int) int { return policy.ArgmaxFirst(a.values(s)) }

// Policy is the greedy action of every state.
func (a *Agent) Policy() []int {
	pi := make([]int, a.nS)
	for s := range pi {
		pi[s] = a.Greedy(s)
	}
	return pi
}

// Budget bounds training: it stops at whichever limit is reached first
// (zero: no limit; at least one must be set).
type Budget struct {
	Episodes int64
	Steps    int64
}

// TrainStats summarises a training run.
type TrainStats struct {
	Episodes int64
	Steps    int64
}

// Train learns from episodes of e until the budget is spent. The
// environment must already be seeded. progress, if not nil, is called after
// each episode with the counts so far and the episode's return and length.
// Training stops between episodes (on cancellation too), so the agent is
// always at an episode boundary when Train returns.
func (a *Agent) Train(ctx context.Context, e env.Env, b Budget, progress func(st TrainStats, ret float64, length int64)) (TrainStats, error) {
	var st TrainStats
	if b.Episodes <= 0 && b.Steps <= 0 {
		return st, errors.New("training budget is empty: give a number of episodes or steps")
	}
	spec := e.Spec()
	if spec.Observation.Kind != env.Discrete || spec.Observation.N != a.nS || spec.Action.N != a.nA {
		return st, fmt.Errorf("environment %s (%s, %s) does not match the agent's table (%d states, %d actions)",
			spec.ID, spec.Observation, spec.Action, a.nS, a.nA)
	}
	for (b.Episodes <= 0 || st.Episodes < b.Episodes) && (b.Steps <= 0 || st.Steps < b.Steps) {
		if st.Episodes%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return st, fmt.Errorf("training stopped after %d episodes: %w", st.Episodes, err)
			}
		}
		ret, n := a.episode(e, b.Steps-st.Steps)
		st.Episodes++
		st.Steps += n
		a.explorer.Advance()
		if progress != nil {
			progress(st, ret, n)
		}
	}
	return st, nil
}

// episode runs one training episode (at most stepsLeft steps when that is
// positive) and returns its return and length.
func (a *Agent) episode(e env.Env, stepsLeft int64) (float64, int64) {
	lr := a.lr.Value(a.explorer.Position())
	gamma := a.cfg.Gamma
	s := int(e.Reset()[0])
	act := a.Act(s)
	ret, n := 0.0, int64(0)
	for {
		obs, r, terminated, truncated := e.Step(env.DiscreteAction(act))
		next := int(obs[0])
		ret += r
		n++
		end := terminated || truncated || (stepsLeft > 0 && n >= stepsLeft)
		i := s*a.nA + act
		nextRow := next * a.nA
		nextAct := -1
		switch a.cfg.Algorithm {
		case QLearning:
			a.q[i] = qupdate.Update(a.q[i], r, maxOf(a.q[nextRow:nextRow+a.nA]), lr, gamma, terminated)
		case SARSA:
			// The next action is both the one bootstrapped on and the one taken.
			bootstrap := 0.0
			if !terminated {
				nextAct = a.Act(next)
				bootstrap = a.q[nextRow+nextAct]
			}
			a.q[i] = qupdate.Update(a.q[i], r, bootstrap, lr, gamma, terminated)
		case ExpectedSARSA:
			row := a.q[nextRow : nextRow+a.nA]
			a.explorer.(policy.Distribution).Probs(row, a.probs)
			expect := 0.0
			for j, p := range a.probs {
				expect += p * row[j]
			}
			a.q[i] = qupdate.Update(a.q[i], r, expect, lr, gamma, terminated)
		case DoubleQ:
			// One table picks the next action, the other values it, which
			// removes the max operator's upward bias.
			upd, other := a.q, a.q2
			if a.rng.IntN(2) == 1 {
				upd, other = a.q2, a.q
			}
			best := policy.Argmax(upd[nextRow:nextRow+a.nA], a.rng)
			upd[i] = qupdate.Update(upd[i], r, other[nextRow+best], lr, gamma, terminated)
		}
		if end {
			return ret, n
		}
		if nextAct < 0 {
			nextAct = a.Act(next)
		}
		s, act = next, nextAct
	}
}

func maxOf(row []float64) float64 {
	m := row[0]
	for _, v := range row[1:] {
		m = max(m, v)
	}
	return m
}
