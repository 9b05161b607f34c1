"""DQN on Gymnasium's CartPole through the worker beside the same run on xlrl's Go CartPole.

Issue 11's goal: ``xlrl train --algo dqn --backend go --env gym:CartPole-v1`` reaches a solved
evaluation (mean >= 475 over the final 100 fresh episodes) within 1.5x the wall time of the same
command on ``--env CartPole-v1`` (the Go environment), with the same seed and the tuned defaults
(no tuning flags). For every seed it runs the two commands alternately (Go, then gym, ``--rounds``
times, so that load that comes and goes hits both alike) and reports each run's wall time from
start to exit (worker start-up and the final evaluation included), its CPU time (the process and
its children: the Python worker), the step it stopped at and its final evaluation; then the ratios
gym / Go of the summed wall and CPU times. ``--json`` ends the output with one JSON object.

    .venv/bin/python bench/gym_vs_go.py [--seeds 1,2,3] [--rounds 1] [--xlrl bin/xlrl] [--json]

It builds ``bin/xlrl`` first unless ``--xlrl`` names a binary. The two environments' trajectories
differ (Gymnasium's resets draw from NumPy, xlrl's from SplitMix64), so the runs stop at different
steps: the ratio is over whole runs as a user sees them, summed over the seeds. Extra environment
variables reach both runs (e.g. ``XLRL_LINK_SPIN_US=100``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GOAL = 1.5


def child_cpu() -> float:
    """CPU seconds (user + system) of the waited-for children so far."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_one(xlrl: str, env_id: str, seed: int, out: Path) -> dict[str, Any]:
    """One ``xlrl train`` run; its figures from the result's JSON and the clock."""
    cmd = [
        xlrl,
        "train",
        "--env",
        env_id,
        "--algo",
        "dqn",
        "--backend",
        "go",
        "--seed",
        str(seed),
        "--json",
        "--plot=false",
        "--out",
        str(out),
    ]
    cpu0, t0 = child_cpu(), time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
    wall, cpu = time.perf_counter() - t0, child_cpu() - cpu0
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    deep = res.get("deep") or {}
    return {
        "env": env_id,
        "seed": seed,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "mean_return": res["mean_return"],
        "std_return": res["std_return"],
        "solved": res["mean_return"] >= 475,
        "train_steps": res["train_steps"],
        "stopped_at": deep.get("stopped_at_step", 0),
        "time": deep.get("time", {}),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="1,2,3", help="comma-separated seeds")
    ap.add_argument("--rounds", type=int, default=1, help="Go/gym pairs per seed")
    ap.add_argument("--xlrl", default="", help="an xlrl binary (default: build bin/xlrl)")
    ap.add_argument(
        "--out", default="", help="folder for the run directories (default: a temporary one)"
    )
    ap.add_argument("--json", action="store_true", help="end with one JSON object")
    args = ap.parse_args()
    xlrl = args.xlrl
    if not xlrl:
        xlrl = str(ROOT / "bin" / "xlrl")
        subprocess.run(["go", "build", "-o", xlrl, "./cmd/xlrl"], cwd=ROOT, check=True)
    out = (
        Path(args.out)
        if args.out
        else Path(os.environ.get("TMPDIR", "/tmp")) / f"xlrl-gym-vs-go-{os.getpid()}"
    )
    runs: list[dict[str, Any]] = []
    seeds = [int(s) for s in args.seeds.split(",") if s]
    for seed in seeds:
        for r in range(args.rounds):
            for env_id in ("CartPole-v1", "gym:CartPole-v1"):
                run = run_one(xlrl, env_id, seed, out / f"{env_id.replace(':', '_')}-s{seed}-r{r}")
                runs.append(run)
                print(
                    f"{env_id:16s} seed {seed}: {run['mean_return']:6.1f} ± {run['std_return']:5.1f} "
                    f"(solved: {run['solved']}), stopped at {run['stopped_at']}, "
                    f"wall {run['wall_s']:.1f}s, cpu {run['cpu_s']:.1f}s",
                    flush=True,
                )
    tot = {
        e: {k: sum(x[k] for x in runs if x["env"] == e) for k in ("wall_s", "cpu_s")}
        for e in ("CartPole-v1", "gym:CartPole-v1")
    }
    ratio = tot["gym:CartPole-v1"]["wall_s"] / tot["CartPole-v1"]["wall_s"]
    cpu_ratio = tot["gym:CartPole-v1"]["cpu_s"] / tot["CartPole-v1"]["cpu_s"]
    print(
        f"total wall: Go {tot['CartPole-v1']['wall_s']:.1f}s, gym {tot['gym:CartPole-v1']['wall_s']:.1f}s, "
        f"ratio {ratio:.2f} (goal <= {GOAL}); cpu ratio {cpu_ratio:.2f}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    if args.json:
        print(
            json.dumps(
                {
                    "runs": runs,
                    "totals": tot,
                    "wall_ratio": round(ratio, 3),
                    "cpu_ratio": round(cpu_ratio, 3),
                    "goal": GOAL,
                    "all_solved": all(x["solved"] for x in runs),
                    "load_average": os.getloadavg()[0],
                    "link_spin_us": os.environ.get("XLRL_LINK_SPIN_US", ""),
                }
            )
        )


if __name__ == "__main__":
    main()
