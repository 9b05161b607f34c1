package worker

import (
	"io"
	"os"
	"runtime"
	"syscall"
	"time"

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

// spinReader reads the reply pipe, first polling it without blocking for up
// to spin (see linkSpin) and only then parking in the runtime's poller.
type spinReader struct {
	rc   syscall.RawConn
	spin time.Duration
}

func newSpinReader(f *os.File, spin time.Duration) io.Reader {
	rc, err := f.SyscallConn()
	if err != nil || spin <= 0 {
		return f
	}
	return &spinReader{rc: rc, spin: spin}
}

func (s *spinReader) Read(p []byte) (int, error) {
	var n int
	var rerr error
	err := s.rc.Read(func(fd uintptr) bool {
		start := time.Now()
		for {
			n, rerr = unix.Read(int(fd), p)
			if rerr != unix.EAGAIN {
				return true
			}
			if time.Since(start) > s.spin {
				return false
			}
			// Let the goroutine this reader has just handed a reply to
			// run on this thread instead of waking another for it.
			runtime.Gosched()
		}
	})
	switch {
	case err != nil:
		return 0, err
	case rerr != nil:
		return 0, rerr
	case n == 0 && len(p) > 0:
		return 0, io.EOF
	}
	return n, nil
}
