"""Trained networks out as Keras models: ``export.keras`` (called by ``xlrl export``).

The model is built of Keras's own layers only (no Lambda, no custom objects), so that
``keras.saving.load_model`` loads it where xlrl is not installed. Its output is the action for
Box policies ("mlp-clip", "mlp-tanh") and the network's outputs (logits or Q-values, whose
argmax is the action) for "mlp"."""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from pyworker.errors import ArgumentError, check_array
from pyworker.registry import CallContext, method

_ACTIVATIONS = {"relu", "tanh", "linear"}
_KINDS = {"mlp", "mlp-clip", "mlp-tanh"}


def _norm_layers(keras: Any, arch: dict[str, Any]) -> list[Any]:
    """The observation standardisation of version 2 files: (x - mean) / sqrt(var + epsilon)
    (a Normalization layer given var + epsilon as its variance), clipped to [-clip, clip]
    (shifted by clip, a ReLU capped at 2 clip, shifted back)."""
    norm = arch.get("obs_norm")
    if norm is None:
        return []
    c = float(norm["clip"])
    variance = np.asarray(norm["var"], dtype=np.float64) + float(norm["epsilon"])
    return [
        keras.layers.Normalization(
            mean=np.asarray(norm["mean"], dtype=np.float64).tolist(),
            variance=variance.tolist(),
            name="obs_norm",
        ),
        keras.layers.Rescaling(1.0, offset=c, name="obs_clip_shift"),
        keras.layers.ReLU(max_value=2 * c, name="obs_clip"),
        keras.layers.Rescaling(1.0, offset=-c, name="obs_clip_unshift"),
    ]


def _action_layers(keras: Any, arch: dict[str, Any]) -> list[Any]:
    """What turns the last Dense layer's outputs into the action: nothing for "mlp" (the
    outputs are logits or Q-values: take their argmax); for "mlp-clip" the clip to
    [low, high] (rescaled to [0, 1], a ReLU capped at 1, rescaled back); for "mlp-tanh" the
    rescaling of tanh's [-1, 1] to [low, high] (the tanh is the last Dense layer's, or with a
    mean_clip the clip's (shifted, a capped ReLU, shifted back) and then a tanh)."""
    kind = arch["kind"]
    if kind == "mlp":
        return []
    low = np.asarray(arch["low"], dtype=np.float64)
    high = np.asarray(arch["high"], dtype=np.float64)
    width = high - low
    if kind == "mlp-tanh":
        c = float(arch.get("mean_clip", 0.0))
        clip = (
            [
                keras.layers.Rescaling(1.0, offset=c, name="mean_clip_shift"),
                keras.layers.ReLU(max_value=2 * c, name="mean_clip"),
                keras.layers.Rescaling(1.0, offset=-c, name="mean_clip_unshift"),
                keras.layers.Activation("tanh", name="tanh"),
            ]
            if c > 0
            else []
        )
        return [
            *clip,
            keras.layers.Rescaling(
                (0.5 * width).tolist(), offset=(low + 0.5 * width).tolist(), name="to_bounds"
            ),
        ]
    if (width <= 0).any():
        raise ArgumentError(f"action bounds [{low}, {high}]: want low < high")
    return [
        keras.layers.Rescaling(
            (1 / width).tolist(), offset=(-low / width).tolist(), name="clip_in"
        ),
        keras.layers.ReLU(max_value=1.0, name="clip"),
        keras.layers.Rescaling(width.tolist(), offset=low.tolist(), name="clip_out"),
    ]


def build_model(arch: dict[str, Any], weights: list[np.ndarray]) -> Any:
    """A keras.Sequential of built-in layers: the observation standardisation (when the run
    normalised), the Dense layers with the given weights, and what makes the action."""
    import keras

    if arch.get("kind") not in _KINDS:
        raise ArgumentError(f"kind {arch.get('kind')!r}: want one of {_KINDS}")
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
    weights = [np.array(w) for w in weights]
    last_act = "linear"
    mean_clip = float(arch.get("mean_clip", 0.0))
    if arch["kind"] == "mlp-tanh":
        # The action is tanh of the first action_dim outputs (SAC's other outputs are its
        # log std): the last layer keeps those columns only. A gSDE actor's mean is clipped
        # before the tanh, so its tanh comes after the clip's layers (_action_layers).
        d = int(arch["action_dim"])
        weights[-2], weights[-1] = weights[-2][:, :d], weights[-1][:d]
        sizes[-1], last_act = d, "linear" if mean_clip > 0 else "tanh"
    layers: list[Any] = [keras.Input(shape=(sizes[0],)), *_norm_layers(keras, arch)]
    for i, width in enumerate(sizes[1:]):
        last = i == len(sizes) - 2
        layers.append(
            keras.layers.Dense(width, activation=last_act if last else arch["activation"])
        )
    layers += _action_layers(keras, arch)
    model = keras.Sequential(layers, name=f"xlrl_{arch.get('algo', 'policy')}")
    dense = [ly for ly in model.layers if isinstance(ly, keras.layers.Dense)]
    for i, ly in enumerate(dense):
        ly.set_weights([weights[2 * i], weights[2 * i + 1]])
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
