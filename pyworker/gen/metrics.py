"""Sample-quality metrics that need no download.

A small MLP classifier is trained (seeded, a few seconds) on part of the
training split of the same labelled data; it stands in for the Inception
network of FID and IS:

* Frechet distance between Gaussians fitted to its penultimate-layer features
  of real test images and of samples (FID's formula on our features). It is
  reported beside the same distance between real training images and the
  test split: what "as good as real data" looks like. The training split is
  cut in two: the reference images (as many as the test images) are held out
  of the classifier's training, so that neither side of the reference is
  data the features were fitted to (features of images a classifier was
  trained on are not distributed like those of unseen images, which inflated
  the old reference).
* the class histogram of the samples (mode coverage: how many classes appear,
  the largest class share);
* the inception-score analogue ``exp(E_x KL(p(y|x) || p(y)))``: between 1 and
  the number of classes; real test images give its reference value.

For unlabelled data (2-D points) the features are the raw coordinates.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import scipy.linalg
import tensorflow as tf

from pyworker.gen.data import Dataset

_CLASSIFIERS: dict[str, tuple[keras.Model, keras.Model, float]] = {}


def reference_split(n_train: int, n_ref: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the training split: (reference images, the classifier's training images).

    The two are disjoint; the reference takes ``n_ref`` images, at most half.
    """
    if not 0 < n_ref <= n_train // 2:
        raise ValueError(
            f"the Frechet reference needs {n_ref} held-out training images, "
            f"at most half of the {n_train} in the training split: evaluate fewer samples"
        )
    perm = np.random.default_rng(seed).permutation(n_train)
    return perm[:n_ref], perm[n_ref:]


def feature_classifier(
    ds: Dataset, seed: int = 0, train_idx: np.ndarray | None = None
) -> tuple[keras.Model, keras.Model, float]:
    """(classifier, feature extractor, test accuracy) trained on ``ds.x_train[train_idx]``.

    Cached per data set, seed and training subset (all of it when None).
    """
    idx = np.arange(len(ds.x_train)) if train_idx is None else np.asarray(train_idx)
    key = f"{ds.name}:{seed}:{len(idx)}:{hash(idx.tobytes())}"
    if key in _CLASSIFIERS:
        return _CLASSIFIERS[key]
    keras.utils.set_random_seed(seed)
    inp = keras.Input((ds.dim,))
    h = keras.layers.Dense(256, activation="relu")(inp)
    feats = keras.layers.Dense(64, activation="relu", name="features")(h)
    logits = keras.layers.Dense(ds.num_classes)(feats)
    clf = keras.Model(inp, logits)
    clf.compile(
        keras.optimizers.Adam(1e-3),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    assert ds.x_train is not None and ds.y_train is not None  # a labelled data set
    clf.fit(ds.x_train[idx], ds.y_train[idx], epochs=30, batch_size=64, verbose=0, shuffle=True)
    acc = float(clf.evaluate(ds.x_test, ds.y_test, verbose=0)[1])
    _CLASSIFIERS[key] = (clf, keras.Model(inp, feats), acc)
    return _CLASSIFIERS[key]


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Frechet distance between Gaussians fitted to the rows of ``a`` and of ``b``."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    ca = np.cov(a, rowvar=False) + 1e-6 * np.eye(a.shape[1])
    cb = np.cov(b, rowvar=False) + 1e-6 * np.eye(a.shape[1])
    covmean = scipy.linalg.sqrtm(ca @ cb)
    covmean = np.real(covmean)
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(ca + cb - 2.0 * covmean))


def inception_score(probs: np.ndarray) -> float:
    p_y = probs.mean(0, keepdims=True)
    kl = (probs * (np.log(probs + 1e-12) - np.log(p_y + 1e-12))).sum(1)
    return float(np.exp(kl.mean()))


def sample_metrics(ds: Dataset, samples: np.ndarray, seed: int = 0) -> dict[str, Any]:
    """Frechet distance (and reference), class histogram and IS analogue of ``samples``."""
    n = min(len(samples), len(ds.x_test), len(ds.x_train) // 2)
    real_test = ds.x_test[:n]
    ref_idx, clf_idx = reference_split(len(ds.x_train), n, seed)
    real_train = ds.x_train[ref_idx]
    samples = samples[:n].astype(np.float32)
    if ds.y_train is None:
        return {
            "frechet_distance": frechet_distance(samples, real_test),
            "frechet_train_vs_test": frechet_distance(real_train, real_test),
            "features": "raw coordinates",
            "n_samples": n,
        }
    clf, feat, acc = feature_classifier(ds, seed, clf_idx)

    def f(x: np.ndarray) -> np.ndarray:
        return feat(tf.constant(x), training=False).numpy().astype(np.float64)

    probs = tf.nn.softmax(clf(tf.constant(samples), training=False)).numpy()
    test_probs = tf.nn.softmax(clf(tf.constant(real_test), training=False)).numpy()
    hist = np.bincount(probs.argmax(1), minlength=ds.num_classes) / n
    return {
        "frechet_distance": frechet_distance(f(samples), f(real_test)),
        "frechet_train_vs_test": frechet_distance(f(real_train), f(real_test)),
        "class_histogram": [round(float(h), 4) for h in hist],
        "classes_covered": int((hist > 0).sum()),
        "max_class_fraction": float(hist.max()),
        "inception_score": inception_score(probs),
        "inception_score_test": inception_score(test_probs),
        "classifier_test_accuracy": acc,
        "features": "penultimate layer of an MLP classifier trained on the training images "
        "not in the reference",
        "n_samples": n,
    }
