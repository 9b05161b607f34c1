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

// spinReader reads the reply pipe, first polling it without blocking and
// only then parking in the runtime's poller. Waking a parked thread costs
// tens of microseconds on a virtual machine (80 us for a Python-to-Python
// pipe ping-pong on the 2-vCPU development machine, 2 us when both ends
// poll), more than a short call itself. It polls for up to twice as long as
// the last reply took to come, at least spin and at most maxSpin, and not
// at all after a reply that took longer than maxSpin: a link whose calls are
// long (training) parks at once and costs no CPU, while one that steps many
// worker-hosted environments per call (milliseconds) still gets its replies
// without a wake-up.
//
// Polling pays only while each end has a CPU to itself. When the machine
// has more runnable threads than CPUs, a polling thread takes the CPU that
// the worker (or another process the worker then waits behind) needs: on
// the 2-vCPU development machine under a load of about 3, a one-copy
// env.step cost 56-160 us of link polling against 30-69 us blocking. So
// after two reads in a row that polled and were switched out meanwhile by
// the kernel (the process's involuntary context switches grew: another
// thread wanted the CPU, or sched_yield gave it away) the reader stops
// polling for holdOff (DefaultLinkHoldOff, $XLRL_LINK_HOLDOFF_MS; 0 never
// holds off); the next read after that tries again. Two, not one: a single
// switch also comes from the host's own threads waking. The rule also fires
// on an idle 2-vCPU machine, where a worker woken from a blocking read is
// placed on the polling thread's CPU: there an empty call took 14-18 us
// without the hold-off and 37-63 us with it, but under one busy loop the
// hold-off halves the cost (docs/benchmarks.md), so it stays the default.
type spinReader struct {
	rc            syscall.RawConn
	spin, maxSpin time.Duration
	last          time.Duration // how long the last read waited for its bytes
	holdUntil     time.Time     // no polling before this: the CPUs were contended
	strikes       int           // reads in a row whose polling was switched out
	holdOff       time.Duration // how long polling stops after two strikes; 0: never
	switches      func() int64  // the process's involuntary context switches so far
}

// maxSpinFactor bounds spinReader's polling at this many times its spin.
const maxSpinFactor = 40

// involuntarySwitches is the process's count of involuntary context switches.
func involuntarySwitches() int64 {
	var r unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &r) != nil {
		return 0
	}
	return r.Nivcsw
}

func newSpinReader(f *os.File, spin, holdOff time.Duration) io.Reader {
	rc, err := f.SyscallConn()
	if err != nil || spin <= 0 {
		return f
	}
	return &spinReader{rc: rc, spin: spin, maxSpin: maxSpinFactor * spin, holdOff: holdOff, switches: involuntarySwitches}
}

// budget is how long a read that starts at now polls before it parks.
func (s *spinReader) budget(now time.Time) time.Duration {
	if s.last > s.maxSpin || now.Before(s.holdUntil) {
		return 0
	}
	return min(s.maxSpin, max(s.spin, 2*s.last))
}

func (s *spinReader) Read(p []byte) (int, error) {
	var n int
	var rerr error
	start := time.Now()
	budget := s.budget(start)
	polled := false
	var switches int64
	err := s.rc.Read(func(fd uintptr) bool {
		for {
			n, rerr = unix.Read(int(fd), p)
			if rerr != unix.EAGAIN {
				return true
			}
			if budget > 0 && !polled && s.holdOff > 0 {
				polled, switches = true, s.switches()
			}
			if budget == 0 || time.Since(start) > budget {
				budget = 0
				return false // wait in the poller, then read again
			}
			// Let the goroutine this reader has just handed a reply to
			// run on this thread instead of waking another for it; past
			// the base spin, let the kernel run another process on this
			// CPU too (the worker may be waiting for it). Yielding to the
			// kernel on every poll made short calls slower: 47-78 against
			// 110-118 us per one-copy env.step on a quiet 2-vCPU machine.
			runtime.Gosched()
			if time.Since(start) > s.spin {
				_, _, _ = unix.RawSyscall(unix.SYS_SCHED_YIELD, 0, 0, 0)
			}
		}
	})
	s.last = time.Since(start)
	if polled {
		s.strikes++
		if s.switches() == switches {
			s.strikes = 0
		} else if s.strikes >= 2 {
			s.holdUntil, s.strikes = start.Add(s.last+s.holdOff), 0
		}
	}
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
