"""What every generative model in :mod:`pyworker.gen` shares.

A model is a ``keras.Model`` built from a plain JSON-able config (so a
checkpoint is its weights plus that config). Likelihood models return the
per-example loss in nats from ``call`` -- the negative log-likelihood for
flows and MADE, the negative ELBO for the VAE -- which lets the very same
network be trained by our loop or by a plain ``model.fit`` with an identity
loss (see ``bench/gen_fit_vs_loop.py``).
"""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np
import tensorflow as tf

LOG_2PI = math.log(2 * math.pi)


def mlp(
    sizes: list[int], out: int, *, name: str, activation: str = "relu", zero_last: bool = False
) -> keras.Sequential:
    """A dense network; ``zero_last`` starts its output at 0 (an identity coupling in flows)."""
    layers: list[keras.layers.Layer] = [keras.layers.Dense(h, activation=activation) for h in sizes]
    init = "zeros" if zero_last else "glorot_uniform"
    layers.append(keras.layers.Dense(out, kernel_initializer=init))
    return keras.Sequential(layers, name=name)


def std_normal_logpdf(z: tf.Tensor) -> tf.Tensor:
    """Sum over the last axis of the standard normal log-density."""
    return -0.5 * tf.reduce_sum(z * z + LOG_2PI, axis=-1)


class GenerativeModel(keras.Model):
    """Base of the models: config handling and the default likelihood training step."""

    #: name used in configs and on the command line
    kind: str = ""
    #: whether ``nll`` gives an exact log-likelihood (or a bound/estimate)
    has_likelihood: bool = True

    def __init__(self, *, dim: int, seed: int = 0, **kwargs: Any) -> None:
        super().__init__(name=self.kind)
        self.dim = dim
        self.seed = seed
        self.seed_gen = keras.random.SeedGenerator(seed)
        self.options = kwargs
        self._nll_fn: Any = None

    def config(self) -> dict[str, Any]:
        """The arguments that rebuild this model (stored in the checkpoint meta)."""
        return {"dim": self.dim, "seed": self.seed, **self.options}

    def build(self, input_shape: Any = None) -> None:
        # The sublayers build themselves on the first call (build_now); this
        # override only tells Keras so, instead of warning about unbuilt state.
        self.built = True

    def build_now(self) -> None:
        """Create the variables (needed before loading weights)."""
        self(tf.zeros((2, self.dim), tf.float32))

    def make_train_step(self, learning_rate: float) -> Any:
        """A compiled function ``step(x) -> {metric: scalar}`` doing one update."""
        opt = keras.optimizers.Adam(learning_rate, global_clipnorm=10.0)
        self._optimizer_for_loop = opt  # keep it alive with the model

        @tf.function(reduce_retracing=True)
        def step(x: tf.Tensor) -> dict[str, tf.Tensor]:
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(self(x, training=True))
            grads = tape.gradient(loss, self.trainable_variables)
            opt.apply_gradients(zip(grads, self.trainable_variables, strict=False))
            return {"loss": loss}

        return step

    def nll(self, x: np.ndarray, batch_size: int = 1024) -> np.ndarray:
        """Per-example negative log-likelihood in nats."""
        if self._nll_fn is None:  # one compiled function per model, not per class
            self._nll_fn = tf.function(lambda v: self(v, training=False), reduce_retracing=True)
        out = [
            self._nll_fn(tf.constant(x[i : i + batch_size])).numpy()
            for i in range(0, len(x), batch_size)
        ]
        return np.concatenate(out)

    def sample(self, n: int, seed: int) -> np.ndarray:
        raise NotImplementedError
