"""End to end: the built xlrl binary spawns the real worker."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT

pytestmark = pytest.mark.e2e


def run(binary: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120):
    return subprocess.run(
        [str(binary), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env or worker_env(),
        cwd=ROOT,
    )


def worker_env(**extra: str) -> dict[str, str]:
    return dict(os.environ, XLRL_PYTHON=sys.executable, **extra)


def last_json(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        out += [int(c) for c in text]
    return out


def gone(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"  # a zombie has exited


def wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def start_long_call(binary: Path) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen(
        [str(binary), "worker", "call", "sleep", "--params", '{"seconds": 60}'],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=worker_env(),
    )
    # The call is under way once the worker sends progress.
    assert proc.stderr is not None
    line = proc.stderr.readline()
    assert line.startswith("progress:"), line
    (worker,) = children(proc.pid)
    return proc, worker


def test_version_and_doctor_json(xlrl_binary: Path) -> None:
    v = run(xlrl_binary, "version", "--json")
    assert v.returncode == 0 and last_json(v.stdout)["protocol"] == "1.0"
    d = run(xlrl_binary, "doctor", "--json")
    report = last_json(d.stdout)
    assert d.returncode == 0, d.stderr
    assert report["ok"] and report["tensorflow"] and report["python_reason"] == "$XLRL_PYTHON"


def test_doctor_names_the_install_command_when_tensorflow_is_missing(xlrl_binary: Path) -> None:
    env = worker_env(PYTHONPATH=str(FIXTURES / "no_tensorflow"))
    d = run(xlrl_binary, "doctor", env=env)
    assert d.returncode == 1
    assert "TensorFlow is not installed" in d.stderr
    assert "pip install tensorflow-cpu" in d.stderr


def test_doctor_reports_a_missing_worker_package(xlrl_binary: Path, tmp_path: Path) -> None:
    d = run(xlrl_binary, "doctor", "--python", "/usr/bin/env", env=dict(os.environ))
    assert d.returncode == 1
    assert "is pyworker installed" in d.stderr or "make venv" in d.stderr


def test_killing_the_worker_mid_call_fails_xlrl_within_2s(xlrl_binary: Path) -> None:
    proc, worker = start_long_call(xlrl_binary)
    killed = time.monotonic()
    os.kill(worker, signal.SIGKILL)
    status = proc.wait(timeout=10)
    elapsed = time.monotonic() - killed
    err = proc.stderr.read()
    assert status != 0
    assert "worker died (signal: killed) during sleep" in err
    assert elapsed < 2, f"xlrl took {elapsed:.2f}s to notice"


def test_killing_xlrl_ends_the_worker_within_2s(xlrl_binary: Path) -> None:
    proc, worker = start_long_call(xlrl_binary)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=5)
    assert wait_for(lambda: gone(worker), 2.0), "the worker outlived xlrl by more than 2s"


def test_interrupting_xlrl_shuts_the_worker_down(xlrl_binary: Path) -> None:
    proc, worker = start_long_call(xlrl_binary)
    os.kill(proc.pid, signal.SIGINT)
    status = proc.wait(timeout=10)
    assert status == 130
    assert "interrupt signal received" in proc.stderr.read()
    assert wait_for(lambda: gone(worker), 5.0)


def test_bench_rpc_json(xlrl_binary: Path) -> None:
    r = run(xlrl_binary, "bench", "rpc", "--calls", "300", "--sizes", "1MiB", "--json")
    assert r.returncode == 0, r.stderr
    res = last_json(r.stdout)
    assert 0 < res["rtt_median_us"] <= res["rtt_p99_us"]
    assert res["throughput"]["1MiB"]["send_gbps"] > 0
    assert res["reference_rtt_median_us"] > 0


def test_bad_flag_is_a_clear_error(xlrl_binary: Path) -> None:
    r = run(xlrl_binary, "bench", "rpc", "--sizes", "12parsecs")
    assert r.returncode != 0 and "not a size like 1MiB" in r.stderr
