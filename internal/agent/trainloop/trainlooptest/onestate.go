// Package trainlooptest holds environments for testing the deep RL agents.
package trainlooptest

import "github.com/xlrl/xlrl/internal/env"

// OneState is a one-state environment for testing bootstrapping: every step
// pays 1 and ends the episode, by termination (Terminates) or by a time
// limit of one step (truncation). With discount gamma the true value is 1
// when it terminates and 1/(1-gamma) when it is truncated, because the
// episode boundary is then not a terminal state.
type OneState struct {
	Terminates bool
	spec       env.Spec
	obs        []float64
}

// NewOneState returns the environment with nActions actions.
func NewOneState(terminates bool, nActions int) *OneState {
	return &OneState{Terminates: terminates, obs: []float64{1, -1}, spec: env.Spec{ID: "OneState",
		Observation: env.Space{Kind: env.Box, Low: []float64{-1, -1}, High: []float64{1, 1}},
		Action:      env.Space{Kind: env.Discrete, N: nActions}, MaxEpisodeSteps: 1}}
}

func (o *OneState) Spec() *env.Spec  { return &o.spec }
func (o *OneState) Seed(uint64)      {}
func (o *OneState) Reset() []float64 { return o.obs }
func (o *OneState) Step(env.Action) ([]float64, float64, bool, bool) {
	return o.obs, 1, o.Terminates, !o.Terminates
}
