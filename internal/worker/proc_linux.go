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
// thread wanted the CPU) the reader stops polling for holdOff
// (DefaultLinkHoldOff, $XLRL_LINK_HOLDOFF_MS; 0 never holds off). Two, not
// one: a single switch also comes from the host's own threads waking.
//
// The switches are only a sign of contention: they also come on an idle
// 2-vCPU machine, where a worker woken from a blocking read is placed on the
// polling thread's CPU, and there holding off made a one-copy env.step cost
// 65-95 us of link against 16-21 us polling. So each hold-off is also a
// trial: the short reads it blocked are compared with the polled reads
// before it, and when polling got its replies sooner (by minPollGain) the switches
// are ignored for trust (1 s, doubling with each trial polling wins, up to
// maxTrust), after which the next hold-off tries blocking again. The
// running mean mixes whatever calls the link carries, so a hold-off that
// follows long calls (evaluation steps over many copies) can find blocking
// no worse and hold off again: the mistake that costs no CPU. A trial that
// interleaved polled and blocked reads to compare like with like did no
// better in a DQN run (docs/benchmarks.md).
type spinReader struct {
	rc            syscall.RawConn
	spin, maxSpin time.Duration
	last          time.Duration // how long the last read waited for its bytes
	holdUntil     time.Time     // no polling before this: the CPUs looked contended
	strikes       int           // reads in a row whose polling was switched out
	holdOff       time.Duration // how long polling stops after two strikes; 0: never
	switches      func() int64  // the process's involuntary context switches so far

	polledWait float64       // a running mean of the short polled reads' waits, in ns
	heldWait   meanWait      // the short reads of the hold-off under way (or just ended)
	trustUntil time.Time     // polling beat blocking: the switches are ignored until then
	trust      time.Duration // how long the next win of polling over blocking trusts it
}

const (
	// maxSpinFactor bounds spinReader's polling at this many times its spin.
	maxSpinFactor = 40
	// firstTrust and maxTrust bound how long polling is kept on after a
	// hold-off found it faster than blocking: long enough that the trials
	// cost little on an idle machine (a 50 ms trial in 8 s), short enough
	// that load which comes later is met within seconds.
	firstTrust, maxTrust = time.Second, 8 * time.Second
	// minHeldReads is the fewest short reads a hold-off must have blocked
	// for its trial to count.
	minHeldReads = 16
	// minPollGain: polling is trusted only when its mean wait is shorter than
	// blocking's by this much (a wake-up cost 40-60 us on the development
	// machine); where the two are closer, blocking costs no CPU. Absolute,
	// not relative: a 2 ms call (256 copies) gains a whole wake-up, 3%.
	minPollGain = 10 * time.Microsecond
)

// meanWait is the mean of some reads' waits.
type meanWait struct {
	sum time.Duration
	n   int
}

func (m *meanWait) add(d time.Duration) { m.sum += d; m.n++ }

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
	return &spinReader{rc: rc, spin: spin, maxSpin: maxSpinFactor * spin, holdOff: holdOff,
		switches: involuntarySwitches, trust: firstTrust}
}

// budget is how long a read that starts at now polls before it parks.
func (s *spinReader) budget(now time.Time) time.Duration {
	if s.last > s.maxSpin || now.Before(s.holdUntil) {
		return 0
	}
	return min(s.maxSpin, max(s.spin, 2*s.last))
}

// judge ends the trial of a hold-off that is over at now: polling is
// trusted for a while if its replies came clearly sooner than the blocked ones.
func (s *spinReader) judge(now time.Time) {
	if s.heldWait.n >= minHeldReads && s.polledWait > 0 &&
		s.polledWait < float64(s.heldWait.sum/time.Duration(s.heldWait.n)-minPollGain) {
		s.trustUntil = now.Add(s.trust)
		s.trust = min(2*s.trust, maxTrust)
	} else {
		s.trust = firstTrust
	}
	s.holdUntil, s.heldWait = time.Time{}, meanWait{}
}

// account records a read that started at start and waited s.last: held (it
// fell in a hold-off), tried (it had a polling budget), polled (it had to
// poll: no reply was there at once) and switched (the kernel switched the
// process out meanwhile).
func (s *spinReader) account(start time.Time, held, tried, polled, switched bool) {
	if s.last <= s.maxSpin {
		switch {
		case held:
			s.heldWait.add(s.last)
		case tried && s.polledWait == 0:
			s.polledWait = float64(s.last)
		case tried:
			s.polledWait += (float64(s.last) - s.polledWait) / 8
		}
	}
	if !polled {
		return
	}
	if !switched {
		s.strikes = 0
		return
	}
	if s.strikes++; s.strikes >= 2 {
		s.strikes = 0
		if !start.Before(s.trustUntil) {
			s.holdUntil = start.Add(s.last + s.holdOff)
		}
	}
}

func (s *spinReader) Read(p []byte) (int, error) {
	var n int
	var rerr error
	start := time.Now()
	if !s.holdUntil.IsZero() && !start.Before(s.holdUntil) {
		s.judge(start)
	}
	held := start.Before(s.holdUntil)
	budget := s.budget(start)
	tried := budget > 0
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
			// run on this thread instead of waking another for it. Not
			// sched_yield: yielding to the kernel on every poll past the
			// base spin made a 16-copy env.step's link cost 40-56 against
			// 12-20 us on an idle 2-vCPU machine, and did no better under
			// a busy loop, where the hold-off is what helps.
			runtime.Gosched()
		}
	})
	s.last = time.Since(start)
	if s.holdOff > 0 {
		s.account(start, held, tried, polled, polled && s.switches() != switches)
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
