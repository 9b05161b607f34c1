"""Deep RL gradient steps for the Go host (the ``tf`` backend of ``xlrl train``).

The host acts, stores transitions and computes targets in Go; it sends
minibatches here and gets back the loss and, when it asks, the new weights.
One ``rl.fit`` call takes K gradient steps (one per minibatch) inside a single
``tf.function``, so the link costs one round trip per K steps.

Weights travel as one flat float32 vector in Keras order (each Dense layer's
kernel, shape (in, out), then its bias), which is exactly the layout of the
Go network (internal/nn). The losses match internal/nn.LossGrad:

- ``mse`` / ``huber``: mean over rows of L(out[a] - y) (DQN's Q regression;
  with one output and a = 0 the value-function regression);
- ``policy``: mean over rows of -y * log softmax(out)[a] - ent_coef * entropy,
  y carrying the advantage.

The optimizer is Keras's Adam; ``max_grad_norm`` > 0 clips by global norm.

Threads: TensorFlow runs with ``XLRL_TF_THREADS`` intra-op threads (default 1;
0 keeps TensorFlow's default, one per core). DQN's minibatches are small
(64 rows x 256 units): splitting each of a step's matrix products across
threads costs a thread wake-up per product (tens of microseconds on a VM),
more than the product itself, so one thread takes the steps faster, and with
less CPU, than two. The large batched forward passes of ``rl.predict`` split
their rows across one Python thread per core instead (see ``predict``).
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pyworker.errors import ArgumentError, check_array
from pyworker.registry import CallContext, method

log = logging.getLogger("pyworker.rl")

LOSSES = ("mse", "huber", "policy")
ACTIVATIONS = ("relu", "tanh", "linear")


@dataclass
class _Net:
    model: Any
    optimizer: Any
    fit_fn: Any
    grad_fn: Any
    n_in: int
    n_out: int
    n_params: int
    fit_double_fn: Any = None
    seen: set = field(default_factory=set)  # rl.fit's (shape, double) so far, for the log


_nets: dict[int, _Net] = {}
_ids = itertools.count(1)


THREADS_ENV = "XLRL_TF_THREADS"
_configured = threading.Lock()
_intra_op: int | None = None  # the intra-op threads this module set; None: TensorFlow's


def _tf():
    import tensorflow as tf  # imported on first use: the handshake stays fast

    global _intra_op
    if _configured.acquire(blocking=False):
        _intra_op = _set_threads(tf)
    return tf


def _set_threads(tf) -> int | None:
    """Set TensorFlow's intra-op threads from XLRL_TF_THREADS (see the module's doc)."""
    raw = os.environ.get(THREADS_ENV, "1")
    try:
        n = int(raw)
    except ValueError:
        log.warning(
            "%s=%r is not a number of threads: keeping TensorFlow's default", THREADS_ENV, raw
        )
        return None
    if n <= 0:
        return None
    try:
        tf.config.threading.set_intra_op_parallelism_threads(n)
    except RuntimeError:  # another module initialised TensorFlow first
        log.info("TensorFlow already initialised: keeping its intra-op threads")
        return None
    log.info("TensorFlow intra-op threads: %d", n)
    return n


def _build(n_in: int, hidden: list[int], activation: str, n_out: int):
    import keras

    layers = [keras.Input(shape=(n_in,))]
    layers += [keras.layers.Dense(h, activation=activation) for h in hidden]
    layers.append(keras.layers.Dense(n_out, activation="linear"))
    return keras.Sequential(layers)


def _loss_fn(loss: str, ent_coef: float):
    tf = _tf()

    def compute(out, a, y):
        if loss == "policy":
            logp = tf.nn.log_softmax(out)
            logp_a = tf.gather(logp, a, batch_dims=1)
            entropy = -tf.reduce_sum(tf.exp(logp) * logp, axis=1)
            return tf.reduce_mean(-y * logp_a) - ent_coef * tf.reduce_mean(entropy)
        e = tf.gather(out, a, batch_dims=1) - y
        if loss == "mse":
            return tf.reduce_mean(tf.square(e))
        ae = tf.abs(e)
        return tf.reduce_mean(tf.where(ae <= 1.0, 0.5 * tf.square(e), ae - 0.5))

    return compute


def _make(n_in, hidden, activation, n_out, loss, lr, ent_coef, max_grad_norm) -> _Net:
    tf = _tf()
    import keras

    model = _build(n_in, hidden, activation, n_out)
    optimizer = keras.optimizers.Adam(learning_rate=lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7)
    optimizer.build(model.trainable_variables)
    compute = _loss_fn(loss, ent_coef)
    variables = model.trainable_variables

    def gradient(x, a, y):
        with tf.GradientTape() as tape:
            value = compute(model(x, training=True), a, y)
        return value, tape.gradient(value, variables)

    spec = [
        tf.TensorSpec([None, None, n_in], tf.float32),
        tf.TensorSpec([None, None], tf.int32),
        tf.TensorSpec([None, None], tf.float32),
    ]

    # XLA compiles each call's whole loop of steps (once per batch shape):
    # it fuses the layers' and Adam's elementwise work, which eager-style
    # graph execution runs op by op, and halves the step's time on CPU.
    @tf.function(input_signature=spec, jit_compile=True)
    def fit_fn(x, a, y):
        total = tf.constant(0.0)
        for k in tf.range(tf.shape(x)[0]):
            value, grads = gradient(x[k], a[k], y[k])
            if max_grad_norm > 0:
                grads, _ = tf.clip_by_global_norm(grads, max_grad_norm)
            optimizer.apply_gradients(zip(grads, variables, strict=True))
            total += value
        return total / tf.cast(tf.shape(x)[0], tf.float32)

    double_spec = [
        spec[0],
        spec[1],
        tf.TensorSpec([None, None, n_in], tf.float32),
        tf.TensorSpec([None, None], tf.float32),
        tf.TensorSpec([None, None], tf.float32),
        tf.TensorSpec([None, None, n_out], tf.float32),
    ]

    @tf.function(input_signature=double_spec, jit_compile=True)
    def fit_double_fn(x, a, next_x, r, discount, q_target):
        # Double DQN: each step's targets take the argmax of the online
        # network as the previous steps left it.
        total = tf.constant(0.0)
        for k in tf.range(tf.shape(x)[0]):
            best = tf.argmax(model(next_x[k], training=False), axis=1, output_type=tf.int32)
            y = r[k] + discount[k] * tf.gather(q_target[k], best, batch_dims=1)
            value, grads = gradient(x[k], a[k], y)
            if max_grad_norm > 0:
                grads, _ = tf.clip_by_global_norm(grads, max_grad_norm)
            optimizer.apply_gradients(zip(grads, variables, strict=True))
            total += value
        return total / tf.cast(tf.shape(x)[0], tf.float32)

    @tf.function(input_signature=[s for s in spec])
    def grad_fn(x, a, y):
        value, grads = gradient(x[0], a[0], y[0])
        return value, tf.concat([tf.reshape(g, [-1]) for g in grads], axis=0)

    n_params = int(sum(int(np.prod(v.shape)) for v in variables))
    return _Net(model, optimizer, fit_fn, grad_fn, n_in, n_out, n_params, fit_double_fn)


def _flat(net: _Net) -> np.ndarray:
    return np.concatenate([np.ravel(w) for w in net.model.get_weights()]).astype(np.float32)


def _set_flat(net: _Net, w: np.ndarray) -> None:
    w = check_array("weights", w, dtype="float32", ndim=1, finite=True)
    if w.size != net.n_params:
        raise ArgumentError(
            f"argument 'weights' has {w.size} values; this network has {net.n_params} parameters"
        )
    out, off = [], 0
    for v in net.model.get_weights():
        out.append(w[off : off + v.size].reshape(v.shape))
        off += v.size
    net.model.set_weights(out)


def _get(net: int) -> _Net:
    try:
        return _nets[net]
    except KeyError:
        raise ArgumentError(f"no network {net}: create one with rl.create first") from None


@method("rl.create")
def create(
    ctx: CallContext,
    *,
    n_in: int,
    n_out: int,
    hidden: list[int] | None = None,
    activation: str = "relu",
    loss: str = "huber",
    lr: float = 1e-3,
    ent_coef: float = 0.0,
    max_grad_norm: float = 0.0,
    weights: np.ndarray | None = None,
) -> dict:
    """Create a network: Dense layers of sizes ``hidden`` then a linear output.

    Named architectures (``--arch seed``) are the host's (internal/agent/zoo
    ``Architectures``, the one definition): it resolves the name into these
    arguments. ``weights``, a flat float32 vector in Keras order, replaces
    Keras's initial weights.
    """
    hidden = list(hidden or [])
    if n_in <= 0 or n_out <= 0 or any(int(h) <= 0 for h in hidden):
        raise ArgumentError(
            f"layer sizes must be positive: n_in {n_in}, hidden {hidden}, n_out {n_out}"
        )
    if loss not in LOSSES:
        raise ArgumentError(f"unknown loss {loss!r}: want one of {', '.join(LOSSES)}")
    if activation not in ACTIVATIONS:
        raise ArgumentError(
            f"unknown activation {activation!r}: want one of {', '.join(ACTIVATIONS)}"
        )
    start = time.perf_counter()
    _tf()  # the first call imports TensorFlow: timed apart from the build in the log
    imported = time.perf_counter()
    net = _make(
        n_in, hidden, activation, n_out, loss, float(lr), float(ent_coef), float(max_grad_norm)
    )
    log.info(
        "rl.create: TensorFlow import %.2f s, model build %.2f s",
        imported - start,
        time.perf_counter() - imported,
    )
    if weights is not None:
        _set_flat(net, weights)
    net_id = next(_ids)
    _nets[net_id] = net
    return {"net": net_id, "params": net.n_params}


def _batches(net: _Net, x, a, y):
    x = check_array("x", x, dtype="float32", ndim=3, finite=True)
    k, n = x.shape[0], x.shape[1]
    if x.shape[2] != net.n_in:
        raise ArgumentError(f"argument 'x' has {x.shape[2]} features; the network takes {net.n_in}")
    a = check_array("a", a, dtype="int32", shape=(k, n))
    y = check_array("y", y, dtype="float32", shape=(k, n), finite=True)
    if a.size and (a.min() < 0 or a.max() >= net.n_out):
        raise ArgumentError(f"argument 'a' has actions outside 0..{net.n_out - 1}")
    return x, a, y


@method("rl.fit")
def fit(
    ctx: CallContext,
    *,
    net: int,
    x: np.ndarray,
    a: np.ndarray,
    y: np.ndarray,
    return_weights: bool = False,
    double_next: np.ndarray | None = None,
    double_r: np.ndarray | None = None,
    double_discount: np.ndarray | None = None,
    double_q_target: np.ndarray | None = None,
) -> dict:
    """Take one gradient step per minibatch: x (K, N, n_in), a (K, N) int32, y (K, N).

    With the four ``double_*`` arrays (Double DQN) the targets are computed
    here before each step, with the online weights of that step, and ``y`` is
    ignored: ``y = r + discount * q_target[argmax online(next)]`` for
    ``double_next`` (K, N, n_in), ``double_r`` and ``double_discount`` (K, N)
    and ``double_q_target`` (K, N, n_out), the target network's outputs.

    Returns the mean loss, the seconds spent computing (``compute_s``, wall;
    ``compute_cpu_s``, the CPU time of all the process's threads) and, when
    ``return_weights``, the new flat weights.
    """
    n = _get(net)
    x, a, y = _batches(n, x, a, y)
    double = (double_next, double_r, double_discount, double_q_target)
    if any(v is not None for v in double):
        if any(v is None for v in double):
            raise ArgumentError(
                "Double DQN needs all of double_next, double_r, double_discount and double_q_target"
            )
        k, rows = a.shape
        nx = check_array(
            "double_next", double_next, dtype="float32", shape=(k, rows, n.n_in), finite=True
        )
        r = check_array("double_r", double_r, dtype="float32", shape=(k, rows), finite=True)
        disc = check_array(
            "double_discount", double_discount, dtype="float32", shape=(k, rows), finite=True
        )
        qt = check_array(
            "double_q_target",
            double_q_target,
            dtype="float32",
            shape=(k, rows, n.n_out),
            finite=True,
        )
        start, cpu0 = time.perf_counter(), time.process_time()
        loss = float(n.fit_double_fn(x, a, nx, r, disc, qt))
    else:
        start, cpu0 = time.perf_counter(), time.process_time()
        loss = float(n.fit_fn(x, a, y))
    if (shape := (x.shape, double_next is not None)) not in n.seen:
        # the first call of a shape traces the loop and XLA-compiles it
        n.seen.add(shape)
        log.info("rl.fit: first call for %s: %.2f s", shape, time.perf_counter() - start)
    out: dict[str, Any] = {"loss": loss}
    if return_weights:
        out["weights"] = _flat(n)
    out["compute_s"] = time.perf_counter() - start
    out["compute_cpu_s"] = time.process_time() - cpu0
    return out


@method("rl.gradient")
def gradient(ctx: CallContext, *, net: int, x: np.ndarray, a: np.ndarray, y: np.ndarray) -> dict:
    """The loss and flat gradient for one minibatch x (N, n_in), without a step."""
    n = _get(net)
    x = check_array("x", x, dtype="float32", ndim=2)
    x, a, y = _batches(
        n, x[None], check_array("a", a, ndim=1)[None], check_array("y", y, ndim=1)[None]
    )
    value, grad = n.grad_fn(x, a, y)
    return {"loss": float(value), "grad": grad.numpy().astype(np.float32)}


@method("rl.forward")
def forward(ctx: CallContext, *, net: int, x: np.ndarray) -> dict:
    """The network's outputs for x (N, n_in)."""
    n = _get(net)
    x = check_array("x", x, dtype="float32", shape=(None, n.n_in), finite=True)
    return {"y": np.asarray(n.model(x, training=False), dtype=np.float32)}


@method("rl.get_weights")
def get_weights(ctx: CallContext, *, net: int) -> dict:
    """The flat weights in Keras order."""
    return {"weights": _flat(_get(net))}


@method("rl.set_weights")
def set_weights(ctx: CallContext, *, net: int, weights: np.ndarray) -> None:
    """Replace the weights with a flat vector in Keras order."""
    _set_flat(_get(net), weights)


@method("rl.get_state")
def get_state(ctx: CallContext, *, net: int) -> dict:
    """Weights and Adam state, flat in Keras order, for checkpoints that resume a run.

    ``t`` is the number of steps taken (Keras's ``iterations``), which is how
    the Go optimizer counts them too.
    """
    n = _get(net)
    opt = n.optimizer
    return {
        "params": _flat(n),
        "m": _concat(opt._momentums),
        "v": _concat(opt._velocities),
        "t": int(opt.iterations.numpy()),
    }


@method("rl.set_state")
def set_state(
    ctx: CallContext, *, net: int, params: np.ndarray, m: np.ndarray, v: np.ndarray, t: int
) -> None:
    """Restore what ``rl.get_state`` returned."""
    n = _get(net)
    for name, arr in (("m", m), ("v", v)):
        check_array(name, arr, dtype="float32", shape=(n.n_params,), finite=True)
    if t < 0:
        raise ArgumentError(f"argument 't' must be a step count, got {t}")
    _set_flat(n, params)
    opt = n.optimizer
    for slots, flat in ((opt._momentums, m), (opt._velocities, v)):
        off = 0
        for var in slots:
            size = int(np.prod(var.shape))
            var.assign(flat[off : off + size].reshape(var.shape))
            off += size
    opt.iterations.assign(t)


def _concat(variables: list) -> np.ndarray:
    return np.concatenate([np.ravel(var.numpy()) for var in variables]).astype(np.float32)


@method("rl.free")
def free(ctx: CallContext, *, net: int) -> None:
    """Forget a network (the host frees each one when its run ends)."""
    _get(net)
    del _nets[net]
    log.info("rl.free: network %d freed (%d left)", net, len(_nets))


_predictors: dict[tuple, Any] = {}


def _predictor(spec: dict) -> tuple[Any, int]:
    """The compiled forward pass of one architecture on flat weights, built once.

    The function takes the flat Keras-order weights as a tensor and computes
    Dense layers (x @ kernel + bias, then the activation) from slices of it:
    no Keras model whose variables each call would have to overwrite. XLA
    compiles it once per row count. Returns the function and the parameter
    count.
    """
    sizes = (
        int(spec["n_in"]),
        *(int(h) for h in spec.get("hidden") or []),
        int(spec["n_out"]),
    )
    activation = spec.get("activation", "relu")
    if activation not in ACTIVATIONS:
        raise ArgumentError(
            f"unknown activation {activation!r}: want one of {', '.join(ACTIVATIONS)}"
        )
    if any(n <= 0 for n in sizes):
        raise ArgumentError(f"layer sizes must be positive, got {list(sizes)}")
    n_params = sum(i * o + o for i, o in itertools.pairwise(sizes))
    key = (sizes, activation)
    if key not in _predictors:
        tf = _tf()
        act = {"relu": tf.nn.relu, "tanh": tf.tanh, "linear": tf.identity}[activation]

        @tf.function(
            input_signature=[
                tf.TensorSpec([n_params], tf.float32),
                tf.TensorSpec([None, sizes[0]], tf.float32),
            ],
            jit_compile=True,
        )
        def fn(w, x):
            h, off = x, 0
            for layer, (i, o) in enumerate(itertools.pairwise(sizes)):
                kernel = tf.reshape(w[off : off + i * o], [i, o])
                bias = w[off + i * o : off + i * o + o]
                off += i * o + o
                h = tf.matmul(h, kernel) + bias
                if layer < len(sizes) - 2:
                    h = act(h)
            return h

        _predictors[key] = fn
    return _predictors[key], n_params


# rl.predict's row split: at least this many rows per part, one part per core.
SPLIT_ROWS = 2048
_pool: ThreadPoolExecutor | None = None


def _parts(rows: int) -> int:
    """How many parts rl.predict splits ``rows`` into: one per core when TensorFlow
    runs one intra-op thread (each part's matrix products then run on its own
    core), else 1."""
    if _intra_op != 1:
        return 1
    return max(1, min(os.cpu_count() or 1, rows // SPLIT_ROWS))


def _forward_rows(fn, w: np.ndarray, x: np.ndarray) -> np.ndarray:
    """fn(w, x), its rows split across threads (``_parts``). Each output row
    depends only on its input row, and equal parts share one compilation."""
    parts = _parts(len(x))
    if parts == 1:
        return np.asarray(fn(w, x), dtype=np.float32)
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(os.cpu_count() or 1, thread_name_prefix="rl-predict")
    wt = _tf().constant(w)
    futures = [_pool.submit(fn, wt, xs) for xs in np.array_split(x, parts)]
    return np.concatenate([np.asarray(f.result(), dtype=np.float32) for f in futures])


@method("rl.predict")
def predict(
    ctx: CallContext, *, specs: list[dict], weights: list[np.ndarray], x: np.ndarray
) -> dict:
    """Forward passes of networks whose weights the host sends, on the rows of x.

    ``specs[i]`` is ``{n_in, hidden, activation, n_out}`` and ``weights[i]`` its
    flat float32 weights in Keras order. The host computes DQN's targets from
    the outputs: one round trip per training call instead of thousands of
    Go matrix products.
    """
    if len(specs) != len(weights) or not specs:
        raise ArgumentError(f"got {len(specs)} specs and {len(weights)} weight vectors")
    start = time.perf_counter()
    ys = []
    for spec, w in zip(specs, weights, strict=True):
        fn, n_params = _predictor(spec)
        w = check_array("weights", w, dtype="float32", ndim=1, finite=True)
        if w.size != n_params:
            raise ArgumentError(
                f"argument 'weights' has {w.size} values; this network has {n_params} parameters"
            )
        xs = check_array("x", x, dtype="float32", shape=(None, int(spec["n_in"])), finite=True)
        ys.append(_forward_rows(fn, w, xs))
    return {"y": ys, "compute_s": time.perf_counter() - start}
