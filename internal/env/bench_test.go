package env

import "testing"

// BenchmarkCartPoleStep is one CartPole step with a random action on the
// concrete fast path (the figure behind `xlrl bench env`'s steps_per_sec).
func BenchmarkCartPoleStep(b *testing.B) {
	c := NewCartPole()
	c.Seed(1)
	rng := NewRNG(2)
	var obs [4]float64
	c.ResetInto(obs[:])
	elapsed := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, term := c.StepDiscrete(int(rng.Uint64()>>63), obs[:])
		elapsed++
		if term || elapsed == 500 {
			c.ResetInto(obs[:])
			elapsed = 0
		}
	}
}

// BenchmarkEnvStep is one step through Make's wrapped Env interface.
func BenchmarkEnvStep(b *testing.B) {
	for _, id := range []string{"CartPole-v1", "MountainCar-v0", "Acrobot-v1", "FrozenLake-v1", "Taxi-v3"} {
		b.Run(id, func(b *testing.B) {
			e, err := Make(id)
			if err != nil {
				b.Fatal(err)
			}
			e.Seed(1)
			e.Reset()
			rng := NewRNG(2)
			n := e.Spec().Action.N
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, _, term, trunc := e.Step(DiscreteAction(rng.Intn(n))); term || trunc {
					e.Reset()
				}
			}
		})
	}
}

// BenchmarkVectorCartPole is one step of 256 CartPoles; ns/op / 256 is the
// cost of an env-step. "auto" lets the vector choose between one goroutine
// and two; "2" always steps on two.
func BenchmarkVectorCartPole(b *testing.B) {
	for _, tc := range []struct {
		name    string
		workers int
		fixed   bool
	}{{"workers=1", 1, false}, {"workers=auto2", 2, false}, {"workers=2", 2, true}} {
		b.Run(tc.name, func(b *testing.B) {
			v, err := NewVector("CartPole-v1", 256, tc.workers, 1)
			if err != nil {
				b.Fatal(err)
			}
			defer v.Close()
			if tc.fixed {
				v.tuner = workerTuner{max: 2, active: 2, fixed: true}
			}
			actions := make([]int, 256)
			rng := NewRNG(3)
			v.Reset()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for j := range actions {
					actions[j] = int(rng.Uint64() >> 63)
				}
				v.StepDiscrete(actions)
			}
		})
	}
}
