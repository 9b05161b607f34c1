"""Training plots drawn from run directories (matplotlib, Agg backend).

``plot.runs`` reads each run's ``metrics.jsonl`` (and ``result.json`` when the
run has finished) and draws, one panel each:

- the returns: the training episodes' returns (they explore, so they sit
  below what the policy can do) with a moving average, the periodic greedy
  evaluations (mean, and the spread of their episodes where recorded) with
  the best one marked, the final greedy evaluation of ``result.json`` (mean
  and standard deviation), and the solved threshold;
- the Q-values progression: mean Q and max Q of the updates, in two colours;
- the loss trajectory.

Panels with no data (a tabular agent has no loss) are left out. Every y axis
is labelled.

Runs whose configurations differ only in seed, name, output folder or
bookkeeping flags (``--plot``, ``--checkpoint-every``, ...) are one group:
it is drawn as the mean over its runs with a shaded band of one standard
deviation, on the step range all of them reached. ``group_by`` groups by the
named keys instead. Legends name the keys whose values tell groups apart.

:func:`figure_data` computes what is drawn (tested on its own);
:func:`plot_runs` draws it.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np

from pyworker import paths
from pyworker.metrics import Metrics, RunError, Series, read_config, read_metrics
from pyworker.registry import CallContext, method

#: The title of the returns panel (training episodes beside greedy evaluations).
RETURNS_TITLE = "Returns: training episodes and greedy evaluations"

# Keys that tell runs of one configuration apart without changing what is
# trained: the seed, where the run is written and how it is reported.
_NOT_CONFIG = {
    "seed",
    "name",
    "out",
    "resume",
    "config",
    "plot",
    "json",
    "checkpoint-every",
    "log-level",
    "python",
}
_GRID_POINTS = 300
_RAW_MAX = 1000
RESULT_FILE = "result.json"
# Colours of a figure of one group: each kind of line its own.
_TRAIN, _EVAL, _FINAL, _MEAN_Q, _MAX_Q, _LOSS = "C0", "C2", "C3", "C0", "C1", "C4"


@dataclass(frozen=True)
class Names:
    """The metrics.jsonl names the figure reads, by the role each plays. The
    Go host sends them with every ``plot.runs`` request (``metrics``, from
    its one table, internal/metric), so that this module keeps no list."""

    episode_kind: str
    update_kind: str
    eval_kind: str
    episode_return: str
    eval_mean: str
    eval_std: str
    mean_q: str
    max_q: str
    loss: str


@dataclass
class Group:
    """Runs drawn as one line: label names what sets them apart."""

    label: str
    runs: list[Metrics]
    results: list[dict] = field(default_factory=list)  # result.json of runs that have one


@dataclass
class Line:
    """One drawn curve: y over x, with an optional band of +-spread."""

    label: str
    x: np.ndarray
    y: np.ndarray
    color: object
    spread: np.ndarray | None = None
    style: str = "-"
    width: float = 1.6
    alpha: float = 1.0
    marker: str | None = None
    group: str | None = None  # the group's label, in a figure of several


@dataclass
class Point:
    """A marked value: the best periodic evaluation, a final evaluation."""

    label: str
    x: float
    y: float
    color: object
    err: float | None = None
    marker: str = "*"
    group: str | None = None  # the group's label, in a figure of several
    summary: str = ""  # the value, for the group's legend entry


@dataclass
class Panel:
    """One axes of the figure and everything drawn on it."""

    title: str
    ylabel: str
    lines: list[Line] = field(default_factory=list)
    points: list[Point] = field(default_factory=list)
    threshold: float | None = None
    log: bool = False
    legend_title: str | None = None


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


def _value(cfg: dict, key: str) -> str:
    """A configuration value as a label shows it; a key a config.yaml leaves
    out (commented out: the flag's default) reads "default"."""
    v = cfg.get(key)
    if v is None:
        return "default"
    if isinstance(v, list):
        return "[" + ", ".join(str(x) for x in v) + "]"
    return str(v)


def _read_result(run_dir: str) -> dict | None:
    path = Path(run_dir) / RESULT_FILE
    try:
        res = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None  # an unfinished or interrupted run has none
    return res if isinstance(res, dict) else None


def _grouping_config(full: dict, group_by: list[str] | None) -> dict:
    """The part of a run's configuration that decides its group."""
    if group_by:
        return {k: _value(full, k) for k in group_by}
    return {k: v for k, v in full.items() if k not in _NOT_CONFIG}


def group_runs(run_dirs: list[str], group_by: list[str] | None = None) -> list[Group]:
    """Group runs by configuration, ignoring seed, name, output folder and
    bookkeeping flags; or, with ``group_by``, by the values of those keys."""
    by_key: dict[str, tuple[dict, list[tuple[str, Metrics]]]] = {}
    for d in run_dirs:
        cfg = _grouping_config(read_config(d), group_by)
        key = json.dumps(cfg, sort_keys=True, default=str)
        by_key.setdefault(key, (cfg, []))[1].append((d, read_metrics(d)))
    differing = differing_keys([cfg for cfg, _ in by_key.values()], group_by)
    groups = []
    for cfg, members in by_key.values():
        if differing:
            label = ", ".join(f"{k}={_value(cfg, k)}" for k in differing)
        elif len(by_key) == 1 and len(members) > 1:
            label = f"{len(members)} runs"
        else:
            label = os.path.basename(os.path.normpath(members[0][0]))
        if len(members) > 1:
            label += f" (mean ± std of {len(members)})"
        results = [r for r in (_read_result(d) for d, _ in members) if r is not None]
        groups.append(Group(label, [m for _, m in members], results))
    return groups


def differing_keys(configs: list[dict], group_by: list[str] | None = None) -> list[str]:
    """The keys whose values tell the configurations apart (all of
    ``group_by`` when given and there are several groups)."""
    if group_by:
        return list(group_by) if len(configs) > 1 else []
    return sorted({k for c in configs for k in c if any(o.get(k) != c.get(k) for o in configs)})


def _smooth(s: Series, window: int) -> Series:
    return Series(s.steps, moving_average(s.values, window))


def _combine(series: list[Series]) -> tuple[np.ndarray, np.ndarray, np.ndarray | None] | None:
    """One group's curve: a run's own, or the mean and standard deviation of
    several on the step range all of them reached; None without data."""
    series = [s for s in series if len(s.steps) > 0]
    if not series:
        return None
    if len(series) == 1:
        return series[0].steps.astype(float), series[0].values, None
    lo = max(s.steps[0] for s in series)
    hi = min(s.steps[-1] for s in series)
    if hi <= lo:  # no common range: the runs' points, pooled
        xs = np.concatenate([s.steps for s in series]).astype(float)
        ys = np.concatenate([s.values for s in series])
        order = np.argsort(xs, kind="stable")
        return xs[order], ys[order], None
    grid = np.linspace(lo, hi, _GRID_POINTS)
    ys = np.stack([np.interp(grid, s.steps, s.values) for s in series])
    return grid, np.nanmean(ys, axis=0), np.nanstd(ys, axis=0)


def _has(groups: list[Group], kind: str, keys: list[str]) -> bool:
    return any(len(m.series(kind, k).steps) for g in groups for m in g.runs for k in keys)


def figure_data(
    groups: list[Group],
    names: Names,
    *,
    threshold: float | None = None,
    window: int = 100,
    legend_title: str | None = None,
) -> list[Panel]:
    """The panels of the figure of ``groups``: every line, band and mark.
    Raises RunError when the runs have nothing to plot."""
    single = len(groups) == 1 and len(groups[0].runs) == 1
    one_group = len(groups) == 1
    panels: list[Panel] = []
    n = names
    if _has(groups, n.episode_kind, [n.episode_return]) or _has(groups, n.eval_kind, [n.eval_mean]):
        panels.append(_returns_panel(groups, n, threshold, window, single, one_group))
    if _has(groups, n.update_kind, [n.mean_q, n.max_q]):
        p = Panel("Q-values progression", "Q-value")
        for gi, g in enumerate(groups):
            group = None if one_group else g.label
            for key, name, own, style in (
                (n.mean_q, "mean Q", _MEAN_Q, "-"),
                (n.max_q, "max Q", _MAX_Q, "--"),
            ):
                color = own if one_group else f"C{gi % 10}"
                c = _combine([_smooth_updates(m.series(n.update_kind, key)) for m in g.runs])
                if c is not None:
                    p.lines.append(Line(name, c[0], c[1], color, c[2], style=style, group=group))
        panels.append(p)
    if _has(groups, n.update_kind, [n.loss]):
        p = Panel("Loss trajectory", "loss")
        for gi, g in enumerate(groups):
            c = _combine([_smooth_updates(m.series(n.update_kind, n.loss)) for m in g.runs])
            if c is not None:
                color = _LOSS if one_group else f"C{gi % 10}"
                group = None if one_group else g.label
                p.lines.append(Line("loss", c[0], c[1], color, c[2], group=group))
        if _all_positive(groups, n.update_kind, [n.loss]):
            p.log, p.ylabel = True, "loss (log scale)"
        panels.append(p)
    if not panels:
        paths = ", ".join(str(m.path) for g in groups for m in g.runs)
        raise RunError(f"nothing to plot: no episode, evaluation or update records in {paths}")
    if not one_group:
        for p in panels:
            p.legend_title = legend_title
    return panels


def _smooth_updates(s: Series) -> Series:
    # Updates are many and noisy: smooth over ~1/100 of them.
    return _smooth(s, max(1, len(s.steps) // 100))


def _returns_panel(
    groups: list[Group],
    names: Names,
    threshold: float | None,
    window: int,
    single: bool,
    one_group: bool,
) -> Panel:
    p = Panel(RETURNS_TITLE, "episode return")
    if threshold is not None and math.isfinite(threshold):
        p.threshold = threshold
    for gi, g in enumerate(groups):
        color = f"C{gi % 10}"
        group = None if one_group else g.label
        raw = [m.series(names.episode_kind, names.episode_return) for m in g.runs]
        if single and 0 < len(raw[0].steps) <= _RAW_MAX:
            p.lines.append(
                Line(
                    "each training episode",
                    raw[0].steps.astype(float),
                    raw[0].values,
                    _TRAIN,
                    width=0.8,
                    alpha=0.3,
                )
            )
        c = _combine([_smooth(s, window) for s in raw])
        if c is not None:
            p.lines.append(
                Line(
                    f"training (exploring), mean of last {window}",
                    c[0],
                    c[1],
                    _TRAIN if one_group else color,
                    c[2],
                    group=group,
                )
            )
        ev = _eval_curve(g, names)
        if ev is not None:
            x, y, spread = ev
            p.lines.append(
                Line(
                    "periodic greedy evaluation"
                    + (" (± std of its episodes)" if single and spread is not None else ""),
                    x,
                    y,
                    _EVAL if one_group else color,
                    spread,
                    style="--",
                    # Markers at the evaluations themselves, not at the
                    # points of a group's mean.
                    marker="o" if len(g.runs) == 1 else None,
                    group=group,
                )
            )
            i = int(np.nanargmax(y)) if np.isfinite(y).any() else None
            if i is not None:
                summary = f"{y[i]:.4g} at step {int(x[i])}"
                p.points.append(
                    Point(
                        "best periodic evaluation" + (f": {summary}" if one_group else ""),
                        float(x[i]),
                        float(y[i]),
                        _EVAL if one_group else color,
                        group=group,
                        summary=f"best eval {summary}",
                    )
                )
        final = _final_eval(g)
        if final is not None:
            fx, fy, err, n = final
            what = f"{n} episodes" if len(g.results) == 1 else f"mean of {len(g.results)} runs"
            summary = f"{fy:.4g} ± {err:.3g}"
            p.points.append(
                Point(
                    f"final greedy evaluation ({what}): {summary}"
                    if one_group
                    else "final greedy evaluation",
                    fx,
                    fy,
                    _FINAL if one_group else color,
                    err=err,
                    marker="D",
                    group=group,
                    summary=f"final {summary} ({what})",
                )
            )
    return p


def _eval_curve(g: Group, names: Names) -> tuple[np.ndarray, np.ndarray, np.ndarray | None] | None:
    """The group's periodic evaluations: one run's means with the spread of
    their episodes (eval_std, where the run recorded it), or the mean over the
    runs with the spread between them."""
    means = [m.series(names.eval_kind, names.eval_mean) for m in g.runs]
    if len(g.runs) == 1:
        s = means[0]
        if len(s.steps) == 0:
            return None
        std = g.runs[0].series(names.eval_kind, names.eval_std)
        spread = std.values if len(std.steps) == len(s.steps) else None
        return s.steps.astype(float), s.values, spread
    return _combine(means)


def _final_eval(g: Group) -> tuple[float, float, float, int] | None:
    """The final greedy evaluation of result.json: at the last training step,
    mean and std (over the episodes of one run, over the runs' means for a
    group)."""
    rs = [
        r
        for r in g.results
        if isinstance(r.get("mean_return"), (int, float)) and math.isfinite(r["mean_return"])
    ]
    if not rs:
        return None
    x = float(np.median([r.get("train_steps") or 0 for r in rs]))
    if x == 0:
        x = float(max((m.records[-1]["step"] for m in g.runs if m.records), default=0))
    means = np.array([float(r["mean_return"]) for r in rs])
    if len(rs) == 1:
        std = rs[0].get("std_return")
        err = float(std) if isinstance(std, (int, float)) else 0.0
    else:
        err = float(means.std())
    n = int(rs[0].get("eval_episodes") or 0)
    return x, float(means.mean()), err, n


def _all_positive(groups: list[Group], kind: str, keys: list[str]) -> bool:
    vals = [m.series(kind, k).values for g in groups for m in g.runs for k in keys]
    vals = [v[np.isfinite(v)] for v in vals]
    return any(len(v) for v in vals) and all((v > 0).all() for v in vals)


def plot_runs(
    run_dirs: list[str],
    out: str,
    names: Names,
    *,
    threshold: float | None = None,
    title: str | None = None,
    window: int = 100,
    group_by: list[str] | None = None,
) -> dict:
    """Draw the runs' panels into the PNG ``out``; returns what was drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not run_dirs:
        raise RunError("no run directories given")
    groups = group_runs(run_dirs, group_by)
    keys = group_keys(run_dirs, group_by)
    legend_title = None
    if keys:
        legend_title = ("grouped by " if group_by else "runs differ in ") + ", ".join(keys)
    panels = figure_data(
        groups, names, threshold=threshold, window=window, legend_title=legend_title
    )

    fig, axes = plt.subplots(
        len(panels), 1, figsize=(9, 3.4 * len(panels)), sharex=True, squeeze=False
    )
    for ax, panel in zip(axes[:, 0], panels, strict=True):
        _draw_panel(ax, panel)
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
    return {
        "path": str(out_path),
        "panels": [p.title for p in panels],
        "groups": drawn,
        "differing_keys": keys,
    }


def group_keys(run_dirs: list[str], group_by: list[str] | None = None) -> list[str]:
    """The keys the legend names: those whose values tell the groups of
    ``run_dirs`` apart."""
    configs = [_grouping_config(read_config(d), group_by) for d in run_dirs]
    distinct = {json.dumps(c, sort_keys=True, default=str): c for c in configs}
    return differing_keys(list(distinct.values()), group_by)


def _draw_panel(ax, panel: Panel) -> None:
    for ln in panel.lines:
        ax.plot(
            ln.x,
            ln.y,
            color=ln.color,
            linestyle=ln.style,
            linewidth=ln.width,
            alpha=ln.alpha,
            marker=ln.marker,
            markersize=3.5,
            label=None if ln.group else ln.label,
        )
        if ln.spread is not None:
            ax.fill_between(
                ln.x, ln.y - ln.spread, ln.y + ln.spread, color=ln.color, alpha=0.18, linewidth=0
            )
    for pt in panel.points:
        if pt.err is not None:
            ax.errorbar(
                [pt.x],
                [pt.y],
                yerr=[pt.err],
                color=pt.color,
                marker=pt.marker,
                markersize=7,
                capsize=4,
                linestyle="none",
                label=None if pt.group else pt.label,
                zorder=5,
            )
        else:
            ax.plot(
                [pt.x],
                [pt.y],
                color=pt.color,
                marker=pt.marker,
                markersize=13,
                markeredgecolor="black",
                linestyle="none",
                label=None if pt.group else pt.label,
                zorder=5,
            )
    if panel.threshold is not None:
        ax.axhline(
            panel.threshold,
            color="black",
            linestyle=":",
            linewidth=1,
            label=f"solved ({panel.threshold:g})",
        )
    if panel.log:
        ax.set_yscale("log")
    ax.set_title(panel.title)
    ax.set_ylabel(panel.ylabel)
    ax.grid(True, alpha=0.3)
    if any(ln.group for ln in panel.lines) or any(pt.group for pt in panel.points):
        _group_legends(ax, panel)
    else:
        ax.legend(loc="best", fontsize=7.5, title=panel.legend_title, title_fontsize=8)


def _group_legends(ax, panel: Panel) -> None:
    """Two legends for a figure of several groups: the groups by colour (with
    their best and final evaluations), and the kinds of line by style."""
    from matplotlib.lines import Line2D

    groups: dict[str, tuple[object, list[str]]] = {}
    for ln in panel.lines:
        if ln.group:
            groups.setdefault(ln.group, (ln.color, []))
    for pt in panel.points:
        if pt.group:
            groups.setdefault(pt.group, (pt.color, []))[1].append(pt.summary)
    handles = [
        Line2D(
            [], [], color=cast(Any, c), linewidth=2, label=g + (": " + ", ".join(s) if s else "")
        )
        for g, (c, s) in groups.items()
    ]
    first = ax.legend(
        handles=handles, loc="upper left", fontsize=7, title=panel.legend_title, title_fontsize=7.5
    )
    kinds: dict[str, Line2D] = {}
    for ln in panel.lines:
        kinds.setdefault(
            ln.label,
            Line2D(
                [],
                [],
                color="gray",
                linestyle=cast(Any, ln.style),
                marker=ln.marker,
                label=ln.label,
            ),
        )
    for pt in panel.points:
        kinds.setdefault(
            pt.label,
            Line2D([], [], color="gray", linestyle="none", marker=pt.marker, label=pt.label),
        )
    extra = [h for h in ax.get_legend_handles_labels()[0]]  # the threshold
    if len(kinds) > 1 or extra:
        ax.add_artist(first)
        ax.legend(handles=list(kinds.values()) + extra, loc="lower right", fontsize=7)


@method("plot.runs")
def runs(
    ctx: CallContext,
    *,
    runs: list[str],
    out: str,
    threshold: float | None = None,
    title: str | None = None,
    window: int = 100,
    run_dir: str,
    metrics: dict[str, str],
    group_by: list[str] | None = None,
) -> dict:
    """Plot run directories into the PNG ``out`` (see :func:`plot_runs`).

    ``out`` is relative to ``run_dir`` (the directory the host lets the
    worker write in) and must stay inside it. ``metrics`` names the
    metrics.jsonl kinds and keys by role (:class:`Names`).
    """
    target = paths.inside(run_dir, out, "out")
    try:
        names = Names(**metrics)
    except TypeError as e:
        raise ValueError(
            f"metrics: {e}; want the roles {', '.join(Names.__dataclass_fields__)}"
        ) from None
    res = plot_runs(
        [str(paths.from_host(r)) for r in runs],
        str(target),
        names,
        threshold=threshold,
        title=title,
        window=window,
        group_by=group_by,
    )
    res["path"] = os.path.normpath(os.path.join(run_dir, out))  # as given
    return res
