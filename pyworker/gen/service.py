"""The jobs behind the RPC methods and the CLI: train, sample, evaluate.

Each job works on a run directory (the host chooses it) and returns a plain
dict of JSON-able figures. ``gen_train`` ends with exactly the object that
``gen_eval`` returns for the same directory; ``robust_train`` ends with the
object of ``robust_eval`` at the training attack (plus the standard model's
figures when it trains one for comparison).
"""

from __future__ import annotations

import os
import time
from typing import Any, cast

import numpy as np

from pyworker import paths
from pyworker.gen import catalog
from pyworker.gen import data as gdata
from pyworker.gen import train as gt
from pyworker.gen.robust_checks import check_eps
from pyworker.gen.train import Progress

SAMPLES_PNG = "samples.png"
SAMPLES_NPY = "samples.npy"
RESULT_JSON = "result.json"


def gen_train(
    *,
    run_dir: str,
    model: str,
    data: str,
    epochs: int | None = None,
    seed: int = 0,
    batch_size: int | None = None,
    learning_rate: float | None = None,
    options: dict[str, Any] | list[str] | None = None,
    n_samples: int | None = None,
    progress: Progress,
) -> dict[str, Any]:
    """Train ``model`` on ``data`` into ``run_dir``; return the evaluation object.

    ``options`` may be ``KEY=VALUE`` strings (:func:`catalog.parse_options`);
    what is left out takes the model's defaults from :mod:`catalog`."""
    if model not in catalog.MODELS:
        raise ValueError(catalog.unknown_model(model))
    if isinstance(options, (list, tuple)):
        options = catalog.parse_options(options)
    d = catalog.MODELS[model]
    epochs = d["epochs"] if epochs is None else int(epochs)
    batch_size = d["batch_size"] if batch_size is None else int(batch_size)
    learning_rate = d["learning_rate"] if learning_rate is None else float(learning_rate)
    if epochs < 1 or batch_size < 1 or not learning_rate > 0:
        raise ValueError(
            f"epochs={epochs}, batch_size={batch_size}, learning_rate={learning_rate:g}: "
            "each must be positive"
        )
    gt.check_options(model, options or {})
    ds, opts = gt.prepare(model, gdata.load(data), options or {})
    import keras  # after the data checks: a bad file is reported without loading TensorFlow

    keras.utils.set_random_seed(seed)
    net = gt.build(model, {"dim": ds.dim, "seed": seed, **opts})
    meta = {
        "kind": "gen",
        "model": model,
        "config": net.config(),
        "data": data,
        "binarized": ds.binarized,
        "image_shape": ds.image_shape,
        "seed": seed,
        "epochs": epochs,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    stats = gt.fit(
        net,
        ds,
        run_dir=run_dir,
        meta=meta,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        seed=seed,
        progress=progress,
    )
    meta = {**gt.load_meta(run_dir), "training": stats}
    gt.write_json(os.path.join(run_dir, gt.META), meta)
    if n_samples is None:  # a grid of images, or a cloud as dense as the test data
        n_samples = 64 if ds.image_shape else len(ds.x_test)
    _write_samples(net, ds, run_dir, n_samples, seed)
    return _evaluate(net, ds, meta, run_dir)


def sample_files(n: int, seed: int) -> tuple[str, str]:
    """The files ``gen sample`` writes: named after what they hold, so that
    the samples training drew (``samples.png``) stay, as does every earlier
    draw with other settings."""
    stem = f"samples-n{n}-seed{seed}"
    return stem + ".png", stem + ".npy"


def gen_sample(*, run_dir: str, n: int = 64, seed: int = 0) -> dict[str, Any]:
    """Draw ``n`` samples; write them as ``samples-n<n>-seed<seed>.npy`` and a
    picture ``samples-n<n>-seed<seed>.png``."""
    if n < 1:
        raise ValueError(f"n={n}: want at least one sample")
    net, meta = gt.load_model(run_dir)
    ds = gt.dataset_for(meta)
    png, npy = sample_files(n, seed)
    samples = _write_samples(net, ds, run_dir, n, seed, png=png, npy=npy)
    return {
        "samples": samples,
        "png": os.path.join(run_dir, png),
        "npy": os.path.join(run_dir, npy),
        "model": meta["model"],
        "epoch": meta["epoch"],
    }


def gen_eval(*, run_dir: str) -> dict[str, Any]:
    """Test NLL beside the baseline (likelihood models) or the sample metrics (GAN)."""
    net, meta = gt.load_model(run_dir)
    return _evaluate(net, gt.dataset_for(meta), meta, run_dir)


def _write_samples(
    net: Any,
    ds: gdata.Dataset,
    run_dir: str,
    n: int,
    seed: int,
    *,
    png: str = SAMPLES_PNG,
    npy: str = SAMPLES_NPY,
) -> np.ndarray:
    from pyworker.gen.plots import save_samples_png

    samples = net.sample(n, seed).astype(np.float32)
    tmp = os.path.join(run_dir, ".samples.tmp.npy")
    np.save(tmp, samples)
    os.replace(tmp, os.path.join(run_dir, npy))
    title = f"{net.kind} on {ds.name}: {n} samples (seed {seed})"
    picture = samples
    if net.kind == "vae" and net.decoder_kind == "bernoulli":
        # binary draws are speckled; the pixel probabilities they were drawn
        # from (same latent draws) show what the model learned
        picture = net.mean_images(n, seed)
        title = f"vae on {ds.name}: pixel probabilities of the {n} samples (seed {seed})"
    save_samples_png(os.path.join(run_dir, png), picture, ds, title)
    return samples


def _evaluate(net: Any, ds: gdata.Dataset, meta: dict[str, Any], run_dir: str) -> dict[str, Any]:
    res: dict[str, Any] = {
        "model": meta["model"],
        "data": meta["data"],
        "run_dir": run_dir,
        "epoch": meta["epoch"],
        "n_train": len(ds.x_train),
        "n_test": len(ds.x_test),
        "dim": ds.dim,
        "binarized": ds.binarized,
    }
    if net.has_likelihood:
        t0 = time.perf_counter()
        mc_var = None
        if meta["model"] == "vae":
            nll, mc_var = net.iw_nll(ds.x_test)
        else:
            nll = net.nll(ds.x_test)
        levels = int(getattr(net, "levels", 0))
        base, base_name = gt.baseline_nll(ds, levels)
        # Densities of standardized points are turned back into the points'
        # own units (the standardization's Jacobian); the model and the
        # baseline get the same constant.
        nll = nll + ds.log_scale
        base += ds.log_scale
        if ds.is_binary or levels:
            # discrete data: -log P(x) (a bound for dequantised flows), >= 0
            per_dim = ds.dim * np.log(2.0)
            res["test_bits_per_dim"] = float(nll.mean() / per_dim)
            res["baseline_bits_per_dim"] = float(base / per_dim)
        if levels:
            res["dequantized"] = {
                "levels": levels,
                "levels_term_nats": float(ds.dim * np.log(levels)),
            }
        if mc_var is not None:
            # The spread over examples already holds the (independent)
            # Monte-Carlo errors; this is their part alone: the error of the
            # figure on this very test set.
            res["test_nll_mc_stderr"] = float(np.sqrt(mc_var.sum()) / len(nll))
        res.update(
            test_nll=float(nll.mean()),
            test_nll_stderr=float(nll.std(ddof=1) / np.sqrt(len(nll))),
            baseline_nll=base,
            baseline=base_name,
            nll_unit="nats per example"
            + (", points' own units" if ds.log_scale else "")
            + (f", discrete ({levels} levels, dequantised bound)" if levels else ""),
            nll_method=(
                f"importance-weighted estimate, {net.iw_samples} samples"
                if meta["model"] == "vae"
                else "exact density, one dequantisation draw per example"
                if levels
                else "exact"
            ),
            eval_seconds=round(time.perf_counter() - t0, 3),
        )
    else:
        from pyworker.gen.metrics import sample_metrics

        res.update(sample_metrics(ds, net.sample(len(ds.x_test), meta["seed"] + 1), meta["seed"]))
    if "training" in meta:
        res["train_seconds"] = meta["training"]["train_seconds"]
        res["examples_per_s"] = meta["training"]["examples_per_s"]
    gt.write_json(os.path.join(run_dir, RESULT_JSON), res)
    return res


# ---------------------------------------------------------------- robustness


def _or(value: Any, key: str, table: dict[str, Any] = catalog.ROBUST_TRAIN) -> Any:
    return table[key] if value is None else value


def robust_train(
    *,
    run_dir: str,
    data: str | None = None,
    attack: str | None = None,
    eps: float | None = None,
    steps: int | None = None,
    eval_steps: int | None = None,
    epochs: int | None = None,
    seed: int = 0,
    learning_rate: float | None = None,
    compare_standard: bool | None = None,
    progress: Progress,
) -> dict[str, Any]:
    """Train the MLP classifier (adversarially unless ``attack="none"``) and evaluate it.

    Robust accuracy is always measured with PGD-``eval_steps`` with random
    start at ``eps``, whatever the training attack. With ``compare_standard``
    a standard model is also trained in the same run, for reference.
    Arguments left out take :data:`catalog.ROBUST_TRAIN`.
    """
    data, attack = str(_or(data, "data")), str(_or(attack, "attack"))
    eps, eval_steps = float(_or(eps, "eps")), int(_or(eval_steps, "eval_steps"))
    compare_standard = bool(_or(compare_standard, "compare_standard"))
    if attack not in catalog.TRAIN_ATTACKS:
        raise ValueError(f"attack {attack!r}: want one of {', '.join(catalog.TRAIN_ATTACKS)}")
    ds = _labelled(data)
    check_eps(eps, ds.low, ds.high)
    import keras  # after the argument checks, which need no TensorFlow

    from pyworker.gen import robust as R

    epochs, steps = int(_or(epochs, "epochs")), int(_or(steps, "steps"))
    lr = float(_or(learning_rate, "learning_rate"))
    batch_size = int(catalog.ROBUST_TRAIN["batch_size"])
    if epochs < 1:
        raise ValueError(f"epochs={epochs}: want at least 1")
    meta = {
        "kind": "robust",
        "model": "classifier",
        "config": {"dim": ds.dim, "classes": ds.num_classes},
        "data": data,
        "attack": attack,
        "eps": eps,
        "steps": steps,
        "eval_steps": eval_steps,
        "seed": seed,
        "epochs": epochs,
        "batch_size": batch_size,
        "learning_rate": lr,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    out: dict[str, Any] = {}
    if compare_standard and attack != "none":
        keras.utils.set_random_seed(seed)
        std = R.classifier(ds.dim, ds.num_classes)
        R.train(
            std,
            ds.x_train,
            ds.y_train,
            attack=None,
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=lr,
            seed=seed,
        )
        ev = _robust_figures(std, ds, "pgd", eps, eval_steps, seed)
        out = {
            "standard_clean_accuracy": ev["clean_accuracy"],
            "standard_robust_accuracy": ev["robust_accuracy"],
        }
    keras.utils.set_random_seed(seed)
    clf = R.classifier(ds.dim, ds.num_classes)
    train_attack = (
        None
        if attack == "none"
        else R.Attack(clf, attack, eps, steps=steps, low=ds.low, high=ds.high, seed=seed)
    )
    os.makedirs(run_dir, exist_ok=True)
    gt.save(clf, run_dir, {**meta, "epoch": 0})
    stats = R.train(
        clf,
        ds.x_train,
        ds.y_train,
        attack=train_attack,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=lr,
        seed=seed,
        report=progress.report,
        cancelled=progress.cancelled,
    )
    gt.save(clf, run_dir, {**meta, "epoch": stats["epochs_done"], "training": stats})
    res = robust_eval(run_dir=run_dir, attack="pgd", eps=eps, steps=eval_steps, seed=seed)
    res.update(out, train_seconds=stats["train_seconds"], examples_per_s=stats["examples_per_s"])
    gt.write_json(os.path.join(run_dir, RESULT_JSON), res)
    return res


def robust_eval(
    *,
    run_dir: str,
    attack: str | None = None,
    eps: float | None = None,
    steps: int | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Clean accuracy and accuracy under ``attack`` at ``eps`` (default: the
    training eps; the others :data:`catalog.ROBUST_EVAL`)."""
    attack = str(_or(attack, "attack", catalog.ROBUST_EVAL))
    steps = int(_or(steps, "steps", catalog.ROBUST_EVAL))
    meta = gt.load_meta(run_dir)
    if meta.get("kind") != "robust":
        raise gt.RunError(
            f"{run_dir!r} is not a run of 'robust train' (it holds {meta.get('model')!r})"
        )
    ds = _labelled(meta["data"])
    eps = float(meta["eps"] if eps is None else eps)
    check_eps(eps, ds.low, ds.high)
    if attack not in catalog.EVAL_ATTACKS:
        raise ValueError(f"attack {attack!r}: want one of {', '.join(catalog.EVAL_ATTACKS)}")
    from pyworker.gen import robust as R

    clf = R.classifier(meta["config"]["dim"], meta["config"]["classes"])
    clf.load_weights(paths.stored(run_dir, meta.get("weights"), f"{gt.META}'s weights"))
    res = {
        "data": meta["data"],
        "run_dir": run_dir,
        "trained_with": meta["attack"],
        "train_eps": meta["eps"],
        "epoch": meta["epoch"],
    }
    res.update(_robust_figures(clf, ds, attack, eps, steps, seed))
    return res


def _robust_figures(
    clf: Any, ds: _Labelled, attack: str, eps: float, steps: int, seed: int
) -> dict[str, Any]:
    from pyworker.gen import robust as R

    att = R.Attack(clf, attack, eps, steps=steps, low=ds.low, high=ds.high, seed=seed + 1)
    return {
        "clean_accuracy": R.accuracy(clf, ds.x_test, ds.y_test),
        "robust_accuracy": R.accuracy(clf, ds.x_test, ds.y_test, att),
        "attack": attack,
        "eps": eps,
        "steps": att.steps,
        "random_start": attack == "pgd",
        "n_test": len(ds.x_test),
    }


class _Labelled(gdata.Dataset):
    """A data set whose labels are known to be there."""

    y_train: np.ndarray
    y_test: np.ndarray


def _labelled(data: str) -> _Labelled:
    ds = gdata.load(data)
    if ds.y_train is None or ds.y_test is None:
        raise gdata.DataError(
            f"data {data!r} has no class labels; robust training needs a labelled set "
            "(digits, mnist5k, or an .npz with arrays x and y)"
        )
    return cast(_Labelled, ds)
