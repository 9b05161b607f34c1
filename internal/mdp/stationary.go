package mdp

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/xlrl/xlrl/internal/env"
)

// Stationary is the best stationary deterministic policy of a finite-horizon
// problem (BestStationary).
type Stationary struct {
	// Value is the policy's expected return from the initial distribution
	// within the horizon.
	Value float64
	// Policy is an action per state (0 in states no policy can reach).
	Policy []int
	// Bound is an upper bound on the value of every stationary deterministic
	// policy. It equals Value when Exact.
	Bound float64
	// Exact reports whether the search finished: Value is then the maximum.
	// When the node limit stops it first, Value is the best policy found and
	// the maximum lies in [Value, Bound].
	Exact bool
	// Nodes is the number of search nodes (one relaxed solve each).
	Nodes int
}

// ErrBadLimit is returned for a non-positive node limit.
var ErrBadLimit = errors.New("mdp: the search needs a positive node limit")

// BestStationary finds the stationary deterministic policy (one action per
// state, whatever the time) with the largest expected return from the
// initial distribution within horizon steps.
//
// What it means and why it needs a search: with a time limit the optimal
// policy depends on the steps left (FiniteHorizon), so the finite-horizon
// optimum can be out of reach of any stationary policy, which is what a
// tabular agent's greedy policy is. The best stationary policy is the right
// yardstick for such an agent. It is not found by policy iteration or by
// backward induction: the value of a stationary policy within H steps is a
// polynomial in its choices (a state visited at several times uses the same
// action each time), the problem has no Bellman equation over states alone,
// and improving one state's action can lower the value of another choice;
// the problem is NP-hard in general. (The best stationary policy of the
// problem with no time limit is yet another policy.)
//
// Method, exact branch and bound over the states a policy can reach:
//   - a node fixes the actions of some states; its bound is the
//     finite-horizon optimum (backward induction) when the fixed states must
//     use their action at every step and the others may use any action at
//     any step, which no stationary completion can beat;
//   - the same relaxed solution gives a candidate: each free state takes the
//     action the relaxed policy uses there most, weighted by the probability
//     of being there at each time; its exact value (policy evaluation) can
//     improve the best policy found so far;
//   - a node is pruned when its bound does not exceed the best value found
//     (within 1e-12, relative); otherwise it branches on the free state whose
//     relaxed visits disagree most with their majority action, trying the
//     actions in order of that weight.
//
// The search is exact up to floating-point rounding in the values. It is
// fast when the relaxation is tight, as on FrozenLake 4x4 within 100 steps,
// whose time-dependent optimum (0.7442) is close to the best stationary value.
// maxNodes bounds the work: when it is spent, the result says so (Exact
// false) and brackets the maximum with Value and Bound. The known policies,
// if any, start the search as candidates (a learnt policy, say), so that the
// result is never worse than any of them.
func BestStationary(m env.Model, horizon int, gamma float64, maxNodes int, known ...[]int) (*Stationary, error) {
	if horizon <= 0 {
		return nil, fmt.Errorf("mdp: horizon must be positive, got %d (with no time limit the optimal policy is stationary: use ValueIteration)", horizon)
	}
	if err := checkGamma(gamma); err != nil {
		return nil, err
	}
	if maxNodes <= 0 {
		return nil, fmt.Errorf("%w, got %d", ErrBadLimit, maxNodes)
	}
	t, err := load(m)
	if err != nil {
		return nil, err
	}
	init := m.InitialDistribution()
	if len(init) != t.nS {
		return nil, fmt.Errorf("mdp: initial distribution has %d entries for %d states", len(init), t.nS)
	}
	b := newBranchBound(t, init, horizon, gamma)
	for i, pi := range known {
		if len(pi) != t.nS {
			return nil, fmt.Errorf("mdp: known policy %d has %d entries for %d states", i, len(pi), t.nS)
		}
		for s, a := range pi {
			if a < 0 || a >= t.nA {
				return nil, fmt.Errorf("mdp: known policy %d takes action %d in state %d, outside [0, %d)", i, a, s, t.nA)
			}
		}
		if val := b.evaluate(pi); val > b.best {
			b.best, b.bestPi = val, slices.Clone(pi)
		}
	}
	return b.search(maxNodes), nil
}

// branchBound is the state of one BestStationary search.
type branchBound struct {
	t       *table
	init    []float64
	horizon int
	gamma   float64
	states  []int // the states a policy can be in before the end (reachable from init)

	fixed []int // the action of each state, -1 where free

	// Scratch of the relaxed solve: values per step and the relaxed
	// policy's action per (steps left, state).
	v, vNew []float64
	act     []int32 // act[k*nS+s]: action with k+1 steps left
	d, dNew []float64
	weight  []float64 // weight[s*nA+a]: visits of s that use a
	pi      []int

	best      float64
	bestPi    []int
	nodes     int
	openBound float64 // the largest bound of a node left unexplored
}

func newBranchBound(t *table, init []float64, horizon int, gamma float64) *branchBound {
	b := &branchBound{
		t: t, init: init, horizon: horizon, gamma: gamma,
		fixed: make([]int, t.nS),
		v:     make([]float64, t.nS), vNew: make([]float64, t.nS),
		act: make([]int32, horizon*t.nS),
		d:   make([]float64, t.nS), dNew: make([]float64, t.nS),
		weight: make([]float64, t.nS*t.nA),
		pi:     make([]int, t.nS),
		best:   math.Inf(-1), openBound: math.Inf(-1),
	}
	for s := range b.fixed {
		b.fixed[s] = -1
	}
	// Reachable states: from the initial support through non-terminal
	// outcomes of any action. Only their actions can matter.
	seen := make([]bool, t.nS)
	var queue []int
	for s, p := range init {
		if p > 0 && !seen[s] {
			seen[s] = true
			queue = append(queue, s)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		b.states = append(b.states, s)
		for a := range t.nA {
			for _, o := range t.p[s*t.nA+a] {
				if !o.Terminal && o.Prob > 0 && !seen[o.Next] {
					seen[o.Next] = true
					queue = append(queue, o.Next)
				}
			}
		}
	}
	slices.Sort(b.states)
	return b
}

// relax solves the relaxed problem of the current node: it returns its
// bound and fills act.
func (b *branchBound) relax() float64 {
	t, nA := b.t, b.t.nA
	v, vNew := b.v, b.vNew
	clear(v)
	for k := range b.horizon {
		row := b.act[k*t.nS : (k+1)*t.nS]
		for _, s := range b.states {
			if a := b.fixed[s]; a >= 0 {
				vNew[s], row[s] = t.q(s, a, v, b.gamma), int32(a)
				continue
			}
			best, bestA := math.Inf(-1), 0
			for a := range nA {
				if q := t.q(s, a, v, b.gamma); q > best+tieTol {
					best, bestA = q, a
				}
			}
			vNew[s], row[s] = best, int32(bestA)
		}
		v, vNew = vNew, v
	}
	b.v, b.vNew = v, vNew
	bound := 0.0
	for s, p := range b.init {
		bound += p * v[s]
	}
	return bound
}

// visits weighs each (state, action) of the relaxed policy by the
// (discounted) probability of being in the state when it is used.
func (b *branchBound) visits() {
	t, nA := b.t, b.t.nA
	clear(b.weight)
	d, dNew := b.d, b.dNew
	copy(d, b.init)
	disc := 1.0
	for step := range b.horizon {
		row := b.act[(b.horizon-1-step)*t.nS:]
		clear(dNew)
		for _, s := range b.states {
			if d[s] == 0 {
				continue
			}
			a := int(row[s])
			b.weight[s*nA+a] += disc * d[s]
			for _, o := range t.p[s*nA+a] {
				if !o.Terminal {
					dNew[o.Next] += d[s] * o.Prob
				}
			}
		}
		d, dNew = dNew, d
		disc *= b.gamma
	}
}

// evaluate is the start value of the stationary policy pi.
func (b *branchBound) evaluate(pi []int) float64 {
	t := b.t
	v, vNew := b.v, b.vNew
	clear(v)
	for range b.horizon {
		for _, s := range b.states {
			vNew[s] = t.q(s, pi[s], v, b.gamma)
		}
		v, vNew = vNew, v
	}
	b.v, b.vNew = v, vNew
	val := 0.0
	for s, p := range b.init {
		val += p * v[s]
	}
	return val
}

// prunes reports whether a node whose bound is bound cannot beat the best
// policy found.
func (b *branchBound) prunes(bound float64) bool {
	return bound <= b.best+1e-12*max(1, math.Abs(b.best))
}

func (b *branchBound) search(maxNodes int) *Stationary {
	rootBound := math.Inf(1)
	b.node(maxNodes, &rootBound)
	res := &Stationary{Value: b.best, Policy: b.bestPi, Nodes: b.nodes, Exact: b.openBound == math.Inf(-1)}
	res.Bound = b.best
	if !res.Exact {
		res.Bound = max(b.best, min(b.openBound, rootBound))
	}
	return res
}

// node explores the current node (b.fixed) and its subtree; rootBound
// receives the first (root) bound.
func (b *branchBound) node(maxNodes int, rootBound *float64) {
	b.nodes++
	bound := b.relax()
	if *rootBound == math.Inf(1) {
		*rootBound = bound
	}
	if b.prunes(bound) {
		return
	}
	b.visits()
	nA := b.t.nA
	// Candidate: the majority action of each free state; the branching state:
	// the one whose visits disagree most with that majority.
	branch, conflict := -1, 0.0
	for _, s := range b.states {
		if a := b.fixed[s]; a >= 0 {
			b.pi[s] = a
			continue
		}
		w := b.weight[s*nA : (s+1)*nA]
		top, total := 0, 0.0
		for a, x := range w {
			total += x
			if x > w[top] {
				top = a
			}
		}
		b.pi[s] = top
		if c := total - w[top]; c > conflict {
			branch, conflict = s, c
		}
	}
	if val := b.evaluate(b.pi); val > b.best {
		b.best, b.bestPi = val, slices.Clone(b.pi)
	}
	if branch < 0 || b.prunes(bound) {
		return // the relaxed policy is stationary: the candidate attains the bound
	}
	w := slices.Clone(b.weight[branch*nA : (branch+1)*nA])
	order := make([]int, nA)
	for a := range order {
		order[a] = a
	}
	slices.SortStableFunc(order, func(x, y int) int {
		switch {
		case w[x] > w[y]:
			return -1
		case w[x] < w[y]:
			return 1
		}
		return 0
	})
	for _, a := range order {
		if b.nodes >= maxNodes {
			// Unexplored children: each is bounded by this node's bound.
			b.openBound = max(b.openBound, bound)
			break
		}
		b.fixed[branch] = a
		b.node(maxNodes, rootBound)
	}
	b.fixed[branch] = -1
}
