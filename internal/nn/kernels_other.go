//go:build !amd64 || purego

package nn

import "fmt"

// Kernel is the name of the kernels in use: "go" (this build has no vector
// kernels).
func Kernel() string { return "go" }

// Kernels lists the kernel sets this build supports: only "go".
func Kernels() []string { return []string{"go"} }

// SetKernel accepts only "go" on this build (see the amd64 build's).
func SetKernel(name string) (string, error) {
	if name != "go" {
		return "go", fmt.Errorf("nn: kernel %q is not one of this build's [go]", name)
	}
	return "go", nil
}

// scratch is the vector kernels' room in a workspace; the portable kernels
// need none, but the tests size it alike on every build.
type scratch struct{ f []float32 }

// The products of a dense layer; the last argument, scratch for the
// vector kernels, is unused here.

func mulAdd(x []float32, n, k int, w []float32, m int, y []float32, _ *scratch) {
	mulAddGo(x, n, k, w, m, y)
}

func mulTAdd(x []float32, n, k int, d []float32, m int, g []float32, _ *scratch) {
	mulTAddGo(x, n, k, d, m, g)
}

func mulBT(d []float32, n, m int, w []float32, k int, dx []float32, _ *scratch) {
	mulBTGo(d, n, m, w, k, dx)
}

func gemv(x []float32, k int, w []float32, m int, y []float32) { gemvGo(x, k, w, m, y) }

func sumRows(d []float32, n, m int, g, _ []float32) { sumRowsGo(d, n, m, g) }

func relu(y []float32) { reluGo(y) }

func reluGrad(x, d []float32) { reluGradGo(x, d) }

func sumSquares(g []float32) float64 { return sumSquaresGo(g) }

func polyak(dst, src []float32, tau float32) { polyakGo(dst, src, tau) }

// Pair runs f, then g (the amd64 build may run g on a helper goroutine).
func Pair(f, g func()) {
	f()
	g()
}

func adamStep(params, g, m, v []float32, alpha, c1, c2, eps float32, _ *scratch) {
	adamGo(params, g, m, v, alpha, c1, c2, eps)
}
