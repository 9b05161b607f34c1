package tabular

import (
	"fmt"
	"math"

	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/mdp"
)

// Optimality compares a learnt greedy policy with the exact optima of its
// environment's model, all within the same horizon and with no discount (the
// criterion Gymnasium's episodic tasks are judged by).
type Optimality struct {
	// Horizon is the number of steps the values count.
	Horizon int `json:"horizon"`
	// PolicyValue is the exact expected return of the greedy policy from the
	// initial distribution (computed from the model, no sampling noise).
	PolicyValue float64 `json:"policy_value"`
	// Optimum is the finite-horizon optimum. With a time limit it is reached
	// only by a policy that depends on the steps left (FrozenLake 4x4
	// within 100 steps: 0.7442), which a table of Q-values is not.
	Optimum float64 `json:"optimum"`
	// BestStationary is the value of the best policy that picks one action
	// per state whatever the time (FrozenLake 4x4: 0.7402): the best a
	// greedy tabular policy can do. StationaryExact is false when the search
	// hit its node limit; the value is then the best policy found, never below
	// PolicyValue.
	BestStationary  float64 `json:"best_stationary"`
	StationaryExact bool    `json:"best_stationary_exact"`
	// PercentOfOptimum and PercentOfStationary compare PolicyValue with the
	// two optima (percentOf); nil where the ratio has no meaning.
	PercentOfOptimum    *float64 `json:"optimum_percent,omitempty"`
	PercentOfStationary *float64 `json:"best_stationary_percent,omitempty"`
}

// stationaryNodes bounds the search for the best stationary policy: FrozenLake
// 4x4 takes 5 nodes, 8x8 229, Taxi 1 (each node costs one backward induction).
const stationaryNodes = 20_000

// CompareWithOptimum computes the exact value of the greedy policy pi on m
// within horizon steps and compares it with the finite-horizon optimum and
// with the best stationary policy (mdp.BestStationary). Percentages come from
// exact values, so they are free of evaluation noise and at most 100.
func CompareWithOptimum(m env.Model, pi []int, horizon int) (*Optimality, error) {
	if horizon <= 0 {
		return nil, fmt.Errorf("comparing with the optimum needs a positive horizon, got %d (cut environments with no time limit where evaluation cuts them)", horizon)
	}
	v, err := mdp.EvaluatePolicy(m, pi, horizon, 1)
	if err != nil {
		return nil, err
	}
	sol, err := mdp.FiniteHorizon(m, horizon, 1)
	if err != nil {
		return nil, err
	}
	st, err := mdp.BestStationary(m, horizon, 1, stationaryNodes, pi)
	if err != nil {
		return nil, err
	}
	o := &Optimality{
		Horizon:         horizon,
		PolicyValue:     mdp.StartValue(m, v),
		Optimum:         mdp.StartValue(m, sol.V),
		BestStationary:  st.Value,
		StationaryExact: st.Exact,
	}
	if p, ok := percentOf(o.PolicyValue, o.Optimum); ok {
		o.PercentOfOptimum = &p
	}
	if p, ok := percentOf(o.PolicyValue, o.BestStationary); ok {
		o.PercentOfStationary = &p
	}
	return o, nil
}

// percentOf compares a policy's value with an optimum it cannot exceed:
// value/optimum for positive optima (success probabilities, Taxi's return),
// optimum/value for negative ones (costs: -13 against -15 is 86.7%), 100
// when both are 0. A value of the other sign than the optimum (Taxi's -200
// against 7.93) has no meaningful ratio, so none is given. The result is
// capped at 100 against rounding in the last bits.
func percentOf(value, optimum float64) (float64, bool) {
	var p float64
	switch {
	case optimum > 0 && value >= 0:
		p = 100 * value / optimum
	case optimum < 0 && value < 0:
		p = 100 * optimum / value
	case optimum == 0 && value == 0:
		p = 100
	default:
		return 0, false
	}
	return math.Min(p, 100), true
}
