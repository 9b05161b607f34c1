"""Greedy policies from the .npz files ``xlrl export --format npz`` writes, in numpy.

The file holds ``architecture`` (JSON text) and the weights: for a network
``W0, b0, W1, b1, ...`` in Keras order (kernels of shape (in, out)); for a
tabular agent ``q`` of shape (states, actions). The forward pass runs in
float32 as the Go agent's does, so the greedy actions are the same.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

FORMAT = "xlrl-policy"

_ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "relu": lambda x: np.maximum(x, np.float32(0)),
    "tanh": np.tanh,
    "linear": lambda x: x,
}


@dataclass
class Policy:
    """A greedy policy: ``act(obs)`` for one observation, ``act_batch(obs)`` for rows."""

    architecture: dict[str, Any]
    weights: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    q_table: np.ndarray | None = None

    @property
    def kind(self) -> str:
        return str(self.architecture["kind"])

    def _inputs(self, obs: np.ndarray) -> np.ndarray:
        x = np.asarray(obs)
        if self.architecture.get("obs_encoding") == "one-hot":
            idx = x.reshape(-1).astype(np.int64)
            n = int(self.architecture["in"])
            if (idx < 0).any() or (idx >= n).any():
                raise ValueError(f"states {idx} outside 0..{n - 1}")
            out = np.zeros((idx.size, n), dtype=np.float32)
            out[np.arange(idx.size), idx] = 1
            return out
        return x.reshape(-1, int(self.architecture["in"])).astype(np.float32)

    def outputs(self, obs: np.ndarray) -> np.ndarray:
        """The network's outputs (Q-values or logits) for rows of observations."""
        if self.q_table is not None:
            idx = np.asarray(obs).reshape(-1).astype(np.int64)
            return self.q_table[idx]
        h = self._inputs(obs)
        act = _ACTIVATIONS[self.architecture["activation"]]
        for i, (w, b) in enumerate(self.weights):
            h = h @ w + b
            if i < len(self.weights) - 1:
                h = act(h).astype(np.float32)
        return h

    def act_batch(self, obs: np.ndarray) -> np.ndarray:
        """Greedy actions for rows of observations (ties go to the lowest index, as in Go)."""
        return np.argmax(self.outputs(obs), axis=1)

    def act(self, obs: Any) -> int:
        """The greedy action for one observation."""
        return int(
            self.act_batch(np.asarray(obs)[None, ...] if np.ndim(obs) else np.asarray([obs]))[0]
        )


def load_policy(path: str | os.PathLike[str]) -> Policy:
    """Read an exported policy (.npz); checks that the weights fit the architecture."""
    with np.load(path, allow_pickle=False) as f:
        if "architecture" not in f:
            raise ValueError(
                f"{path}: no 'architecture' entry: not a file of xlrl export --format npz"
            )
        arch = json.loads(str(f["architecture"]))
        if arch.get("format") != FORMAT:
            raise ValueError(f"{path}: format {arch.get('format')!r}, want {FORMAT!r}")
        if arch["kind"] == "q-table":
            q = np.array(f["q"])
            if q.ndim != 2:
                raise ValueError(f"{path}: q of shape {q.shape}, want (states, actions)")
            return Policy(arch, q_table=q)
        sizes = [int(arch["in"]), *[int(h) for h in arch["hidden"]], int(arch["out"])]
        weights = []
        for i in range(len(sizes) - 1):
            w, b = np.array(f[f"W{i}"], dtype=np.float32), np.array(f[f"b{i}"], dtype=np.float32)
            if w.shape != (sizes[i], sizes[i + 1]) or b.shape != (sizes[i + 1],):
                raise ValueError(
                    f"{path}: layer {i} has W {w.shape} and b {b.shape}, the architecture "
                    f"says ({sizes[i]}, {sizes[i + 1]})"
                )
            weights.append((w, b))
        if arch["activation"] not in _ACTIVATIONS:
            raise ValueError(f"{path}: unknown activation {arch['activation']!r}")
        return Policy(arch, weights=weights)
