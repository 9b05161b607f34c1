"""Variational autoencoder (Kingma and Welling, 2014).

Gaussian encoder q(z|x) = N(mu(x), diag sigma(x)^2), standard normal prior,
and a Bernoulli decoder (binary data: logits per pixel) or a Gaussian decoder
(continuous data: a mean per dimension and one learned log-scale per
dimension). Training maximizes the ELBO with the reparameterization
``z = mu + sigma * eps``; ``call`` returns the negative ELBO per example.

The test NLL is the importance-weighted estimate (Burda et al., 2016) with K
samples from q: ``log p(x) ~ logmeanexp_k [log p(x|z_k) + log p(z_k) -
log q(z_k|x)]``. It is a stochastic lower bound on log p(x) that tightens as
K grows, so the NLL it reports is an upper bound in expectation. Each
batch of test examples draws fresh noise, and ``iw_nll`` also returns the
Monte-Carlo variance of each example's estimate, from which the evaluation
reports the Monte-Carlo part of the standard error.
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

from pyworker.gen.base import LOG_2PI, GenerativeModel, mlp, std_normal_logpdf


class VAE(GenerativeModel):
    kind = "vae"

    def __init__(
        self,
        *,
        dim: int,
        seed: int = 0,
        decoder: str = "bernoulli",
        latent: int = 16,
        hidden: list[int] | None = None,
        iw_samples: int = 500,
    ) -> None:
        hidden = list(hidden or [256, 256])
        super().__init__(
            dim=dim,
            seed=seed,
            decoder=decoder,
            latent=latent,
            hidden=hidden,
            iw_samples=iw_samples,
        )
        if decoder not in ("bernoulli", "gaussian"):
            raise ValueError(f"VAE decoder {decoder!r}: want bernoulli or gaussian")
        self.decoder_kind = decoder
        self.latent = latent
        self.iw_samples = iw_samples
        self.encoder = mlp(hidden, 2 * latent, name="encoder")
        self.decoder = mlp(hidden[::-1], dim, name="decoder")
        if decoder == "gaussian":
            self.log_sigma = self.add_weight(shape=(dim,), initializer="zeros", name="log_sigma")

    def encode(self, x: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        mu, log_var = tf.split(self.encoder(x), 2, axis=-1)
        return mu, tf.clip_by_value(log_var, -12.0, 8.0)

    def log_px_given_z(self, x: tf.Tensor, z: tf.Tensor) -> tf.Tensor:
        """log p(x|z) summed over dimensions; ``z`` may carry extra leading axes."""
        lead = tf.shape(z)[:-1]
        out = self.decoder(tf.reshape(z, (-1, self.latent)))  # Sequential wants rank 2
        out = tf.reshape(out, tf.concat([lead, [self.dim]], 0))
        if self.decoder_kind == "bernoulli":
            return -tf.reduce_sum(
                tf.nn.sigmoid_cross_entropy_with_logits(
                    labels=tf.broadcast_to(x, tf.shape(out)), logits=out
                ),
                axis=-1,
            )
        log_s = self._log_s()
        r = (x - out) * tf.exp(-log_s)
        return -0.5 * tf.reduce_sum(r * r + LOG_2PI + 2.0 * log_s, axis=-1)

    def _log_s(self) -> tf.Tensor:
        return 5.0 * tf.tanh(self.log_sigma / 5.0)  # bounded: no collapse onto a training point

    def call(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        mu, log_var = self.encode(x)
        eps = tf.random.stateless_normal(tf.shape(mu), seed=self._next_seed())
        z = mu + tf.exp(0.5 * log_var) * eps
        kl = 0.5 * tf.reduce_sum(tf.exp(log_var) + mu * mu - 1.0 - log_var, axis=-1)
        return kl - self.log_px_given_z(x, z)

    def _next_seed(self) -> tf.Tensor:
        # stateless ops with seeds drawn from the model's SeedGenerator: the
        # same seed gives the same training run, in our loop and in model.fit
        import keras

        return keras.random.randint((2,), 0, 2**31 - 1, seed=self.seed_gen)

    def nll(self, x: np.ndarray, batch_size: int = 64) -> np.ndarray:
        """Importance-weighted NLL estimate with ``iw_samples`` samples per example."""
        return self.iw_nll(x, batch_size)[0]

    def iw_nll(self, x: np.ndarray, batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
        """Per-example IWAE NLL estimates and the Monte-Carlo variance of each.

        Every batch draws its own noise (a stateless seed from the model's seed
        and the batch's index), so the estimates of different examples have
        independent Monte-Carlo errors and the same data give the same figures.
        The variance is the delta-method estimate of ``Var[log mean_k w_k]``,
        ``sum_k wn_k^2 - 1/K`` with the normalised weights ``wn`` (that is
        ``1/ESS - 1/K``), which is accurate while the effective sample size is
        not tiny.
        """
        if self._nll_fn is None:
            self._nll_fn = tf.function(self._iw_nll, reduce_retracing=True)
        nll, var = [], []
        for b, i in enumerate(range(0, len(x), batch_size)):
            seed = tf.constant([self.seed, 7 + b], tf.int64)
            est, v = self._nll_fn(tf.constant(x[i : i + batch_size]), seed)
            nll.append(est.numpy())
            var.append(v.numpy())
        return np.concatenate(nll), np.concatenate(var)

    def _iw_nll(self, x: tf.Tensor, seed: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        k = self.iw_samples
        mu, log_var = self.encode(x)
        sd = tf.exp(0.5 * log_var)
        eps = tf.random.stateless_normal(tf.concat([[k], tf.shape(mu)], 0), seed=seed)
        z = mu + sd * eps  # (k, batch, latent)
        log_q = std_normal_logpdf(eps) - tf.reduce_sum(tf.math.log(sd), axis=-1)
        log_w = self.log_px_given_z(x, z) + std_normal_logpdf(z) - log_q
        wn = tf.nn.softmax(log_w, axis=0)
        mc_var = tf.maximum(tf.reduce_sum(wn * wn, axis=0) - 1.0 / k, 0.0)
        return -(tf.reduce_logsumexp(log_w, axis=0) - math.log(k)), mc_var

    def sample(self, n: int, seed: int) -> np.ndarray:
        z = tf.random.stateless_normal((n, self.latent), seed=[seed, 0])
        out = self.decoder(z)
        if self.decoder_kind == "bernoulli":
            p = tf.sigmoid(out).numpy()
            return (np.random.default_rng(seed).random(p.shape) < p).astype(np.float32)
        noise = np.random.default_rng(seed).standard_normal(out.shape)
        return (out.numpy() + np.exp(self._log_s().numpy()) * noise).astype(np.float32)

    def mean_images(self, n: int, seed: int) -> np.ndarray:
        """Decoder means (pixel probabilities) for ``n`` prior draws: smoother to look at."""
        z = tf.random.stateless_normal((n, self.latent), seed=[seed, 0])
        out = self.decoder(z)
        return (tf.sigmoid(out) if self.decoder_kind == "bernoulli" else out).numpy()
