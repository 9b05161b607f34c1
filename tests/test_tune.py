"""The worker's study keeper (pyworker/tune.py) on its own: exact totals under
concurrent processes (journal file and PostgreSQL), stale trials, pruning,
summaries and plots."""

from __future__ import annotations

import multiprocessing as mp
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from pgserver import postgres_url  # noqa: F401 (a fixture)

from pyworker import tune
from pyworker.registry import CallContext

SPACE = [
    {"name": "learning_rate", "type": "float", "low": 1e-5, "high": 1.0, "log": True},
    {"name": "batch_size", "type": "categorical", "choices": [16, 32, 64]},
    {"name": "n", "type": "int", "low": 1, "high": 4},
]


def ctx() -> CallContext:
    return CallContext(0, lambda *_: None)


def open_study(storage: str, name: str = "s", **kw) -> int:
    return tune.open_study(ctx(), storage=storage, study=name, **kw)["study"]


def owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _ask_loop(storage: str, name: str, total: int, out: mp.Queue, start: Any) -> None:
    h = open_study(storage, name, seed=os.getpid())
    start.wait()  # all open, then all ask: a process that imports optuna first would take every trial
    mine = []
    while True:
        a = tune.ask(ctx(), study=h, total=total, space=SPACE, owner=owner())
        if a["full"]:
            break
        mine.append(a["number"])
        time.sleep(0.02)  # the trial's work: the others ask meanwhile
        tune.tell(ctx(), study=h, number=a["number"], state="complete", value=float(a["number"]))
    tune.close(ctx(), study=h)
    out.put(mine)


def _race(storage: str, name: str, total: int, procs: int) -> list[list[int]]:
    mpc = mp.get_context("spawn")
    q = mpc.Queue()
    start = mpc.Barrier(procs)
    ps = [
        mpc.Process(target=_ask_loop, args=(storage, name, total, q, start)) for _ in range(procs)
    ]
    for p in ps:
        p.start()
    got = [q.get(timeout=300) for _ in ps]
    for p in ps:
        p.join(60)
        assert p.exitcode == 0
    return got


def _check_exact(storage: str, name: str, total: int, got: list[list[int]]) -> None:
    numbers = sorted(n for mine in got for n in mine)
    assert numbers == list(range(total)), "each trial once, exactly the total"
    h = open_study(storage, name)
    s = tune.summary(ctx(), study=h)
    assert len(s["trials"]) == total
    assert {t["state"] for t in s["trials"]} == {"complete"}
    assert s["best"] == total - 1


def test_exact_total_with_concurrent_processes_journal(tmp_path):
    storage = str(tmp_path / "study.journal")
    got = _race(storage, "race", 12, 4)
    _check_exact(storage, "race", 12, got)
    assert sum(1 for mine in got if mine) >= 2, "the processes shared the work"


def test_exact_total_with_concurrent_processes_postgres(postgres_url):  # noqa: F811
    got = _race(postgres_url, "race-pg", 8, 3)
    _check_exact(postgres_url, "race-pg", 8, got)


def test_ask_suggests_within_the_space(tmp_path):
    h = open_study(str(tmp_path / "j"))
    for _ in range(5):
        a = tune.ask(ctx(), study=h, total=5, space=SPACE, owner=owner())
        p = a["params"]
        assert 1e-5 <= p["learning_rate"] <= 1 and p["batch_size"] in (16, 32, 64)
        assert isinstance(p["n"], int) and 1 <= p["n"] <= 4
        tune.tell(ctx(), study=h, number=a["number"], state="fail")
    assert tune.ask(ctx(), study=h, total=5, space=SPACE, owner=owner())["full"]


def test_enqueued_trials_run_first_and_count_once(tmp_path):
    """Trials enqueued with Optuna are asked first, with their parameters, and count toward
    the total only once asked (bench/tune_points.py gives two tools the same points)."""
    import optuna
    from optuna.storages.journal import JournalFileBackend

    storage = str(tmp_path / "study.journal")
    fixed = [
        {"learning_rate": 0.01, "batch_size": 32, "n": 2},
        {"learning_rate": 0.5, "batch_size": 64, "n": 4},
    ]
    st = optuna.storages.JournalStorage(JournalFileBackend(storage))
    pre = optuna.create_study(study_name="s", storage=st, direction="maximize")
    for p in fixed:
        pre.enqueue_trial(p)
    h = open_study(storage)
    asked = []
    for _ in range(3):
        a = tune.ask(ctx(), study=h, total=3, space=SPACE, owner=owner())
        assert not a["full"]
        asked.append(a["params"])
        tune.tell(ctx(), study=h, number=a["number"], state="complete", value=1.0)
    assert asked[:2] == fixed
    assert tune.ask(ctx(), study=h, total=3, space=SPACE, owner=owner())["full"]


def test_bad_space_fails_the_trial(tmp_path):
    h = open_study(str(tmp_path / "j"))
    with pytest.raises(ValueError, match="low <= high"):
        tune.ask(
            ctx(),
            study=h,
            total=3,
            space=[{"name": "x", "type": "float", "low": 2, "high": 1}],
            owner=owner(),
        )
    s = tune.summary(ctx(), study=h)
    assert [t["state"] for t in s["trials"]] == ["fail"]


def test_median_pruner_stops_a_trial_behind_the_median(tmp_path):
    h = open_study(str(tmp_path / "j"), prune_startup_trials=3)
    for v in (100.0, 110.0, 120.0):
        a = tune.ask(ctx(), study=h, total=10, space=SPACE, owner=owner())
        for step in (1000, 2000):
            assert not tune.report(ctx(), study=h, number=a["number"], step=step, value=v)["prune"]
        tune.tell(ctx(), study=h, number=a["number"], state="complete", value=v)
    good = tune.ask(ctx(), study=h, total=10, space=SPACE, owner=owner())
    assert not tune.report(ctx(), study=h, number=good["number"], step=1000, value=150.0)["prune"]
    bad = tune.ask(ctx(), study=h, total=10, space=SPACE, owner=owner())
    assert tune.report(ctx(), study=h, number=bad["number"], step=1000, value=5.0)["prune"]
    tune.tell(ctx(), study=h, number=bad["number"], state="pruned")
    rows = {t["number"]: t for t in tune.summary(ctx(), study=h)["trials"]}
    assert rows[bad["number"]]["state"] == "pruned"
    assert rows[good["number"]]["state"] == "running"


def test_stale_trials_of_dead_processes_are_failed(tmp_path):
    storage = str(tmp_path / "j")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    h = open_study(storage)
    a = tune.ask(ctx(), study=h, total=5, space=SPACE, owner=f"{socket.gethostname()}:{dead.pid}")
    tune.close(ctx(), study=h)  # this process "died" with trial a running
    h2 = open_study(storage)
    b = tune.ask(ctx(), study=h2, total=5, space=SPACE, owner=owner())
    assert b["failed_stale"] == [a["number"]]
    rows = {t["number"]: t for t in tune.summary(ctx(), study=h2)["trials"]}
    assert rows[a["number"]]["state"] == "fail"
    assert "is gone" in rows[a["number"]]["attrs"]["xlrl_fail_reason"]
    # A live process's trial on another host is stale only without heartbeats.
    c = tune.ask(ctx(), study=h2, total=5, space=SPACE, owner="elsewhere:1")
    tune.close(ctx(), study=h2)
    h3 = open_study(storage)
    assert (
        tune.ask(ctx(), study=h3, total=5, space=SPACE, owner=owner(), stale_after=60)[
            "failed_stale"
        ]
        == []
    )
    time.sleep(1.2)
    d = tune.ask(ctx(), study=h3, total=5, space=SPACE, owner=owner(), stale_after=1)
    assert c["number"] in d["failed_stale"]


def test_summary_and_plots(tmp_path):
    h = open_study(str(tmp_path / "j"), startup_trials=2)
    for i in range(6):
        a = tune.ask(ctx(), study=h, total=6, space=SPACE, owner=owner())
        tune.report(ctx(), study=h, number=a["number"], step=100, value=float(i))
        tune.tell(
            ctx(),
            study=h,
            number=a["number"],
            state="complete",
            value=float(i),
            attrs={"xlrl_wall_s": 1.5},
        )
    s = tune.summary(ctx(), study=h)
    assert s["best"] == 5 and s["trials"][5]["value"] == 5.0
    assert (
        s["trials"][0]["attrs"]["xlrl_wall_s"] == 1.5
        and "xlrl_heartbeat" not in s["trials"][0]["attrs"]
    )
    assert s["trials"][0]["steps"] == 100
    r = tune.plots(ctx(), study=h, out_dir=str(tmp_path / "plots"))
    assert set(r["drawn"]) == {"history", "importances"}, r["skipped"]
    for p in r["drawn"].values():
        assert Path(p).stat().st_size > 1000


def test_storage_errors(tmp_path):
    with pytest.raises(ValueError, match="postgresql://"):
        open_study("sqlite:///x.db")
    with pytest.raises(ValueError, match="does not exist"):
        open_study(str(tmp_path / "no" / "dir" / "j"))
    with pytest.raises(ValueError, match="cannot connect"):
        open_study("postgresql://nobody@127.0.0.1:1/none")


def test_no_pruner_never_prunes(tmp_path):
    h = open_study(str(tmp_path / "j"), prune_startup_trials=1, pruner="none")
    for v in (100.0, 5.0):
        a = tune.ask(ctx(), study=h, total=5, space=SPACE, owner=owner())
        assert not tune.report(ctx(), study=h, number=a["number"], step=1000, value=v)["prune"]
        tune.tell(ctx(), study=h, number=a["number"], state="complete", value=v)
    with pytest.raises(ValueError, match="want median or none"):
        open_study(str(tmp_path / "k"), pruner="hyperband")
