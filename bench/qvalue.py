"""The Go Q-update kernel, called from Python through ctypes.

``libqvalue.so`` is ``internal/qupdate`` built as a C shared library
(``make libqvalue``). This is the original direction of the project (Python
drives, native code is a library) kept alongside the reverse one: the same Go
function that the Go agents use, bit for bit.

The library is looked for at ``$XLRL_LIBQVALUE``, then at the repository
root. This module is a library for Python programs, not a worker method: it
lives beside its users, ``bench/tabular_numpy.py`` (``import qvalue`` from
a script in this folder) and ``tests/test_native.py``; elsewhere, put this
folder on ``sys.path`` or copy the file.
"""

from __future__ import annotations

import ctypes
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

ENV_VAR = "XLRL_LIBQVALUE"
_REPO_ROOT = Path(__file__).resolve().parent.parent


class NativeLibraryError(RuntimeError):
    """libqvalue.so is missing or cannot be loaded."""


def library_path() -> Path:
    """Where the library is expected: ``$XLRL_LIBQVALUE`` or the repository root."""
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override)
    return _REPO_ROOT / "libqvalue.so"


@lru_cache(maxsize=1)
def _lib() -> ctypes.CDLL:
    path = library_path()
    if not path.is_file():
        raise NativeLibraryError(
            f"the Go Q-update library is not at {path}: run `make libqvalue` in the repository "
            f"root to build it, or set ${ENV_VAR} to its path"
        )
    try:
        lib = ctypes.CDLL(str(path))
    except OSError as exc:
        raise NativeLibraryError(
            f"cannot load {path}: {exc}; rebuild it with `make libqvalue`"
        ) from exc
    d = ctypes.c_double
    lib.UpdateQValue.argtypes = [d, d, d, d, d, ctypes.c_int]
    lib.UpdateQValue.restype = d
    pd = ctypes.POINTER(d)
    lib.UpdateQValueBatch.argtypes = [
        pd,
        pd,
        pd,
        ctypes.POINTER(ctypes.c_uint8),
        ctypes.c_int64,
        d,
        d,
        pd,
    ]
    lib.UpdateQValueBatch.restype = ctypes.c_int
    return lib


def _check_rate(name: str, value: float) -> None:
    if not 0.0 < value <= 1.0:
        raise ValueError(f"{name} {value} outside (0, 1]")


def update_q_value(
    current_q: float,
    reward: float,
    max_next_q: float,
    learning_rate: float,
    discount: float,
    terminal: bool,
) -> float:
    """One Q-learning update in Go: ``Q + lr * (r + gamma * maxNextQ - Q)``.

    With ``terminal`` the bootstrap term is left out. Truncation by a time
    limit is not terminal.
    """
    _check_rate("learning rate", learning_rate)
    _check_rate("discount", discount)
    return _lib().UpdateQValue(
        current_q, reward, max_next_q, learning_rate, discount, 1 if terminal else 0
    )


def _as_f64(name: str, a: np.ndarray, n: int) -> np.ndarray:
    arr = np.ascontiguousarray(a, dtype=np.float64)
    if arr.shape != (n,):
        raise ValueError(f"{name} has shape {arr.shape}, want ({n},) like current_q")
    return arr


def update_q_value_batch(
    current_q: np.ndarray,
    reward: np.ndarray,
    max_next_q: np.ndarray,
    terminal: np.ndarray,
    learning_rate: float,
    discount: float,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """The update over 1-D arrays of equal length, in one call into Go.

    ``terminal`` is an array of flags: any nonzero value (0.5, 256, NaN)
    is terminal, as in ``np.where`` and the numpy reference. Returns ``out`` (a new float64
    array when not given; it may be ``current_q`` itself for an in-place update).
    """
    _check_rate("learning rate", learning_rate)
    _check_rate("discount", discount)
    q = np.ascontiguousarray(current_q, dtype=np.float64)
    if q.ndim != 1:
        raise ValueError(f"current_q has shape {q.shape}, want a 1-D array")
    n = q.shape[0]
    r = _as_f64("reward", reward, n)
    m = _as_f64("max_next_q", max_next_q, n)
    # Truthiness as numpy's (and the reference's) np.where sees it: any
    # nonzero value is terminal. A plain uint8 cast would wrap 256 to 0 and
    # truncate 0.5 to 0.
    t = np.ascontiguousarray(np.asarray(terminal) != 0, dtype=np.uint8)
    if t.shape != (n,):
        raise ValueError(f"terminal has shape {t.shape}, want ({n},) like current_q")
    if out is None:
        out = np.empty(n, dtype=np.float64)
    elif out.dtype != np.float64 or out.shape != (n,) or not out.flags.c_contiguous:
        raise ValueError("out must be a contiguous float64 array shaped like current_q")
    pd = ctypes.POINTER(ctypes.c_double)
    rc = _lib().UpdateQValueBatch(
        q.ctypes.data_as(pd),
        r.ctypes.data_as(pd),
        m.ctypes.data_as(pd),
        t.ctypes.data_as(ctypes.POINTER(ctypes.c_uint8)),
        n,
        learning_rate,
        discount,
        out.ctypes.data_as(pd),
    )
    if rc != 0:
        raise RuntimeError(f"UpdateQValueBatch failed with status {rc}")
    return out


def update_q_value_numpy(
    current_q: np.ndarray,
    reward: np.ndarray,
    max_next_q: np.ndarray,
    terminal: np.ndarray,
    learning_rate: float,
    discount: float,
) -> np.ndarray:
    """The same update in numpy, operation for operation (the reference)."""
    q = np.asarray(current_q, dtype=np.float64)
    target = np.where(terminal, reward, reward + discount * np.asarray(max_next_q, np.float64))
    return q + learning_rate * (target - q)
