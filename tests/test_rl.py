"""The deep RL handlers (pyworker/rl.py), called directly."""

from __future__ import annotations

import numpy as np
import pytest

from pyworker import rl
from pyworker.errors import ArgumentError
from pyworker.registry import CallContext


@pytest.fixture
def ctx() -> CallContext:
    return CallContext(msgid=1, notify=lambda method, params: None)


def _batch(rng, k, n, n_in, n_out):
    x = rng.normal(size=(k, n, n_in)).astype(np.float32)
    a = rng.integers(0, n_out, size=(k, n)).astype(np.int32)
    y = rng.normal(size=(k, n)).astype(np.float32)
    return x, a, y


def _numpy_forward(w, sizes, x):
    off, h = 0, x
    for i in range(len(sizes) - 1):
        kern = w[off : off + sizes[i] * sizes[i + 1]].reshape(sizes[i], sizes[i + 1])
        off += kern.size
        b = w[off : off + sizes[i + 1]]
        off += b.size
        h = h @ kern + b
        if i < len(sizes) - 2:
            h = np.maximum(h, 0)
    return h


def test_flat_weights_are_keras_order(ctx):
    r = rl.create(ctx, n_in=3, n_out=2, hidden=[5], activation="relu")
    w = np.random.default_rng(0).normal(size=r["params"]).astype(np.float32)
    rl.set_weights(ctx, net=r["net"], weights=w)
    np.testing.assert_array_equal(rl.get_weights(ctx, net=r["net"])["weights"], w)
    x = np.random.default_rng(1).normal(size=(4, 3)).astype(np.float32)
    got = rl.forward(ctx, net=r["net"], x=x)["y"]
    np.testing.assert_allclose(got, _numpy_forward(w, [3, 5, 2], x), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("loss", ["mse", "huber", "policy"])
def test_loss_matches_definition(ctx, loss):
    r = rl.create(ctx, n_in=3, n_out=2, hidden=[4], loss=loss, ent_coef=0.1)
    x, a, y = _batch(np.random.default_rng(2), 1, 8, 3, 2)
    y *= 3  # some errors beyond Huber's delta
    out = rl.forward(ctx, net=r["net"], x=x[0])["y"].astype(np.float64)
    if loss == "policy":
        logp = out - np.log(np.exp(out).sum(axis=1, keepdims=True))
        ent = -(np.exp(logp) * logp).sum(axis=1)
        want = np.mean(-y[0] * logp[np.arange(8), a[0]]) - 0.1 * ent.mean()
    else:
        e = out[np.arange(8), a[0]] - y[0]
        want = (
            np.mean(e**2)
            if loss == "mse"
            else np.mean(np.where(abs(e) <= 1, 0.5 * e**2, abs(e) - 0.5))
        )
    got = rl.gradient(ctx, net=r["net"], x=x[0], a=a[0], y=y[0])["loss"]
    assert got == pytest.approx(want, rel=1e-5)


def test_fit_takes_k_steps_in_one_call(ctx):
    rng = np.random.default_rng(3)
    x, a, y = _batch(rng, 5, 16, 4, 2)
    one = rl.create(ctx, n_in=4, n_out=2, hidden=[8], lr=0.01)
    w0 = rl.get_weights(ctx, net=one["net"])["weights"]
    many = rl.create(ctx, n_in=4, n_out=2, hidden=[8], lr=0.01, weights=w0)
    res = rl.fit(ctx, net=one["net"], x=x, a=a, y=y, return_weights=True)
    for k in range(5):
        rl.fit(ctx, net=many["net"], x=x[k : k + 1], a=a[k : k + 1], y=y[k : k + 1])
    np.testing.assert_allclose(
        res["weights"], rl.get_weights(ctx, net=many["net"])["weights"], rtol=1e-5, atol=1e-6
    )
    assert res["compute_s"] > 0
    assert not np.allclose(res["weights"], w0)


def test_fit_double_takes_each_steps_online_argmax(ctx):
    """Double DQN in rl.fit: step k's targets use the weights steps 0..k-1 left."""
    rng = np.random.default_rng(7)
    k, n, n_in, n_out = 4, 16, 4, 3
    x, a, _ = _batch(rng, k, n, n_in, n_out)
    nxt = rng.normal(size=(k, n, n_in)).astype(np.float32)
    r = rng.normal(size=(k, n)).astype(np.float32)
    disc = np.where(rng.random((k, n)) < 0.1, 0.0, 0.99).astype(np.float32)
    qt = (3 * rng.normal(size=(k, n, n_out))).astype(np.float32)
    one = rl.create(ctx, n_in=n_in, n_out=n_out, hidden=[8], lr=0.05, loss="huber")
    w0 = rl.get_weights(ctx, net=one["net"])["weights"]
    ref = rl.create(ctx, n_in=n_in, n_out=n_out, hidden=[8], lr=0.05, loss="huber", weights=w0)
    res = rl.fit(
        ctx,
        net=one["net"],
        x=x,
        a=a,
        y=np.zeros((k, n), np.float32),
        double_next=nxt,
        double_r=r,
        double_discount=disc,
        double_q_target=qt,
        return_weights=True,
    )
    for j in range(k):
        best = rl.forward(ctx, net=ref["net"], x=nxt[j])["y"].argmax(axis=1)
        y = (r[j] + disc[j] * qt[j, np.arange(n), best]).astype(np.float32)
        rl.fit(ctx, net=ref["net"], x=x[j : j + 1], a=a[j : j + 1], y=y[None])
    np.testing.assert_allclose(
        res["weights"], rl.get_weights(ctx, net=ref["net"])["weights"], rtol=1e-5, atol=1e-6
    )
    with pytest.raises(ArgumentError, match="needs all of double_next"):
        rl.fit(ctx, net=one["net"], x=x, a=a, y=x[..., 0].copy(), double_next=nxt)
    with pytest.raises(ArgumentError, match="double_q_target"):
        rl.fit(
            ctx,
            net=one["net"],
            x=x,
            a=a,
            y=x[..., 0].copy(),
            double_next=nxt,
            double_r=r,
            double_discount=disc,
            double_q_target=qt[..., :2].copy(),
        )


def test_fit_learns_a_regression(ctx):
    rng = np.random.default_rng(4)
    r = rl.create(ctx, n_in=2, n_out=1, hidden=[32], activation="tanh", loss="mse", lr=0.01)
    # Fixed initial weights: the check does not depend on Keras's random init.
    w0 = rng.uniform(-0.4, 0.4, size=r["params"]).astype(np.float32)
    rl.set_weights(ctx, net=r["net"], weights=w0)
    x = rng.uniform(-1, 1, size=(201, 64, 2)).astype(np.float32)
    y = (np.sin(3 * x[..., 0]) * x[..., 1]).astype(np.float32)
    a = np.zeros((201, 64), np.int32)

    def held_out_loss() -> float:
        return rl.gradient(ctx, net=r["net"], x=x[200], a=a[200], y=y[200])["loss"]

    before = held_out_loss()
    rl.fit(ctx, net=r["net"], x=x[:200], a=a[:200], y=y[:200])
    assert held_out_loss() < before / 5


def test_named_architectures_are_the_hosts(ctx):
    # "seed" and the other named networks are defined once, in Go
    # (internal/agent/zoo.Architectures); the worker takes layers, not names.
    assert not hasattr(rl, "ARCHITECTURES")
    with pytest.raises(TypeError, match="arch"):
        rl.create(ctx, n_in=4, n_out=2, arch="seed")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"loss": "l1"}, "unknown loss"),
        ({"activation": "gelu"}, "unknown activation"),
        ({"hidden": [0]}, "must be positive"),
        ({"weights": np.zeros(3, np.float32)}, "has 3 values"),
    ],
)
def test_create_rejects_bad_input(ctx, kwargs, match):
    with pytest.raises(ArgumentError, match=match):
        rl.create(ctx, n_in=4, n_out=2, **kwargs)


def test_fit_rejects_bad_batches(ctx):
    r = rl.create(ctx, n_in=4, n_out=2, hidden=[4])
    x, a, y = _batch(np.random.default_rng(5), 2, 3, 4, 2)
    with pytest.raises(ArgumentError, match="features"):
        rl.fit(ctx, net=r["net"], x=x[..., :3].copy(), a=a, y=y)
    with pytest.raises(ArgumentError, match="outside 0..1"):
        rl.fit(ctx, net=r["net"], x=x, a=a + 5, y=y)
    with pytest.raises(ArgumentError, match="dtype int32"):
        rl.fit(ctx, net=r["net"], x=x, a=a.astype(np.int64), y=y)
    with pytest.raises(ArgumentError, match="no network"):
        rl.fit(ctx, net=999, x=x, a=a, y=y)


def test_predict_matches_numpy_for_several_networks(ctx):
    rng = np.random.default_rng(7)
    specs = [
        {"n_in": 3, "hidden": [6, 5], "activation": "relu", "n_out": 2},
        {"n_in": 3, "hidden": [], "activation": "relu", "n_out": 4},
    ]
    sizes = [[3, 6, 5, 2], [3, 4]]
    x = rng.normal(size=(9, 3)).astype(np.float32)
    for _ in range(2):  # the second round reuses the compiled passes with new weights
        ws = [
            rng.normal(size=sum(i * o + o for i, o in zip(s, s[1:], strict=False))).astype(
                np.float32
            )
            for s in sizes
        ]
        ys = rl.predict(ctx, specs=specs, weights=ws, x=x)["y"]
        for y, w, s in zip(ys, ws, sizes, strict=True):
            np.testing.assert_allclose(y, _numpy_forward(w, s, x), rtol=1e-5, atol=1e-5)


def test_predict_rejects_bad_input(ctx):
    spec = {"n_in": 3, "hidden": [4], "activation": "relu", "n_out": 2}
    x = np.zeros((2, 3), np.float32)
    with pytest.raises(ArgumentError, match="has 5 values"):
        rl.predict(ctx, specs=[spec], weights=[np.zeros(5, np.float32)], x=x)
    with pytest.raises(ArgumentError, match="unknown activation"):
        rl.predict(ctx, specs=[{**spec, "activation": "gelu"}], weights=[np.zeros(26)], x=x)
    with pytest.raises(ArgumentError, match="2 specs and 1 weight"):
        rl.predict(ctx, specs=[spec, spec], weights=[np.zeros(26, np.float32)], x=x)
    with pytest.raises(ArgumentError, match="x"):
        rl.predict(ctx, specs=[spec], weights=[np.zeros(26, np.float32)], x=x[:, :2])


@pytest.mark.parametrize(
    "intra_op, cpus, rows, want",
    [
        (1, 2, 8192, 2),  # DQN CartPole's 128 x 64 next states: one part per core
        (1, 2, 3000, 1),  # too few rows for two parts of SPLIT_ROWS
        (1, 16, 8192, 4),  # no part under SPLIT_ROWS rows
        (1, 1, 8192, 1),
        (None, 2, 8192, 1),  # TensorFlow's own threads split the products
        (2, 2, 8192, 1),
    ],
)
def test_predict_splits_rows_only_on_one_intra_op_thread(monkeypatch, intra_op, cpus, rows, want):
    monkeypatch.setattr(rl, "_intra_op", intra_op)
    monkeypatch.setattr(rl.os, "cpu_count", lambda: cpus)
    assert rl._parts(rows) == want


def test_predict_split_rows_match_the_whole_batch(ctx, monkeypatch):
    spec = {"n_in": 4, "hidden": [16, 16], "activation": "relu", "n_out": 2}
    sizes = [4, 16, 16, 2]
    rng = np.random.default_rng(3)
    w = (0.3 * rng.normal(size=4 * 16 + 16 + 16 * 16 + 16 + 16 * 2 + 2)).astype(np.float32)
    x = rng.normal(size=(2 * rl.SPLIT_ROWS + 1, 4)).astype(np.float32)  # unequal parts
    monkeypatch.setattr(rl, "_intra_op", None)
    whole = rl.predict(ctx, specs=[spec], weights=[w], x=x)["y"][0]
    monkeypatch.setattr(rl, "_intra_op", 1)
    monkeypatch.setattr(rl.os, "cpu_count", lambda: 2)
    assert rl._parts(len(x)) == 2
    split = rl.predict(ctx, specs=[spec], weights=[w], x=x)["y"][0]
    assert split.shape == (len(x), 2)
    np.testing.assert_allclose(split, whole, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(split, _numpy_forward(w, sizes, x), rtol=1e-5, atol=1e-5)


class _FakeThreading:
    def __init__(self, initialised: bool) -> None:
        self.initialised, self.set = initialised, None

    def set_intra_op_parallelism_threads(self, n: int) -> None:
        if self.initialised:
            raise RuntimeError("Intra op parallelism cannot be modified after initialization.")
        self.set = n


class _FakeTF:
    def __init__(self, initialised: bool = False) -> None:
        self.config = type("config", (), {})()
        self.config.threading = _FakeThreading(initialised)


@pytest.mark.parametrize(
    "env, initialised, want",
    [
        (None, False, 1),  # the default: one intra-op thread
        ("3", False, 3),
        ("0", False, None),  # TensorFlow's default
        ("many", False, None),
        ("1", True, None),  # set too late: TensorFlow keeps its threads
    ],
)
def test_threads_come_from_the_environment(monkeypatch, env, initialised, want):
    if env is None:
        monkeypatch.delenv(rl.THREADS_ENV, raising=False)
    else:
        monkeypatch.setenv(rl.THREADS_ENV, env)
    tf = _FakeTF(initialised)
    assert rl._set_threads(tf) == want
    assert tf.config.threading.set == (None if initialised else want)
