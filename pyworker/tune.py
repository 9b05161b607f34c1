"""Optuna studies for ``xlrl tune``: the worker keeps the study, the Go host the loop.

The host opens a study (``tune.open``), then for each trial asks for
parameters (``tune.ask``), runs an ordinary ``xlrl train`` with them, reports
its periodic evaluations (``tune.report``, which answers whether the median
pruner stops the trial) and tells the outcome (``tune.tell``).

Storage is Optuna's JournalStorage on a file (the default, nothing to start)
or its RDBStorage on PostgreSQL (one study shared by several machines).
``--trials N`` is the study's total, exact under concurrency: the count of
trials and the ``ask`` that adds one happen under one lock shared by every
process of the study (an ``flock`` beside the journal file, a PostgreSQL
advisory lock for RDB storage). A count-then-ask without it overshoots (two
processes both see N-1 and both ask).

A trial left RUNNING by a process that died (same host, process gone) or
whose heartbeat is older than ``stale_after`` seconds is marked FAIL the
next time any process asks, so a killed ``xlrl tune`` started again goes on
with the same study.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import math
import os
import socket
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from pyworker.errors import ArgumentError
from pyworker.registry import CallContext, method

OWNER = "xlrl_owner"  # "host:pid" of the xlrl tune process that runs the trial
HEARTBEAT = "xlrl_heartbeat"  # Unix time of its last sign of life

_STATES = ("complete", "pruned", "fail")


@dataclass
class _Open:
    study: Any  # optuna.Study
    storage: str
    lock: Callable[[], contextlib.AbstractContextManager[None]]
    close: Callable[[], None]
    trials: dict[int, Any] = field(default_factory=dict)  # number -> optuna.Trial asked here


_studies: dict[int, _Open] = {}
_next_id = 1


def _optuna() -> Any:
    try:
        import optuna
    except ImportError:
        raise ArgumentError(
            "xlrl tune needs Optuna in the worker's Python: pip install 'optuna>=4' "
            "(or pip install -e '.[tune]')"
        ) from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def is_postgres(storage: str) -> bool:
    """Whether ``storage`` names a PostgreSQL database rather than a journal file."""
    return storage.startswith(("postgresql://", "postgres://", "postgresql+psycopg://"))


def _pg_urls(storage: str) -> tuple[str, str]:
    """The SQLAlchemy URL (psycopg 3 driver) and the libpq URI of a PostgreSQL storage."""
    rest = storage.split("://", 1)[1]
    return "postgresql+psycopg://" + rest, "postgresql://" + rest


def _lock_key(study_name: str) -> int:
    """A signed 64-bit advisory lock key for the study."""
    h = hashlib.sha256(b"xlrl-tune:" + study_name.encode()).digest()
    return int.from_bytes(h[:8], "big", signed=True)


def _file_lock(path: Path) -> Callable[[], contextlib.AbstractContextManager[None]]:
    @contextlib.contextmanager
    def hold() -> Iterator[None]:
        with open(path, "a+") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    return hold


def _pg_lock(conn: Any, key: int) -> Callable[[], contextlib.AbstractContextManager[None]]:
    @contextlib.contextmanager
    def hold() -> Iterator[None]:
        conn.execute("SELECT pg_advisory_lock(%s)", (key,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (key,))

    return hold


def _storage(storage: str, study_name: str) -> tuple[Any, Callable[[], Any], Callable[[], None]]:
    optuna = _optuna()
    if is_postgres(storage):
        try:
            import psycopg
        except ImportError:
            raise ArgumentError(
                "a postgresql:// storage needs psycopg 3 in the worker's Python: "
                "pip install 'psycopg[binary]' (or pip install -e '.[postgres]')"
            ) from None
        sa_url, pq_url = _pg_urls(storage)
        try:
            conn = psycopg.connect(pq_url, autocommit=True)
        except psycopg.Error as e:
            raise ArgumentError(f"cannot connect to {storage}: {str(e).strip()}") from None
        lock = _pg_lock(conn, _lock_key(study_name))
        # Table creation races when two processes start at once: hold the lock.
        with lock():
            st = optuna.storages.RDBStorage(sa_url, engine_kwargs={"pool_pre_ping": True})
        return st, lock, conn.close
    if "://" in storage:
        raise ArgumentError(
            f"storage {storage!r}: want postgresql://USER@HOST/DB or the path of a journal "
            "file (SQLite misbehaves with parallel writers, optuna #4002)"
        )
    path = Path(storage)
    if not path.parent.is_dir():
        raise ArgumentError(f"storage {storage}: the directory {path.parent} does not exist")
    from optuna.storages.journal import JournalFileBackend

    st = optuna.storages.JournalStorage(JournalFileBackend(str(path)))
    return st, _file_lock(path.with_name(path.name + ".xlrl-lock")), lambda: None


@method("tune.open")
def open_study(
    ctx: CallContext,
    *,
    storage: str,
    study: str,
    seed: int = 0,
    startup_trials: int = 10,
    prune_startup_trials: int = 5,
    warmup_steps: int = 0,
    pruner: str = "median",
) -> dict:
    """Create or load study ``study`` in ``storage``; return a handle and its trial count.

    The sampler is TPE (multivariate, ``startup_trials`` random trials first,
    seeded with ``seed``), the pruner the median rule (after
    ``prune_startup_trials`` finished trials, not before step ``warmup_steps``)
    or, with ``pruner="none"``, no pruning.
    """
    global _next_id
    optuna = _optuna()
    if not study or len(study) > 200:
        raise ArgumentError(f"study name {study!r}: want 1 to 200 characters")
    st, lock, close = _storage(storage, study)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        sampler = optuna.samplers.TPESampler(
            n_startup_trials=startup_trials, seed=seed, multivariate=True
        )
    if pruner == "median":
        chosen: Any = optuna.pruners.MedianPruner(
            n_startup_trials=prune_startup_trials, n_warmup_steps=warmup_steps
        )
    elif pruner == "none":
        chosen = optuna.pruners.NopPruner()
    else:
        raise ArgumentError(f"pruner {pruner!r}: want median or none")
    with lock():
        s = optuna.create_study(
            study_name=study,
            storage=st,
            sampler=sampler,
            pruner=chosen,
            direction="maximize",
            load_if_exists=True,
        )
    handle = _next_id
    _next_id += 1
    _studies[handle] = _Open(study=s, storage=storage, lock=lock, close=close)
    return {"study": handle, "trials": _started(s)}


def _get(handle: int) -> _Open:
    try:
        return _studies[handle]
    except KeyError:
        raise ArgumentError(f"no open study {handle}: call tune.open first") from None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stale(t: Any, now: float, stale_after: float, host: str) -> str | None:
    """Why the RUNNING trial ``t`` has no live process behind it, or None."""
    owner = t.user_attrs.get(OWNER, "")
    h, _, pid = owner.rpartition(":")
    if h == host and pid.isdigit() and not _alive(int(pid)):
        return f"its process {owner} is gone"
    beat = t.user_attrs.get(HEARTBEAT)
    if beat is None and t.datetime_start is not None:
        beat = t.datetime_start.timestamp()
    if beat is not None and now - float(beat) > stale_after:
        return f"no heartbeat from {owner or 'its process'} for {now - float(beat):.0f} s"
    return None


def _fail_stale(s: _Open, stale_after: float) -> list[int]:
    optuna = _optuna()
    host, now, failed = socket.gethostname(), time.time(), []
    running = s.study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
    for t in running:
        if t.number in s.trials:
            continue  # ours, alive
        why = stale(t, now, stale_after, host)
        if why is None:
            continue
        s.study._storage.set_trial_user_attr(t._trial_id, "xlrl_fail_reason", f"stale: {why}")
        s.study.tell(t.number, state=optuna.trial.TrialState.FAIL, skip_if_finished=True)
        failed.append(t.number)
    return failed


def _suggest(trial: Any, p: dict[str, Any]) -> Any:
    name, kind = p.get("name"), p.get("type")
    if not isinstance(name, str) or not name:
        raise ArgumentError(f"search space entry {p!r}: needs a name")
    if kind == "categorical":
        choices = p.get("choices")
        if not isinstance(choices, list) or not choices:
            raise ArgumentError(f"{name}: a categorical parameter needs a list of choices")
        return trial.suggest_categorical(name, choices)
    if kind in ("float", "int"):
        low, high, log = p.get("low"), p.get("high"), bool(p.get("log", False))
        if not isinstance(low, int | float) or not isinstance(high, int | float) or low > high:
            raise ArgumentError(f"{name}: want low <= high, got {low!r} and {high!r}")
        if kind == "float":
            return trial.suggest_float(name, float(low), float(high), log=log)
        return trial.suggest_int(name, int(low), int(high), log=log)
    raise ArgumentError(f"{name}: parameter type {kind!r}: want categorical, float or int")


@method("tune.ask")
def ask(
    ctx: CallContext,
    *,
    study: int,
    total: int,
    space: list[dict[str, Any]],
    owner: str,
    stale_after: float = 300.0,
) -> dict:
    """Start a new trial unless the study already holds ``total``; return its parameters.

    The answer is ``{"full": true, "trials": n, ...}`` when the study is full,
    else ``{"number": k, "params": {...}, ...}``; ``failed_stale`` lists the
    trials found without a live process and marked FAIL.
    """
    s = _get(study)
    if total <= 0:
        raise ArgumentError(f"total {total}: want a positive number of trials")
    with s.lock():
        failed = _fail_stale(s, stale_after)
        n = _started(s.study)
        if n >= total:
            return {"full": True, "trials": n, "failed_stale": failed}
        trial = s.study.ask()  # an enqueued (WAITING) trial first, with its fixed parameters
        trial.set_user_attr(OWNER, owner)
        trial.set_user_attr(HEARTBEAT, time.time())
    s.trials[trial.number] = trial
    try:
        params = {p.get("name"): _suggest(trial, p) for p in space}
    except Exception:
        _tell(s, trial.number, "fail", None, {"xlrl_fail_reason": "bad search space"})
        raise
    return {"full": False, "number": trial.number, "params": params, "failed_stale": failed}


def _started(study: Any) -> int:
    """The study's trials that were asked: trials enqueued with Optuna's
    ``study.enqueue_trial`` wait to be asked and are not yet part of the total."""
    waiting = _optuna().trial.TrialState.WAITING
    return sum(1 for t in study.get_trials(deepcopy=False) if t.state != waiting)


def _trial(s: _Open, number: int) -> Any:
    try:
        return s.trials[number]
    except KeyError:
        raise ArgumentError(
            f"trial {number} was not asked by this worker (or is finished)"
        ) from None


@method("tune.report")
def report(ctx: CallContext, *, study: int, number: int, step: int, value: float) -> dict:
    """Record an intermediate value (a periodic evaluation); answer whether to prune.

    Liveness is the host's ``tune.heartbeat`` ticker's job, not this call's: a heartbeat
    written with every report doubled the cost of reporting (each is a storage write,
    milliseconds on PostgreSQL) for trials that evaluate often.
    """
    s = _get(study)
    t = _trial(s, number)
    if math.isfinite(value):
        t.report(float(value), int(step))
    return {"prune": bool(t.should_prune())}


@method("tune.heartbeat")
def heartbeat(ctx: CallContext, *, study: int, numbers: list[int]) -> None:
    """Say that the trials ``numbers`` are still running."""
    s = _get(study)
    now = time.time()
    for n in numbers:
        _trial(s, n).set_user_attr(HEARTBEAT, now)


def _tell(s: _Open, number: int, state: str, value: float | None, attrs: dict[str, Any]) -> str:
    optuna = _optuna()
    t = _trial(s, number)
    for k, v in attrs.items():
        t.set_user_attr(k, v)
    states = optuna.trial.TrialState
    if state == "complete" and (value is None or not math.isfinite(value)):
        state, attrs = "fail", {**attrs, "xlrl_fail_reason": "no finite value"}
        t.set_user_attr("xlrl_fail_reason", "no finite value")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if state == "complete":
            assert value is not None  # a finite value, checked above
            s.study.tell(number, float(value), skip_if_finished=True)
        elif state == "pruned":
            s.study.tell(number, state=states.PRUNED, skip_if_finished=True)
        else:
            s.study.tell(number, state=states.FAIL, skip_if_finished=True)
    del s.trials[number]
    return state


@method("tune.tell")
def tell(
    ctx: CallContext,
    *,
    study: int,
    number: int,
    state: str,
    value: float | None = None,
    attrs: dict[str, Any] | None = None,
) -> dict:
    """Finish trial ``number`` as complete (with ``value``), pruned or fail."""
    if state not in _STATES:
        raise ArgumentError(f"state {state!r}: want one of {', '.join(_STATES)}")
    s = _get(study)
    return {"state": _tell(s, number, state, value, attrs or {})}


def _trial_row(t: Any) -> dict[str, Any]:
    start = t.datetime_start.timestamp() if t.datetime_start else None
    end = t.datetime_complete.timestamp() if t.datetime_complete else None
    return {
        "number": t.number,
        "state": t.state.name.lower(),
        "value": t.value if t.value is not None and math.isfinite(t.value) else None,
        "params": dict(t.params),
        "attrs": {k: v for k, v in t.user_attrs.items() if k != HEARTBEAT},
        "start": start,
        "end": end,
        "steps": max(t.intermediate_values) if t.intermediate_values else None,
    }


@method("tune.summary")
def summary(ctx: CallContext, *, study: int) -> dict:
    """Every trial of the study (all processes') and the best complete one."""
    s = _get(study)
    trials = [_trial_row(t) for t in s.study.get_trials(deepcopy=False)]
    best = None
    done = [t for t in trials if t["state"] == "complete" and t["value"] is not None]
    if done:
        best = max(done, key=lambda t: (t["value"], -t["number"]))["number"]
    return {"name": s.study.study_name, "trials": trials, "best": best}


@method("tune.plots")
def plots(ctx: CallContext, *, study: int, out_dir: str) -> dict:
    """Draw the optimisation history and the parameter importances into ``out_dir``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    optuna = _optuna()
    from optuna.visualization import matplotlib as ovm

    s = _get(study)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    drawn: dict[str, str] = {}
    skipped: dict[str, str] = {}
    for name, draw in (
        ("history", ovm.plot_optimization_history),
        ("importances", ovm.plot_param_importances),
    ):
        path = out / f"{name}.png"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                ax = draw(s.study)
            fig: Any = ax.figure if hasattr(ax, "figure") else cast(Any, ax)[0].figure
            fig.set_size_inches(8, 5)
            fig.tight_layout()
            fig.savefig(path, dpi=100)
            plt.close(fig)
            drawn[name] = str(path)
        except (ValueError, RuntimeError, ZeroDivisionError) as e:
            skipped[name] = str(e) or type(e).__name__
            plt.close("all")
    return {"drawn": drawn, "skipped": skipped}


@method("tune.close")
def close(ctx: CallContext, *, study: int) -> None:
    """Forget the study (trials asked here and not told stay RUNNING until found stale)."""
    s = _studies.pop(study, None)
    if s is not None:
        s.close()
