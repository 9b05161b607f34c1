"""Loading the Go shared library, once per process, and refusing use after fork."""

from __future__ import annotations

import ctypes
import json
import os
from pathlib import Path
from typing import Any

ABI_VERSION = 2
LIBRARY_ENV = "XLRL_ENVS_LIBRARY"
_DEFAULT = Path(__file__).resolve().parent / "libxlrlenvs.so"

_lib: ctypes.CDLL | None = None
_path: str | None = None
_pid: int | None = None


class GoRuntimeError(RuntimeError):
    """A use of the Go library that a Go runtime inside Python cannot support."""


def _declare(lib: ctypes.CDLL) -> None:
    c = ctypes
    lib.XlrlEnvsABI.restype = c.c_int64
    lib.XlrlEnvsSpecs.restype = c.c_void_p
    lib.XlrlEnvsFree.argtypes = [c.c_void_p]
    lib.XlrlVecNew.argtypes = [
        c.c_char_p,
        c.c_int64,
        c.c_int64,
        c.c_uint64,
        c.c_char_p,
        c.POINTER(c.c_void_p),
    ]
    lib.XlrlVecNew.restype = c.c_int64
    lib.XlrlVecSpec.argtypes = [c.c_int64]
    lib.XlrlVecSpec.restype = c.c_void_p
    lib.XlrlVecBuffers.argtypes = [c.c_int64] + [c.POINTER(c.c_void_p)] * 5
    lib.XlrlVecBuffers.restype = c.c_int
    lib.XlrlVecReset.argtypes = [c.c_int64, c.c_uint64, c.c_int]
    lib.XlrlVecReset.restype = c.c_void_p
    lib.XlrlVecStepDiscrete.argtypes = [c.c_int64, c.c_void_p, c.POINTER(c.c_void_p)]
    lib.XlrlVecStepDiscrete.restype = c.c_int64
    lib.XlrlVecStepContinuous.argtypes = [c.c_int64, c.c_void_p, c.POINTER(c.c_void_p)]
    lib.XlrlVecStepContinuous.restype = c.c_int64
    lib.XlrlVecClose.argtypes = [c.c_int64]


def _other_go_runtimes(mine: str) -> list[str]:
    """Shared objects already mapped into this process that carry a Go runtime."""
    found: list[str] = []
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if line.rstrip().endswith(".so")}
    except OSError:  # not Linux: nothing to check against
        return found
    for p in sorted(paths):
        if os.path.realpath(p) == mine:
            continue
        try:
            handle = ctypes.CDLL(p, mode=os.RTLD_NOLOAD | os.RTLD_LOCAL)
        except OSError:
            continue
        if hasattr(handle, "_cgo_topofstack"):
            found.append(p)
    return found


def load_library(path: str | os.PathLike[str] | None = None) -> ctypes.CDLL:
    """Load the Go library: ``path``, else $XLRL_ENVS_LIBRARY, else the one in this package.

    A process holds one Go runtime: loading a second, different library (a
    user's own build beside the default one, or pyworker.native's libqvalue)
    is refused. Call this before the first make_vec to use your own build.
    """
    global _lib, _path, _pid
    wanted = path or os.environ.get(LIBRARY_ENV) or _DEFAULT
    real = os.path.realpath(wanted)
    if _lib is not None:
        check_process()
        if real != _path:
            raise GoRuntimeError(
                f"xlrl_envs already loaded {_path} in this process; one Go runtime per process "
                f"(golang/go#18976), so {real} cannot be loaded beside it: build one library that "
                "registers every environment you need (see envlib's documentation)"
            )
        return _lib
    if not os.path.exists(real):
        raise FileNotFoundError(
            f"the xlrl_envs Go library {real} does not exist: build it with `make xlrl-envs` "
            f"(or go build -buildmode=c-shared -o {real} ./cmd/libxlrlenvs)"
        )
    others = _other_go_runtimes(real)
    if others:
        raise GoRuntimeError(
            f"this process already holds a Go runtime ({', '.join(others)}); one Go runtime per "
            "process (golang/go#18976): use one Go library per process, or run xlrl_envs in a "
            "process of its own (multiprocessing with the 'spawn' start method)"
        )
    lib = ctypes.CDLL(real)
    _declare(lib)
    abi = lib.XlrlEnvsABI()
    if abi != ABI_VERSION:
        raise GoRuntimeError(
            f"{real} speaks ABI version {abi}, this xlrl_envs speaks {ABI_VERSION}: rebuild the "
            "library from the same xlrl sources (make xlrl-envs)"
        )
    _lib, _path, _pid = lib, real, os.getpid()
    return lib


_forked = False


def _after_fork_in_child() -> None:
    global _forked
    _forked = _lib is not None


os.register_at_fork(after_in_child=_after_fork_in_child)


def check_process() -> None:
    """Refuse use in a forked child: the Go runtime's threads did not survive the fork."""
    if _forked or (_pid is not None and os.getpid() != _pid):
        raise GoRuntimeError(
            f"xlrl_envs was loaded in process {_pid}, and this process ({os.getpid()}) is a fork "
            "of it: a Go runtime does not survive fork (golang/go#15538). Start worker processes "
            "with the 'spawn' start method (multiprocessing.get_context('spawn'), or "
            "SubprocVecEnv(..., start_method='spawn')), and import xlrl_envs in them"
        )


def lib() -> ctypes.CDLL:
    """The loaded library (loading the default one on first use), after the fork check."""
    if _lib is None:
        return load_library()
    check_process()
    return _lib


def take_string(ptr: int | None) -> str | None:
    """Copy a string the library returned, then free it."""
    if not ptr:
        return None
    try:
        return ctypes.string_at(ptr).decode()
    finally:
        lib().XlrlEnvsFree(ptr)


def specs() -> list[dict[str, Any]]:
    """Every id the library serves, with its spaces, time limit and threshold."""
    text = take_string(lib().XlrlEnvsSpecs())
    return json.loads(text or "[]")
