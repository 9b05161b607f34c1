"""Checks of attack settings that need no TensorFlow (run before it loads)."""

from __future__ import annotations


def check_eps(eps: float, low: float, high: float) -> None:
    """Reject an epsilon that is not a positive fraction of the data range."""
    width = high - low
    if not (eps > 0 and eps < width):
        raise ValueError(
            f"--eps {eps:g} is outside the data range: the data lies in [{low:g}, {high:g}] "
            f"(width {width:g}), so eps must be in (0, {width:g}); 0.1 is usual for [0, 1] images"
        )
