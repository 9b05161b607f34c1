//go:build !purego

package nn

//go:noescape
func tanhAVX2(n int, y *float32)

// tanhInPlace replaces every y[j] by tanh(y[j]) (see tanh32).
func tanhInPlace(y []float32) {
	n := len(y) &^ 7
	if vector() && n > 0 {
		tanhAVX2(n, &y[0])
	} else {
		n = 0
	}
	tanhGo(y[n:])
}
