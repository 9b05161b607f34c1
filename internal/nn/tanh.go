package nn

// tanhGo replaces every y[j] by tanh32(y[j]); tanhInPlace is it with vector
// instructions where the processor has them.
func tanhGo(y []float32) {
	for j, x := range y {
		y[j] = tanh32(x)
	}
}

// tanh32 is tanh in float32. math.Tanh works in float64 and calls Exp: it
// took three quarters of PPO's CartPole training (tanh hidden layers,
// rl-zoo's settings) on the go backend.
//
// The approximation is the rational function Eigen (and so TensorFlow on
// CPU) uses for float32 tanh: a degree-13 odd numerator over a degree-6 even
// denominator on [-7.9, 7.9], where tanh rounds to ±1 in float32 outside,
// and tanh(x) = x for |x| < 0.0004. Its error is a few float32 ulps
// (TestTanhAccuracy).
const (
	tanhClamp = 7.90531110763549805
	tanhTiny  = 0.0004

	tanhA1  = 4.89352455891786e-03
	tanhA3  = 6.37261928875436e-04
	tanhA5  = 1.48572235717979e-05
	tanhA7  = 5.12229709037114e-08
	tanhA9  = -8.60467152213735e-11
	tanhA11 = 2.00018790482477e-13
	tanhA13 = -2.76076847742355e-16

	tanhB0 = 4.89352518554385e-03
	tanhB2 = 2.26843463243900e-03
	tanhB4 = 1.18534705686654e-04
	tanhB6 = 1.19825839466702e-06
)

func tanh32(x float32) float32 {
	if x > -tanhTiny && x < tanhTiny {
		return x
	}
	x = min(max(x, -tanhClamp), tanhClamp)
	x2 := x * x
	p := x2*tanhA13 + tanhA11
	p = x2*p + tanhA9
	p = x2*p + tanhA7
	p = x2*p + tanhA5
	p = x2*p + tanhA3
	p = x2*p + tanhA1
	p *= x
	q := x2*tanhB6 + tanhB4
	q = x2*q + tanhB2
	q = x2*q + tanhB0
	return p / q
}
