"""Normalizing flows in pure Keras 3: RealNVP and MAF.

Both map data ``x`` to a standard normal ``z`` through invertible layers and
score ``log p(x) = log N(z) + log |det dz/dx|`` exactly; both sample by
drawing ``z`` and inverting. (TensorFlow Probability has no Keras 3 support,
so the bijectors are written here.)

RealNVP (Dinh et al., 2017): affine couplings. Each layer keeps the inputs
selected by a binary mask and scales and shifts the others by functions of the
kept ones: ``y = x_a + (1 - m) * (x * exp(s(x_a)) + t(x_a))``. Masks alternate
(even/odd dimensions), so after two layers every dimension has been
transformed. Scales pass through ``tanh`` times a learned per-dimension factor
so one bad batch cannot blow up the Jacobian; the last dense layer of every
coupling starts at zero, so training starts from the identity flow.

MAF (Papamakarios et al., 2017): each layer is a MADE (see :mod:`made`)
giving ``mu_d, alpha_d`` from ``x_<d``; ``u_d = (x_d - mu_d) exp(-alpha_d)``.
Density evaluation is one pass; sampling needs ``dim`` passes per layer.
Layers alternate the natural and the reversed ordering.

On quantised data (``levels=L``, set from the data: digits have 17 levels)
both train and score the dequantised values ``(k + u) / L`` and report
``-log p(x') + D log L``, an upper bound of the discrete NLL (see
:mod:`dequant`); samples are mapped back to the data's levels.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

from pyworker.gen import dequant
from pyworker.gen.base import GenerativeModel, mlp, std_normal_logpdf
from pyworker.gen.made import MadeNet


class Flow(GenerativeModel):
    """What RealNVP and MAF share: dequantisation of quantised data."""

    levels: int = 0

    def _setup_levels(self, levels: int) -> None:
        dequant.check_levels(levels)
        self.levels = levels

    def _noise_seed(self) -> tf.Tensor:
        return keras.random.randint((2,), 0, 2**31 - 1, seed=self.seed_gen)

    def call(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        if not self.levels:
            return self.continuous_nll(x)
        x = dequant.to_cells(x, self.levels, self._noise_seed())
        return self.continuous_nll(x) + dequant.levels_term(self.dim, self.levels)

    def continuous_nll(self, x: tf.Tensor) -> tf.Tensor:
        """``-log p(x)`` of the density itself, per example."""
        raise NotImplementedError

    def sample(self, n: int, seed: int) -> np.ndarray:
        x = self.sample_density(n, seed)
        return dequant.from_cells(x, self.levels) if self.levels else x

    def sample_density(self, n: int, seed: int) -> np.ndarray:
        raise NotImplementedError


class Coupling(keras.layers.Layer):
    """One affine coupling layer with a fixed binary mask."""

    def __init__(self, mask: np.ndarray, hidden: list[int], **kw: Any) -> None:
        super().__init__(**kw)
        self.mask = tf.constant(mask, tf.float32)
        dim = len(mask)
        self.net = mlp(hidden, 2 * dim, name="st", zero_last=True)
        self.scale = self.add_weight(shape=(dim,), initializer="ones", name="scale")

    def _st(self, xa: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        s, t = tf.split(self.net(xa), 2, axis=-1)
        inv = 1.0 - self.mask
        return inv * self.scale * tf.tanh(s), inv * t

    def forward(self, x: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """Data direction to noise direction; returns ``(y, log|det|)``."""
        xa = x * self.mask
        s, t = self._st(xa)
        return xa + (1.0 - self.mask) * (x * tf.exp(s) + t), tf.reduce_sum(s, axis=-1)

    def inverse(self, y: tf.Tensor) -> tf.Tensor:
        ya = y * self.mask
        s, t = self._st(ya)
        return ya + (1.0 - self.mask) * ((y - t) * tf.exp(-s))


class RealNVP(Flow):
    """A stack of affine couplings with alternating masks."""

    kind = "realnvp"

    def __init__(
        self,
        *,
        dim: int,
        seed: int = 0,
        layers: int = 8,
        hidden: list[int] | None = None,
        levels: int = 0,
    ) -> None:
        hidden = list(hidden or [128, 128])
        super().__init__(dim=dim, seed=seed, layers=layers, hidden=hidden, levels=levels)
        self._setup_levels(levels)
        even = (np.arange(dim) % 2 == 0).astype(np.float32)
        self.couplings = [
            Coupling(even if i % 2 == 0 else 1.0 - even, hidden, name=f"coupling_{i}")
            for i in range(layers)
        ]

    def to_noise(self, x: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        logdet = tf.zeros(tf.shape(x)[:1])
        for c in self.couplings:
            x, ld = c.forward(x)
            logdet += ld
        return x, logdet

    def continuous_nll(self, x: tf.Tensor) -> tf.Tensor:
        z, logdet = self.to_noise(x)
        return -(std_normal_logpdf(z) + logdet)

    def sample_density(self, n: int, seed: int) -> np.ndarray:
        z = tf.random.stateless_normal((n, self.dim), seed=[seed, 0])
        for c in reversed(self.couplings):
            z = c.inverse(z)
        return z.numpy()


class MAF(Flow):
    """Masked autoregressive flow: a stack of MADE affine layers."""

    kind = "maf"

    def __init__(
        self,
        *,
        dim: int,
        seed: int = 0,
        layers: int = 5,
        hidden: list[int] | None = None,
        levels: int = 0,
    ) -> None:
        hidden = list(hidden or [128, 128])
        super().__init__(dim=dim, seed=seed, layers=layers, hidden=hidden, levels=levels)
        self._setup_levels(levels)
        natural = np.arange(dim)
        self.layer_orders = [natural if i % 2 == 0 else natural[::-1].copy() for i in range(layers)]
        self.mades = [
            MadeNet(dim, hidden, o[None, :], 2, name=f"made_{i}")
            for i, o in enumerate(self.layer_orders)
        ]

    @staticmethod
    def _shift_scale(out: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        mu, a = tf.split(out, 2, axis=-1)
        return mu, 3.0 * tf.tanh(a / 3.0)  # bounded log-scale: a bad batch cannot overflow exp

    def continuous_nll(self, x: tf.Tensor) -> tf.Tensor:
        logdet = tf.zeros(tf.shape(x)[:1])
        for made in self.mades:
            mu, alpha = self._shift_scale(made(x))
            x = (x - mu) * tf.exp(-alpha)
            logdet -= tf.reduce_sum(alpha, axis=-1)
        return -(std_normal_logpdf(x) + logdet)

    def sample_density(self, n: int, seed: int) -> np.ndarray:
        u = tf.random.stateless_normal((n, self.dim), seed=[seed, 0]).numpy()
        for made, order in zip(reversed(self.mades), reversed(self.layer_orders), strict=False):
            x = np.zeros_like(u)
            for d in np.argsort(order):  # x_d needs every x before it in this layer's order
                mu, alpha = (t.numpy() for t in self._shift_scale(made(tf.constant(x))))
                x[:, d] = u[:, d] * np.exp(alpha[:, d]) + mu[:, d]
            u = x
        return u
