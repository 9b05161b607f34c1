package nn

import (
	"math"
	"math/rand/v2"
	"slices"
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

// forEachKernel runs f once with each kernel set this processor supports
// (avx512, avx2, go: Kernels()) in use.
func forEachKernel(t *testing.T, f func(t *testing.T)) {
	for _, k := range Kernels() {
		t.Run(k, func(t *testing.T) {
			prev, err := SetKernel(k)
			if err != nil {
				t.Fatal(err)
			}
			defer SetKernel(prev)
			if Kernel() != k {
				t.Fatalf("Kernel() = %q after SetKernel(%q)", Kernel(), k)
			}
			f(t)
		})
	}
}

// TestKernelsMatchNaive covers every kernel set (AVX-512, AVX2, portable)
// with sizes that leave remainders of every block (4 and 8 rows, 16 and 32
// columns, 8×8 tiles, 32-lane vector rows).
func TestKernelsMatchNaive(t *testing.T) { forEachKernel(t, testKernelsMatchNaive) }

func testKernelsMatchNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	sizes := []int{1, 2, 3, 5, 8, 12, 17, 33, 64, 65}
	for _, n := range sizes {
		for _, k := range sizes {
			for _, m := range sizes {
				scratch := &scratch{f: make([]float32, 16*max(n, k, m))}
				x, w := randSlice(rng, n*k), randSlice(rng, k*m)
				y := randSlice(rng, n*m)
				want := append([]float32(nil), y...)
				naiveMulAdd(x, n, k, w, m, want)
				got := append([]float32(nil), y...)
				mulAdd(x, n, k, w, m, got, scratch)
				closeAll(t, "mulAdd", got, want)
				got = append(got[:0], y...)
				mulAddGo(x, n, k, w, m, got)
				closeAll(t, "mulAddGo", got, want)

				// xᵀ·d: transpose x into (k×n) and reuse the naive product.
				d := randSlice(rng, n*m)
				xt := make([]float32, k*n)
				for r := 0; r < n; r++ {
					for i := 0; i < k; i++ {
						xt[i*n+r] = x[r*k+i]
					}
				}
				g0 := randSlice(rng, k*m)
				wantG := append([]float32(nil), g0...)
				naiveMulAdd(xt, k, n, d, m, wantG)
				g := append([]float32(nil), g0...)
				mulTAdd(x, n, k, d, m, g, scratch)
				closeAll(t, "mulTAdd", g, wantG)
				g = append(g[:0], g0...)
				mulTAddGo(x, n, k, d, m, g)
				closeAll(t, "mulTAddGo", g, wantG)

				// d·wᵀ
				wt := make([]float32, m*k)
				for i := 0; i < k; i++ {
					for j := 0; j < m; j++ {
						wt[j*k+i] = w[i*m+j]
					}
				}
				dx, wantDx := randSlice(rng, n*k), make([]float32, n*k)
				naiveMulAdd(d, n, m, wt, k, wantDx)
				mulBT(d, n, m, w, k, dx, scratch)
				closeAll(t, "mulBT", dx, wantDx)
				mulBTGo(d, n, m, w, k, dx)
				closeAll(t, "mulBTGo", dx, wantDx)

				if n == 1 { // one state: y (m) += x (k) · w
					y1 := randSlice(rng, m)
					want1 := append([]float32(nil), y1...)
					naiveMulAdd(x, 1, k, w, m, want1)
					got1 := append([]float32(nil), y1...)
					gemv(x, k, w, m, got1)
					closeAll(t, "gemv", got1, want1)
					got1 = append(got1[:0], y1...)
					gemvGo(x, k, w, m, got1)
					closeAll(t, "gemvGo", got1, want1)
				}
			}
		}
	}
}

// TestElementwiseKernelsMatchGo: relu, its gradient, the Polyak step, the sum of squares,
// the bias gradient and Adam's update agree with the portable loops, for
// lengths with and without a remainder of 8, NaN and -0 included.
func TestElementwiseKernelsMatchGo(t *testing.T) { forEachKernel(t, testElementwiseKernelsMatchGo) }

func testElementwiseKernelsMatchGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 10))
	same := func(what string, got, want []float32) {
		t.Helper()
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
			}
		}
	}
	for _, n := range []int{1, 7, 8, 9, 64, 100, 4610} {
		x := randSlice(rng, n)
		x[0] = float32(math.NaN())
		x[n/2] = float32(math.Copysign(0, -1))
		y, want := append([]float32(nil), x...), append([]float32(nil), x...)
		relu(y)
		reluGo(want)
		same("relu", y, want)

		d := randSlice(rng, n)
		got, wantD := append([]float32(nil), d...), append([]float32(nil), d...)
		reluGrad(x, got)
		reluGradGo(x, wantD)
		same("reluGrad", got, wantD)

		src := randSlice(rng, n)
		got, wantP := append([]float32(nil), d...), append([]float32(nil), d...)
		polyak(got, src, 0.005)
		polyakGo(wantP, src, 0.005)
		same("polyak", got, wantP)

		g := randSlice(rng, n)
		if s, w := sumSquares(g), sumSquaresGo(g); math.Abs(s-w) > 1e-12*w {
			t.Fatalf("sumSquares of %d values: %v, want %v", n, s, w)
		}

		for _, rows := range []int{1, 3, 64} {
			dd := randSlice(rng, rows*n)
			gb, wantB := randSlice(rng, n), make([]float32, n)
			copy(wantB, gb)
			ones := make([]float32, rows)
			for i := range ones {
				ones[i] = 1
			}
			sumRows(dd, rows, n, gb, ones)
			sumRowsGo(dd, rows, n, wantB)
			closeAll(t, "sumRows", gb, wantB)
		}

		p, m, v := randSlice(rng, n), randSlice(rng, n), randSlice(rng, n)
		for i := range v {
			v[i] *= v[i]
		}
		p2, m2, v2 := append([]float32(nil), p...), append([]float32(nil), m...), append([]float32(nil), v...)
		adamStep(p, g, m, v, 1e-3, 0.1, 0.001, 1e-7, new(scratch))
		adamGo(p2, g, m2, v2, 1e-3, 0.1, 0.001, 1e-7)
		same("adam params", p, p2)
		same("adam m", m, m2)
		same("adam v", v, v2)
	}
}

func BenchmarkMulAdd64x64x64(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	x, w, y := randSlice(rng, 64*64), randSlice(rng, 64*64), make([]float32, 64*64)
	scratch := &scratch{f: make([]float32, 16*64)}
	for b.Loop() {
		mulAdd(x, 64, 64, w, 64, y, scratch)
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

// TestLargeProductsSharedAmongGoroutines: products large enough to be
// shared among goroutines give the same bits as with one, and match the
// naive product.
func TestLargeProductsSharedAmongGoroutines(t *testing.T) {
	forEachKernel(t, testLargeProductsSharedAmongGoroutines)
}

func testLargeProductsSharedAmongGoroutines(t *testing.T) {
	defer SetThreads(SetThreads(3))
	rng := rand.New(rand.NewPCG(11, 11))
	for _, sz := range [][3]int{{64, 256, 256}, {70, 250, 130}} {
		n, k, m := sz[0], sz[1], sz[2]
		if n*k*m < parallelMACs {
			t.Fatalf("%v is below the parallel threshold", sz)
		}
		x, w := randSlice(rng, n*k), randSlice(rng, k*m)
		want := make([]float32, n*m)
		naiveMulAdd(x, n, k, w, m, want)
		run := func(threads int) []float32 {
			SetThreads(threads)
			s := &scratch{f: make([]float32, 16*max(n, k, m)*threads)}
			y := make([]float32, n*m)
			mulAdd(x, n, k, w, m, y, s)
			return y
		}
		one, three := run(1), run(3)
		closeAll(t, "mulAdd on 3 goroutines", three, want)
		for i := range one {
			if one[i] != three[i] {
				t.Fatalf("%v: element %d is %v on one goroutine, %v on three", sz, i, one[i], three[i])
			}
		}
	}
}

// TestAdamFlushesSubnormals: the vector Adam treats subnormal moments as
// zero (as TensorFlow on CPU does) instead of decaying them slowly through
// subnormals; the portable loop keeps them.
func TestAdamFlushesSubnormals(t *testing.T) {
	if Kernel() == "go" {
		t.Skip("portable kernels: no flushing")
	}
	const n = 19
	p, g, m, v := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range p {
		p[i], m[i], v[i] = 1, 1e-40, 1e-40
	}
	adamStep(p, g, m, v, 1e-3, 0.1, 0.001, 1e-7, new(scratch))
	for i := range p {
		if p[i] != 1 || (i < n&^7 && (m[i] != 0 || v[i] != 0)) {
			t.Fatalf("element %d: p %v m %v v %v, want 1, 0, 0", i, p[i], m[i], v[i])
		}
	}
}

// TestAdamSharedAmongGoroutines: an update large enough to be shared among
// goroutines gives the portable loop's bits.
func TestAdamSharedAmongGoroutines(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		defer SetThreads(SetThreads(3))
		rng := rand.New(rand.NewPCG(12, 12))
		n := parallelAdam + 4*adamChunk + 13
		p, g, m, v := randSlice(rng, n), randSlice(rng, n), randSlice(rng, n), randSlice(rng, n)
		for i := range v {
			v[i] *= v[i]
		}
		p2, m2, v2 := append([]float32(nil), p...), append([]float32(nil), m...), append([]float32(nil), v...)
		s := new(scratch)
		for range 3 {
			adamStep(p, g, m, v, 1e-3, 0.1, 0.001, 1e-7, s)
			adamGo(p2, g, m2, v2, 1e-3, 0.1, 0.001, 1e-7)
		}
		for i := range p {
			if p[i] != p2[i] || m[i] != m2[i] || v[i] != v2[i] {
				t.Fatalf("element %d: (%v %v %v), want (%v %v %v)", i, p[i], m[i], v[i], p2[i], m2[i], v2[i])
			}
		}
	})
}

// TestLargeProductsFromConcurrentGoroutines: goroutines sharing large
// products with the same helpers at once all get the naive product (and
// none waits forever for a helper another one's offer displaced).
func TestLargeProductsFromConcurrentGoroutines(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		if Kernel() == "go" {
			t.Skip("the portable kernels share nothing")
		}
		defer SetThreads(SetThreads(3))
		const n, k, m = 64, 256, 256
		rng := rand.New(rand.NewPCG(13, 13))
		x, w := randSlice(rng, n*k), randSlice(rng, k*m)
		want := make([]float32, n*m)
		naiveMulAdd(x, n, k, w, m, want)
		errs := make(chan string, 4)
		for range 4 {
			go func() {
				s := new(scratch)
				for range 100 {
					y := make([]float32, n*m)
					mulAdd(x, n, k, w, m, y, s)
					for i := range y {
						if math.Abs(float64(y[i]-want[i])) > 1e-4*(1+math.Abs(float64(want[i]))) {
							errs <- "a product differs from the naive one"
							return
						}
					}
				}
				errs <- ""
			}()
		}
		for range 4 {
			if e := <-errs; e != "" {
				t.Fatal(e)
			}
		}
	})
}

// TestPairRunsBoth: Pair runs both calls, whose large products (not shared
// meanwhile) equal the same products computed one after the other, from
// goroutines calling it at once and from a Pair inside a Pair.
func TestPairRunsBoth(t *testing.T) {
	defer SetThreads(SetThreads(2))
	const n, k, m = 64, 256, 256
	rng := rand.New(rand.NewPCG(14, 14))
	x, w := randSlice(rng, n*k), randSlice(rng, k*m)
	want := make([]float32, n*m)
	mulAdd(x, n, k, w, m, want, new(scratch))
	product := func(s *scratch) []float32 {
		y := make([]float32, n*m)
		mulAdd(x, n, k, w, m, y, s)
		return y
	}
	errs := make(chan string, 3)
	for range 3 {
		go func() {
			s1, s2, s3 := new(scratch), new(scratch), new(scratch)
			for range 50 {
				var a, b, c []float32
				Pair(func() { a = product(s1) }, func() {
					Pair(func() { b = product(s2) }, func() { c = product(s3) })
				})
				for _, y := range [][]float32{a, b, c} {
					if y == nil || !slices.Equal(y, want) {
						errs <- "a Pair's product differs from the one computed alone"
						return
					}
				}
			}
			errs <- ""
		}()
	}
	for range 3 {
		if e := <-errs; e != "" {
			t.Fatal(e)
		}
	}
}
