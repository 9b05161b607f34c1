package worker

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// procAttr starts the worker in its own process group (a terminal's Ctrl-C
// then reaches only the host, which shuts the worker down in order, and Close
// can signal the worker's children too) with a parent-death signal that ends
// it if the host dies without closing its stdin.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}

// growPipe enlarges a pipe from Linux's default 64 KiB to 1 MiB, which moves
// large arrays with far fewer context switches. Best effort: the system limit
// may be lower.
func growPipe(f *os.File) {
	_, _ = unix.FcntlInt(f.Fd(), unix.F_SETPIPE_SZ, 1<<20)
}
