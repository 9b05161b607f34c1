package env

import (
	"fmt"
	"time"
)

// RandomSteps takes steps uniformly random actions in one environment of id
// on the calling goroutine, resetting whenever an episode ends (terminated
// or at the registered time limit), and returns the elapsed time. It is the
// single-core throughput measurement of `xlrl bench env`.
//
// CartPole runs through its concrete type (a direct call, no interface
// dispatch per step); other discrete environments go through Env.
func RandomSteps(id string, steps int, seed uint64) (time.Duration, error) {
	e, err := Make(id)
	if err != nil {
		return 0, err
	}
	spec := e.Spec()
	if spec.Action.Kind != Discrete {
		return 0, fmt.Errorf("%s: random-action benchmark needs a discrete action space, not %s", id, spec.Action)
	}
	maxSteps := spec.MaxEpisodeSteps
	rng := NewRNG(seed)
	raw := Unwrapped(e)
	raw.Seed(seed + 1)
	start := time.Now()
	if c, ok := raw.(*CartPole); ok {
		var obs [4]float64
		c.ResetInto(obs[:])
		elapsed := 0
		for i := 0; i < steps; i++ {
			_, term := c.StepDiscrete(int(rng.Uint64()>>63), obs[:])
			elapsed++
			if term || elapsed == maxSteps {
				c.ResetInto(obs[:])
				elapsed = 0
			}
		}
		return time.Since(start), nil
	}
	n := spec.Action.N
	e.Reset()
	for i := 0; i < steps; i++ {
		if _, _, term, trunc := e.Step(DiscreteAction(rng.Intn(n))); term || trunc {
			e.Reset()
		}
	}
	return time.Since(start), nil
}

// VectorRandomSteps steps a Vector of n copies of id on up to workers
// goroutines with random actions until at least steps env-steps are done,
// and returns the number done and the elapsed time. If parallel is not nil
// it receives the share of vector steps that ran on more than one goroutine
// (the Vector chooses; see NewVector).
func VectorRandomSteps(id string, n, workers, steps int, seed uint64, parallel *float64) (int, time.Duration, error) {
	v, err := NewVector(id, n, workers, seed)
	if err != nil {
		return 0, 0, err
	}
	defer v.Close()
	if v.Spec().Action.Kind != Discrete {
		return 0, 0, fmt.Errorf("%s: random-action benchmark needs a discrete action space, not %s", id, v.Spec().Action)
	}
	calls, multi := 0, 0
	if parallel != nil {
		defer func() { *parallel = float64(multi) / float64(max(calls, 1)) }()
	}
	k := v.Spec().Action.N
	rng := NewRNG(seed)
	actions := make([]int, n)
	v.Reset()
	done := 0
	start := time.Now()
	for done < steps {
		for i := range actions {
			actions[i] = rng.Intn(k)
		}
		if v.Workers() > 1 {
			multi++
		}
		calls++
		v.StepDiscrete(actions)
		done += n
	}
	return done, time.Since(start), nil
}
