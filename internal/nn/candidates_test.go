//go:build candidates

package nn

// The candidates measured before writing kernels_amd64.s (docs/architecture.md,
// "The go backend's kernels"):
//
//	go test -tags candidates -run XXX -bench Candidate ./internal/nn/

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

func benchCandidates(b *testing.B, n, k, m int) {
	rng := rand.New(rand.NewPCG(1, 1))
	x, w, y := randSlice(rng, n*k), randSlice(rng, k*m), make([]float32, n*m)
	b.Run("portable_go", func(b *testing.B) {
		for b.Loop() {
			mulAddGo(x, n, k, w, m, y)
		}
	})
	b.Run("gonum_blas32", func(b *testing.B) {
		A := blas32.General{Rows: n, Cols: k, Stride: k, Data: x}
		B := blas32.General{Rows: k, Cols: m, Stride: m, Data: w}
		C := blas32.General{Rows: n, Cols: m, Stride: m, Data: y}
		for b.Loop() {
			blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, A, B, 1, C)
		}
	})
	for _, kn := range Kernels()[1:] { // avx2, avx512 where the processor has them
		b.Run(kn+"_1thread", func(b *testing.B) {
			defer SetThreads(SetThreads(1))
			prev, _ := SetKernel(kn)
			defer SetKernel(prev)
			s := &scratch{f: make([]float32, 32*max(n, k, m))}
			for b.Loop() {
				mulAdd(x, n, k, w, m, y, s)
			}
		})
	}
}

func BenchmarkCandidate64x64x64(b *testing.B)   { benchCandidates(b, 64, 64, 64) }
func BenchmarkCandidate64x256x256(b *testing.B) { benchCandidates(b, 64, 256, 256) }
