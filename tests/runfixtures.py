"""Synthetic run directories for the plot and TensorBoard tests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from pyworker.plots import Names

#: The names make_run writes, as the Go host sends them in plot.runs
#: requests (internal/metric.Plot).
NAMES = Names(
    episode_kind="episode",
    update_kind="update",
    eval_kind="eval",
    episode_return="return",
    eval_mean="eval_mean",
    eval_std="eval_std",
    mean_q="mean_q",
    max_q="max_q",
    loss="loss",
)


def make_run(
    root: Path,
    name: str,
    *,
    seed: int = 0,
    episodes: int = 60,
    updates: bool = True,
    lr: float = 0.001,
    torn: bool = False,
    evals: list[tuple[int, float, float]] | None = None,
    result: dict | None = None,
    extra_config: str = "",
) -> Path:
    """Write runs/<name>/ with a config.yaml and a metrics.jsonl whose returns
    rise with the step, as a learning agent's would. ``evals`` adds periodic
    evaluation records (step, eval_mean, eval_std), ``result`` a result.json,
    ``extra_config`` lines of config.yaml."""
    rng = np.random.default_rng(seed)
    d = root / name
    d.mkdir(parents=True)
    (d / "config.yaml").write_text(
        f"algo: dqn\nenv: CartPole-v1\nseed: {seed}\nlr: {lr}\nname: {name}\n" + extra_config
    )
    lines, step = [], 0
    for ep in range(1, episodes + 1):
        length = int(10 + 4 * ep + rng.integers(0, 10))
        for _ in range(0, length, 16):
            step += 16
            if updates:
                loss = float(1.0 / (1 + step / 500) + rng.random() * 0.05)
                q = float(step / 200 + rng.random())
                lines.append(
                    {
                        "kind": "update",
                        "step": step,
                        "loss": loss,
                        "mean_q": q,
                        "max_q": q + 1,
                        "epsilon": max(0.05, 1 - step / 2000),
                    }
                )
        lines.append(
            {
                "kind": "episode",
                "step": step,
                "episode": ep,
                "return": float(length),
                "length": length,
            }
        )
    for st, mean, std in evals or []:
        lines.append({"kind": "eval", "step": st, "eval_mean": mean, "eval_std": std})
    lines.sort(key=lambda r: r["step"])
    if result is not None:
        (d / "result.json").write_text(json.dumps(result))
    body = "".join(json.dumps(r) + "\n" for r in lines)
    if torn:
        body += '{"kind": "episode", "st'
    (d / "metrics.jsonl").write_text(body)
    return d
