"""Errors that handlers raise for bad input, and checks that raise them."""

from __future__ import annotations

from typing import Any

import numpy as np


class ArgumentError(ValueError):
    """A request's argument is missing, unknown, or of the wrong type, dtype or shape."""


def check_array(
    name: str,
    value: Any,
    *,
    dtype: str | None = None,
    ndim: int | None = None,
    shape: tuple[int | None, ...] | None = None,
    finite: bool = False,
) -> np.ndarray:
    """Return ``value`` as an array after checking it, or raise :class:`ArgumentError`.

    ``shape`` may hold ``None`` for any length in that dimension.
    """
    if not isinstance(value, np.ndarray):
        raise ArgumentError(f"argument {name!r} must be an array, got {type(value).__name__}")
    if dtype is not None and value.dtype != np.dtype(dtype):
        raise ArgumentError(f"argument {name!r} must have dtype {dtype}, got {value.dtype}")
    if ndim is not None and value.ndim != ndim:
        raise ArgumentError(
            f"argument {name!r} must have {ndim} dimensions, got shape {list(value.shape)}"
        )
    if shape is not None:
        ok = value.ndim == len(shape) and all(
            want is None or want == got for want, got in zip(shape, value.shape, strict=False)
        )
        if not ok:
            want_s = "[" + ", ".join("*" if s is None else str(s) for s in shape) + "]"
            raise ArgumentError(
                f"argument {name!r} must have shape {want_s}, got {list(value.shape)}"
            )
    if finite and value.dtype.kind == "f" and not np.isfinite(value).all():
        bad = int(np.size(value) - np.isfinite(value).sum())
        raise ArgumentError(f"argument {name!r} has {bad} NaN or infinite values")
    return value
