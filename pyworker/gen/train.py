"""Training loop, checkpoints and run directories of the generative models.

A run directory holds ``meta.json`` (what was trained on what, with which
config and up to which epoch, and the latest metrics) and the weights file it
names. Checkpoints are atomic: the weights go to a new file, then
``meta.json`` is replaced by a rename to point at it, then the old weights
file is removed; a crash at any moment leaves a consistent pair.

If the loss turns NaN or infinite the loop stops, leaves the last good
checkpoint in place and raises :class:`Diverged`, which names it.
"""

from __future__ import annotations

import contextlib
import errno
import inspect
import json
import math
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from pyworker import paths
from pyworker.gen import catalog
from pyworker.gen import data as gdata

META = "meta.json"


class Diverged(RuntimeError):
    """Training produced a NaN or infinite loss."""


class RunError(ValueError):
    """A run directory is missing or does not hold what the command needs."""


@dataclass
class Progress:
    """Where per-epoch reports go (``ctx.progress`` in the worker, a printer in the CLI)."""

    report: Callable[..., None]
    cancelled: Callable[[], bool] = lambda: False


def check_options(kind: str, options: dict[str, Any]) -> None:
    """Refuse options the model does not have (:data:`catalog.MODELS`),
    before TensorFlow loads."""
    allowed = catalog.MODELS[kind]["options"]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ValueError(
            f"{kind} has no option {', '.join(unknown)}; its options are {', '.join(allowed)}"
        )


def model_class(kind: str) -> type:
    if kind == "vae":
        from pyworker.gen.vae import VAE

        return VAE
    if kind == "gan":
        from pyworker.gen.gan import GAN

        return GAN
    if kind == "realnvp":
        from pyworker.gen.flows import RealNVP

        return RealNVP
    if kind == "maf":
        from pyworker.gen.flows import MAF

        return MAF
    if kind == "made":
        from pyworker.gen.made import MADE

        return MADE
    raise ValueError(catalog.unknown_model(kind))


def prepare(kind: str, ds: gdata.Dataset, options: dict[str, Any]) -> tuple[gdata.Dataset, dict]:
    """Fit the data to the model and the model's options to the data.

    Bernoulli likelihoods (MADE on images, the VAE's default on images) need
    binary data: images in [0, 1] are binarized; other data gets a Gaussian
    likelihood unless the user asked for Bernoulli, which is then an error.
    """
    opts = dict(options)
    if kind == "made":
        lik = opts.setdefault(
            "likelihood", "bernoulli" if ds.image_shape or ds.is_binary else "gaussian_mixture"
        )
        if lik == "bernoulli":
            ds = ds.binarize()
    elif kind == "vae":
        dec = opts.setdefault(
            "decoder", "bernoulli" if ds.image_shape or ds.is_binary else "gaussian"
        )
        if dec == "bernoulli":
            ds = ds.binarize()
    elif kind == "gan":
        opts.setdefault("output", "sigmoid" if ds.low >= 0 and ds.high <= 1 else "linear")
    if kind in ("realnvp", "maf"):
        # continuous densities on quantised data: dequantised (pyworker.gen.dequant)
        levels = opts.setdefault("levels", ds.levels)
        if levels not in (0, ds.levels):
            raise ValueError(
                f"levels={levels!r}: data {ds.name!r} takes "
                + (f"{ds.levels} levels" if ds.levels else "continuous values")
                + "; leave the option out (it comes from the data) or give levels=0 "
                "for a continuous density on the stored values"
            )
    return ds, opts


def baseline_nll(ds: gdata.Dataset, levels: int = 0) -> tuple[float, str]:
    """The test NLL of the simplest model of the same data, and its name.

    Binary data: independent Bernoulli per pixel (Laplace-smoothed frequencies
    from the training split). Continuous data: one full-covariance Gaussian.
    With ``levels`` (quantised data, as the flows see it) the Gaussian is
    fitted to and scored on dequantised values (fixed noise) and the figure
    includes ``D log levels``: an upper bound of the discrete NLL, like the
    model's. Figures are in the stored units (add ``ds.log_scale`` for the
    data's own).
    """
    xtr, xte = ds.x_train.astype(np.float64), ds.x_test.astype(np.float64)
    if ds.is_binary:
        p = (xtr.sum(0) + 1) / (len(xtr) + 2)
        ll = xte * np.log(p) + (1 - xte) * np.log1p(-p)
        return float(-ll.sum(1).mean()), "independent Bernoulli per pixel"
    extra, name = 0.0, "full-covariance Gaussian"
    if levels:
        from pyworker.gen import dequant

        rng = np.random.default_rng(gdata.DATA_SEED)
        xtr, xte = dequant.to_cells_np(xtr, levels, rng), dequant.to_cells_np(xte, levels, rng)
        extra, name = dequant.levels_term(ds.dim, levels), "full-covariance Gaussian, dequantised"
    mean = xtr.mean(0)
    cov = np.cov(xtr, rowvar=False) + 1e-6 * np.eye(ds.dim)
    sign, logdet = np.linalg.slogdet(cov)
    d = xte - mean
    maha = np.einsum("ij,ij->i", d @ np.linalg.inv(cov), d)
    nll = 0.5 * (maha + logdet + ds.dim * math.log(2 * math.pi)) + extra
    return float(nll.mean()), name


def fit(
    model: Any,
    ds: gdata.Dataset,
    *,
    run_dir: str,
    meta: dict[str, Any],
    epochs: int,
    batch_size: int,
    learning_rate: float,
    seed: int,
    progress: Progress,
    checkpoints: int = 10,
) -> dict[str, Any]:
    """Train ``model`` on ``ds.x_train``; checkpoints about ``checkpoints`` times and at the end."""
    import tensorflow as tf

    step = model.make_train_step(learning_rate)
    rng = np.random.default_rng(seed)
    x = ds.x_train
    bs = min(batch_size, len(x))
    n_batches = len(x) // bs
    save(model, run_dir, {**meta, "epoch": 0})  # a good checkpoint exists before the first step
    every = max(1, epochs // max(checkpoints, 1))
    history: list[dict[str, float]] = []
    t_train = t_first = 0.0
    seen = 0
    epoch = 0
    for epoch in range(1, epochs + 1):
        perm = rng.permutation(len(x))
        t0 = time.perf_counter()
        sums: dict[str, float] = {}
        for b in range(n_batches):
            out = step(tf.constant(x[perm[b * bs : (b + 1) * bs]]))
            for k, v in out.items():
                sums[k] = sums.get(k, 0.0) + float(v)
        dt = time.perf_counter() - t0
        t_train += dt
        if epoch == 1:
            t_first = dt  # includes tracing the compiled step: kept out of the rate
        else:
            seen += n_batches * bs
        metrics = {k: v / n_batches for k, v in sums.items()}
        if not all(math.isfinite(v) for v in metrics.values()):
            last = load_meta(run_dir)["epoch"]
            raise Diverged(
                f"{meta['model']} diverged at epoch {epoch} (loss {metrics}); the last good "
                f"checkpoint (epoch {last}) is kept in {run_dir}; retry with a smaller "
                f"--lr (now {learning_rate:g}) or another --seed"
            )
        history.append(metrics)
        progress.report(
            step=epoch,
            total=epochs,
            examples_per_s=round(n_batches * bs / max(dt, 1e-9), 1),
            **{k: round(v, 5) for k, v in metrics.items()},
        )
        stop = progress.cancelled()
        if epoch % every == 0 or epoch == epochs or stop:
            save(model, run_dir, {**meta, "epoch": epoch, "train_metrics": metrics})
        if stop:
            break
    return {
        "epochs_done": epoch,
        "train_seconds": round(t_train, 3),
        "first_epoch_seconds": round(t_first, 3),
        "examples_per_s": round(seen / max(t_train - t_first, 1e-9), 1) if seen else None,
        "final_train": history[-1] if history else {},
    }


def save(model: Any, run_dir: str, meta: dict[str, Any]) -> None:
    """Write the weights and ``meta.json`` atomically (see the module docstring).

    The weights go to a temporary name in the run directory and are renamed
    when complete. A disk without room for them is an ``OSError`` (ENOSPC)
    raised before writing (h5py crashes the process on a full disk), and a
    failed write leaves the last checkpoint as it was.
    """
    os.makedirs(run_dir, exist_ok=True)
    old = _meta_or_none(run_dir)
    old_weights = None
    if old and old.get("weights") is not None:
        old_weights = paths.stored(run_dir, old["weights"], f"{META}'s weights")
    _check_space(run_dir, model)
    fd, tmp = tempfile.mkstemp(prefix=".model-", suffix=".weights.h5", dir=run_dir)
    os.fchmod(fd, FILE_MODE)
    os.close(fd)
    try:
        model.save_weights(tmp, overwrite=True)
        weights = f"model-{meta.get('epoch', 0)}-{os.path.basename(tmp)[7:15]}.weights.h5"
        os.replace(tmp, os.path.join(run_dir, weights))
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise
    write_json(os.path.join(run_dir, META), {**meta, "weights": weights})
    if old_weights is not None and old_weights.name != weights:
        with contextlib.suppress(FileNotFoundError):
            os.remove(old_weights)


#: Room kept free beyond the weights' own size when checking the disk before a save.
SAVE_MARGIN_BYTES = 1 << 20


def _check_space(run_dir: str, model: Any) -> None:
    """Raise ENOSPC when the run directory's file system cannot hold the weights."""
    need = SAVE_MARGIN_BYTES
    for w in getattr(model, "weights", []):
        need += int(np.prod(w.shape)) * np.dtype(str(w.dtype)).itemsize
    st = os.statvfs(run_dir)
    free = st.f_bavail * st.f_frsize
    if free < need:
        raise OSError(
            errno.ENOSPC,
            f"No space left on device: saving the model needs about {need / 2**20:.1f} MiB in "
            f"{run_dir}, {free / 2**20:.1f} MiB are free; free some space and run the command "
            "again (the last checkpoint is kept)",
        )


def _umask() -> int:
    """The process's umask, read without changing it (os.umask would, for a
    moment, under the worker's other threads)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    return 0o022


#: The mode of a run's files, as the Go host creates those of RL runs
#: (0644 less the umask); tempfile.mkstemp alone would leave them 0600.
FILE_MODE = 0o644 & ~_umask()


def write_json(path: str, obj: dict[str, Any]) -> None:
    """Write ``obj`` to ``path`` through a temporary file and a rename."""
    d = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=d)
    os.fchmod(fd, FILE_MODE)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(obj, f, indent=2, sort_keys=True)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise


def _meta_or_none(run_dir: str) -> dict[str, Any] | None:
    try:
        with open(os.path.join(run_dir, META)) as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def load_meta(run_dir: str) -> dict[str, Any]:
    meta = _meta_or_none(run_dir)
    if meta is None:
        raise RunError(
            f"{run_dir!r} has no {META}: not a run directory of 'gen train' or 'robust train'"
        )
    return meta


def build(kind: str, config: dict[str, Any]) -> Any:
    cls = model_class(kind)
    allowed = [p for p in inspect.signature(cls).parameters if p not in ("self", "dim", "seed")]
    unknown = sorted(set(config) - set(allowed) - {"dim", "seed"})
    if unknown:
        raise ValueError(
            f"{kind} has no option {', '.join(unknown)}; its options are {', '.join(allowed)}"
        )
    model = cls(**config)
    model.build_now()
    return model


def load_model(
    run_dir: str, expect: tuple[str, ...] = tuple(catalog.MODELS)
) -> tuple[Any, dict[str, Any]]:
    """Rebuild the model of a run directory from its meta and weights."""
    meta = load_meta(run_dir)
    if meta.get("model") not in expect:
        raise RunError(
            f"{run_dir!r} holds a {meta.get('model')!r} model; this command wants one of "
            f"{', '.join(expect)}"
        )
    model = build(meta["model"], meta["config"])
    model.load_weights(paths.stored(run_dir, meta.get("weights"), f"{META}'s weights"))
    return model, meta


def dataset_for(meta: dict[str, Any]) -> gdata.Dataset:
    """The data (after the same binarization) a run was trained on."""
    ds = gdata.load(meta["data"])
    return ds.binarize() if meta.get("binarized") else ds
