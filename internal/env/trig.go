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
	// The conversion pins p to the rounded product: where the compiler fuses
	// multiply-adds (arm64, GOAMD64=v3), a later p + c could otherwise use
	// the exact product, and the error term would be counted twice.
	p := float64(a * b)
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

// sinCosReduced evaluates sin(r) and cos(r) for |r| <= ~pi/4 in
// double-double (about 70 correct bits: the float64 tail limits it).
func sinCosReduced(r dd) (sin, cos dd) {
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
	return s, c
}

// sinCos returns sin(x) and cos(x) correctly rounded.
func sinCos(x float64) (sin, cos float64) {
	ax := math.Abs(x)
	if x != 0 && ax < 0.3 {
		if s, c, ok := sinCosSmall(x); ok {
			return s, c
		}
	} else if ax >= 0.3 && ax <= 1e5 {
		if s, c, ok := sinCosTable(x); ok {
			return s, c
		}
	}
	return sinCosDD(x)
}

// trigTable holds sin(j/128) and cos(j/128) in double-double for
// j = 0..103, enough for reduced arguments up to pi/4 and a little beyond.
var trigTable = func() (t [104][2]dd) {
	for j := range t {
		t[j][0], t[j][1] = sinCosReduced(dd{float64(j) / 128, 0})
	}
	return t
}()

// sinCosTable is the fast path for 0.3 <= |x| <= 1e5: reduce to
// r = x - k*pi/2, split |r| = a + b with a = j/128 from the table and
// |b| <= 1/256, and add sin(a)cos(b) + cos(a)sin(b) (and the cosine alike)
// with the leading product exact; Ziv's test decides whether the result is
// certainly rounded right, else the caller takes the double-double path.
func sinCosTable(x float64) (sin, cos float64, ok bool) {
	r, q := reduce(x)
	neg := r.hi < 0
	if neg {
		r = dd{-r.hi, -r.lo}
	}
	j := int(r.hi*128 + 0.5)
	b := r.hi - float64(j)/128 // exact: r.hi and j/128 are within a factor of 2
	sa, ca := trigTable[j][0], trigTable[j][1]
	z := b * b
	// cos(b+lo) - 1 and sin(b+lo) - b, where lo = r.lo is below an ulp of r.
	cb1 := z*(-0.5+z*(1.0/24-z*(1.0/720))) - b*r.lo
	sbt := b*z*(-1.0/6+z*(1.0/120-z*(1.0/5040))) + r.lo

	p := twoProd(ca.hi, b)
	sh := twoSum(sa.hi, p.hi)
	st := sh.lo + p.lo + sa.lo + sa.hi*cb1 + ca.hi*sbt + ca.lo*b
	m := twoProd(-sa.hi, b)
	ch := twoSum(ca.hi, m.hi)
	ct := ch.lo + m.lo + ca.lo + ca.hi*cb1 - sa.hi*sbt - sa.lo*b

	tail := math.Abs(cb1) + math.Abs(sbt)
	sErr := 0x1p-50*(math.Abs(sh.lo)+math.Abs(p.lo)+math.Abs(sa.lo)+tail) + 0x1p-68*sa.hi
	cErr := 0x1p-50*(math.Abs(ch.lo)+math.Abs(m.lo)+math.Abs(ca.lo)+tail) + 0x1p-68*ca.hi
	s, okS := roundedSum(sh.hi, st, sErr)
	c, okC := roundedSum(ch.hi, ct, cErr)
	if !okS || !okC {
		return 0, 0, false
	}
	if neg {
		s = -s
	}
	switch q {
	case 1:
		return c, -s, true
	case 2:
		return -s, -c, true
	case 3:
		return -c, s, true
	}
	return s, c, true
}

// sinCosSmall is the fast path for |x| < 0.3 (a running CartPole's angle):
// plain float64 series around an exact x^2, then Ziv's test: if the error
// bound could move the sum across a rounding boundary, it reports !ok and
// the caller takes the double-double path (a few percent of calls at most).
func sinCosSmall(x float64) (sin, cos float64, ok bool) {
	zp := twoProd(x, x)
	z := zp.hi
	// The series' small terms by Estrin's scheme (independent pairs, then
	// powers of z), which shortens the chain of dependent multiply-adds
	// that Horner's rule makes; the terms are below 1/120 of the leading
	// one, so their rounding stays far inside the error bounds below.
	z2 := z * z
	z4 := z2 * z2
	qs := (1.0/120 + z*(-1.0/5040)) + z2*(1.0/362880+z*(-1.0/39916800)) + z4*(1.0/6227020800)
	ps := -1.0/6 + z*qs
	ts := x*z*ps + x*zp.lo*(-1.0/6)
	qc := (-1.0/720 + z*(1.0/40320)) + z2*(-1.0/3628800+z*(1.0/479001600)) + z4*(-1.0/87178291200)
	pc := 1.0/24 + z*qc
	// fastTwoSum is exact here: |x| > |ts| and 1 > |z/2|, |tc|.
	h := fastTwoSum(1, -0.5*z)
	tc := h.lo + (-0.5*zp.lo + z2*pc)
	rs := fastTwoSum(x, ts)
	rc := fastTwoSum(h.hi, tc)
	// cos lies in [0.95, 1], where half an ulp below the result is 2^-54.
	okC := math.Abs(rc.lo)+0x1p-50*(math.Abs(h.lo)+z2*0.05) < 0x1p-54
	okS := math.Abs(rs.lo)+0x1p-50*math.Abs(ts) < halfUlpBelow(math.Abs(rs.hi))
	return rs.hi, rc.hi, okS && okC
}

// halfUlpBelow is half the gap between a > 0 (finite) and the next float64 below it.
func halfUlpBelow(a float64) float64 {
	return (a - math.Float64frombits(math.Float64bits(a)-1)) / 2
}

// roundedSum rounds hi + t, where t is known to within err, and says whether
// that rounding is certain.
func roundedSum(hi, t, err float64) (float64, bool) {
	r := twoSum(hi, t)
	// |r.hi| is positive and finite here: the results are near 1 or near x != 0
	return r.hi, math.Abs(r.lo)+err < halfUlpBelow(math.Abs(r.hi))
}

// sinCosDD is the general path: Cody-Waite reduction and double-double series.
func sinCosDD(x float64) (sin, cos float64) {
	if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > 1e5 {
		return math.Sincos(x)
	}
	if x == 0 {
		return x, 1 // keeps the sign of zero
	}
	r, q := reduce(x)
	sd, cd := sinCosReduced(r)
	s, c := sd.hi, cd.hi
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
