"""RPC methods ``gen.train``, ``gen.sample``, ``gen.eval``, ``robust.train``, ``robust.eval``.

Thin wrappers over :mod:`pyworker.gen.service`, imported inside each handler
so that TensorFlow loads on the first call, not at the worker's handshake.
Training handlers send one ``progress`` notification per epoch (``step``,
``total``, the epoch's losses and ``examples_per_s``) and stop early, keeping
a checkpoint, when the host cancels the call.
"""

from __future__ import annotations

from typing import Any

from pyworker.gen import catalog
from pyworker.registry import CallContext, advertise, method

advertise("gen", catalog.gen)
advertise("robust", catalog.robust)


def _progress(ctx: CallContext) -> Any:
    from pyworker.gen.train import Progress

    return Progress(report=ctx.progress, cancelled=ctx.cancelled.is_set)


@method("gen.train")
def gen_train(
    ctx: CallContext,
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
) -> dict[str, Any]:
    """Train a generative model into ``run_dir``; returns what ``gen.eval`` returns.

    ``options`` is a map, or ``KEY=VALUE`` strings as typed on a command line
    (read by :func:`pyworker.gen.catalog.parse_options`). Arguments left out
    take the defaults of :mod:`pyworker.gen.catalog`."""
    from pyworker.gen import service

    return service.gen_train(
        run_dir=run_dir,
        model=model,
        data=data,
        epochs=epochs,
        seed=seed,
        batch_size=batch_size,
        learning_rate=learning_rate,
        options=options,
        n_samples=n_samples,
        progress=_progress(ctx),
    )


@method("gen.sample")
def gen_sample(ctx: CallContext, *, run_dir: str, n: int = 64, seed: int = 0) -> dict[str, Any]:
    """``n`` samples as an array, also written to ``samples-n<n>-seed<seed>.npy``
    and ``.png`` (the training run's ``samples.png`` stays)."""
    from pyworker.gen import service

    return service.gen_sample(run_dir=run_dir, n=n, seed=seed)


@method("gen.eval")
def gen_eval(ctx: CallContext, *, run_dir: str) -> dict[str, Any]:
    """Test NLL and baseline (likelihood models) or sample metrics (GAN)."""
    from pyworker.gen import service

    return service.gen_eval(run_dir=run_dir)


@method("robust.train")
def robust_train(
    ctx: CallContext,
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
) -> dict[str, Any]:
    """Standard or adversarial training of a classifier; clean and robust accuracy.
    Arguments left out take :data:`pyworker.gen.catalog.ROBUST_TRAIN`."""
    from pyworker.gen import service

    return service.robust_train(
        run_dir=run_dir,
        data=data,
        attack=attack,
        eps=eps,
        steps=steps,
        eval_steps=eval_steps,
        epochs=epochs,
        seed=seed,
        learning_rate=learning_rate,
        compare_standard=compare_standard,
        progress=_progress(ctx),
    )


@method("robust.eval")
def robust_eval(
    ctx: CallContext,
    *,
    run_dir: str,
    attack: str | None = None,
    eps: float | None = None,
    steps: int | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Clean and robust accuracy of a trained classifier under ``attack``
    (defaults: :data:`pyworker.gen.catalog.ROBUST_EVAL`, eps the training one)."""
    from pyworker.gen import service

    return service.robust_eval(run_dir=run_dir, attack=attack, eps=eps, steps=steps, seed=seed)
