package env

import "testing"

// coin is a user environment: one step, reward 1 for action 1.
type coin struct {
	spec *Spec
	obs  []float64
}

func (c *coin) Spec() *Spec      { return c.spec }
func (c *coin) Seed(uint64)      {}
func (c *coin) Reset() []float64 { c.obs[0] = 0; return c.obs }
func (c *coin) Step(a Action) ([]float64, float64, bool, bool) {
	c.obs[0] = 1
	return c.obs, float64(a.Discrete), true, false
}

// TestUserEnvVectorSharedBuffers: a registered env in a Vector that writes
// into caller-owned buffers (what envlib hands to numpy).
func TestUserEnvVectorSharedBuffers(t *testing.T) {
	spec := Spec{ID: "TestCoin-v0", Observation: Space{Kind: Box, Low: []float64{0}, High: []float64{1}},
		Action: Space{Kind: Discrete, N: 2}, MaxEpisodeSteps: 5}
	build := func() (Env, error) { s := spec; return &coin{spec: &s, obs: make([]float64, 1)}, nil }
	if err := Register(spec, build); err != nil {
		t.Fatal(err)
	}
	defer delete(registry, spec.ID)
	e, err := Make("TestCoin-v0")
	if err != nil {
		t.Fatal(err)
	}
	e.Reset()
	if _, r, term, _ := e.Step(DiscreteAction(1)); r != 1 || !term {
		t.Fatalf("reward %v terminated %v", r, term)
	}
	v, err := NewVector("TestCoin-v0", 3, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	obs, fin := make([]float64, 3), make([]float64, 3)
	rew, term, trunc := make([]float64, 3), make([]bool, 3), make([]bool, 3)
	if err := v.UseBuffers(obs, fin, rew, term, trunc); err != nil {
		t.Fatal(err)
	}
	v.Seed(9)
	v.Reset()
	v.StepDiscrete([]int{1, 0, 1})
	if rew[0] != 1 || rew[1] != 0 || !term[2] || fin[0] != 1 || obs[0] != 0 {
		t.Fatalf("shared buffers: rewards %v terminated %v final %v obs %v", rew, term, fin, obs)
	}
	if err := v.UseBuffers(obs[:1], fin, rew, term, trunc); err == nil {
		t.Fatal("short buffer accepted")
	}

	if err := Register(spec, build); err == nil {
		t.Fatal("an id registered twice was accepted")
	}
}
