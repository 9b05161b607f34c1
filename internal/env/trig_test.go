package env

import (
	"encoding/binary"
	"math"
	"math/big"
	"os"
	"testing"
)

// testdata/trig.bin holds (x, sin x, cos x) triples computed by glibc through
// NumPy (scripts/record_parity.py writes it).
func TestSinCosAgainstGlibc(t *testing.T) {
	b, err := os.ReadFile("testdata/trig.bin")
	if err != nil {
		t.Fatal(err)
	}
	f := func(i int) float64 { return math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:])) }
	n, badSin, badCos, badMath := len(b)/24, 0, 0, 0
	for i := 0; i < n; i++ {
		x, ws, wc := f(3*i), f(3*i+1), f(3*i+2)
		s, c := sinCos(x)
		if s != ws {
			badSin++
		}
		if c != wc {
			badCos++
		}
		if ms, mc := math.Sincos(x); ms != ws || mc != wc {
			badMath++
		}
	}
	if n < 10000 {
		t.Fatalf("only %d arguments in testdata/trig.bin", n)
	}
	t.Logf("differ from glibc: sinCos sin %d, cos %d; math.Sincos %d of %d", badSin, badCos, badMath, n)
	// glibc itself misrounds a fraction of a percent (by one ulp); Go's own
	// functions differ on about a third of the arguments.
	if badCos > n/200 || badSin > n/200 || badMath < 10*(badSin+badCos) {
		t.Errorf("sinCos differs from glibc: sin %d, cos %d of %d (math.Sincos: %d)", badSin, badCos, n, badMath)
	}
}

// bigSinCos is sin(x) and cos(x) from their Taylor series in 400-bit
// arithmetic (|x| <= 40: the largest term, about 40^40/40!, loses 60 bits).
func bigSinCos(x float64) (float64, float64) {
	const prec = 400
	bx := new(big.Float).SetPrec(prec).SetFloat64(x)
	x2 := new(big.Float).SetPrec(prec).Mul(bx, bx)
	sum := func(first *big.Float, k int64) float64 {
		s := new(big.Float).SetPrec(prec).Set(first)
		term := new(big.Float).SetPrec(prec).Set(first)
		for n := int64(1); n < 200; n++ {
			term.Mul(term, x2)
			term.Quo(term, new(big.Float).SetPrec(prec).SetInt64(-(2*n+k-1)*(2*n+k)))
			s.Add(s, term)
		}
		v, _ := s.Float64()
		return v
	}
	return sum(bx, 1), sum(new(big.Float).SetPrec(prec).SetInt64(1), 0)
}

// TestSinCosCorrectlyRounded checks sinCos against 400-bit arithmetic, and
// shows that plain float64 (math.Sincos) is not enough.
func TestSinCosCorrectlyRounded(t *testing.T) {
	rng := NewRNG(3)
	mathWrong := 0
	for i := 0; i < 1500; i++ {
		var x float64
		switch i % 3 {
		case 0:
			x = rng.Uniform(-0.3, 0.3)
		case 1:
			x = rng.Uniform(-4.5, 4.5)
		default:
			x = rng.Uniform(-40, 40)
		}
		ws, wc := bigSinCos(x)
		if s, c := sinCos(x); s != ws || c != wc {
			t.Fatalf("sinCos(%v) = %v, %v; correctly rounded %v, %v", x, s, c, ws, wc)
		}
		if s, c := math.Sincos(x); s != ws || c != wc {
			mathWrong++
		}
	}
	if mathWrong == 0 {
		t.Error("math.Sincos was always right: the test arguments are too easy")
	}
}

// TestSinCosFastPath checks the small-argument fast path against the
// double-double path wherever it claims certainty, and that it claims it
// for nearly all of CartPole's angles.
func TestSinCosFastPath(t *testing.T) {
	rng := NewRNG(4)
	fallbacks := 0
	const n = 200000
	for i := 0; i < n; i++ {
		x := rng.Uniform(-0.3, 0.3) * rng.Float64()
		s, c, ok := sinCosSmall(x)
		if !ok {
			fallbacks++
			continue
		}
		if ws, wc := sinCosDD(x); s != ws || c != wc {
			t.Fatalf("sinCosSmall(%v) = %v, %v; double-double %v, %v", x, s, c, ws, wc)
		}
	}
	if fallbacks > n/20 {
		t.Errorf("fast path gave up on %d of %d arguments", fallbacks, n)
	}
	t.Logf("fast path gave up on %d of %d arguments", fallbacks, n)
}

// TestSinCosTablePath checks the table path against the double-double path
// wherever it claims certainty, over the arguments the environments see.
func TestSinCosTablePath(t *testing.T) {
	rng := NewRNG(5)
	fallbacks := 0
	const n = 200000
	for i := 0; i < n; i++ {
		x := rng.Uniform(-40, 40)
		if i%2 == 0 {
			x = rng.Uniform(-4, 4)
		}
		if math.Abs(x) < 0.3 {
			continue
		}
		s, c, ok := sinCosTable(x)
		if !ok {
			fallbacks++
			continue
		}
		if ws, wc := sinCosDD(x); s != ws || c != wc {
			t.Fatalf("sinCosTable(%v) = %v, %v; double-double %v, %v", x, s, c, ws, wc)
		}
	}
	if fallbacks > n/50 {
		t.Errorf("table path gave up on %d of %d arguments", fallbacks, n)
	}
	t.Logf("table path gave up on %d of %d arguments", fallbacks, n)
}

var trigSink float64

// BenchmarkSinCos compares the correctly rounded sinCos with math.Sincos on
// CartPole-sized angles (the fast path) and on larger ones (the table path).
func BenchmarkSinCos(b *testing.B) {
	for _, bc := range []struct {
		name string
		x0   float64
		f    func(float64) (float64, float64)
	}{
		{"small/sinCos", 0.05, sinCos},
		{"small/math.Sincos", 0.05, math.Sincos},
		{"large/sinCos", 2.5, sinCos},
		{"large/math.Sincos", 2.5, math.Sincos},
	} {
		b.Run(bc.name, func(b *testing.B) {
			x := bc.x0
			for i := 0; i < b.N; i++ {
				s, c := bc.f(x)
				trigSink += s + c
				x += 1e-9
			}
		})
	}
}

// TestCartPoleConstants recomputes the derived constants the way Gymnasium
// does, one rounded float64 operation at a time.
func TestCartPoleConstants(t *testing.T) {
	masspole, masscart, length, pi := 0.1, 1.0, 0.5, math.Pi
	four, three, twelve, two, deg := 4.0, 3.0, 12.0, 2.0, 360.0
	for _, tt := range []struct {
		name      string
		got, want float64
	}{
		{"total mass", cpTotalMass, masspole + masscart},
		{"polemass_length", cpPoleMassLen, masspole * length},
		{"4/3", cpFourThirds, four / three},
		{"theta limit", cpThetaLimit, twelve * two * pi / deg},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: constant %v, Python's float64 %v", tt.name, tt.got, tt.want)
		}
	}
}
