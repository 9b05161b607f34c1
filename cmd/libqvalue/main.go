// Command libqvalue builds the Q-update kernel (internal/qupdate) as a C
// shared library, so that Python can call the same Go code through ctypes:
//
//	go build -buildmode=c-shared -o libqvalue.so ./cmd/libqvalue   (make libqvalue)
//
// bench/qvalue.py loads it. The exported functions take and return plain
// C doubles and arrays; no Go pointer crosses the boundary.
package main

/*
#include <stdint.h>
*/
import "C"

import (
	"unsafe"

	"github.com/xlrl/xlrl/internal/qupdate"
)

// UpdateQValue returns currentQ + learningRate*(reward + discount*maxNextQ -
// currentQ), without the bootstrap term when terminal is non-zero.
//
//export UpdateQValue
func UpdateQValue(currentQ, reward, maxNextQ, learningRate, discount C.double, terminal C.int) C.double {
	return C.double(qupdate.Update(float64(currentQ), float64(reward), float64(maxNextQ),
		float64(learningRate), float64(discount), terminal != 0))
}

// UpdateQValueBatch applies UpdateQValue to n elements: out[i] from q[i],
// reward[i], maxNextQ[i] and terminal[i] (one byte each, non-zero: terminal).
// out may be q itself. It returns 0, or -1 when n is negative or a pointer is
// NULL while n > 0.
//
//export UpdateQValueBatch
func UpdateQValueBatch(q, reward, maxNextQ *C.double, terminal *C.uint8_t, n C.int64_t,
	learningRate, discount C.double, out *C.double) C.int {
	if n < 0 {
		return -1
	}
	if n == 0 {
		return 0
	}
	if q == nil || reward == nil || maxNextQ == nil || terminal == nil || out == nil {
		return -1
	}
	// The caller's memory, viewed as Go slices without copying; it stays
	// valid for the duration of the call, which is all cgo's rules allow.
	qs := unsafe.Slice((*float64)(unsafe.Pointer(q)), n)
	rs := unsafe.Slice((*float64)(unsafe.Pointer(reward)), n)
	ms := unsafe.Slice((*float64)(unsafe.Pointer(maxNextQ)), n)
	ts := unsafe.Slice((*uint8)(unsafe.Pointer(terminal)), n)
	outs := unsafe.Slice((*float64)(unsafe.Pointer(out)), n)
	lr, g := float64(learningRate), float64(discount)
	for i := range qs {
		outs[i] = qupdate.Update(qs[i], rs[i], ms[i], lr, g, ts[i] != 0)
	}
	return 0
}

// main is required by -buildmode=c-shared and never runs.
func main() {}
