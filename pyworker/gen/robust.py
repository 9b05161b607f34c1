"""Adversarial examples and adversarial training of a classifier.

Attacks, in the L-infinity ball of radius ``eps`` around each input, clipped
to the data range ``[low, high]``:

FGSM (Goodfellow et al., 2015)
    one step of size ``eps`` along the sign of the loss gradient.
PGD (Madry et al., 2018)
    a random start inside the ball, then ``steps`` signed-gradient steps of
    size ``step_size`` (default ``2.5 * eps / steps``), each followed by the
    projection back onto the ball and the clipping to the data range.

Adversarial training replaces every training batch by its adversarial
version (Madry's min-max), with the training attack's own steps. Robust
accuracy is the accuracy on the attack's examples; an input counts as robust
only if the attack fails on it.
"""

from __future__ import annotations

import time
from typing import Any

import keras
import numpy as np
import tensorflow as tf


def classifier(dim: int, classes: int, hidden: list[int] | None = None) -> keras.Model:
    """The MLP classifier (logits out)."""
    hidden = list(hidden or [256, 256])
    inp = keras.Input((dim,))
    h = inp
    for units in hidden:
        h = keras.layers.Dense(units, activation="relu")(h)
    return keras.Model(inp, keras.layers.Dense(classes)(h), name="classifier")


class Attack:
    """An FGSM or PGD attack against ``model``, compiled once per setting."""

    def __init__(
        self,
        model: keras.Model,
        kind: str,
        eps: float,
        *,
        steps: int = 10,
        step_size: float | None = None,
        low: float = 0.0,
        high: float = 1.0,
        seed: int = 0,
    ) -> None:
        if kind not in ("fgsm", "pgd"):
            raise ValueError(f"attack {kind!r}: want fgsm or pgd")
        if kind == "pgd" and steps < 1:
            raise ValueError(f"PGD steps={steps}: want at least 1")
        self.model = model
        self.kind = kind
        self.eps = float(eps)
        self.steps = 1 if kind == "fgsm" else int(steps)
        self.step_size = (
            self.eps if kind == "fgsm" else float(step_size or 2.5 * self.eps / self.steps)
        )
        self.low, self.high = float(low), float(high)
        self.rng = tf.random.Generator.from_seed(seed)
        self._fn = tf.function(self._perturb, reduce_retracing=True)

    def _grad_sign(self, x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=self.model(x))
            )
        return tf.sign(tape.gradient(loss, x))

    def _perturb(self, x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
        x_adv = x
        if self.kind == "pgd":
            x_adv = x + self.rng.uniform(tf.shape(x), -self.eps, self.eps)
            x_adv = tf.clip_by_value(x_adv, self.low, self.high)
        for _ in range(self.steps):
            x_adv = x_adv + self.step_size * self._grad_sign(x_adv, y)
            x_adv = tf.clip_by_value(x_adv, x - self.eps, x + self.eps)  # projection
            x_adv = tf.clip_by_value(x_adv, self.low, self.high)  # data range
        return tf.stop_gradient(x_adv)

    def __call__(self, x: np.ndarray | tf.Tensor, y: np.ndarray | tf.Tensor) -> tf.Tensor:
        return self._fn(tf.convert_to_tensor(x, tf.float32), tf.convert_to_tensor(y, tf.int64))


def accuracy(
    model: keras.Model,
    x: np.ndarray,
    y: np.ndarray,
    attack: Attack | None = None,
    batch_size: int = 512,
) -> float:
    """Accuracy on ``x`` (clean) or on the attack's adversarial versions of ``x``."""
    correct = 0
    for i in range(0, len(x), batch_size):
        xb, yb = x[i : i + batch_size], y[i : i + batch_size]
        if attack is not None:
            xb = attack(xb, yb)
        pred = np.argmax(model(tf.convert_to_tensor(xb), training=False).numpy(), axis=1)
        correct += int((pred == yb).sum())
    return correct / len(x)


def train(
    model: keras.Model,
    x: np.ndarray,
    y: np.ndarray,
    *,
    attack: Attack | None,
    epochs: int,
    batch_size: int = 64,
    learning_rate: float = 1e-3,
    seed: int = 0,
    report: Any = None,
    cancelled: Any = None,
) -> dict[str, Any]:
    """Standard training (``attack=None``) or adversarial training against ``attack``."""
    opt = keras.optimizers.Adam(learning_rate)

    @tf.function(reduce_retracing=True)
    def step(xb: tf.Tensor, yb: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(
                    labels=yb, logits=model(xb, training=True)
                )
            )
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables, strict=False))
        return loss

    rng = np.random.default_rng(seed)
    n_batches = max(1, len(x) // batch_size)
    t_total = 0.0
    loss = float("nan")
    for epoch in range(1, epochs + 1):
        perm = rng.permutation(len(x))
        t0 = time.perf_counter()
        total = 0.0
        for b in range(n_batches):
            idx = perm[b * batch_size : (b + 1) * batch_size]
            xb, yb = tf.constant(x[idx]), tf.constant(y[idx])
            if attack is not None:
                xb = attack(xb, yb)
            total += float(step(xb, yb))
        dt = time.perf_counter() - t0
        t_total += dt
        loss = total / n_batches
        if not np.isfinite(loss):
            raise FloatingPointError(
                f"the classifier's loss became {loss} at epoch {epoch}; retry with a smaller --lr"
            )
        if report is not None:
            report(
                step=epoch,
                total=epochs,
                loss=round(loss, 5),
                examples_per_s=round(n_batches * batch_size / max(dt, 1e-9), 1),
            )
        if cancelled is not None and cancelled():
            break
    return {
        "train_seconds": round(t_total, 3),
        "final_loss": loss,
        "epochs_done": epoch,
        "examples_per_s": round(epoch * n_batches * batch_size / max(t_total, 1e-9), 1),
    }
