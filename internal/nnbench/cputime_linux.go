package nnbench

import "golang.org/x/sys/unix"

// threadCPU is the CPU time of the calling OS thread, in nanoseconds (0:
// unknown): the time an operation actually ran on a core, which stays
// meaningful on a machine that other processes share.
func threadCPU() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return ts.Nano()
}
