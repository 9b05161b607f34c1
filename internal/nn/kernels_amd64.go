//go:build !purego

package nn

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/cpu"
)

// The kernel sets, best last: the portable loops of gemm.go, the AVX2/FMA
// kernels of kernels_amd64.s, and AVX-512 matrix products (the element-wise
// loops and one state's forward pass stay on AVX2, whose width they do not
// outgrow). kern is the set in use: the best the processor has, unless
// XLRL_NN_KERNEL names another it supports (see SetKernel).
const (
	kernGo = iota
	kernAVX2
	kernAVX512
)

var kernelNames = [...]string{kernGo: "go", kernAVX2: "avx2", kernAVX512: "avx512"}

// bestKernel is the best set this processor (and its OS) supports.
var bestKernel = func() int {
	switch {
	case cpu.X86.HasAVX2 && cpu.X86.HasFMA && cpu.X86.HasAVX512F:
		return kernAVX512
	case cpu.X86.HasAVX2 && cpu.X86.HasFMA:
		return kernAVX2
	}
	return kernGo
}()

var kern = func() int {
	if k, ok := supportedKernel(os.Getenv("XLRL_NN_KERNEL")); ok {
		return k
	}
	return bestKernel
}()

func supportedKernel(name string) (int, bool) {
	for k := kernGo; k <= bestKernel; k++ {
		if kernelNames[k] == name {
			return k, true
		}
	}
	return 0, false
}

// Kernel is the name of the kernels in use: "avx512", "avx2" or "go".
func Kernel() string { return kernelNames[kern] }

// Kernels lists the kernel sets this processor supports, portable first.
func Kernels() []string { return append([]string(nil), kernelNames[:bestKernel+1]...) }

// SetKernel makes the package use the kernel set name (one of Kernels(),
// for tests and benchmarks; the variable XLRL_NN_KERNEL does the same at
// start) and returns the previous one. It must not be called while another
// goroutine uses the package.
func SetKernel(name string) (string, error) {
	k, ok := supportedKernel(name)
	if !ok {
		return Kernel(), fmt.Errorf("nn: kernel %q is not one of this processor's %v", name, Kernels())
	}
	prev := Kernel()
	kern = k
	return prev, nil
}

// vector says whether the AVX2 (or AVX-512) kernels run.
func vector() bool { return kern != kernGo }

//go:noescape
func gemmAVX(k int, a0, a1, a2, a3 *float32, aStep int, b *float32, ldb int, c0, c1, c2, c3 *float32, mask *int32)

//go:noescape
func gemm6AVX(k int, a *float32, aRow, aStep int, b *float32, ldb int, c *float32, ldc int, mask *int32)

//go:noescape
func gemm8x32AVX512(k int, a *float32, aRow, aStep int, b *float32, c *float32, ldc int, mask uint32)

//go:noescape
func gemm4x32AVX512(k int, a0, a1, a2, a3 *float32, aStep int, b *float32, c0, c1, c2, c3 *float32, mask uint32)

//go:noescape
func pack32AVX512(k int, b *float32, ldb int, dst *float32, mask uint32)

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

//go:noescape
func polyakAVX(n int, dst, src *float32, tau float32)

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
// and B (inner×m). B's panels of 16 columns (AVX2) or 32 (AVX-512) are
// copied into a pack of inner*width values (contiguous, so that they stay in
// L1; a transposed B is transposed into the pack by 8×8 tiles), then blocks
// of rows of A run through each. Products of at least parallelMACs
// multiply-adds are offered to up to Threads()-1 helper goroutines: panels
// are claimed one at a time, so a helper that starts late (its core busy
// with other work) takes fewer or none and the product never waits for a
// share it did not get to; each panel is computed whole by one goroutine, so
// the result does not depend on how they shared it.
func gemmBlocks(rows, inner int, a, b operand, m int, c []float32, ldc int, s *scratch) {
	if rows == 0 || inner == 0 || m == 0 {
		return
	}
	width := 16
	if kern == kernAVX512 {
		width = 32
	}
	_, _ = a.v[a.last(rows, inner)], b.v[b.last(inner, m)]
	_ = c[(rows-1)*ldc+m-1]
	if len(s.f) < inner*width {
		s.f = make([]float32, inner*width)
	}
	j := &s.job
	j.rows, j.inner, j.a, j.b, j.m, j.c, j.ldc, j.width = rows, inner, a, b, m, c, ldc, width
	j.panels = (m + width - 1) / width
	j.next.Store(0)
	j.adam = nil
	helpers := 0
	if rows*inner*m >= parallelMACs {
		helpers = min(int(threads.Load()), j.panels) - 1
	}
	j.share(helpers, s.f)
}

// share runs j on this goroutine and up to helpers helper goroutines (the
// pack is this goroutine's) and returns when every unit is done and no
// helper reads j any more. While the helpers keep missing their shares (see
// missLimit) it runs j alone.
func (j *gemmJob) share(helpers int, pack []float32) {
	if helpers > 0 && pairs.Load() > 0 {
		helpers = 0 // the other goroutines are busy with a Pair
	}
	if helpers > 0 && alone.Load() > 0 {
		alone.Add(-1)
		helpers = 0
	}
	if helpers <= 0 {
		j.run(pack)
		return
	}
	startWorkers()
	j.refs.Store(int32(helpers))
	for _, w := range workers[:helpers] {
		if !w.post(j) { // busy with another goroutine's product
			j.refs.Add(-1)
		}
	}
	mine := j.run(pack)
	for _, w := range workers[:helpers] {
		if w.slot.CompareAndSwap(j, nil) { // not taken: it stays idle
			j.refs.Add(-1)
		}
	}
	for j.refs.Load() > 0 { // a helper finishes the unit it holds
		runtime.Gosched()
	}
	missed(mine == j.panels)
}

// missed records whether the helpers missed a share (see missFor).
func missed(all bool) {
	if !all {
		missSince.Store(0)
		return
	}
	now := int64(time.Since(epoch)) + 1
	first := missSince.Load()
	if first == 0 {
		missSince.CompareAndSwap(0, now)
	} else if now-first >= int64(missFor) {
		missSince.Store(0)
		alone.Store(aloneShares)
	}
}

func startWorkers() {
	startPool.Do(func() {
		for i := range workers {
			workers[i] = &worker{wake: make(chan struct{}, 1)}
			go workers[i].loop()
		}
	})
}

// pairs counts the Pair calls under way: their products are not shared.
var pairs atomic.Int32

// Pair runs f and g, which must not touch the same memory (two networks'
// passes on workspaces of their own), and returns when both are done: g on
// a helper goroutine while the caller runs f when Threads() is above 1
// and the helpers are not missing their shares (see missLimit), else
// after f on the caller. Their own products are not shared meanwhile. The
// results do not depend on where g ran.
func Pair(f, g func()) {
	if Threads() < 2 || alone.Load() > 0 || pairs.Load() > 0 {
		if Threads() >= 2 && alone.Load() > 0 {
			alone.Add(-1)
		}
		f()
		g()
		return
	}
	startWorkers()
	pairs.Add(1)
	defer pairs.Add(-1)
	j := &gemmJob{fn: g, panels: 1}
	j.refs.Store(1)
	w := workers[0]
	if !w.post(j) {
		j.refs.Add(-1)
	}
	f()
	mine := j.run(nil) // g, unless the helper took it
	if w.slot.CompareAndSwap(j, nil) {
		j.refs.Add(-1)
	}
	for j.refs.Load() > 0 {
		runtime.Gosched()
	}
	missed(mine == 1)
}

// When the helpers miss every share for missFor (the calling goroutine
// computed every unit before any helper took one: their threads are not
// getting a core, the machine being busy with other work), the next
// aloneShares products (and Pairs) run on the calling goroutine alone, and
// the helpers, offered nothing, park after spinFor instead of polling on
// cores that other work needs. Then sharing is tried again: missFor is
// longer than a parked helper takes to wake on an idle core. Results do
// not depend on it.
const (
	missFor     = 2 * time.Millisecond
	aloneShares = 1000
)

var (
	alone     atomic.Int32
	missSince atomic.Int64 // time since epoch (+1) of the first miss of a run of them; 0: none
	epoch     = time.Now()
)

// spinFor is how long a helper goroutine stays hot (polling for work,
// yielding its thread to other goroutines in between) after its last share
// before it parks: waking a parked goroutine's thread costs about 40 us on
// a VM, most of a 256×256 layer's product, so during a training call the
// helpers never park, and an idle process stops spinning after spinFor.
const spinFor = time.Millisecond

// worker is a helper goroutine: slot is the job offered to it, parked says
// it waits on wake.
type worker struct {
	slot   atomic.Pointer[gemmJob]
	parked atomic.Bool
	wake   chan struct{}
	pack   []float32
}

var (
	workers   [maxThreads - 1]*worker
	startPool sync.Once
)

// post offers j to w, waking it if it is parked; it fails if another
// goroutine's offer is waiting there.
func (w *worker) post(j *gemmJob) bool {
	if !w.slot.CompareAndSwap(nil, j) {
		return false
	}
	if w.parked.Load() {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
	return true
}

func (w *worker) loop() {
	for {
		last := time.Now()
		for spins := 0; ; spins++ {
			if j := w.slot.Swap(nil); j != nil {
				if n := j.inner * j.width; len(w.pack) < n {
					w.pack = make([]float32, n)
				}
				j.run(w.pack)
				j.refs.Add(-1)
				last, spins = time.Now(), 0
				continue
			}
			if spins%32 == 31 && time.Since(last) > spinFor {
				break
			}
			runtime.Gosched()
		}
		// Park. post stores the slot before it reads parked, this reads
		// the slot after it sets parked: one of the two sees the other.
		w.parked.Store(true)
		if w.slot.Load() == nil {
			<-w.wake
		}
		w.parked.Store(false)
	}
}

// scratch is a workspace's room for the vector kernels: the pack of the
// calling goroutine's panel (grown to inner*32 values as needed; helpers
// have their own), a narrow product's result, and the product being
// shared.
type scratch struct {
	f    []float32
	t    []float32 // a narrow product's transposed result
	job  gemmJob
	adam adamArgs
}

// zeroed is n zeros in s.t, grown as needed.
func (s *scratch) zeroed(n int) []float32 {
	if len(s.t) < n {
		s.t = make([]float32, n)
	}
	clear(s.t[:n])
	return s.t[:n]
}

// gemmJob is one gemmBlocks call: its panels are claimed through next;
// refs counts the helpers that may still read it.
type gemmJob struct {
	rows, inner int
	a, b        operand
	m           int
	c           []float32
	ldc         int
	width       int // panel width: 16 or 32
	panels      int // units: panels of columns, or chunks of adam
	next        atomic.Int32
	refs        atomic.Int32
	adam        *adamArgs // set: the job is Adam's update, in chunks
	fn          func()    // set: the job is one call (Pair's second)
}

// adamArgs is an Adam update shared among goroutines in chunks of
// adamChunk parameters.
type adamArgs struct {
	p, g, m, v []float32
	c          [4]float32
}

// run computes units (panels of the product, or chunks of Adam's update)
// until none is left and returns how many it computed.
func (j *gemmJob) run(pack []float32) (units int) {
	if j.fn != nil {
		if j.next.Add(1) == 1 {
			j.fn()
			return 1
		}
		return 0
	}
	if a := j.adam; a != nil {
		n := len(a.p)
		for u := int(j.next.Add(1)) - 1; u < j.panels; u = int(j.next.Add(1)) - 1 {
			lo := u * adamChunk
			hi := min(lo+adamChunk, n)
			adamAVX(hi-lo, &a.p[lo], &a.g[lo], &a.m[lo], &a.v[lo], &a.c)
			units++
		}
		return units
	}
	if j.width == 32 {
		return j.run32(pack)
	}
	rows, inner, a, b, m, c, ldc := j.rows, j.inner, j.a, j.b, j.m, j.c, j.ldc
	aRow, aStep := a.row*f32, a.col*f32
	var spare [16]float32
	var ap [4]*float32
	var cp [4]*float32
	for p := int(j.next.Add(1)) - 1; p < j.panels; p = int(j.next.Add(1)) - 1 {
		units++
		col := p * 16
		mask := laneMask(m-col, 16)
		if b.col == 1 {
			packAVX(inner, &b.v[col], b.row*f32, &pack[0], mask)
		} else {
			packT(inner, b, col, m, 16, pack)
		}
		r := 0
		for ; r+6 <= rows; r += 6 {
			gemm6AVX(inner, &a.v[r*a.row], aRow, aStep, &pack[0], 16*f32, &c[r*ldc+col], ldc*f32, mask)
		}
		for ; r < rows; r += 4 {
			for t := fourRows(a, c, ldc, col, r, rows, &ap, &cp); t < 4; t++ {
				cp[t] = &spare[0] // past the last row: written, never read
			}
			gemmAVX(inner, ap[0], ap[1], ap[2], ap[3], aStep, &pack[0], 16*f32, cp[0], cp[1], cp[2], cp[3], mask)
		}
	}
	return units
}

// run32 is run on the AVX-512 kernels: panels of 32 columns, blocks of
// eight rows, then four.
func (j *gemmJob) run32(pack []float32) (units int) {
	rows, inner, a, b, m, c, ldc := j.rows, j.inner, j.a, j.b, j.m, j.c, j.ldc
	aRow, aStep := a.row*f32, a.col*f32
	var spare [32]float32
	var ap [4]*float32
	var cp [4]*float32
	for p := int(j.next.Add(1)) - 1; p < j.panels; p = int(j.next.Add(1)) - 1 {
		units++
		col := p * 32
		mask := ^uint32(0)
		if m-col < 32 {
			mask = 1<<(m-col) - 1
		}
		if b.col == 1 {
			pack32AVX512(inner, &b.v[col], b.row*f32, &pack[0], mask)
		} else {
			packT(inner, b, col, m, 32, pack)
		}
		r := 0
		for ; r+8 <= rows; r += 8 {
			gemm8x32AVX512(inner, &a.v[r*a.row], aRow, aStep, &pack[0], &c[r*ldc+col], ldc*f32, mask)
		}
		for ; r < rows; r += 4 {
			for t := fourRows(a, c, ldc, col, r, rows, &ap, &cp); t < 4; t++ {
				cp[t] = &spare[0] // past the last row: written, never read
			}
			gemm4x32AVX512(inner, ap[0], ap[1], ap[2], ap[3], aStep, &pack[0], cp[0], cp[1], cp[2], cp[3], mask)
		}
	}
	return units
}

// fourRows points ap at rows r..r+3 of a (repeating its last row past rows)
// and cp at the same rows of c from column col, for the four-row kernels
// that finish a panel; it returns how many of the four rows exist, whose cp
// it set (the caller points the others at scratch of its own).
func fourRows(a operand, c []float32, ldc, col, r, rows int, ap, cp *[4]*float32) int {
	for t := range 4 {
		ap[t] = &a.v[min(r+t, rows-1)*a.row]
		if r+t < rows {
			cp[t] = &c[(r+t)*ldc+col]
		}
	}
	return min(4, rows-r)
}

// packT packs columns col..col+width-1 of B (inner×m), stored transposed
// (b.row is 1: column j of B is row j of b.v, stride b.col), with zeros
// past m.
func packT(inner int, b operand, col, m, width int, pack []float32) {
	if m-col >= width && inner%8 == 0 {
		for p := 0; p < inner; p += 8 {
			for q := 0; q < width; q += 8 {
				transpose8AVX(&b.v[(col+q)*b.col+p], b.col*f32, &pack[p*width+q], width*f32)
			}
		}
		return
	}
	for p := range inner {
		row := pack[p*width : p*width+width]
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

// A product with fewer than narrow output columns (a network's output
// layer: one per action) and at least 32 rows is computed transposed, so
// that its long side fills the vector lanes rather than two lanes of 32:
// yᵀ = wᵀ · xᵀ into the scratch, then added into y. The sums are the same,
// in the same order.
const narrow = 8

func mulAdd(x []float32, n, k int, w []float32, m int, y []float32, s *scratch) {
	if !vector() {
		mulAddGo(x, n, k, w, m, y)
		return
	}
	if m < narrow && n >= 32 {
		t := s.zeroed(m * n)
		gemmBlocks(m, k, operand{w, 1, m}, operand{x, 1, k}, n, t, n, s)
		y = y[:n*m]
		for j := range m {
			for r, v := range t[j*n : (j+1)*n] {
				y[r*m+j] += v
			}
		}
		return
	}
	gemmBlocks(n, k, operand{x, k, 1}, operand{w, m, 1}, m, y, m, s)
}

// mulTAdd computes g (k×m) += xᵀ · d, reading xᵀ in place (a narrow d:
// gᵀ = dᵀ · x, then added into g).
func mulTAdd(x []float32, n, k int, d []float32, m int, g []float32, s *scratch) {
	if !vector() {
		mulTAddGo(x, n, k, d, m, g)
		return
	}
	if m < narrow && k >= 32 {
		t := s.zeroed(m * k)
		gemmBlocks(m, n, operand{d, 1, m}, operand{x, k, 1}, k, t, k, s)
		g = g[:k*m]
		for j := range m {
			for i, v := range t[j*k : (j+1)*k] {
				g[i*m+j] += v
			}
		}
		return
	}
	gemmBlocks(k, n, operand{x, 1, k}, operand{d, m, 1}, m, g, m, s)
}

// mulBT computes dx (n×k) = d (n×m) · wᵀ, packing wᵀ from w.
func mulBT(d []float32, n, m int, w []float32, k int, dx []float32, s *scratch) {
	if !vector() {
		mulBTGo(d, n, m, w, k, dx)
		return
	}
	clear(dx[:n*k])
	gemmBlocks(n, m, operand{d, m, 1}, operand{w, 1, m}, k, dx, k, s)
}

func gemv(x []float32, k int, w []float32, m int, y []float32) {
	if !vector() || k == 0 || m == 0 {
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
	if !vector() || n == 0 || m == 0 {
		sumRowsGo(d, n, m, g)
		return
	}
	gemvBlocks(ones[:n], n, d, m, g)
}

func relu(y []float32) {
	n := len(y) &^ 7
	if vector() && n > 0 {
		reluAVX(n, &y[0])
	} else {
		n = 0
	}
	reluGo(y[n:])
}

func reluGrad(x, d []float32) {
	d = d[:len(x)]
	n := len(x) &^ 7
	if vector() && n > 0 {
		reluGradAVX(n, &x[0], &d[0])
	} else {
		n = 0
	}
	reluGradGo(x[n:], d[n:])
}

func polyak(dst, src []float32, tau float32) {
	src = src[:len(dst)]
	n := len(dst) &^ 7
	if vector() && n > 0 {
		polyakAVX(n, &dst[0], &src[0], tau)
	} else {
		n = 0
	}
	polyakGo(dst[n:], src[n:], tau)
}

func sumSquares(g []float32) float64 {
	n := len(g) &^ 7
	var s float64
	if vector() && n > 0 {
		s = sumSquaresAVX(n, &g[0])
	} else {
		n = 0
	}
	return s + sumSquaresGo(g[n:])
}

// adamStep is Adam's update; large parameter vectors are shared among
// Threads() goroutines in chunks (each element's update is independent, so
// the result does not depend on the sharing).
func adamStep(params, g, m, v []float32, alpha, c1, c2, eps float32, s *scratch) {
	g, m, v = g[:len(params)], m[:len(params)], v[:len(params)]
	n := len(params) &^ 7
	if vector() && n > 0 {
		j := &s.job
		j.adam = &s.adam
		*j.adam = adamArgs{p: params[:n], g: g[:n], m: m[:n], v: v[:n], c: [4]float32{alpha, c1, c2, eps}}
		j.panels = (n + adamChunk - 1) / adamChunk
		j.next.Store(0)
		helpers := 0
		if n >= parallelAdam {
			helpers = min(int(threads.Load()), j.panels) - 1
		}
		j.share(helpers, nil)
		*j.adam = adamArgs{} // do not hold on to the slices
		j.adam = nil
	} else {
		n = 0
	}
	adamGo(params[n:], g[n:], m[n:], v[n:], alpha, c1, c2, eps)
}
