"""The worker's end of the pipe the host writes requests into.

Waking a process blocked in ``read`` costs tens of microseconds on a virtual
machine (a Python-to-Python pipe ping-pong took 80 us blocking and 2 us
polling on the 2-vCPU development machine), more than a short call such as
``env.step`` costs by itself. So the reader first polls the pipe without
blocking, for up to the host's ``XLRL_LINK_SPIN_US`` microseconds, and only
then blocks. It polls only while requests come within that time of the read
that waits for them and no long call is running on the compute thread: an
idle worker, or one whose host sends requests seldom, blocks at once and
uses no CPU.

Polling pays only while each end has a CPU to itself. When the kernel switches
the polling reader out in two reads in a row (the thread's involuntary context
switches grew while it polled: more threads want the CPUs than there are), it
stops polling for the host's ``XLRL_LINK_HOLDOFF_MS`` milliseconds (0: never)
and blocks at once, as the host does (internal/worker ``spinReader``).
"""

from __future__ import annotations

import os
import resource
import select
import time
from collections.abc import Callable

# One read takes what the pipe holds, up to this; the buffer is kept across
# reads because allocating it per read (os.read(fd, 1 MiB)) costs more than
# the rest of an empty call.
BUFFER_BYTES = 1 << 20

# The reading thread's own count where the platform has one (Linux), else the process's.
_WHO = getattr(resource, "RUSAGE_THREAD", resource.RUSAGE_SELF)


def involuntary_switches() -> int:
    """The reading thread's involuntary context switches so far."""
    return resource.getrusage(_WHO).ru_nivcsw


def _ns_from_env(name: str, ns_per_unit: int) -> int:
    try:
        return max(0, int(os.environ.get(name, "0"))) * ns_per_unit
    except ValueError:
        return 0


def spin_ns_from_env() -> int:
    """The polling time the host asked for, in nanoseconds (0: block at once)."""
    return _ns_from_env("XLRL_LINK_SPIN_US", 1000)


def hold_off_ns_from_env() -> int:
    """How long the host asked polling to stop once switched out, in nanoseconds (0: never)."""
    return _ns_from_env("XLRL_LINK_HOLDOFF_MS", 1_000_000)


class RequestReader:
    """Reads what the host has written, polling before it blocks (see the module)."""

    def __init__(
        self, fd: int, spin_ns: int, idle: Callable[[], bool], hold_off_ns: int = 0
    ) -> None:
        self._fd = fd
        self._stream = open(fd, "rb", buffering=0, closefd=False)  # noqa: SIM115
        self._buffer = memoryview(bytearray(BUFFER_BYTES))
        self._spin_ns = spin_ns
        self._hold_off_ns = hold_off_ns
        self._idle = idle
        self._polling = True  # the last request came within spin_ns
        self._hold_until = 0  # no polling before this (perf_counter_ns): the CPUs were contended
        self._strikes = 0  # reads in a row whose polling was switched out
        self.switches: Callable[[], int] = involuntary_switches
        if spin_ns:
            os.set_blocking(fd, False)

    def read(self) -> memoryview:
        """The next bytes from the host; empty when it has closed the pipe."""
        if not self._spin_ns:
            return self._buffer[: self._stream.readinto(self._buffer)]
        start = time.perf_counter_ns()
        n = self._stream.readinto(self._buffer)  # None: nothing there yet
        if n is None and self._polling and start >= self._hold_until and self._idle():
            switches = self.switches()
            deadline = start + self._spin_ns
            while n is None and time.perf_counter_ns() < deadline:
                n = self._stream.readinto(self._buffer)
            self._strikes = self._strikes + 1 if self.switches() > switches else 0
            if self._strikes >= 2 and self._hold_off_ns:
                self._hold_until = time.perf_counter_ns() + self._hold_off_ns
                self._strikes = 0
        while n is None:
            select.select([self._fd], [], [])
            n = self._stream.readinto(self._buffer)
        self._polling = time.perf_counter_ns() - start <= self._spin_ns
        return self._buffer[:n]
