//go:build !amd64 || purego

package nn

// tanhInPlace replaces every y[j] by tanh(y[j]) (see tanh32).
func tanhInPlace(y []float32) { tanhGo(y) }
