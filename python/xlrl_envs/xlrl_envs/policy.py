"""Deterministic policies from the .npz files ``xlrl export --format npz`` writes, in numpy.

The file holds ``architecture`` (JSON text) and the weights: for a network
``W0, b0, W1, b1, ...`` in Keras order (kernels of shape (in, out)); for a
tabular agent ``q`` of shape (states, actions). The architecture's ``kind``
says how the network's outputs become the action, as the Go agent acts at
evaluation:

- ``mlp``: the argmax of the outputs (DQN, REINFORCE, A2C, PPO on Discrete actions);
- ``mlp-clip``: the outputs (PPO's Gaussian mean) clipped to ``[low, high]``;
- ``mlp-tanh``: ``low + 0.5 * (tanh(out[:action_dim]) + 1) * (high - low)`` (SAC's mean, TD3's
  actor), the outputs clipped to ``[-mean_clip, mean_clip]`` first when the file has a
  ``mean_clip`` (SAC with gSDE);
- ``q-table``: the argmax of the state's row.

With ``obs_norm`` (version 2) the inputs are first standardised as the Go agent standardised
them: ``clip((x - mean) / sqrt(var + epsilon), -clip, clip)`` in float64. The forward pass runs
in float32 and the last step in float64, as the Go agent's do, so the discrete actions are the
same and the continuous ones agree to float32 rounding.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

FORMAT = "xlrl-policy"
VERSIONS = (1, 2)
KINDS = ("mlp", "mlp-clip", "mlp-tanh", "q-table")

_ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "relu": lambda x: np.maximum(x, np.float32(0)),
    "tanh": np.tanh,
    "linear": lambda x: x,
}


@dataclass
class Policy:
    """A deterministic policy: ``act(obs)`` for one observation, ``act_batch(obs)`` for rows."""

    architecture: dict[str, Any]
    weights: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    q_table: np.ndarray | None = None

    @property
    def kind(self) -> str:
        return str(self.architecture["kind"])

    def _inputs(self, obs: np.ndarray) -> np.ndarray:
        """Rows of network inputs (float32): encoded, then standardised when the run did."""
        x = np.asarray(obs)
        n = int(self.architecture["in"])
        if self.architecture.get("obs_encoding") == "one-hot":
            idx = x.reshape(-1).astype(np.int64)
            if (idx < 0).any() or (idx >= n).any():
                raise ValueError(f"states {idx} outside 0..{n - 1}")
            rows = np.zeros((idx.size, n), dtype=np.float64)
            rows[np.arange(idx.size), idx] = 1
        else:
            rows = x.reshape(-1, n).astype(np.float64)
        norm = self.architecture.get("obs_norm")
        if norm is None:
            return rows.astype(np.float32)
        z = (rows - np.asarray(norm["mean"], dtype=np.float64)) / np.sqrt(
            np.asarray(norm["var"], dtype=np.float64) + float(norm["epsilon"])
        )
        c = float(norm["clip"])
        return np.clip(z, -c, c).astype(np.float32)

    def outputs(self, obs: np.ndarray) -> np.ndarray:
        """The network's outputs (Q-values, logits, means) for rows of observations."""
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
        """Actions for rows of observations: indices (ties go to the lowest, as in Go) or rows
        of float64 values for Box actions."""
        out = self.outputs(obs)
        kind = self.kind
        if kind in ("mlp", "q-table"):
            return np.argmax(out, axis=1)
        low = np.asarray(self.architecture["low"], dtype=np.float64)
        high = np.asarray(self.architecture["high"], dtype=np.float64)
        m = out[:, : int(self.architecture["action_dim"])].astype(np.float64)
        if kind == "mlp-clip":
            return np.minimum(np.maximum(m, low), high)
        c = float(self.architecture.get("mean_clip", 0.0))
        if c > 0:  # a gSDE actor's mean
            m = np.clip(m, -c, c)
        return low + 0.5 * (np.tanh(m) + 1) * (high - low)

    def act(self, obs: Any) -> Any:
        """The action for one observation: an int, or a float64 array for Box actions."""
        a = self.act_batch(np.asarray(obs)[None, ...] if np.ndim(obs) else np.asarray([obs]))[0]
        return int(a) if self.kind in ("mlp", "q-table") else a


def _check_architecture(path: str | os.PathLike[str], arch: dict[str, Any]) -> None:
    if arch.get("format") != FORMAT:
        raise ValueError(f"{path}: format {arch.get('format')!r}, want {FORMAT!r}")
    version, kind = arch.get("version"), arch.get("kind")
    if version not in VERSIONS or kind not in KINDS:
        raise ValueError(
            f"{path}: a version {version!r} file of kind {kind!r}; this xlrl_envs reads versions "
            f"{', '.join(map(str, VERSIONS))} and kinds {', '.join(KINDS)} "
            "(was it written by a newer xlrl? upgrade xlrl_envs)"
        )
    if kind in ("mlp-clip", "mlp-tanh"):
        d = int(arch.get("action_dim", 0))
        if not 0 < d <= int(arch["out"]) or len(arch.get("low", ())) != d:
            raise ValueError(f"{path}: {kind} with action_dim {d} and bounds {arch.get('low')}")
        if len(arch.get("high", ())) != d:
            raise ValueError(f"{path}: {kind} with action_dim {d} and bounds {arch.get('high')}")
    norm = arch.get("obs_norm")
    if norm is not None:
        n = int(arch["in"])
        if len(norm.get("mean", ())) != n or len(norm.get("var", ())) != n:
            raise ValueError(f"{path}: obs_norm does not have {n} means and variances")


def load_policy(path: str | os.PathLike[str]) -> Policy:
    """Read an exported policy (.npz); checks the version, the kind and that the weights fit."""
    with np.load(path, allow_pickle=False) as f:
        if "architecture" not in f:
            raise ValueError(
                f"{path}: no 'architecture' entry: not a file of xlrl export --format npz"
            )
        arch = json.loads(str(f["architecture"]))
        _check_architecture(path, arch)
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
