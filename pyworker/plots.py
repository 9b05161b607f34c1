"""Training plots drawn from run directories (matplotlib, Agg backend).

``plot.runs`` reads each run's ``metrics.jsonl`` and draws, one panel each,
the episode returns (with a moving average and the solved threshold), the
Q-values progression (mean and max Q) and the loss trajectory, the last two
being the panels of the original notebook this project grew from. Panels with
no data (a tabular agent has no loss) are left out.

Runs whose configurations differ only in seed, name or output folder are one
group: it is drawn as the mean over its runs with a shaded band of one
standard deviation, on the step range all of them reached.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pyworker import paths
from pyworker.metrics import Metrics, RunError, Series, read_config, read_metrics
from pyworker.registry import CallContext, method

# Keys that tell runs of one configuration apart without changing it.
_NOT_CONFIG = {"seed", "name", "out", "resume", "config"}
_GRID_POINTS = 300
_RAW_MAX = 1000


@dataclass
class Group:
    label: str
    runs: list[Metrics]


def moving_average(values: np.ndarray, window: int) -> np.ndarray:
    """Mean of the last ``window`` values at each point (fewer at the start);
    NaN values are skipped."""
    if len(values) == 0:
        return values
    ok = np.isfinite(values)
    sums = np.cumsum(np.where(ok, values, 0.0))
    counts = np.cumsum(ok)
    lag_sums = np.concatenate([np.zeros(window), sums])[: len(values)]
    lag_counts = np.concatenate([np.zeros(window), counts])[: len(values)]
    n = counts - lag_counts
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, (sums - lag_sums) / np.maximum(n, 1), np.nan)


def group_runs(run_dirs: list[str]) -> list[Group]:
    """Group runs by configuration (ignoring seed, name and output folder)."""
    by_key: dict[str, tuple[dict, list[tuple[str, Metrics]]]] = {}
    for d in run_dirs:
        cfg = {k: v for k, v in read_config(d).items() if k not in _NOT_CONFIG}
        key = json.dumps(cfg, sort_keys=True, default=str)
        by_key.setdefault(key, (cfg, []))[1].append((d, read_metrics(d)))
    configs = [cfg for cfg, _ in by_key.values()]
    differing = sorted(
        {k for c in configs for k in c if any(o.get(k) != c.get(k) for o in configs)}
    )
    groups = []
    for cfg, members in by_key.values():
        if differing:
            label = ", ".join(f"{k}={cfg.get(k)}" for k in differing)
        elif len(by_key) == 1 and len(members) > 1:
            label = f"{len(members)} runs"
        else:
            label = os.path.basename(os.path.normpath(members[0][0]))
        if len(members) > 1:
            label += f" (mean ± std of {len(members)})"
        groups.append(Group(label, [m for _, m in members]))
    return groups


def _smooth(s: Series, window: int) -> Series:
    return Series(s.steps, moving_average(s.values, window))


def _draw_group(ax, series: list[Series], label: str, color, *, raw: Series | None = None) -> bool:
    """Draw one group's line (and band); False when it has no data."""
    series = [s for s in series if len(s.steps) > 0]
    if not series:
        return False
    if len(series) == 1:
        s = series[0]
        if raw is not None:
            ax.plot(
                raw.steps,
                raw.values,
                color=color,
                alpha=0.3,
                linewidth=0.8,
                label="return of each episode",
            )
        ax.plot(s.steps, s.values, color=color, label=label, linewidth=1.6)
        return True
    lo = max(s.steps[0] for s in series)
    hi = min(s.steps[-1] for s in series)
    if hi <= lo:  # no common range: draw each run
        for s in series:
            ax.plot(s.steps, s.values, color=color, linewidth=1.0)
        ax.plot([], [], color=color, label=label)
        return True
    grid = np.linspace(lo, hi, _GRID_POINTS)
    ys = np.stack([np.interp(grid, s.steps, s.values) for s in series])
    mean, std = np.nanmean(ys, axis=0), np.nanstd(ys, axis=0)
    ax.plot(grid, mean, color=color, label=label, linewidth=1.6)
    ax.fill_between(grid, mean - std, mean + std, color=color, alpha=0.2, linewidth=0)
    return True


def plot_runs(
    run_dirs: list[str],
    out: str,
    *,
    threshold: float | None = None,
    title: str | None = None,
    window: int = 100,
) -> dict:
    """Draw the runs' panels into the PNG ``out``; returns what was drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not run_dirs:
        raise RunError("no run directories given")
    groups = group_runs(run_dirs)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]

    panels = []
    specs = [
        ("Episode return", "episode", ["return"]),
        ("Q-values progression", "update", ["mean_q", "max_q"]),
        ("Loss trajectory", "update", ["loss"]),
    ]
    for name, kind, keys in specs:
        if any(len(m.series(kind, k).steps) for g in groups for m in g.runs for k in keys):
            panels.append((name, kind, keys))
    if not panels:
        paths = ", ".join(str(m.path) for g in groups for m in g.runs)
        raise RunError(f"nothing to plot: no episode or update records in {paths}")

    fig, axes = plt.subplots(
        len(panels), 1, figsize=(9, 3.2 * len(panels)), sharex=True, squeeze=False
    )
    single = len(groups) == 1 and len(groups[0].runs) == 1
    for ax, (name, kind, keys) in zip(axes[:, 0], panels, strict=True):
        for gi, g in enumerate(groups):
            color = colors[gi % len(colors)]
            for ki, key in enumerate(keys):
                raw = [m.series(kind, key) for m in g.runs]
                if kind == "episode":
                    smooth = [_smooth(s, window) for s in raw]
                    label = (
                        f"{g.label}: mean of last {window}"
                        if len(groups) > 1
                        else f"moving average ({window} episodes)"
                    )
                else:
                    # Updates are many and noisy: smooth over ~1/100 of them.
                    smooth = [_smooth(s, max(1, len(s.steps) // 100)) for s in raw]
                    label = key if len(groups) == 1 else f"{g.label}: {key}"
                line_color = color if ki == 0 else _shade(color)
                # Each episode's return is drawn too while it is still readable.
                show_raw = kind == "episode" and single and len(raw[0].steps) <= _RAW_MAX
                _draw_group(ax, smooth, label, line_color, raw=raw[0] if show_raw else None)
        if name == "Episode return" and threshold is not None and math.isfinite(threshold):
            ax.axhline(
                threshold,
                color="black",
                linestyle="--",
                linewidth=1,
                label=f"solved ({threshold:g})",
            )
        if name == "Loss trajectory" and _all_positive(groups, kind, keys):
            ax.set_yscale("log")
        ax.set_title(name)
        ax.grid(True, alpha=0.3)
        ax.legend(loc="best", fontsize=8)
    axes[-1, 0].set_xlabel("environment step")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    out_path = Path(out)
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = out_path.with_name(f".{out_path.name}.tmp-{os.getpid()}.png")
        fig.savefig(tmp, dpi=100)
        os.replace(tmp, out_path)  # atomic, like every file of a run
    except OSError as e:
        raise OSError(f"cannot write the plot {out}: {e.strerror or e}") from None
    finally:
        plt.close(fig)
    drawn = [{"label": g.label, "runs": [str(m.path.parent) for m in g.runs]} for g in groups]
    return {"path": str(out_path), "panels": [p[0] for p in panels], "groups": drawn}


def _shade(color) -> tuple[float, float, float]:
    """A darker variant of a colour, for a group's second line (max Q)."""
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(color)
    return (r * 0.55, g * 0.55, b * 0.55)


def _all_positive(groups: list[Group], kind: str, keys: list[str]) -> bool:
    vals = [m.series(kind, k).values for g in groups for m in g.runs for k in keys]
    vals = [v[np.isfinite(v)] for v in vals]
    return any(len(v) for v in vals) and all((v > 0).all() for v in vals)


@method("plot.runs")
def runs(
    ctx: CallContext,
    *,
    runs: list[str],
    out: str,
    threshold: float | None = None,
    title: str | None = None,
    window: int = 100,
    run_dir: str | None = None,
) -> dict:
    """Plot run directories into the PNG ``out`` (see :func:`plot_runs`).

    With ``run_dir``, ``out`` is relative to it and must stay inside it.
    """
    target = paths.inside(run_dir, out, "out") if run_dir is not None else paths.from_host(out)
    res = plot_runs(
        [str(paths.from_host(r)) for r in runs],
        str(target),
        threshold=threshold,
        title=title,
        window=window,
    )
    res["path"] = (
        out if run_dir is None else os.path.normpath(os.path.join(run_dir, out))
    )  # as given
    return res
