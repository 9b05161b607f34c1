//go:build !purego

package nn

import "golang.org/x/sys/cpu"

var hasTanhAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func tanhAVX2(n int, y *float32)

// tanhInPlace replaces every y[j] by tanh(y[j]) (see tanh32).
func tanhInPlace(y []float32) {
	n := len(y) &^ 7
	if hasTanhAVX2 && n > 0 {
		tanhAVX2(n, &y[0])
	} else {
		n = 0
	}
	tanhGo(y[n:])
}
