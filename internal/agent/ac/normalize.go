package ac

import "math"

// RunningMeanStd is a running mean and variance per coordinate, combined
// batch by batch with Chan et al.'s parallel formula, as Stable-Baselines3's
// VecNormalize keeps them (starting from a count of 1e-4, mean 0, variance
// 1).
type RunningMeanStd struct {
	Mean  []float64 `json:"mean"`
	Var   []float64 `json:"var"`
	Count float64   `json:"count"`
}

// NewRunningMeanStd starts statistics for vectors of dim values.
func NewRunningMeanStd(dim int) *RunningMeanStd {
	s := &RunningMeanStd{Mean: make([]float64, dim), Var: make([]float64, dim), Count: 1e-4}
	for i := range s.Var {
		s.Var[i] = 1
	}
	return s
}

// Update folds in n rows of x (n*dim values, row-major).
func (s *RunningMeanStd) Update(x []float64, n int) {
	d := len(s.Mean)
	for j := 0; j < d; j++ {
		var m float64
		for r := 0; r < n; r++ {
			m += x[r*d+j]
		}
		m /= float64(n)
		var v float64
		for r := 0; r < n; r++ {
			e := x[r*d+j] - m
			v += e * e
		}
		v /= float64(n)
		delta := m - s.Mean[j]
		tot := s.Count + float64(n)
		s.Mean[j] += delta * float64(n) / tot
		m2 := s.Var[j]*s.Count + v*float64(n) + delta*delta*s.Count*float64(n)/tot
		s.Var[j] = m2 / tot
	}
	s.Count += float64(n)
}

// NormClip is VecNormalize's clip_obs and clip_reward.
const NormClip = 10

// Normalize writes clip((x - mean) / sqrt(var + 1e-8), -10, 10) into dst.
func (s *RunningMeanStd) Normalize(dst []float32, x []float64) {
	for j, v := range x {
		z := (v - s.Mean[j]) / math.Sqrt(s.Var[j]+1e-8)
		dst[j] = float32(min(max(z, -NormClip), NormClip))
	}
}

// Clone is an independent copy (the frozen statistics of a policy).
func (s *RunningMeanStd) Clone() *RunningMeanStd {
	return &RunningMeanStd{Mean: append([]float64(nil), s.Mean...), Var: append([]float64(nil), s.Var...), Count: s.Count}
}

// Normalize32 normalises rows of dim values in place, as Normalize does
// (a sampled batch's observations).
func (s *RunningMeanStd) Normalize32(x []float32) {
	d := len(s.Mean)
	for i, v := range x {
		j := i % d
		z := (float64(v) - s.Mean[j]) / math.Sqrt(s.Var[j]+1e-8)
		x[i] = float32(min(max(z, -NormClip), NormClip))
	}
}
