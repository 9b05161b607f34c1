//go:build !purego

package nn

import (
	"sync"
	"unsafe"

	"golang.org/x/sys/cpu"
)

// hasAVX2 selects the AVX2/FMA kernels of kernels_amd64.s; without them (or
// with -tags purego) the portable kernels of gemm.go run.
var hasAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// Kernel is the name of the kernels in use: "avx2" or "go".
func Kernel() string {
	if hasAVX2 {
		return "avx2"
	}
	return "go"
}

//go:noescape
func gemmAVX(k int, a0, a1, a2, a3 *float32, aStep int, b *float32, ldb int, c0, c1, c2, c3 *float32, mask *int32)

//go:noescape
func transpose8AVX(src *float32, lds int, dst *float32, ldd int)

//go:noescape
func packAVX(k int, b *float32, ldb int, dst *float32, mask *int32)

//go:noescape
func gemv64AVX(k int, x *float32, w *float32, ldw int, y *float32)

//go:noescape
func gemv8AVX(k int, x *float32, w *float32, ldw int, y *float32, mask *int32)

//go:noescape
func gemvAVX(k int, x *float32, w *float32, ldw int, y *float32, mask *int32)

//go:noescape
func adamAVX(n int, p, grad, m, v *float32, c *[4]float32)

//go:noescape
func reluAVX(n int, y *float32)

//go:noescape
func reluGradAVX(n int, x, d *float32)

//go:noescape
func sumSquaresAVX(n int, grad *float32) float64

// masks holds 32 lanes on, then 32 off: &masks[32-c] is the mask of the
// first c lanes of a 16- or 32-lane kernel.
var masks = func() (m [64]int32) {
	for i := range 32 {
		m[i] = -1
	}
	return m
}()

func laneMask(cols, width int) *int32 {
	if cols >= width {
		return nil
	}
	return &masks[32-cols]
}

const f32 = int(unsafe.Sizeof(float32(0)))

// gemmBlocks computes c (rows×m, row stride ldc) += A · b where A is
// rows×inner, row-major with row stride aRow, and b is inner×m with row
// stride ldb. b's 16-column panels are copied into a pack of inner*16
// values (so that they stay in L1 whatever ldb is), then four rows of A at
// a time run through each. Products of at least parallelMACs multiply-adds
// share their panels among up to Threads() goroutines, one pack each (pack
// holds as many as fit).
func gemmBlocks(rows, inner int, a []float32, aRow int, b []float32, ldb, m int, c []float32, ldc int, pack *scratch) {
	if rows == 0 || inner == 0 || m == 0 {
		return
	}
	_, _ = a[(rows-1)*aRow+inner-1], b[(inner-1)*ldb+m-1]
	_, _ = c[(rows-1)*ldc+m-1], pack.f[inner*16-1]
	panels := (m + 15) / 16
	workers := 1
	if rows*inner*m >= parallelMACs {
		workers = min(int(threads.Load()), panels, len(pack.f)/(inner*16))
	}
	if workers <= 1 {
		gemmPanels(gemmJob{0, panels, rows, inner, a, aRow, b, ldb, m, c, ldc, pack.f, nil})
		return
	}
	startPool.Do(func() {
		for range maxThreads - 1 {
			go func() {
				for j := range pool {
					gemmPanels(j)
				}
			}()
		}
	})
	pack.wg.Add(workers - 1)
	for w := 1; w < workers; w++ {
		pool <- gemmJob{w * panels / workers, (w + 1) * panels / workers, rows, inner, a, aRow, b, ldb, m, c, ldc,
			pack.f[w*inner*16 : (w+1)*inner*16], &pack.wg}
	}
	gemmPanels(gemmJob{0, panels / workers, rows, inner, a, aRow, b, ldb, m, c, ldc, pack.f, nil})
	pack.wg.Wait()
}

// gemmJob is a share of one gemmBlocks call: its panels p0 <= p < p1.
type gemmJob struct {
	p0, p1, rows, inner int
	a                   []float32
	aRow                int
	b                   []float32
	ldb, m              int
	c                   []float32
	ldc                 int
	pack                []float32
	done                *sync.WaitGroup // nil: run by the caller
}

// The goroutines that take the shares of large products.
var (
	pool      = make(chan gemmJob)
	startPool sync.Once
)

// gemmPanels runs one share of a gemmBlocks call.
func gemmPanels(job gemmJob) {
	if job.done != nil {
		defer job.done.Done()
	}
	rows, inner, a, aRow, b, ldb, m, c, ldc, pack := job.rows, job.inner, job.a, job.aRow, job.b, job.ldb, job.m, job.c, job.ldc, job.pack
	var spare [16]float32
	var ap [4]*float32
	var cp [4]*float32
	for j := job.p0 * 16; j < job.p1*16; j += 16 {
		mask := laneMask(m-j, 16)
		packAVX(inner, &b[j], ldb*f32, &pack[0], mask)
		for r := 0; r < rows; r += 4 {
			for t := range 4 {
				ap[t] = &a[min(r+t, rows-1)*aRow]
				if r+t < rows {
					cp[t] = &c[(r+t)*ldc+j]
				} else {
					cp[t] = &spare[0]
				}
			}
			gemmAVX(inner, ap[0], ap[1], ap[2], ap[3], f32, &pack[0], 16*f32, cp[0], cp[1], cp[2], cp[3], mask)
		}
	}
}

// The products of a dense layer on the vector kernels, with the
// workspace's scratch.

func mulAdd(x []float32, n, k int, w []float32, m int, y []float32, s *scratch) {
	if !hasAVX2 {
		mulAddGo(x, n, k, w, m, y)
		return
	}
	gemmBlocks(n, k, x, k, w, m, m, y, m, s)
}

// mulTAdd computes g (k×m) += xᵀ · d with xᵀ transposed into s first.
func mulTAdd(x []float32, n, k int, d []float32, m int, g []float32, s *scratch) {
	if !hasAVX2 {
		mulTAddGo(x, n, k, d, m, g)
		return
	}
	xt := s.t[:n*k]
	transpose(x, n, k, xt)
	gemmBlocks(k, n, xt, n, d, m, m, g, m, s)
}

// mulBT computes dx (n×k) = d (n×m) · wᵀ with wᵀ transposed into s first.
func mulBT(d []float32, n, m int, w []float32, k int, dx []float32, s *scratch) {
	if !hasAVX2 {
		mulBTGo(d, n, m, w, k, dx)
		return
	}
	wt := s.t[:k*m]
	transpose(w, k, m, wt)
	clear(dx[:n*k])
	gemmBlocks(n, m, d, m, wt, k, k, dx, k, s)
}

// transpose writes the transpose of w (k×m) into wt (m×k): full 8×8 tiles
// by the vector kernel, the edges in Go.
func transpose(w []float32, k, m int, wt []float32) {
	k8, m8 := k&^7, m&^7
	for i0 := 0; i0 < k8; i0 += 8 {
		for j0 := 0; j0 < m8; j0 += 8 {
			transpose8AVX(&w[i0*m+j0], m*f32, &wt[j0*k+i0], k*f32)
		}
		for i := i0; i < i0+8; i++ {
			for j := m8; j < m; j++ {
				wt[j*k+i] = w[i*m+j]
			}
		}
	}
	for i := k8; i < k; i++ {
		for j := 0; j < m; j++ {
			wt[j*k+i] = w[i*m+j]
		}
	}
}

func gemv(x []float32, k int, w []float32, m int, y []float32) {
	if !hasAVX2 || k == 0 || m == 0 {
		gemvGo(x, k, w, m, y)
		return
	}
	gemvBlocks(x, k, w, m, y)
}

// gemvBlocks computes y (m) += x (k) · w (k×m, row stride m): 64 columns at
// a time, then 32 (masked), then the last 8 or fewer.
func gemvBlocks(x []float32, k int, w []float32, m int, y []float32) {
	_, _, _ = x[k-1], w[k*m-1], y[m-1]
	j := 0
	for ; j+64 <= m; j += 64 {
		gemv64AVX(k, &x[0], &w[j], m*f32, &y[j])
	}
	for ; m-j > 8; j += 32 {
		gemvAVX(k, &x[0], &w[j], m*f32, &y[j], laneMask(m-j, 32))
	}
	if j < m {
		gemv8AVX(k, &x[0], &w[j], m*f32, &y[j], &masks[32-(m-j)])
	}
}

// sumRows adds the rows of d (n×m) to g, as a product with a row of ones
// (ones holds at least n).
func sumRows(d []float32, n, m int, g, ones []float32) {
	if !hasAVX2 || n == 0 || m == 0 {
		sumRowsGo(d, n, m, g)
		return
	}
	gemvBlocks(ones[:n], n, d, m, g)
}

func relu(y []float32) {
	n := len(y) &^ 7
	if hasAVX2 && n > 0 {
		reluAVX(n, &y[0])
	} else {
		n = 0
	}
	reluGo(y[n:])
}

func reluGrad(x, d []float32) {
	d = d[:len(x)]
	n := len(x) &^ 7
	if hasAVX2 && n > 0 {
		reluGradAVX(n, &x[0], &d[0])
	} else {
		n = 0
	}
	reluGradGo(x[n:], d[n:])
}

func sumSquares(g []float32) float64 {
	n := len(g) &^ 7
	var s float64
	if hasAVX2 && n > 0 {
		s = sumSquaresAVX(n, &g[0])
	} else {
		n = 0
	}
	return s + sumSquaresGo(g[n:])
}

func adamStep(params, g, m, v []float32, alpha, c1, c2, eps float32) {
	g, m, v = g[:len(params)], m[:len(params)], v[:len(params)]
	n := len(params) &^ 7
	if hasAVX2 && n > 0 {
		c := [4]float32{alpha, c1, c2, eps}
		adamAVX(n, &params[0], &g[0], &m[0], &v[0], &c)
	} else {
		n = 0
	}
	adamGo(params[n:], g[n:], m[n:], v[n:], alpha, c1, c2, eps)
}
