"""The same trials for xlrl tune and rl-zoo's --optimize: K points drawn once
from rl_zoo3 2.9.2's DQN search space (sample_dqn_params), enqueued into a
fresh Optuna journal study for each tool under the parameter names it asks
for, so that both train exactly the same configurations and the trials per
hour compare like for like (each tool's own sampler would draw different
points, and a trial's cost depends on its point far more than on the tool:
batch 2,048 with a gradient step every step against batch 4 every 10 steps).

    python bench/tune_points.py --trials K --seed S --xlrl FILE --zoo FILE --study NAME [--json]

Run it once per interpreter (each writes its own journal with its own Optuna):
--xlrl with xlrl's .venv, --zoo with rl-zoo's. bench/tune_vs_zoo.sh does both.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

NET_ARCHS = ["small", "medium", "big"]


def draw(k: int, seed: int) -> list[dict[str, Any]]:
    """K points of rl-zoo 2.9.2's sample_dqn_params, with rl-zoo's names."""
    rng = np.random.default_rng(seed)

    def log_uniform(lo: float, hi: float) -> float:
        return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))

    points = []
    for _ in range(k):
        train_freq = int(rng.integers(1, 11))
        points.append(
            {
                "one_minus_gamma": log_uniform(1e-4, 0.03),
                "batch_size_pow": int(rng.integers(2, 12)),
                "learning_rate": log_uniform(1e-5, 0.002),
                "train_freq": train_freq,
                "subsample_steps": int(rng.integers(1, min(train_freq, 8) + 1)),
                "exploration_final_eps": float(rng.uniform(0, 0.2)),
                "exploration_fraction": float(rng.uniform(0, 0.5)),
                # suggest_int(..., log=True) draws log-uniformly over [1, 20000]
                "target_update_interval": int(round(log_uniform(1, 20000))),
                "net_arch": NET_ARCHS[int(rng.integers(0, 3))],
            }
        )
    return points


def for_xlrl(p: dict[str, Any]) -> dict[str, Any]:
    """A point under bench/tune_zoo_dqn_space.yaml's names (batch_size, not its power)."""
    q = {k: v for k, v in p.items() if k != "batch_size_pow"}
    q["batch_size"] = 2 ** p["batch_size_pow"]
    return q


def enqueue(path: Path, study: str, points: list[dict[str, Any]]) -> None:
    import optuna
    from optuna.storages.journal import JournalFileBackend

    if path.exists():
        raise SystemExit(f"{path} exists: the study must start empty")
    storage = optuna.storages.JournalStorage(JournalFileBackend(str(path)))
    s = optuna.create_study(study_name=study, storage=storage, direction="maximize")
    for p in points:
        s.enqueue_trial(p)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--trials", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--study", default="vs-zoo")
    ap.add_argument("--xlrl", type=Path, help="journal file to create for xlrl tune")
    ap.add_argument(
        "--zoo", type=Path, help="journal file to create for rl-zoo (its --storage, ending in .log)"
    )
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    points = draw(a.trials, a.seed)
    if a.xlrl:
        enqueue(a.xlrl, a.study, [for_xlrl(p) for p in points])
    if a.zoo:
        enqueue(a.zoo, a.study, points)
    if a.json:
        print(json.dumps({"points": points}))


if __name__ == "__main__":
    main()
