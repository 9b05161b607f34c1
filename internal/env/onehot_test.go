package env

import "testing"

func TestOneHotEncodesDiscreteObservations(t *testing.T) {
	raw, err := Make("FrozenLake-v1", WithSlippery(false))
	if err != nil {
		t.Fatal(err)
	}
	e := OneHot(raw)
	spec := e.Spec()
	if spec.Observation.Kind != Box || spec.Observation.Dim() != 16 || spec.Observation.High[3] != 1 {
		t.Fatalf("observation space %v, want Box(16) in [0, 1]", spec.Observation)
	}
	if raw.Spec().Observation.Kind != Discrete {
		t.Fatal("OneHot changed the wrapped environment's spec")
	}
	e.Seed(1)
	want := func(obs []float64, state int) {
		t.Helper()
		for i, v := range obs {
			if (i == state) != (v == 1) || (v != 0 && v != 1) {
				t.Fatalf("observation %v, want one-hot %d", obs, state)
			}
		}
	}
	want(e.Reset(), 0)
	obs, _, _, _ := e.Step(DiscreteAction(2)) // right: 0 -> 1 on the non-slippery map
	want(obs, 1)
	obs, _, _, _ = e.Step(DiscreteAction(1)) // down: 1 -> 5, a hole
	want(obs, 5)
	if _, ok := ModelOf(e); !ok {
		t.Error("ModelOf does not reach through OneHot")
	}
	cp, _ := Make("CartPole-v1")
	if OneHot(cp) != cp {
		t.Error("OneHot wrapped an environment with vector observations")
	}
}
