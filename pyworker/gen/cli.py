"""Standalone commands: ``xlrl-worker gen ...`` and ``xlrl-worker robust ...``.

The same jobs as the RPC methods, for use without the Go host. Progress lines
go to stderr; with ``--json`` the result is one JSON object on stdout.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

import click

from pyworker.gen import catalog

_DATA_HELP = f"{', '.join(catalog.DATASETS)}, or a {'/'.join(catalog.DATA_FILES)} file"
_RT = catalog.ROBUST_TRAIN


def _printer(**p: Any) -> None:
    extra = " ".join(f"{k}={v}" for k, v in p.items() if k not in ("step", "total"))
    click.echo(f"epoch {p['step']}/{p['total']} {extra}", err=True)


def _progress() -> Any:
    from pyworker.gen.train import Progress

    return Progress(report=_printer)


def _default_run_dir(name: str | None) -> str:
    return os.path.join("runs", name or time.strftime("%Y%m%d-%H%M%S"))


def _emit(res: dict[str, Any], as_json: bool) -> None:
    res = {k: v for k, v in res.items() if not hasattr(v, "shape")}  # arrays stay in files
    if as_json:
        click.echo(json.dumps(res))
    else:
        for k, v in res.items():
            click.echo(f"{k}: {v}")


def _run(fn: Any, **kw: Any) -> dict[str, Any]:
    from pyworker.gen.data import DataError
    from pyworker.gen.train import Diverged, RunError

    try:
        return fn(**kw)
    except (DataError, RunError, Diverged, ValueError) as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(1)


def _parse_options(kvs: tuple[str, ...]) -> dict[str, Any]:
    try:
        return catalog.parse_options(kvs)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--option") from None


@click.group("gen")
def gen() -> None:
    """Generative models (see pyworker.gen.catalog)."""


@gen.command("train")
@click.option("--model", type=click.Choice(list(catalog.MODELS)), required=True)
@click.option("--data", required=True, help=_DATA_HELP)
@click.option("--epochs", type=int, default=None, help="default: the model's own (under 2 min)")
@click.option("--seed", type=int, default=0)
@click.option("--lr", "learning_rate", type=float, default=None)
@click.option("--batch-size", type=int, default=None)
@click.option(
    "--option",
    "options",
    multiple=True,
    metavar="KEY=VALUE",
    help="model setting, VALUE in JSON or a bare string (e.g. latent=8, hidden=[64,64])",
)
@click.option("--name", default=None, help="run name under runs/ (default: a timestamp)")
@click.option("--out", default=None, help="run directory (overrides --name)")
@click.option("--json", "as_json", is_flag=True, help="print the result as one JSON object")
def gen_train(
    model: str,
    data: str,
    epochs: int | None,
    seed: int,
    learning_rate: float | None,
    batch_size: int | None,
    options: tuple[str, ...],
    name: str | None,
    out: str | None,
    as_json: bool,
) -> None:
    """Train a model; ends with the object of 'gen eval'."""
    from pyworker.gen import service

    run_dir = out or _default_run_dir(name)
    res = _run(
        service.gen_train,
        run_dir=run_dir,
        model=model,
        data=data,
        epochs=epochs,
        seed=seed,
        batch_size=batch_size,
        learning_rate=learning_rate,
        options=_parse_options(options),
        progress=_progress(),
    )
    _emit(res, as_json)


@gen.command("sample")
@click.argument("run_dir")
@click.option("-n", type=int, default=64)
@click.option("--seed", type=int, default=0)
@click.option("--json", "as_json", is_flag=True)
def gen_sample(run_dir: str, n: int, seed: int, as_json: bool) -> None:
    """Write n samples to RUN_DIR/samples-n<N>-seed<SEED>.npy and .png."""
    from pyworker.gen import service

    _emit(_run(service.gen_sample, run_dir=run_dir, n=n, seed=seed), as_json)


@gen.command("eval")
@click.argument("run_dir")
@click.option("--json", "as_json", is_flag=True)
def gen_eval(run_dir: str, as_json: bool) -> None:
    """Test NLL beside the baseline, or the GAN's sample metrics."""
    from pyworker.gen import service

    _emit(_run(service.gen_eval, run_dir=run_dir), as_json)


@click.group("robust")
def robust() -> None:
    """Adversarial examples (FGSM, PGD) and adversarial training."""


@robust.command("train")
@click.option("--data", default=None, help=f"labelled data (default {_RT['data']})")
@click.option(
    "--attack",
    type=click.Choice(list(catalog.TRAIN_ATTACKS)),
    default=None,
    help=f"default {_RT['attack']}",
)
@click.option("--eps", type=float, default=None, help=f"default {_RT['eps']}")
@click.option(
    "--steps", type=int, default=None, help=f"PGD steps while training (default {_RT['steps']})"
)
@click.option("--epochs", type=int, default=None, help=f"default {_RT['epochs']}")
@click.option("--seed", type=int, default=0)
@click.option("--name", default=None)
@click.option("--out", default=None)
@click.option("--json", "as_json", is_flag=True)
def robust_train(
    data: str | None,
    attack: str | None,
    eps: float | None,
    steps: int | None,
    epochs: int | None,
    seed: int,
    name: str | None,
    out: str | None,
    as_json: bool,
) -> None:
    """Train a classifier (adversarially unless --attack none); clean and robust accuracy."""
    from pyworker.gen import service

    res = _run(
        service.robust_train,
        run_dir=out or _default_run_dir(name),
        data=data,
        attack=attack,
        eps=eps,
        steps=steps,
        epochs=epochs,
        seed=seed,
        progress=_progress(),
    )
    _emit(res, as_json)


@robust.command("eval")
@click.argument("run_dir")
@click.option(
    "--attack",
    type=click.Choice(list(catalog.EVAL_ATTACKS)),
    default=None,
    help=f"default {catalog.ROBUST_EVAL['attack']}",
)
@click.option("--eps", type=float, default=None, help="default: the training eps")
@click.option("--steps", type=int, default=None, help=f"default {catalog.ROBUST_EVAL['steps']}")
@click.option("--seed", type=int, default=0)
@click.option("--json", "as_json", is_flag=True)
def robust_eval(
    run_dir: str, attack: str | None, eps: float | None, steps: int | None, seed: int, as_json: bool
) -> None:
    """Clean and robust accuracy of a trained classifier."""
    from pyworker.gen import service

    _emit(
        _run(service.robust_eval, run_dir=run_dir, attack=attack, eps=eps, steps=steps, seed=seed),
        as_json,
    )
