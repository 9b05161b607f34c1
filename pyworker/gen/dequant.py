"""Uniform dequantisation: continuous densities scored on discrete data.

A density ``p`` on data that takes only ``L`` equally spaced values per
dimension (digits: 17 intensities 0..16, stored as ``k / 16``) can pile up
arbitrarily high at those values, so its "NLL" can go to minus infinity and
says nothing. Dequantisation (Theis et al., 2016; Uria et al., 2013) trains
and scores it on ``x' = (k + u) / L`` with ``u ~ U[0, 1)^D`` instead, and
reads it as a model of the discrete data, ``P(k) = integral of p over the
cell of k``. Jensen's inequality gives

    -log P(k) <= E_u[-log p((k + u) / L)] + D log L,

so the figure reported, the mean over test examples (one noise draw each) of
``-log p(x') + D log L``, is a stochastic upper bound of the discrete NLL in
nats, which is itself non-negative. In bits per dimension it is divided by
``D log 2``.
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf


def levels_term(dim: int, levels: int) -> float:
    """``D log L``: the log-volume of one cell, in nats."""
    return dim * math.log(levels)


def to_cells(x: tf.Tensor, levels: int, seed: tf.Tensor) -> tf.Tensor:
    """Stored values ``k / (L - 1)`` to dequantised ``(k + u) / L`` (stateless noise)."""
    k = tf.round(x * (levels - 1))
    u = tf.random.stateless_uniform(tf.shape(x), seed=seed, dtype=x.dtype)
    return (k + u) / levels


def to_cells_np(x: np.ndarray, levels: int, rng: np.random.Generator) -> np.ndarray:
    """The numpy form of :func:`to_cells`, for the baseline."""
    k = np.round(np.asarray(x, np.float64) * (levels - 1))
    return (k + rng.random(k.shape)) / levels


def from_cells(x: np.ndarray, levels: int) -> np.ndarray:
    """Samples in dequantised units back to the data's values ``k / (L - 1)``."""
    k = np.clip(np.floor(np.asarray(x) * levels), 0, levels - 1)
    return (k / (levels - 1)).astype(np.float32)


def check_levels(levels: int) -> None:
    if not (isinstance(levels, int) and (levels == 0 or levels >= 2)):
        raise ValueError(
            f"levels={levels!r}: want 0 (continuous data) or the number of values "
            "the data takes per dimension (at least 2)"
        )
