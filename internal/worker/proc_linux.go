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
// may be lower. It reaches the descriptor through SyscallConn, not Fd: Fd
// would switch the file to blocking mode, and then every read of the reply
// pipe blocks a thread in the kernel instead of waiting in the runtime's
// poller, which costs a round trip several thread hand-offs (the empty call
// took 95 us instead of 31 on a loaded 2-CPU machine).
func growPipe(f *os.File) {
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) { _, _ = unix.FcntlInt(fd, unix.F_SETPIPE_SZ, 1<<20) })
}
