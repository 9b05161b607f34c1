"""One epoch of our training loop beside a plain Keras ``model.fit`` of the same network.

The generative models return their per-example loss from ``call`` (negative
ELBO for the VAE, negative log-likelihood for the flows), so ``model.fit``
trains the very same network with an identity loss and the same optimizer.
Both run in this one process, on the same data, alternately, after one warm-up
epoch each (tracing and XLA compilation are not counted).

    .venv/bin/python bench/gen_fit_vs_loop.py [--epochs 5] [--json]

Prints a markdown table (median seconds per epoch and examples per second).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from pyworker.gen import catalog  # noqa: E402
from pyworker.gen import data as gdata  # noqa: E402
from pyworker.gen import train as gt  # noqa: E402

CASES = [("vae", "digits"), ("realnvp", "moons")]


def _identity_loss(y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
    return y_pred  # the model already returns the per-example loss


def our_epoch(step, x: np.ndarray, bs: int, rng: np.random.Generator) -> float:
    perm = rng.permutation(len(x))
    t0 = time.perf_counter()
    for b in range(len(x) // bs):
        float(step(tf.constant(x[perm[b * bs : (b + 1) * bs]]))["loss"])
    return time.perf_counter() - t0


def fit_epoch(model, x: np.ndarray, bs: int) -> float:
    t0 = time.perf_counter()
    model.fit(x, np.zeros(len(x), np.float32), batch_size=bs, epochs=1, shuffle=True, verbose=0)
    return time.perf_counter() - t0


def bench(kind: str, data: str, epochs: int) -> dict:
    ds, opts = gt.prepare(kind, gdata.load(data), {})
    d = catalog.MODELS[kind]
    bs, lr = d["batch_size"], d["learning_rate"]
    keras.utils.set_random_seed(0)
    ours = gt.build(kind, {"dim": ds.dim, "seed": 0, **opts})
    keras.utils.set_random_seed(0)
    theirs = gt.build(kind, {"dim": ds.dim, "seed": 0, **opts})
    step = ours.make_train_step(lr)
    theirs.compile(optimizer=keras.optimizers.Adam(lr, global_clipnorm=10.0), loss=_identity_loss)
    x = ds.x_train
    rng = np.random.default_rng(0)
    our_epoch(step, x, bs, rng)  # warm-up: tracing
    fit_epoch(theirs, x, bs)  # warm-up: tracing and, where Keras chooses it, XLA
    t_ours, t_fit = [], []
    for _ in range(epochs):
        t_ours.append(our_epoch(step, x, bs, rng))
        t_fit.append(fit_epoch(theirs, x, bs))
    ours_s, fit_s = statistics.median(t_ours), statistics.median(t_fit)
    n_ours = (len(x) // bs) * bs
    return {
        "model": kind,
        "data": data,
        "batch_size": bs,
        "params": int(ours.count_params()),
        "ours_epoch_s": round(ours_s, 4),
        "ours_examples_per_s": round(n_ours / ours_s),
        "fit_epoch_s": round(fit_s, 4),
        "fit_examples_per_s": round(len(x) / fit_s),
        "fit_jit_compile": bool(theirs.jit_compile),
        "test_nll_ours": float(ours.nll(ds.x_test).mean()),
        "test_nll_fit": float(theirs.nll(ds.x_test).mean()),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=5, help="timed epochs per side (median)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows = [bench(k, d, args.epochs) for k, d in CASES]
    env = {
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    if args.json:
        print(json.dumps({"env": env, "rows": rows}))
        return
    print(
        f"TensorFlow {env['tensorflow']}, Keras {env['keras']}, {env['cpus']} CPUs, {env['date']}"
    )
    print(
        "| model | data | batch | ours s/epoch | ours ex/s | model.fit s/epoch | fit ex/s "
        "| fit XLA | test NLL after ours / fit |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(
            f"| {r['model']} | {r['data']} | {r['batch_size']} | {r['ours_epoch_s']:.3f} "
            f"| {r['ours_examples_per_s']} | {r['fit_epoch_s']:.3f} | {r['fit_examples_per_s']} "
            f"| {r['fit_jit_compile']} | {r['test_nll_ours']:.2f} / {r['test_nll_fit']:.2f} |"
        )


if __name__ == "__main__":
    main()
