"""The actor-critic gradient handlers (pyworker/ac.py), called directly."""

from __future__ import annotations

import numpy as np
import pytest

from pyworker import ac
from pyworker.errors import ArgumentError
from pyworker.registry import CallContext


@pytest.fixture
def ctx() -> CallContext:
    return CallContext(msgid=1, notify=lambda method, params: None)


def _group(ctx, rng, max_grad_norm=0.0):
    nets = [
        {"n_in": 3, "hidden": [4], "activation": "tanh", "n_out": 1},
        {"n_in": 2, "hidden": [], "activation": "linear", "n_out": 2},
    ]
    # the linear net: 2*2 kernel + 2 bias; the tanh net: 3*4 + 4 + 4*1 + 1
    nets[0]["weights"] = rng.normal(size=21).astype(np.float32)
    nets[1]["weights"] = rng.normal(size=6).astype(np.float32)
    return ac.create(ctx, nets=nets, lr=0.1, max_grad_norm=max_grad_norm), nets


def test_step_is_adam_on_the_given_output_gradients(ctx):
    """One step on a linear model: out = x W + b, dL/dW = x^T dout; Adam's first step is lr*sign."""
    rng = np.random.default_rng(0)
    g, nets = _group(ctx, rng)
    assert g["params"] == [21, 6]
    x1 = rng.normal(size=(5, 2)).astype(np.float32)
    d1 = rng.normal(size=(5, 2)).astype(np.float32)
    x0 = rng.normal(size=(5, 3)).astype(np.float32)
    d0 = np.zeros((5, 1), np.float32)
    res = ac.step(ctx, group=g["group"], x=[x0, x1], dout=[d0, d1], return_weights=[False, True])
    assert res["scale"] == pytest.approx(1.0)
    assert res["weights"][0].size == 0
    grad = np.concatenate([(x1.T @ d1).ravel(), d1.sum(axis=0)])
    want = nets[1]["weights"] - 0.1 * np.sign(grad)  # Adam's first step, eps aside
    np.testing.assert_allclose(res["weights"][1], want, atol=1e-5)


def test_global_clipping_counts_the_extra_norm(ctx):
    rng = np.random.default_rng(1)
    g, _ = _group(ctx, rng, max_grad_norm=0.5)
    x = [rng.normal(size=(4, 3)).astype(np.float32), rng.normal(size=(4, 2)).astype(np.float32)]
    d = [np.ones((4, 1), np.float32), np.ones((4, 2), np.float32)]
    small = ac.step(ctx, group=g["group"], x=x, dout=d)["scale"]
    large = ac.step(ctx, group=g["group"], x=x, dout=d, extra_sq=100.0)["scale"]
    assert 0 < large < small < 1


def test_state_round_trips(ctx):
    rng = np.random.default_rng(2)
    g, _ = _group(ctx, rng)
    x = [rng.normal(size=(4, 3)).astype(np.float32), rng.normal(size=(4, 2)).astype(np.float32)]
    d = [rng.normal(size=(4, 1)).astype(np.float32), rng.normal(size=(4, 2)).astype(np.float32)]
    ac.step(ctx, group=g["group"], x=x, dout=d)
    s = ac.get_state(ctx, group=g["group"])
    assert s["t"] == 1 and [p.size for p in s["params"]] == [21, 6]
    h, _ = _group(ctx, np.random.default_rng(9))
    ac.set_state(ctx, group=h["group"], **s)
    t = ac.get_state(ctx, group=h["group"])
    for key in ("params", "m", "v"):
        for a, b in zip(s[key], t[key], strict=True):
            np.testing.assert_array_equal(a, b)
    assert t["t"] == 1


def test_bad_input_is_named(ctx):
    rng = np.random.default_rng(3)
    g, _ = _group(ctx, rng)
    x = [rng.normal(size=(4, 3)).astype(np.float32), rng.normal(size=(4, 2)).astype(np.float32)]
    with pytest.raises(ArgumentError, match="list of 2"):
        ac.step(ctx, group=g["group"], x=x[:1], dout=x[:1])
    with pytest.raises(ArgumentError, match="rows"):
        ac.step(
            ctx,
            group=g["group"],
            x=x,
            dout=[np.zeros((3, 1), np.float32), np.zeros((4, 2), np.float32)],
        )
    with pytest.raises(ArgumentError, match="no group"):
        ac.step(ctx, group=12345, x=x, dout=x)
    with pytest.raises(ArgumentError, match="lr"):
        ac.create(ctx, nets=[{"n_in": 1, "n_out": 1}], lr=0)
