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
"""

from __future__ import annotations

import os
import select
import time
from collections.abc import Callable

# One read takes what the pipe holds, up to this; the buffer is kept across
# reads because allocating it per read (os.read(fd, 1 MiB)) costs more than
# the rest of an empty call.
BUFFER_BYTES = 1 << 20


def spin_ns_from_env() -> int:
    """The polling time the host asked for, in nanoseconds (0: block at once)."""
    try:
        return max(0, int(os.environ.get("XLRL_LINK_SPIN_US", "0"))) * 1000
    except ValueError:
        return 0


class RequestReader:
    """Reads what the host has written, polling before it blocks (see the module)."""

    def __init__(self, fd: int, spin_ns: int, idle: Callable[[], bool]) -> None:
        self._fd = fd
        self._stream = open(fd, "rb", buffering=0, closefd=False)  # noqa: SIM115
        self._buffer = memoryview(bytearray(BUFFER_BYTES))
        self._spin_ns = spin_ns
        self._idle = idle
        self._polling = True  # the last request came within spin_ns
        if spin_ns:
            os.set_blocking(fd, False)

    def read(self) -> memoryview:
        """The next bytes from the host; empty when it has closed the pipe."""
        if not self._spin_ns:
            return self._buffer[: self._stream.readinto(self._buffer)]
        start = time.perf_counter_ns()
        n = self._stream.readinto(self._buffer)  # None: nothing there yet
        if n is None and self._polling and self._idle():
            deadline = start + self._spin_ns
            while n is None and time.perf_counter_ns() < deadline:
                n = self._stream.readinto(self._buffer)
        while n is None:
            select.select([self._fd], [], [])
            n = self._stream.readinto(self._buffer)
        self._polling = time.perf_counter_ns() - start <= self._spin_ns
        return self._buffer[:n]
