package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

func naiveMulAdd(x []float32, n, k int, w []float32, m int, y []float32) {
	for r := 0; r < n; r++ {
		for j := 0; j < m; j++ {
			var s float32
			for i := 0; i < k; i++ {
				s += x[r*k+i] * w[i*m+j]
			}
			y[r*m+j] += s
		}
	}
}

func randSlice(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}

func closeAll(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 1e-4*(1+math.Abs(float64(want[i]))) {
			t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

// TestKernelsMatchNaive covers the blocked kernels' remainders with odd sizes.
func TestKernelsMatchNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for _, n := range []int{1, 2, 3, 5} {
		for _, k := range []int{1, 2, 3, 7} {
			for _, m := range []int{1, 3, 4, 9} {
				x, w := randSlice(rng, n*k), randSlice(rng, k*m)
				y, want := randSlice(rng, n*m), make([]float32, n*m)
				copy(want, y)
				mulAdd(x, n, k, w, m, y)
				naiveMulAdd(x, n, k, w, m, want)
				closeAll(t, "mulAdd", y, want)

				// xᵀ·d: transpose x into (k×n) and reuse the naive product.
				d := randSlice(rng, n*m)
				xt := make([]float32, k*n)
				for r := 0; r < n; r++ {
					for i := 0; i < k; i++ {
						xt[i*n+r] = x[r*k+i]
					}
				}
				g, wantG := make([]float32, k*m), make([]float32, k*m)
				mulTAdd(x, n, k, d, m, g)
				naiveMulAdd(xt, k, n, d, m, wantG)
				closeAll(t, "mulTAdd", g, wantG)

				// d·wᵀ
				wt := make([]float32, m*k)
				for i := 0; i < k; i++ {
					for j := 0; j < m; j++ {
						wt[j*k+i] = w[i*m+j]
					}
				}
				dx, wantDx := make([]float32, n*k), make([]float32, n*k)
				mulBT(d, n, m, w, k, dx)
				naiveMulAdd(d, n, m, wt, k, wantDx)
				closeAll(t, "mulBT", dx, wantDx)
			}
		}
	}
}

func BenchmarkMulAdd64x64x64(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	x, w, y := randSlice(rng, 64*64), randSlice(rng, 64*64), make([]float32, 64*64)
	for b.Loop() {
		mulAdd(x, 64, 64, w, 64, y)
	}
}

func BenchmarkNaiveMulAdd64x64x64(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	x, w, y := randSlice(rng, 64*64), randSlice(rng, 64*64), make([]float32, 64*64)
	for b.Loop() {
		for r := 0; r < 64; r++ {
			for i := 0; i < 64; i++ {
				axpy(x[r*64+i], w[i*64:(i+1)*64], y[r*64:(r+1)*64])
			}
		}
	}
}
