"""The worker's request reader: polling first, blocking after, the bytes unchanged."""

from __future__ import annotations

import contextlib
import os
import threading
import time

import pytest

from pyworker import link


@pytest.fixture
def pipe():
    r, w = os.pipe()
    yield r, w
    for fd in (r, w):
        with contextlib.suppress(OSError):
            os.close(fd)


@pytest.mark.parametrize("spin_us", [0, 200])
def test_reads_what_was_written_then_eof(pipe, spin_us):
    r, w = pipe
    reader = link.RequestReader(r, spin_us * 1000, idle=lambda: True)
    os.write(w, b"abc")
    assert bytes(reader.read()) == b"abc"
    threading.Timer(0.02, os.write, (w, b"late")).start()
    assert bytes(reader.read()) == b"late"
    os.close(w)
    assert bytes(reader.read()) == b""


def test_stops_polling_after_a_slow_request_and_resumes_after_a_fast_one(pipe):
    r, w = pipe
    reader = link.RequestReader(r, 1_000_000, idle=lambda: True)  # 1 ms
    threading.Timer(0.05, os.write, (w, b"slow")).start()
    assert bytes(reader.read()) == b"slow"
    assert not reader._polling
    os.write(w, b"fast")
    assert bytes(reader.read()) == b"fast"
    assert reader._polling


def test_does_not_poll_while_the_compute_thread_is_busy(pipe):
    r, w = pipe
    calls = []

    def busy() -> bool:
        calls.append(1)
        return False

    reader = link.RequestReader(r, 10_000_000_000, idle=busy)  # 10 s: would be seen
    threading.Timer(0.02, os.write, (w, b"x")).start()
    start = time.monotonic()
    assert bytes(reader.read()) == b"x"
    assert calls and time.monotonic() - start < 5


def test_holds_off_polling_after_being_switched_out_twice(pipe):
    r, w = pipe
    reader = link.RequestReader(r, 1_000_000_000, idle=lambda: True, hold_off_ns=50_000_000)
    count = iter(range(1_000_000))
    reader.switches = lambda: next(count)  # every look finds a new switch
    for _ in range(2):
        threading.Timer(0.01, os.write, (w, b"x")).start()
        assert bytes(reader.read()) == b"x"
    start = time.monotonic()
    threading.Timer(0.3, os.write, (w, b"y")).start()
    assert bytes(reader.read()) == b"y"  # blocked: the reader did not look at the switches
    assert time.monotonic() - start >= 0.25 and next(count) == 4
    reader._hold_until = 0
    os.write(w, b"z")
    assert bytes(reader.read()) == b"z"


def test_without_a_hold_off_polls_on_when_switched_out(pipe):
    r, w = pipe
    reader = link.RequestReader(r, 1_000_000_000, idle=lambda: True, hold_off_ns=0)
    count = iter(range(1_000_000))
    reader.switches = lambda: next(count)
    for _ in range(4):
        threading.Timer(0.01, os.write, (w, b"x")).start()
        assert bytes(reader.read()) == b"x"
    assert next(count) == 8  # every read polled (two looks each)


@pytest.mark.parametrize(("value", "want"), [("", 0), ("50", 50_000_000), ("0", 0), ("x", 0)])
def test_hold_off_from_env(monkeypatch, value, want):
    monkeypatch.setenv("XLRL_LINK_HOLDOFF_MS", value)
    assert link.hold_off_ns_from_env() == want


@pytest.mark.parametrize(
    ("value", "want"), [("", 0), ("100", 100_000), ("0", 0), ("-5", 0), ("x", 0)]
)
def test_spin_from_env(monkeypatch, value, want):
    monkeypatch.setenv("XLRL_LINK_SPIN_US", value)
    assert link.spin_ns_from_env() == want
