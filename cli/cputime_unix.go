//go:build unix

package cli

import (
	"syscall"
	"time"
)

// processCPUTime is the user+system CPU time this process has used: it
// counts only the time the benchmark actually ran on a core, so it stays
// meaningful on a machine that other processes share.
func processCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
