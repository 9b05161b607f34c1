package main

import (
	"math"
	"testing"
)

func TestPercentOfOptimum(t *testing.T) {
	tests := []struct {
		mean, opt float64
		want      float64
		ok        bool
	}{
		{0.7405, 0.7442, 99.50, true},
		{7.93, 7.93, 100, true},
		{-15, -13, 86.67, true},
		{-13, -13, 100, true},
		{-124.6, 7.93, 0, false}, // opposite signs: no ratio
		{5, -13, 0, false},
		{0.5, 0, 0, false},
	}
	for _, tt := range tests {
		got, ok := percentOfOptimum(tt.mean, tt.opt)
		if ok != tt.ok || (ok && math.Abs(got-tt.want) > 0.01) {
			t.Errorf("percentOfOptimum(%g, %g) = %.2f, %v; want %.2f, %v", tt.mean, tt.opt, got, ok, tt.want, tt.ok)
		}
	}
}
