package envcheck

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/xlrl/xlrl/internal/env"
)

func TestBuiltinsPass(t *testing.T) {
	for _, id := range env.IDs() {
		t.Run(id, func(t *testing.T) {
			rep, err := Run(func() (env.Env, error) { return env.Make(id) }, Options{Seed: 3, Steps: 1500})
			if err != nil {
				t.Fatal(err)
			}
			if !rep.OK {
				t.Fatalf("%s: %+v", id, rep.Checks)
			}
			// Random actions rarely end MountainCar (200 steps) or CliffWalking (no limit).
			if rep.Episodes == 0 && id != "MountainCar-v0" && !strings.HasPrefix(id, "CliffWalking") {
				t.Errorf("no episode ended in 1500 steps")
			}
		})
	}
}

// broken is a one-dimensional environment with a configurable defect.
type broken struct {
	spec   env.Spec
	defect string
	x      float64
	t      int
	rng    *rand.Rand
	obs    []float64
}

func (b *broken) Spec() *env.Spec { return &b.spec }
func (b *broken) Seed(s uint64)   { b.rng = rand.New(rand.NewPCG(s, 1)) }
func (b *broken) Reset() []float64 {
	b.t = 0
	b.x = b.rng.Float64() * 0.1
	if b.defect == "unseeded" {
		b.x = rand.Float64() * 0.1 // the global source: Seed does not set it
	}
	b.obs[0] = b.x
	return b.obs
}

func (b *broken) Step(a env.Action) ([]float64, float64, bool, bool) {
	if err := env.ValidateAction(&b.spec, a); err != nil && b.defect != "accepts-bad-actions" {
		panic(err)
	}
	b.t++
	b.x += 0.1
	r := 1.0
	switch b.defect {
	case "outside":
		b.x = 5
	case "nan-reward":
		r = math.NaN()
	case "panics":
		if b.t == 3 {
			panic(&env.Failure{Err: errString("the simulator crashed")})
		}
	}
	b.obs[0] = b.x
	trunc := b.t >= 10 && b.defect != "no-truncation"
	return b.obs, r, false, trunc
}

type errString string

func (e errString) Error() string { return string(e) }

func TestDefectsAreFound(t *testing.T) {
	tests := []struct {
		defect string
		check  string
		detail string
	}{
		{"outside", "observations inside the space", "outside Box(1)"},
		{"nan-reward", "rewards finite", "NaN"},
		{"unseeded", "same seed, same trajectory", "step 0 differs in its observation"},
		{"no-truncation", "time limit", "without truncated set"},
		{"accepts-bad-actions", "invalid action refused", "was accepted"},
		{"panics", "reset/step", "the simulator crashed"},
	}
	for _, tt := range tests {
		t.Run(tt.defect, func(t *testing.T) {
			mk := func() (env.Env, error) {
				b := &broken{defect: tt.defect, obs: make([]float64, 1), spec: env.Spec{ID: "Broken-v0",
					Observation: env.Space{Kind: env.Box, Low: []float64{0}, High: []float64{2}},
					Action:      env.Space{Kind: env.Discrete, N: 2}, MaxEpisodeSteps: 10}}
				b.Seed(0)
				return b, nil
			}
			rep, err := Run(mk, Options{Seed: 1, Steps: 200})
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK {
				t.Fatalf("a %s environment passed: %+v", tt.defect, rep.Checks)
			}
			found := false
			for _, c := range rep.Checks {
				if c.Name == tt.check && !c.OK && strings.Contains(c.Detail, tt.detail) {
					found = true
				}
			}
			if !found {
				t.Fatalf("no failed %q check mentioning %q: %+v", tt.check, tt.detail, rep.Checks)
			}
		})
	}
}
