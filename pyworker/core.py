"""Built-in methods: liveness, echo and throughput probes, and environment facts."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from pyworker.errors import ArgumentError
from pyworker.registry import CallContext, method


@method("ping", inline=True)
def ping(ctx: CallContext) -> None:
    """The empty call: measures the link's round trip."""
    return None


@method("echo", inline=True)
def echo(ctx: CallContext, *, value: Any) -> Any:
    """Return ``value`` unchanged (arrays come back as arrays of the same dtype and shape)."""
    return value


@method("sink", inline=True)
def sink(ctx: CallContext, *, data: np.ndarray) -> int:
    """Receive an array and return its size in bytes: the host-to-worker direction."""
    return int(data.nbytes)


@method("source", inline=True)
def source(ctx: CallContext, *, nbytes: int) -> np.ndarray:
    """Return ``nbytes`` bytes as a float32 array: the worker-to-host direction."""
    if nbytes < 0 or nbytes % 4:
        raise ArgumentError(f"nbytes must be a non-negative multiple of 4, got {nbytes}")
    return _buffer(nbytes // 4)


_cache: dict[int, np.ndarray] = {}


def _buffer(n: int) -> np.ndarray:
    if n not in _cache:
        _cache.clear()
        _cache[n] = np.arange(n, dtype=np.float32)
    return _cache[n]


@method("sleep")
def sleep(ctx: CallContext, *, seconds: float) -> float:
    """Sleep on the compute thread, sending progress; stops early when cancelled."""
    start = time.monotonic()
    deadline = start + seconds
    while time.monotonic() < deadline and not ctx.cancelled.is_set():
        time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
        ctx.progress(elapsed=time.monotonic() - start, total=seconds)
    return time.monotonic() - start


@method("fail")
def fail(ctx: CallContext, *, message: str = "failure requested by the host") -> None:
    """Raise, to check that errors come back with their traceback and the worker keeps serving."""
    raise RuntimeError(message)


@method("info")
def info(ctx: CallContext) -> dict[str, Any]:
    """Import TensorFlow and describe it (the handshake only reads its version)."""
    start = time.monotonic()
    try:
        import tensorflow as tf
    except ImportError as exc:
        return {"tensorflow": None, "error": str(exc)}
    return {
        "tensorflow": tf.__version__,
        "keras": _version("keras"),
        "numpy": np.__version__,
        "devices": [d.name for d in tf.config.list_physical_devices()],
        "import_seconds": time.monotonic() - start,
    }


def _version(module: str) -> str | None:
    try:
        return __import__(module).__version__
    except ImportError:
        return None
