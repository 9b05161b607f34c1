"""Gradient steps from output gradients: the ``tf`` backend of PPO, SAC and TD3.

The Go host computes every actor-critic loss and its gradient with respect to
the networks' outputs (see internal/backend/custom.go for why); this module
only backpropagates them. A *group* is several Keras models trained by one
Keras Adam: PPO's policy and value networks, or SAC's and TD3's twin critics.
``ac.step`` runs ``tape.gradient(outputs, weights, output_gradients=dout)``,
scales all the gradients by one factor so that their global norm (counting
``extra_sq``, the squared gradient norm of parameters the host trains itself)
is at most ``max_grad_norm``, applies Adam and returns the factor.

Weights travel as flat float32 vectors in Keras order (each Dense layer's
kernel, shape (in, out), then its bias): the layout of internal/nn.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from pyworker.errors import ArgumentError, check_array
from pyworker.registry import CallContext, method

ACTIVATIONS = ("relu", "tanh", "linear")


@dataclass
class _Group:
    models: list[Any]
    optimizer: Any
    step_fn: Any
    shapes: list[tuple[int, int]]  # (n_in, n_out) per model
    sizes: list[int]  # parameters per model


_groups: dict[int, _Group] = {}
_ids = itertools.count(1)


def _build(n_in: int, hidden: list[int], activation: str, n_out: int):
    import keras

    layers = [keras.Input(shape=(n_in,))]
    layers += [keras.layers.Dense(h, activation=activation) for h in hidden]
    layers.append(keras.layers.Dense(n_out, activation="linear"))
    return keras.Sequential(layers)


def _flat(model: Any) -> np.ndarray:
    return np.concatenate([np.ravel(w) for w in model.get_weights()]).astype(np.float32)


def _set_flat(model: Any, size: int, name: str, w: Any) -> None:
    w = check_array(name, w, dtype="float32", ndim=1, finite=True)
    if w.size != size:
        raise ArgumentError(f"argument {name!r} has {w.size} values; the network has {size}")
    out, off = [], 0
    for v in model.get_weights():
        out.append(w[off : off + v.size].reshape(v.shape))
        off += v.size
    model.set_weights(out)


def _make(nets: list[dict], lr: float, max_grad_norm: float) -> _Group:
    import keras
    import tensorflow as tf

    models, shapes = [], []
    for i, spec in enumerate(nets):
        n_in, n_out = int(spec["n_in"]), int(spec["n_out"])
        hidden = [int(h) for h in spec.get("hidden") or []]
        act = spec.get("activation", "relu")
        if n_in <= 0 or n_out <= 0 or any(h <= 0 for h in hidden):
            raise ArgumentError(
                f"network {i}: layer sizes must be positive: {n_in}, {hidden}, {n_out}"
            )
        if act not in ACTIVATIONS:
            raise ArgumentError(
                f"network {i}: unknown activation {act!r}: want one of {ACTIVATIONS}"
            )
        models.append(_build(n_in, hidden, act, n_out))
        shapes.append((n_in, n_out))
    variables = [v for m in models for v in m.trainable_variables]
    optimizer = keras.optimizers.Adam(learning_rate=lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7)
    optimizer.build(variables)
    signature = [
        [tf.TensorSpec([None, n_in], tf.float32) for n_in, _ in shapes],
        [tf.TensorSpec([None, n_out], tf.float32) for _, n_out in shapes],
        tf.TensorSpec([], tf.float32),
        tf.TensorSpec([], tf.float32),
    ]

    @tf.function(input_signature=signature)
    def step_fn(xs, douts, extra_sq, lr):
        if lr > 0:
            optimizer.learning_rate.assign(lr)
        with tf.GradientTape() as tape:
            outs = [m(x, training=True) for m, x in zip(models, xs, strict=True)]
        grads = tape.gradient(outs, variables, output_gradients=list(douts))
        sq = extra_sq + tf.add_n([tf.reduce_sum(tf.square(g)) for g in grads])
        scale = tf.constant(1.0)
        if max_grad_norm > 0:
            scale = tf.minimum(1.0, max_grad_norm / tf.maximum(tf.sqrt(sq), 1e-30))
        optimizer.apply_gradients(zip([g * scale for g in grads], variables, strict=True))
        return scale

    sizes = [int(sum(int(np.prod(v.shape)) for v in m.trainable_variables)) for m in models]
    return _Group(models, optimizer, step_fn, shapes, sizes)


def _get(group: int) -> _Group:
    try:
        return _groups[group]
    except KeyError:
        raise ArgumentError(f"no group {group}: create one with ac.create first") from None


@method("ac.create")
def create(ctx: CallContext, *, nets: list[dict], lr: float, max_grad_norm: float = 0.0) -> dict:
    """Create a group: ``nets[i]`` is ``{n_in, hidden, activation, n_out, weights}``.

    Returns the group's id and each network's parameter count.
    """
    if not nets:
        raise ArgumentError("argument 'nets' is empty: a group needs at least one network")
    if lr <= 0:
        raise ArgumentError(f"argument 'lr' must be positive, got {lr}")
    g = _make(nets, float(lr), float(max_grad_norm))
    for i, spec in enumerate(nets):
        if spec.get("weights") is not None:
            _set_flat(g.models[i], g.sizes[i], f"nets[{i}].weights", spec["weights"])
    gid = next(_ids)
    _groups[gid] = g
    return {"group": gid, "params": g.sizes}


def _rows(g: _Group, name: str, arrays: list, col: int) -> list[np.ndarray]:
    if not isinstance(arrays, list) or len(arrays) != len(g.models):
        raise ArgumentError(f"argument {name!r} must be a list of {len(g.models)} arrays")
    return [
        check_array(f"{name}[{i}]", a, dtype="float32", shape=(None, g.shapes[i][col]), finite=True)
        for i, a in enumerate(arrays)
    ]


@method("ac.step")
def step(
    ctx: CallContext,
    *,
    group: int,
    x: list,
    dout: list,
    extra_sq: float = 0.0,
    lr: float = 0.0,
    return_weights: list | None = None,
) -> dict:
    """One Adam step from output gradients: ``x[i]`` (N_i, n_in), ``dout[i]`` (N_i, n_out).

    ``lr`` > 0 sets the learning rate from this step on. Returns the clipping factor, the seconds spent computing and, for each
    network with ``return_weights[i]`` true, its new flat weights (an empty
    array for the others).
    """
    g = _get(group)
    xs = _rows(g, "x", x, 0)
    ds = _rows(g, "dout", dout, 1)
    for i, (xi, di) in enumerate(zip(xs, ds, strict=True)):
        if xi.shape[0] != di.shape[0]:
            raise ArgumentError(f"x[{i}] has {xi.shape[0]} rows but dout[{i}] has {di.shape[0]}")
    if not np.isfinite(extra_sq) or extra_sq < 0:
        raise ArgumentError(f"argument 'extra_sq' must be a finite square norm, got {extra_sq}")
    want = list(return_weights or [False] * len(g.models))
    if len(want) != len(g.models):
        raise ArgumentError(f"argument 'return_weights' must have {len(g.models)} flags")
    start = time.perf_counter()
    scale = float(g.step_fn(xs, ds, np.float32(extra_sq), np.float32(lr)))
    weights = [
        _flat(m) if w else np.zeros(0, np.float32) for m, w in zip(g.models, want, strict=True)
    ]
    return {"scale": scale, "weights": weights, "compute_s": time.perf_counter() - start}


def _slots(g: _Group, slots: list) -> list[np.ndarray]:
    """Adam's per-variable slots regrouped into one flat vector per model."""
    out, k = [], 0
    for m in g.models:
        n = len(m.trainable_variables)
        out.append(
            np.concatenate([np.ravel(v.numpy()) for v in slots[k : k + n]]).astype(np.float32)
        )
        k += n
    return out


@method("ac.get_state")
def get_state(ctx: CallContext, *, group: int) -> dict:
    """Each network's weights and Adam moments (flat, Keras order) and the step count."""
    g = _get(group)
    opt = g.optimizer
    return {
        "params": [_flat(m) for m in g.models],
        "m": _slots(g, opt._momentums),
        "v": _slots(g, opt._velocities),
        "t": int(opt.iterations.numpy()),
    }


@method("ac.set_state")
def set_state(ctx: CallContext, *, group: int, params: list, m: list, v: list, t: int) -> None:
    """Restore what ``ac.get_state`` returned."""
    g = _get(group)
    for name, arrays in (("params", params), ("m", m), ("v", v)):
        if not isinstance(arrays, list) or len(arrays) != len(g.models):
            raise ArgumentError(f"argument {name!r} must be a list of {len(g.models)} arrays")
        for i, a in enumerate(arrays):
            check_array(f"{name}[{i}]", a, dtype="float32", shape=(g.sizes[i],), finite=True)
    if t < 0:
        raise ArgumentError(f"argument 't' must be a step count, got {t}")
    for i, model in enumerate(g.models):
        _set_flat(model, g.sizes[i], f"params[{i}]", params[i])
    opt = g.optimizer
    for slots, flats in ((opt._momentums, m), (opt._velocities, v)):
        k = 0
        for i, model in enumerate(g.models):
            off = 0
            for var in slots[k : k + len(model.trainable_variables)]:
                size = int(np.prod(var.shape))
                var.assign(flats[i][off : off + size].reshape(var.shape))
                off += size
            k += len(model.trainable_variables)
    opt.iterations.assign(t)


@method("ac.free")
def free(ctx: CallContext, *, group: int) -> None:
    """Forget a group."""
    _get(group)
    del _groups[group]
