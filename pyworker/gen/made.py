"""MADE: masked autoencoder for distribution estimation (Germain et al., 2015).

Dense layers whose weights are multiplied by fixed 0/1 masks so that output
``d`` depends only on the inputs that come before ``d`` in an ordering; the
outputs parameterize the conditionals p(x_d | x_<d), so the log-likelihood is
exact and sampling is sequential (one pass per dimension).

Several orderings: with ``orderings=K > 1`` the model holds K input orderings
(the first is the natural one, the others random, all fixed by the seed) and
each training batch uses one of them (order-agnostic training, as in the
paper). The model's density is the uniform mixture of the K orderings'
densities -- a proper density, evaluated exactly -- and a sample picks one
ordering and then samples along it.

Conditionals: Bernoulli for binary data (binarized images), a mixture of
``components`` Gaussians for continuous data (e.g. 2-D points).
"""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from pyworker.gen.base import LOG_2PI, GenerativeModel


def made_masks(
    dim: int, hidden: list[int], order: np.ndarray, params_per_dim: int
) -> list[np.ndarray]:
    """The masks of a MADE with input ordering ``order`` (order[i] = position of input i).

    Hidden degrees cycle through 1..dim-1 (deterministic, so that even a 2-D
    model keeps every hidden unit useful); output unit ``p * dim + d`` gets the
    degree of input ``d``.
    """
    deg_in = order.astype(np.int64) + 1  # 1..dim
    degs = [deg_in]
    for h in hidden:
        span = max(dim - 1, 1)
        degs.append(np.arange(h) % span + 1)
    masks = [
        (d_out[None, :] >= d_in[:, None]).astype(np.float32)
        for d_in, d_out in zip(degs[:-1], degs[1:], strict=False)
    ]
    deg_out = np.tile(deg_in, params_per_dim)
    masks.append((deg_out[None, :] > degs[-1][:, None]).astype(np.float32))
    return masks


class MaskedDense(keras.layers.Layer):
    """A dense layer with one mask per ordering; ``call(x, k)`` uses mask ``k``."""

    def __init__(self, masks: np.ndarray, activation: str | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.masks = tf.constant(masks, tf.float32)  # (K, in, out): fixed, rebuilt from config
        self.activation = keras.activations.get(activation)
        n_in, n_out = masks.shape[1], masks.shape[2]
        self.kernel = self.add_weight(
            shape=(n_in, n_out), initializer="glorot_uniform", name="kernel"
        )
        self.bias = self.add_weight(shape=(n_out,), initializer="zeros", name="bias")

    def call(self, x: tf.Tensor, k: tf.Tensor | int = 0) -> tf.Tensor:
        w = self.kernel * tf.gather(self.masks, k)
        return self.activation(tf.matmul(x, w) + self.bias)


class MadeNet(keras.layers.Layer):
    """The masked network: ``call(x, k) -> (batch, params_per_dim * dim)`` parameters."""

    def __init__(
        self, dim: int, hidden: list[int], orders: np.ndarray, params_per_dim: int, **kw: Any
    ) -> None:
        super().__init__(**kw)
        self.dim = dim
        self.orders = orders  # (K, dim): orders[k, i] = position of input i in ordering k
        per_order = [made_masks(dim, hidden, o, params_per_dim) for o in orders]
        self.layers_ = [
            MaskedDense(
                np.stack([m[j] for m in per_order]),
                activation="relu" if j < len(hidden) else None,
                name=f"masked_{j}",
            )
            for j in range(len(hidden) + 1)
        ]

    def call(self, x: tf.Tensor, k: tf.Tensor | int = 0) -> tf.Tensor:
        h = x
        for layer in self.layers_:
            h = layer(h, k=k)
        return h


def make_orderings(dim: int, k: int, seed: int) -> np.ndarray:
    """The natural ordering followed by ``k - 1`` random ones, fixed by ``seed``."""
    rng = np.random.default_rng(seed)
    orders = [np.arange(dim)]
    orders += [rng.permutation(dim) for _ in range(k - 1)]
    return np.stack(orders)


class MADE(GenerativeModel):
    """MADE with Bernoulli (``likelihood="bernoulli"``) or Gaussian-mixture conditionals."""

    kind = "made"

    def __init__(
        self,
        *,
        dim: int,
        seed: int = 0,
        likelihood: str = "bernoulli",
        hidden: list[int] | None = None,
        orderings: int = 1,
        components: int = 5,
    ) -> None:
        hidden = list(hidden or [500])
        super().__init__(
            dim=dim,
            seed=seed,
            likelihood=likelihood,
            hidden=hidden,
            orderings=orderings,
            components=components,
        )
        if likelihood not in ("bernoulli", "gaussian_mixture"):
            raise ValueError(f"MADE likelihood {likelihood!r}: want bernoulli or gaussian_mixture")
        if orderings < 1:
            raise ValueError(f"MADE orderings={orderings}: want at least 1")
        self.likelihood = likelihood
        self.k = orderings
        self.c = components
        ppd = 1 if likelihood == "bernoulli" else 3 * components
        self.orders = make_orderings(dim, orderings, seed)
        self.net = MadeNet(dim, hidden, self.orders, ppd, name="made_net")

    def _logp_given(self, x: tf.Tensor, k: tf.Tensor | int) -> tf.Tensor:
        """log p_k(x) under ordering ``k``, per example."""
        out = self.net(x, k=k)
        if self.likelihood == "bernoulli":
            ll = -tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=out)
            return tf.reduce_sum(ll, axis=-1)
        logits, mu, log_s = self._mixture(out)
        z = (x[:, None, :] - mu) * tf.exp(-log_s)
        comp = -0.5 * (z * z + LOG_2PI) - log_s + tf.nn.log_softmax(logits, axis=1)
        return tf.reduce_sum(tf.reduce_logsumexp(comp, axis=1), axis=-1)

    def _mixture(self, out: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        p = tf.reshape(out, (-1, 3, self.c, self.dim))
        log_s = 5.0 * tf.tanh(p[:, 2] / 5.0)  # keep scales in [e^-5, e^5]: no collapse to a point
        return p[:, 0], p[:, 1], log_s

    def call(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        if training and self.k > 1:
            k = keras.random.randint((), 0, self.k, seed=self.seed_gen)
            return -self._logp_given(x, k)
        # the uniform mixture of the orderings: log (1/K) sum_k p_k(x)
        lp = tf.stack([self._logp_given(x, k) for k in range(self.k)], axis=0)
        return -(tf.reduce_logsumexp(lp, axis=0) - math.log(self.k))

    def sample(self, n: int, seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        which = rng.integers(0, self.k, n)
        x = np.zeros((n, self.dim), np.float32)
        for k in range(self.k):
            idx = np.flatnonzero(which == k)
            if len(idx):
                x[idx] = self._sample_order(len(idx), k, rng)
        return x

    def _sample_order(self, n: int, k: int, rng: np.random.Generator) -> np.ndarray:
        x = np.zeros((n, self.dim), np.float32)
        for d in np.argsort(self.orders[k]):  # the inputs in the order they are generated
            out = self.net(tf.constant(x), k=k)
            if self.likelihood == "bernoulli":
                p = tf.sigmoid(out[:, d]).numpy()
                x[:, d] = (rng.random(n) < p).astype(np.float32)
            else:
                logits, mu, log_s = (t.numpy()[:, :, d] for t in self._mixture(out))
                pr = np.exp(logits - logits.max(1, keepdims=True))
                pr /= pr.sum(1, keepdims=True)
                c = (pr.cumsum(1) > rng.random((n, 1))).argmax(1)
                rows = np.arange(n)
                x[:, d] = mu[rows, c] + np.exp(log_s[rows, c]) * rng.standard_normal(n)
        return x
