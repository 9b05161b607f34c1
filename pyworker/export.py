"""Trained networks out as Keras models: ``export.keras`` (called by ``xlrl export``)."""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from pyworker.errors import ArgumentError, check_array
from pyworker.registry import CallContext, method

_ACTIVATIONS = {"relu", "tanh", "linear"}


def build_model(arch: dict[str, Any], weights: list[np.ndarray]) -> Any:
    """A keras.Sequential of Dense layers with the given architecture and weights."""
    import keras

    sizes = [int(arch["in"]), *[int(h) for h in arch["hidden"]], int(arch["out"])]
    if arch.get("activation") not in _ACTIVATIONS:
        raise ArgumentError(f"activation {arch.get('activation')!r}: want one of {_ACTIVATIONS}")
    if len(weights) != 2 * (len(sizes) - 1):
        raise ArgumentError(f"{len(weights)} weight arrays for {len(sizes) - 1} layers")
    for i in range(len(sizes) - 1):
        check_array(
            f"weights[{2 * i}]", weights[2 * i], dtype="float32", shape=(sizes[i], sizes[i + 1])
        )
        check_array(
            f"weights[{2 * i + 1}]", weights[2 * i + 1], dtype="float32", shape=(sizes[i + 1],)
        )
    layers: list[Any] = [keras.Input(shape=(sizes[0],))]
    for i, width in enumerate(sizes[1:]):
        last = i == len(sizes) - 2
        layers.append(
            keras.layers.Dense(width, activation="linear" if last else arch["activation"])
        )
    model = keras.Sequential(layers, name=f"xlrl_{arch.get('algo', 'policy')}")
    model.set_weights([np.array(w) for w in weights])
    return model


@method("export.keras")
def export_keras(
    ctx: CallContext, *, path: str, architecture: str, weights: list[np.ndarray]
) -> dict[str, Any]:
    """Save the network as a .keras file that keras.saving.load_model reads without xlrl."""
    if not isinstance(path, str) or not os.path.isabs(path) or not path.endswith(".keras"):
        raise ArgumentError(f"path {path!r}: want an absolute path ending in .keras")
    if not os.path.isdir(os.path.dirname(path)):
        raise ArgumentError(f"path {path!r}: its directory does not exist")
    arch = json.loads(architecture)
    model = build_model(arch, weights)
    tmp = path[: -len(".keras")] + ".tmp.keras"
    model.save(tmp)
    os.replace(tmp, path)
    return {"params": int(model.count_params())}
