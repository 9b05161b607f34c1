// Package mdp solves tabular Markov decision processes exactly from their
// transition models (env.Model): finite-horizon dynamic programming (backward
// induction), value iteration and policy iteration.
//
// Gymnasium's tasks are episodic with a time limit, so the figure users quote
// ("FrozenLake 4x4 can be solved 74.42% of the time") is a finite-horizon
// value with no discount: the best success probability within 100 steps. That
// is what FiniteHorizon computes. Value and policy iteration solve the
// discounted (or, for stochastic shortest paths such as CliffWalking,
// undiscounted) infinite-horizon problem.
package mdp

import (
	"errors"
	"fmt"
	"math"

	"github.com/xlrl/xlrl/internal/env"
)

// Solution is an optimal value function and a policy that attains it.
type Solution struct {
	// V is the optimal value of each state (with the whole horizon ahead, for
	// finite-horizon problems).
	V []float64
	// Policy is an optimal action per state (the first-step action for
	// finite-horizon problems, where the optimal policy depends on time).
	Policy []int
	// Iterations is the number of sweeps (value iteration), improvement steps
	// (policy iteration) or the horizon (finite-horizon DP).
	Iterations int
}

// table is a model's transitions read once, so that sweeps do not call
// through the interface (and allocate) for every state-action pair.
type table struct {
	nS, nA int
	p      [][]env.Outcome // index s*nA + a
}

func load(m env.Model) (*table, error) {
	nS, nA := m.NumStates(), m.NumActions()
	if nS <= 0 || nA <= 0 {
		return nil, fmt.Errorf("mdp: model has %d states and %d actions", nS, nA)
	}
	t := &table{nS: nS, nA: nA, p: make([][]env.Outcome, nS*nA)}
	for s := range nS {
		for a := range nA {
			out := m.Transitions(s, a)
			sum := 0.0
			for _, o := range out {
				if o.Next < 0 || o.Next >= nS {
					return nil, fmt.Errorf("mdp: transition (%d, %d) leads to state %d outside [0, %d)", s, a, o.Next, nS)
				}
				sum += o.Prob
			}
			if math.Abs(sum-1) > 1e-9 {
				return nil, fmt.Errorf("mdp: transition probabilities of (%d, %d) sum to %g, not 1", s, a, sum)
			}
			t.p[s*nA+a] = out
		}
	}
	return t, nil
}

// q is the one-step lookahead value of (s, a) against the next-state values v.
func (t *table) q(s, a int, v []float64, gamma float64) float64 {
	sum := 0.0
	for _, o := range t.p[s*t.nA+a] {
		next := 0.0
		if !o.Terminal {
			next = v[o.Next]
		}
		sum += o.Prob * (o.Reward + gamma*next)
	}
	return sum
}

// tieTol lets the lowest-numbered action win among actions whose values
// differ only by rounding, so that policies are reproducible.
const tieTol = 1e-12

// backup sets vNew[s] = max_a q(s, a) and pi[s] to the maximising action.
func (t *table) backup(v, vNew []float64, pi []int, gamma float64) {
	for s := range t.nS {
		best, bestA := math.Inf(-1), 0
		for a := range t.nA {
			if q := t.q(s, a, v, gamma); q > best+tieTol {
				best, bestA = q, a
			}
		}
		vNew[s], pi[s] = best, bestA
	}
}

func checkGamma(gamma float64) error {
	if !(gamma > 0 && gamma <= 1) {
		return fmt.Errorf("mdp: discount %g outside (0, 1]", gamma)
	}
	return nil
}

// FiniteHorizon solves the problem of collecting the most expected
// (discounted) reward in at most horizon steps, by backward induction.
func FiniteHorizon(m env.Model, horizon int, gamma float64) (*Solution, error) {
	if horizon <= 0 {
		return nil, fmt.Errorf("mdp: horizon must be positive, got %d", horizon)
	}
	if err := checkGamma(gamma); err != nil {
		return nil, err
	}
	t, err := load(m)
	if err != nil {
		return nil, err
	}
	v, vNew := make([]float64, t.nS), make([]float64, t.nS)
	pi := make([]int, t.nS)
	for range horizon {
		t.backup(v, vNew, pi, gamma)
		v, vNew = vNew, v
	}
	return &Solution{V: v, Policy: pi, Iterations: horizon}, nil
}

// ErrNotConverged is returned when an iterative solver hits its sweep limit.
var ErrNotConverged = errors.New("mdp: did not converge")

// ValueIteration solves the infinite-horizon problem: sweeps of Bellman
// optimality backups until the largest change is below tol. With gamma = 1 it
// converges only where every optimal policy reaches a terminal state (a
// stochastic shortest path problem, e.g. CliffWalking).
func ValueIteration(m env.Model, gamma, tol float64, maxIter int) (*Solution, error) {
	if err := checkGamma(gamma); err != nil {
		return nil, err
	}
	t, err := load(m)
	if err != nil {
		return nil, err
	}
	v, vNew := make([]float64, t.nS), make([]float64, t.nS)
	pi := make([]int, t.nS)
	for it := 1; it <= maxIter; it++ {
		t.backup(v, vNew, pi, gamma)
		delta := 0.0
		for s := range v {
			delta = max(delta, math.Abs(vNew[s]-v[s]))
		}
		v, vNew = vNew, v
		if delta < tol {
			return &Solution{V: v, Policy: pi, Iterations: it}, nil
		}
	}
	return nil, fmt.Errorf("%w: value iteration after %d sweeps (use a discount below 1 or a finite horizon)", ErrNotConverged, maxIter)
}

// PolicyIteration alternates exact-to-tol policy evaluation and greedy
// improvement until the policy is stable. gamma must be below 1 so that
// every policy, including the initial one, has a finite value.
func PolicyIteration(m env.Model, gamma, tol float64, maxIter int) (*Solution, error) {
	if err := checkGamma(gamma); err != nil {
		return nil, err
	}
	if gamma == 1 {
		return nil, errors.New("mdp: policy iteration needs a discount below 1 (improper policies have no finite value); use value iteration or a finite horizon")
	}
	t, err := load(m)
	if err != nil {
		return nil, err
	}
	pi := make([]int, t.nS)
	v := make([]float64, t.nS)
	newPi := make([]int, t.nS)
	scratch := make([]float64, t.nS)
	for it := 1; it <= maxIter; it++ {
		if err := t.evaluate(pi, v, gamma, tol, 1_000_000); err != nil {
			return nil, err
		}
		t.backup(v, scratch, newPi, gamma)
		stable := true
		for s := range pi {
			// Switch only on a strict improvement, or ties would cycle.
			if newPi[s] != pi[s] && t.q(s, newPi[s], v, gamma) > t.q(s, pi[s], v, gamma)+tieTol {
				pi[s] = newPi[s]
				stable = false
			}
		}
		if stable {
			return &Solution{V: v, Policy: pi, Iterations: it}, nil
		}
	}
	return nil, fmt.Errorf("%w: policy iteration after %d improvements", ErrNotConverged, maxIter)
}

// evaluate computes the value of the stationary policy pi in place (Gauss-Seidel sweeps).
func (t *table) evaluate(pi []int, v []float64, gamma, tol float64, maxSweeps int) error {
	for range maxSweeps {
		delta := 0.0
		for s := range t.nS {
			nv := t.q(s, pi[s], v, gamma)
			delta = max(delta, math.Abs(nv-v[s]))
			v[s] = nv
		}
		if delta < tol {
			return nil
		}
	}
	return fmt.Errorf("%w: policy evaluation after %d sweeps", ErrNotConverged, maxSweeps)
}

// EvaluatePolicy is the expected (discounted) return of the stationary policy
// pi from each state within horizon steps.
func EvaluatePolicy(m env.Model, pi []int, horizon int, gamma float64) ([]float64, error) {
	if err := checkGamma(gamma); err != nil {
		return nil, err
	}
	t, err := load(m)
	if err != nil {
		return nil, err
	}
	if len(pi) != t.nS {
		return nil, fmt.Errorf("mdp: policy has %d entries for %d states", len(pi), t.nS)
	}
	v, vNew := make([]float64, t.nS), make([]float64, t.nS)
	for range horizon {
		for s := range t.nS {
			vNew[s] = t.q(s, pi[s], v, gamma)
		}
		v, vNew = vNew, v
	}
	return v, nil
}

// StartValue is the expected value of v under the model's initial distribution.
func StartValue(m env.Model, v []float64) float64 {
	sum := 0.0
	for s, p := range m.InitialDistribution() {
		sum += p * v[s]
	}
	return sum
}

// Solve is the exact optimum by the criterion an episodic task is judged by:
// backward induction over horizon steps when horizon > 0 (the time limit),
// value iteration to convergence otherwise (tasks with no time limit, such as
// CliffWalking, where gamma = 1 gives the shortest-path optimum).
func Solve(m env.Model, horizon int, gamma float64) (*Solution, error) {
	if horizon > 0 {
		return FiniteHorizon(m, horizon, gamma)
	}
	return ValueIteration(m, gamma, 1e-10, 1_000_000)
}
