package env

import "math"

// Go's math.Sin and math.Cos are off by one unit in the last place for about
// a quarter of arguments compared with glibc's, which NumPy and Python call
// and which round correctly in practice. One ulp is enough to make rewards
// differ (Pendulum's cost is a function of the angle) and, over hundreds of
// steps, observations drift past 1e-5 (a balanced CartPole). So the
// environments use sinCos below: Cody-Waite reduction and the Taylor series
// with the leading terms in double-double arithmetic, rounded once at the
// end: correctly rounded, so it agrees with glibc wherever glibc is
// (TestSinCosAgainstGlibc, TestSinCosCorrectlyRounded).

// dd is an unevaluated sum hi + lo with |lo| <= ulp(hi)/2.
type dd struct{ hi, lo float64 }

func twoSum(a, b float64) dd {
	s := a + b
	bb := s - a
	return dd{s, (a - (s - bb)) + (b - bb)}
}

func fastTwoSum(a, b float64) dd {
	s := a + b
	return dd{s, b - (s - a)}
}

func twoProd(a, b float64) dd {
	p := a * b
	return dd{p, math.FMA(a, b, -p)}
}

func ddMul(a, b dd) dd {
	p := twoProd(a.hi, b.hi)
	return fastTwoSum(p.hi, p.lo+(a.hi*b.lo+a.lo*b.hi))
}

func ddAdd(a, b dd) dd {
	s := twoSum(a.hi, b.hi)
	return fastTwoSum(s.hi, s.lo+(a.lo+b.lo))
}

// ddRecip returns 1/n to double-double precision.
func ddRecip(n float64) dd {
	hi := 1 / n
	return dd{hi, -math.FMA(n, hi, -1) / n}
}

func ddNeg(a dd) dd { return dd{-a.hi, -a.lo} }

var (
	sinC3 = ddNeg(ddRecip(6))
	sinC5 = ddRecip(120)
	sinC7 = ddNeg(ddRecip(5040))
	cosC2 = dd{-0.5, 0}
	cosC4 = ddRecip(24)
	cosC6 = ddNeg(ddRecip(720))
	// Float64 is ample for the terms from r^9 (sin) and r^8 (cos) on: they are
	// below 1e-6 of the result for |r| <= pi/4.
	sinTail = [...]float64{1 / 362880.0, -1 / 39916800.0, 1 / 6227020800.0, -1 / 1307674368000.0,
		1 / 355687428096000.0, -1 / 121645100408832000.0, 1 / 51090942171709440000.0, -1 / 25852016738884976640000.0}
	cosTail = [...]float64{1 / 40320.0, -1 / 3628800.0, 1 / 479001600.0, -1 / 87178291200.0,
		1 / 20922789888000.0, -1 / 6402373705728000.0, 1 / 2432902008176640000.0, -1 / 1124000727777607680000.0}
)

// pi/2 in three 33-bit pieces and a tail (fdlibm's pio2_1, pio2_2, pio2_3,
// pio2_3t): k*piece is exact for |k| < 2^20.
const (
	pio2p1  = 1.57079632673412561417e+00
	pio2p2  = 6.07710050630396597660e-11
	pio2p3  = 2.02226624871116645580e-21
	pio2p3t = 8.47842766036889956997e-32
)

// reduce returns r = x - k*pi/2 in double-double with |r| <= ~pi/4, and k mod 4.
func reduce(x float64) (dd, int) {
	if math.Abs(x) <= math.Pi/4 {
		return dd{x, 0}, 0
	}
	k := math.RoundToEven(x * (2 / math.Pi))
	t := x - k*pio2p1
	s := twoSum(t, -k*pio2p2)
	s2 := twoSum(s.hi, -k*pio2p3)
	r := fastTwoSum(s2.hi, s.lo+s2.lo-k*pio2p3t)
	return r, int(int64(k) & 3)
}

// sinCosReduced evaluates sin(r) and cos(r) for |r| <= ~pi/4.
func sinCosReduced(r dd) (sin, cos float64) {
	z := ddMul(r, r)
	zh := z.hi
	hs := sinTail[7]
	hc := cosTail[7]
	for i := 6; i >= 0; i-- {
		hs = sinTail[i] + zh*hs
		hc = cosTail[i] + zh*hc
	}
	// S = 1 + z*(c3 + z*(c5 + z*(c7 + z*hs))); sin = r*S.
	s := ddAdd(sinC7, twoProd(zh, hs))
	s = ddAdd(sinC5, ddMul(z, s))
	s = ddAdd(sinC3, ddMul(z, s))
	s = ddAdd(dd{1, 0}, ddMul(z, s))
	s = ddMul(r, s)
	c := ddAdd(cosC6, twoProd(zh, hc))
	c = ddAdd(cosC4, ddMul(z, c))
	c = ddAdd(cosC2, ddMul(z, c))
	c = ddAdd(dd{1, 0}, ddMul(z, c))
	return s.hi, c.hi
}

// sinCos returns sin(x) and cos(x) rounded as glibc rounds them.
func sinCos(x float64) (sin, cos float64) {
	if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > 1e5 {
		return math.Sincos(x)
	}
	if x == 0 {
		return x, 1 // keeps the sign of zero
	}
	r, q := reduce(x)
	s, c := sinCosReduced(r)
	switch q {
	case 1:
		return c, -s
	case 2:
		return -s, -c
	case 3:
		return -c, s
	}
	return s, c
}

func sinAccurate(x float64) float64 { s, _ := sinCos(x); return s }
func cosAccurate(x float64) float64 { _, c := sinCos(x); return c }
