//go:build !purego

package nn

import (
	"sync"
	"sync/atomic"
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
func gemm6AVX(k int, a *float32, aRow, aStep int, b *float32, ldb int, c *float32, ldc int, mask *int32)

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

// operand describes a matrix for gemmBlocks: element (i, j) is
// v[i*row + j*col]. Row-major storage has col 1; a transposed view of a
// row-major matrix has row 1.
type operand struct {
	v        []float32
	row, col int
}

func (o operand) last(rows, cols int) int { return (rows-1)*o.row + (cols-1)*o.col }

// gemmBlocks computes c (rows×m, row stride ldc) += A · B for A (rows×inner)
// and B (inner×m). B's 16-column panels are copied into a pack of inner*16
// values (contiguous, so that they stay in L1; a transposed B is transposed
// into the pack by 8×8 tiles), then six rows of A at a time (four for the
// rest) run through each. Products of at least parallelMACs multiply-adds
// share their panels with up to Threads()-1 idle helper goroutines, each
// with a pack of its own: panels are claimed one at a time, so a helper
// that starts late (its core busy with other work) takes fewer or none and
// the product never waits for a share it did not get to.
func gemmBlocks(rows, inner int, a, b operand, m int, c []float32, ldc int, s *scratch) {
	if rows == 0 || inner == 0 || m == 0 {
		return
	}
	_, _ = a.v[a.last(rows, inner)], b.v[b.last(inner, m)]
	_, _ = c[(rows-1)*ldc+m-1], s.f[inner*16-1]
	j := &s.job
	j.rows, j.inner, j.a, j.b, j.m, j.c, j.ldc, j.panels = rows, inner, a, b, m, c, ldc, (m+15)/16
	j.next.Store(0)
	helpers := 0
	if rows*inner*m >= parallelMACs {
		helpers = min(int(threads.Load()), j.panels, len(s.f)/(inner*16)) - 1
	}
	if helpers > 0 {
		startPool.Do(func() {
			for range maxThreads - 1 {
				go func() {
					for h := range pool {
						h.job.run(h.pack)
						h.job.wg.Done()
					}
				}()
			}
		})
	}
	for w := 1; w <= helpers; w++ {
		j.wg.Add(1)
		if !offer(helper{j, s.f[w*inner*16 : (w+1)*inner*16]}) {
			j.wg.Done() // every helper is busy (another product): go on without
			break
		}
	}
	j.run(s.f[:inner*16])
	j.wg.Wait()
}

// offer hands h to a helper goroutine waiting for work, if there is one.
func offer(h helper) bool {
	select {
	case pool <- h:
		return true
	default:
		return false
	}
}

// scratch is a workspace's room for the vector kernels: f for the
// 16-column panels of the goroutines sharing a product (inner*16 values
// each), and the product being shared.
type scratch struct {
	f   []float32
	job gemmJob
}

// gemmJob is one gemmBlocks call: its panels are claimed through next.
type gemmJob struct {
	rows, inner int
	a, b        operand
	m           int
	c           []float32
	ldc         int
	panels      int
	next        atomic.Int32
	wg          sync.WaitGroup
}

// helper is a share of a job offered to the pool, with the pack it uses.
type helper struct {
	job  *gemmJob
	pack []float32
}

// The goroutines that take shares of large products; unbuffered, so that
// an offer succeeds only to a goroutine waiting for one.
var (
	pool      = make(chan helper)
	startPool sync.Once
)

// run computes panels until none is left.
func (j *gemmJob) run(pack []float32) {
	rows, inner, a, b, m, c, ldc := j.rows, j.inner, j.a, j.b, j.m, j.c, j.ldc
	aRow, aStep := a.row*f32, a.col*f32
	var spare [16]float32
	var ap [4]*float32
	var cp [4]*float32
	for p := int(j.next.Add(1)) - 1; p < j.panels; p = int(j.next.Add(1)) - 1 {
		col := p * 16
		mask := laneMask(m-col, 16)
		if b.col == 1 {
			packAVX(inner, &b.v[col], b.row*f32, &pack[0], mask)
		} else {
			packT(inner, b, col, m, pack)
		}
		r := 0
		for ; r+6 <= rows; r += 6 {
			gemm6AVX(inner, &a.v[r*a.row], aRow, aStep, &pack[0], 16*f32, &c[r*ldc+col], ldc*f32, mask)
		}
		for ; r < rows; r += 4 {
			for t := range 4 {
				ap[t] = &a.v[min(r+t, rows-1)*a.row]
				if r+t < rows {
					cp[t] = &c[(r+t)*ldc+col]
				} else {
					cp[t] = &spare[0]
				}
			}
			gemmAVX(inner, ap[0], ap[1], ap[2], ap[3], aStep, &pack[0], 16*f32, cp[0], cp[1], cp[2], cp[3], mask)
		}
	}
}

// packT packs columns col..col+15 of B (inner×m), stored transposed (b.row
// is 1: column j of B is row j of b.v, stride b.col), with zeros past m.
func packT(inner int, b operand, col, m int, pack []float32) {
	if m-col >= 16 && inner%8 == 0 {
		for p := 0; p < inner; p += 8 {
			transpose8AVX(&b.v[col*b.col+p], b.col*f32, &pack[p*16], 16*f32)
			transpose8AVX(&b.v[(col+8)*b.col+p], b.col*f32, &pack[p*16+8], 16*f32)
		}
		return
	}
	for p := range inner {
		row := pack[p*16 : p*16+16]
		for jj := range row {
			row[jj] = 0
			if col+jj < m {
				row[jj] = b.v[(col+jj)*b.col+p]
			}
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
	gemmBlocks(n, k, operand{x, k, 1}, operand{w, m, 1}, m, y, m, s)
}

// mulTAdd computes g (k×m) += xᵀ · d, reading xᵀ in place.
func mulTAdd(x []float32, n, k int, d []float32, m int, g []float32, s *scratch) {
	if !hasAVX2 {
		mulTAddGo(x, n, k, d, m, g)
		return
	}
	gemmBlocks(k, n, operand{x, 1, k}, operand{d, m, 1}, m, g, m, s)
}

// mulBT computes dx (n×k) = d (n×m) · wᵀ, packing wᵀ from w.
func mulBT(d []float32, n, m int, w []float32, k int, dx []float32, s *scratch) {
	if !hasAVX2 {
		mulBTGo(d, n, m, w, k, dx)
		return
	}
	clear(dx[:n*k])
	gemmBlocks(n, m, operand{d, m, 1}, operand{w, 1, m}, k, dx, k, s)
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
