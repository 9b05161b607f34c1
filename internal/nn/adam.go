package nn

import "math"

// Adam is the Adam optimizer exactly as Keras 3 implements it (defaults
// beta1 0.9, beta2 0.999, epsilon 1e-7), so the go and tf backends take the
// same steps from the same gradients.
type Adam struct {
	LR, Beta1, Beta2, Eps float64
	m, v                  []float32
	t                     int
	s                     scratch // the vector kernels' room
}

// NewAdam returns Adam with Keras's defaults for n parameters.
func NewAdam(lr float64, n int) *Adam {
	return &Adam{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-7, m: make([]float32, n), v: make([]float32, n)}
}

// Step applies one update of params with gradient g.
func (o *Adam) Step(params, g []float32) {
	o.t++
	b1p := math.Pow(o.Beta1, float64(o.t))
	b2p := math.Pow(o.Beta2, float64(o.t))
	alpha := float32(o.LR * math.Sqrt(1-b2p) / (1 - b1p))
	b1, b2, eps := float32(o.Beta1), float32(o.Beta2), float32(o.Eps)
	adamStep(params, g, o.m, o.v, alpha, 1-b1, 1-b2, eps, &o.s)
}

// Steps is the number of updates taken so far.
func (o *Adam) Steps() int { return o.t }
