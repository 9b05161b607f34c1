package nn

import (
	"runtime"
	"sync/atomic"
)

// parallelMACs is the size (multiply-adds) from which one matrix product of
// the vector kernels is shared among goroutines: a 64-row minibatch through
// a 256×256 layer (4.2M) is, the 64×64 layers (262k) are not, their
// products being over before the goroutines would start.
const parallelMACs = 1 << 20

// parallelAdam is the number of parameters from which Adam's update is
// shared among goroutines: the [256, 256] networks' 66k are, the [64, 64]
// networks' 4.6k are not.
const parallelAdam = 1 << 15

// adamChunk is the unit (a multiple of 8 parameters) in which goroutines
// claim a shared Adam update.
const adamChunk = 4096

// maxThreads bounds Threads.
const maxThreads = 8

var threads atomic.Int32

func init() { threads.Store(int32(min(runtime.GOMAXPROCS(0), maxThreads))) }

// Threads is how many goroutines may share one large matrix product:
// min(GOMAXPROCS at start, 8) unless SetThreads changed it. Workspaces hold
// scratch for the value current when they are made.
func Threads() int { return int(threads.Load()) }

// SetThreads sets Threads (between 1 and 8) and returns the previous value.
// Results do not depend on it: each goroutine computes whole columns.
func SetThreads(n int) int { return int(threads.Swap(int32(min(max(1, n), maxThreads)))) }
