"""Two `xlrl tune` processes on one PostgreSQL study against one process:
wall time for the same number of trials (the goal: about half).

Starts a throwaway PostgreSQL (tests/pgserver.py), then runs the study once
with one process and once with two processes started together, each on a
fresh study; trials have a near-constant cost (a tiny network, a fixed
training schedule, no pruning) so that the two runs do the same work.

Besides wall time it reports the CPU time (user + system) of the xlrl
processes of each run (their trials and workers; not the PostgreSQL
server's): on a machine that other jobs share, two processes cannot halve
the wall time, but their CPU time says whether the work itself grew (a
lock, repeated storage calls) or just waited for a core. Each process has
a fixed cost (its worker's start, Optuna's import, the plots at the end)
that runs in parallel but does not shrink: trials of a few seconds
(--budget-steps 30000) keep it small against the trials.

Every periodic evaluation is a report to the study, a PostgreSQL write of a
few milliseconds: CartPole's evaluation every 1,024 steps makes ~290 per
trial of 300k steps, which `--evaluations 20` (rl-zoo's --n-evaluations)
brings to 20.

    python bench/tune_pg_scaling.py [--trials 8] [--budget-steps 30000] [--evaluations N] [--xlrl bin/xlrl] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from pgserver import running_postgres  # noqa: E402

SPACE = """\
net_arch: tiny
train_freq: 16
subsample_steps: 1
learning_starts: 0
buffer_size: 10000
batch_size: 64
target_update_interval: 1000
"""


def child_cpu() -> float:
    """User + system seconds of the children waited for so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def tune(
    xlrl: str,
    url: str,
    study: str,
    out: Path,
    trials: int,
    budget: int,
    procs: int,
    evaluations: int,
) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and the sum of the trials' own wall seconds."""
    space = out / "space.yaml"
    space.write_text(SPACE)
    args = [
        xlrl, "tune", "--env", "CartPole-v1", "--algo", "dqn", "--backend", "go", "--trials", str(trials),
        "--budget-steps", str(budget), "--eval-episodes", "10", "--pruner", "none", "--space", str(space),
        "--hp", "stop_at=null", "--study", study, "--storage", url, "--dir", str(out / study), "--json",
        "--evaluations", str(evaluations),
    ]  # fmt: skip
    env = dict(os.environ, XLRL_PYTHON=os.environ.get("XLRL_PYTHON", sys.executable))
    t0, c0 = time.monotonic(), child_cpu()
    ps = [
        subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(procs)
    ]
    here, trial_s = 0, 0.0
    for p in ps:
        out_s, err = p.communicate()
        if p.returncode != 0:
            raise SystemExit(f"xlrl tune failed:\n{err}")
        r = json.loads(out_s.strip().splitlines()[-1])
        here += r["here"]["trials_run_here"]
        trial_s = sum(t.get("wall_s") or 0.0 for t in r["table"])
        if r["trials"] != trials:
            raise SystemExit(f"study {study} holds {r['trials']} trials, want {trials}")
    if here != trials:
        raise SystemExit(f"{here} trials run, want {trials}: a trial ran twice or not at all")
    return time.monotonic() - t0, child_cpu() - c0, trial_s


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=8)
    ap.add_argument("--budget-steps", type=int, default=30000)
    ap.add_argument(
        "--evaluations",
        type=int,
        default=0,
        help="xlrl tune --evaluations: periodic evaluations per trial (0: CartPole's every 1,024 steps)",
    )
    ap.add_argument("--xlrl", default="bin/xlrl")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    with running_postgres() as url, tempfile.TemporaryDirectory() as d:
        one, cpu1, tr1 = tune(
            a.xlrl, url, "one", Path(d), a.trials, a.budget_steps, 1, a.evaluations
        )
        two, cpu2, tr2 = tune(
            a.xlrl, url, "two", Path(d), a.trials, a.budget_steps, 2, a.evaluations
        )
    res = {"trials": a.trials, "budget_steps": a.budget_steps, "evaluations": a.evaluations, "one_process_s": one, "two_processes_s": two,
           "ratio": two / one, "one_process_cpu_s": cpu1, "two_processes_cpu_s": cpu2,
           "cpu_ratio": cpu2 / cpu1, "one_process_cores_used": cpu1 / one,
           "one_process_trials_wall_s": tr1, "two_processes_trials_wall_s": tr2,
           "cores": os.cpu_count(), "load1": os.getloadavg()[0]}  # fmt: skip
    print(f"{a.trials} trials of {a.budget_steps} steps: one process {one:.1f} s, two processes {two:.1f} s "
          f"({two / one:.2f} of the time; {os.cpu_count()} cores, load {res['load1']:.1f})")  # fmt: skip
    print(f"CPU time: one process {cpu1:.1f} s ({cpu1 / one:.2f} cores while it ran), "
          f"two processes {cpu2:.1f} s ({cpu2 / cpu1:.2f} of one's); the trials' own wall time "
          f"{tr1:.1f} s and {tr2:.1f} s")  # fmt: skip
    if a.json:
        print(json.dumps(res))


if __name__ == "__main__":
    main()
