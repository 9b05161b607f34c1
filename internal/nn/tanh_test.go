package nn

import (
	"math"
	"testing"
)

// ulps is how many float32 values lie between a and b.
func ulps(a, b float32) int64 {
	key := func(x float32) int64 {
		i := int64(int32(math.Float32bits(x)))
		if i < 0 {
			i = math.MinInt32 - i
		}
		return i
	}
	d := key(a) - key(b)
	if d < 0 {
		d = -d
	}
	return d
}

// tanhInputs covers [-12, 12] densely and the edges of tanh32's branches.
func tanhInputs() []float32 {
	var xs []float32
	for x := float32(-12); x <= 12; x += 1.0 / 4096 {
		xs = append(xs, x)
	}
	return append(xs, 0, 1e-30, -1e-7, 3.9e-4, 4e-4, -4e-4, 7.9, 8, -100,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.MaxFloat32))
}

// TestTanhAccuracy holds tanh32 and the vector path (tanhInPlace, on every
// length so that both the vector loop and its scalar tail run) to within 8
// float32 ulps of math.Tanh (Eigen's approximation reaches 6, near ±5.9,
// where an ulp is 6e-8) and NaN to NaN.
func TestTanhAccuracy(t *testing.T) {
	xs := tanhInputs()
	got := append([]float32(nil), xs...)
	tanhInPlace(got)
	var worst int64
	var at float32
	for i, x := range xs {
		want := float32(math.Tanh(float64(x)))
		for _, y := range []float32{tanh32(x), got[i]} {
			if d := ulps(y, want); d > worst {
				worst, at = d, x
			}
		}
	}
	t.Logf("worst error %d ulps at %g", worst, at)
	if worst > 8 {
		t.Errorf("tanh is %d float32 ulps from math.Tanh at %g; want at most 8", worst, at)
	}
	for n := 1; n <= 19; n++ {
		y := make([]float32, n)
		for i := range y {
			y[i] = float32(math.NaN())
		}
		tanhInPlace(y)
		for i, v := range y {
			if !math.IsNaN(float64(v)) {
				t.Fatalf("length %d: tanh(NaN) at %d = %g, want NaN", n, i, v)
			}
		}
	}
}

func BenchmarkTanh(b *testing.B) {
	y := make([]float32, 64*256)
	for i := range y {
		y[i] = float32(i%200-100) / 25
	}
	b.Run("tanhInPlace", func(b *testing.B) {
		for range b.N {
			tanhInPlace(y)
		}
	})
	b.Run("tanh32", func(b *testing.B) {
		for range b.N {
			tanhGo(y)
		}
	})
	b.Run("math.Tanh", func(b *testing.B) {
		for range b.N {
			for j, v := range y {
				y[j] = float32(math.Tanh(float64(v)))
			}
		}
	})
}
