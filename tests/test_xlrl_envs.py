"""xlrl_envs: the Go environments from Python (python/xlrl_envs, cmd/libxlrlenvs).

`make xlrl-envs` builds the library and installs the package into the .venv.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import ROOT

try:
    import xlrl_envs
except ImportError as exc:  # fail, never skip: a green run must not hide a missing install
    raise ImportError(f"{exc}: install it with `make xlrl-envs`") from exc

import xlrl_envs_cases  # noqa: E402  (after the check above names the install command)

# Each case runs twice: through the C extension (xlrl_envs._fast) and through the pure-ctypes
# fallback it replaces, which must give the same results.
PATHS = ["c", "ctypes"]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("case", xlrl_envs_cases.CASES)
def test_in_a_fresh_process(case: str, path: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        pool.apply(run_case, (case, path))


def run_case(case: str, path: str) -> None:
    from xlrl_envs import vector

    os.environ[vector.NO_C_ENV] = "1" if path == "ctypes" else ""
    getattr(xlrl_envs_cases, case)()


def test_the_c_extension_is_built_where_there_is_a_compiler() -> None:
    from xlrl_envs import vector

    if shutil.which("cc") or shutil.which("gcc"):
        assert vector._fast is not None, (
            "xlrl_envs._fast is missing although a C compiler is installed: `make xlrl-envs` "
            "builds it (pip's log names the compiler error)"
        )
    assert vector.c_extension() == (vector._fast is not None)


def in_subprocess(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, **env),
    )


@pytest.mark.parametrize("path", PATHS)
def test_use_after_fork_is_refused_naming_spawn(path: str) -> None:
    p = in_subprocess(
        """
        import os, xlrl_envs
        v = xlrl_envs.make_vec("CartPole-v1", 2, seed=0)
        v.reset()
        pid = os.fork()
        if pid == 0:
            try:
                v.step([0, 1])
            except xlrl_envs.GoRuntimeError as exc:
                print("child:", exc, flush=True)
                os._exit(0)
            os._exit(1)
        _, status = os.waitpid(pid, 0)
        print("status", status)
        v.step([0, 1])  # the parent goes on
        """,
        XLRL_ENVS_NO_C="1" if path == "ctypes" else "",
    )
    assert p.returncode == 0, p.stderr
    assert "status 0" in p.stdout and "'spawn' start method" in p.stdout


def test_second_go_library_is_refused(tmp_path: Path) -> None:
    lib = Path(xlrl_envs.__file__).parent / "libxlrlenvs.so"
    other = tmp_path / "libcopy.so"
    other.write_bytes(lib.read_bytes())
    p = in_subprocess(
        f"""
        import xlrl_envs
        xlrl_envs.ids()
        try:
            xlrl_envs.load_library({str(other)!r})
        except xlrl_envs.GoRuntimeError as exc:
            print(exc)
        """
    )
    assert "one Go runtime per process" in p.stdout, p.stderr


def test_a_users_own_library_serves_their_env(tmp_path: Path) -> None:
    so = tmp_path / "libmyenvs.so"
    subprocess.run(
        ["go", "build", "-buildmode=c-shared", "-o", str(so), "./cmd/libxlrlenvs/testdata/userlib"],
        cwd=ROOT,
        check=True,
        timeout=600,
    )
    p = in_subprocess(
        """
        import numpy as np, xlrl_envs
        ids = xlrl_envs.ids()
        assert "Corridor-v0" in ids and "CartPole-v1" in ids, ids
        v = xlrl_envs.make_vec("Corridor-v0", 2, seed=0)
        v.reset()
        total = np.zeros(2)
        for _ in range(4):
            obs, rew, term, trunc, infos = v.step(np.ones(2, dtype=np.int64))
            total += rew
        print("returns", total.tolist(), term.tolist(), infos["final_obs"].tolist())
        """,
        XLRL_ENVS_LIBRARY=str(so),
    )
    assert p.returncode == 0, p.stderr
    assert "returns [2.0, 2.0] [True, True] [[4.0], [4.0]]" in p.stdout


def test_a_go_runtime_already_in_the_process_is_refused() -> None:
    # pyworker.native loads libqvalue.so, another Go library (make libqvalue builds it).
    p = in_subprocess(
        """
        from pyworker import native
        native.update_q_value(0.0, 1.0, 1.0, 0.5, 0.9, False)
        import xlrl_envs
        try:
            xlrl_envs.ids()
        except xlrl_envs.GoRuntimeError as exc:
            print(exc)
        """,
        PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    )
    assert "already holds a Go runtime" in p.stdout and "libqvalue" in p.stdout, p.stderr
