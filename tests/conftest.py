"""Shared fixtures: a worker process spoken to in raw bytes, and the built binary."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pyworker import protocol

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


class RawWorker:
    """``python -m pyworker serve`` driven by bytes, as the Go host would."""

    def __init__(self, *imports: str) -> None:
        args = [sys.executable, "-m", "pyworker", "serve"]
        for module in imports:
            args += ["--import", module]
        env = dict(os.environ, PYTHONPATH=f"{FIXTURES}{os.pathsep}{ROOT}")
        self.proc = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
        )
        self._unpacker = protocol.unpacker()
        self.hello = self.read()

    def write(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def send(self, message: list[Any]) -> None:
        self.write(protocol.pack(message))

    def request(self, msgid: int, method: str, **params: Any) -> None:
        self.send([protocol.REQUEST, msgid, method, [params]])

    def read(self, timeout: float = 10.0) -> Any:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while True:
            for message in self._unpacker:
                return message
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
                raise TimeoutError("no message from the worker")
            chunk = os.read(self.proc.stdout.fileno(), 1 << 20)
            if not chunk:
                raise EOFError("the worker closed stdout")
            self._unpacker.feed(chunk)

    def call(self, msgid: int, method: str, **params: Any) -> list[Any]:
        self.request(msgid, method, **params)
        return self.read()

    def close(self) -> int:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def stderr(self) -> str:
        assert self.proc.stderr is not None
        return self.proc.stderr.read().decode(errors="replace")


@pytest.fixture
def raw_worker() -> Iterator[RawWorker]:
    w = RawWorker("handlers_fixture")
    yield w
    w.close()


@pytest.fixture(scope="session")
def xlrl_binary() -> Path:
    """The xlrl binary, built by `make test` before pytest runs."""
    binary = ROOT / "bin" / "xlrl"
    if not binary.exists():
        subprocess.run(["go", "build", "-o", str(binary), "./cmd/xlrl"], cwd=ROOT, check=True)
    return binary


def interrupt_run(
    binary: Path,
    cwd: Path,
    args: list[str],
    *,
    progress: str = "steps (",
    lines: int = 1,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> str:
    """Start `xlrl ARGS` in cwd, send it SIGINT (Ctrl-C) once its progress lines
    (containing ``progress``) reach ``lines``, check that it stopped as Ctrl-C should (exit
    status 130) and return its stderr."""
    proc = subprocess.Popen(
        [str(binary), *args],
        cwd=cwd,
        env=env or dict(os.environ, XLRL_PYTHON=sys.executable),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    seen = 0
    while seen < lines:
        line = proc.stderr.readline()
        assert line or proc.poll() is None, "xlrl ended before it could be interrupted"
        seen += progress in line
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 130, err
    return err
