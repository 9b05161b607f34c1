package tabular

import (
	"math"
	"testing"

	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/mdp"
)

func modelOf(t *testing.T, id string) env.Model {
	t.Helper()
	e, err := env.Make(id)
	if err != nil {
		t.Fatal(err)
	}
	m, ok := env.ModelOf(e)
	if !ok {
		t.Fatalf("%s has no model", id)
	}
	return m
}

func TestPercentOf(t *testing.T) {
	for _, tt := range []struct {
		value, optimum float64
		want           float64
		ok             bool
	}{
		{0.7402, 0.7442, 99.4625, true},
		{0.7442, 0.7442, 100, true},
		{0.7442 + 1e-15, 0.7442, 100, true}, // rounding never shows above 100
		{0, 0.7442, 0, true},
		{-15, -13, 86.6667, true},
		{-13, -13, 100, true},
		{-200, 7.93, 0, false}, // a cost against a positive optimum: no ratio
		{1, -13, 0, false},
		{0, 0, 100, true},
	} {
		got, ok := percentOf(tt.value, tt.optimum)
		if ok != tt.ok || (ok && math.Abs(got-tt.want) > 1e-4) || got > 100 {
			t.Errorf("percentOf(%g, %g) = %g, %v; want %g, %v", tt.value, tt.optimum, got, ok, tt.want, tt.ok)
		}
	}
}

func TestCompareWithOptimumFrozenLake(t *testing.T) {
	m := modelOf(t, "FrozenLake-v1")
	best, err := mdp.BestStationary(m, 100, 1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name       string
		pi         []int
		value      float64
		pctOpt     float64
		pctStation float64
	}{
		{"best stationary", best.Policy, 0.7402, 99.46, 100},
		{"always left", make([]int, 16), 0, 0, 0},
	} {
		o, err := CompareWithOptimum(m, tt.pi, 100)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(o.Optimum-0.7442) > 5e-5 || math.Abs(o.BestStationary-0.7402) > 5e-5 || !o.StationaryExact {
			t.Errorf("%s: optimum %g, best stationary %g (exact %v); want 0.7442 and 0.7402", tt.name, o.Optimum, o.BestStationary, o.StationaryExact)
		}
		if math.Abs(o.PolicyValue-tt.value) > 5e-5 ||
			o.PercentOfOptimum == nil || math.Abs(*o.PercentOfOptimum-tt.pctOpt) > 0.01 ||
			o.PercentOfStationary == nil || math.Abs(*o.PercentOfStationary-tt.pctStation) > 0.01 {
			t.Errorf("%s: %+v; want value %g, %g%% and %g%%", tt.name, o, tt.value, tt.pctOpt, tt.pctStation)
		}
	}
}

func TestCompareWithOptimumCosts(t *testing.T) {
	// CliffWalking has no time limit: the comparison uses the evaluation cut.
	m := modelOf(t, "CliffWalking-v0")
	edge := make([]int, 48) // 0 up, 1 right, 2 down, 3 left; start at 36
	edge[36] = 0
	for c := 24; c < 35; c++ {
		edge[c] = 1
	}
	edge[35] = 2
	up := make([]int, 48) // walks into the top wall for ever
	for _, tt := range []struct {
		name  string
		pi    []int
		value float64
		pct   float64
	}{
		{"cliff edge", edge, -13, 100},
		{"into the wall", up, -1000, 1.3},
	} {
		o, err := CompareWithOptimum(m, tt.pi, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if o.Optimum != -13 || o.BestStationary != -13 || o.PolicyValue != tt.value ||
			math.Abs(*o.PercentOfOptimum-tt.pct) > 1e-9 || math.Abs(*o.PercentOfStationary-tt.pct) > 1e-9 {
			t.Errorf("%s: %+v; want value %g, %g%%", tt.name, o, tt.value, tt.pct)
		}
	}
	// Taxi: a policy that never delivers has no ratio to a positive optimum.
	o, err := CompareWithOptimum(modelOf(t, "Taxi-v3"), make([]int, 500), 200)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(o.Optimum-7.93) > 5e-3 || o.PercentOfOptimum != nil || o.PercentOfStationary != nil {
		t.Errorf("Taxi, always south: %+v", o)
	}
	if _, err := CompareWithOptimum(m, up, 0); err == nil {
		t.Error("horizon 0 accepted")
	}
}
