"""Reading a run directory's ``metrics.jsonl`` and ``config.yaml``.

The Go host appends one JSON object per line: ``{"kind": "episode" | "update"
| "eval", "step": int, "time": float, <key>: number | null, ...}``. A process
killed mid-write can leave a last line without its newline; it is ignored, as
the Go reader does. ``null`` (a NaN or infinite value) reads as ``nan``.
"""

from __future__ import annotations

import contextlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

METRICS_FILE = "metrics.jsonl"
CONFIG_FILE = "config.yaml"


class RunError(ValueError):
    """A run directory or its files cannot be read; the message names the path."""


@dataclass
class Series:
    """The values of one key over the records of one kind, ordered by step."""

    steps: np.ndarray
    values: np.ndarray


@dataclass
class Metrics:
    """All records of one run, as per-kind, per-key series."""

    path: Path
    records: list[dict[str, Any]] = field(default_factory=list)

    def series(self, kind: str, key: str) -> Series:
        steps, values = [], []
        for r in self.records:
            if r["kind"] == kind and key in r:
                v = r[key]
                steps.append(r["step"])
                values.append(math.nan if v is None else float(v))
        return Series(np.asarray(steps, dtype=np.int64), np.asarray(values, dtype=np.float64))

    def keys(self, kind: str) -> list[str]:
        seen: dict[str, None] = {}
        for r in self.records:
            if r["kind"] == kind:
                for k in r:
                    if k not in ("kind", "step", "time"):
                        seen[k] = None
        return list(seen)


def read_metrics(run_dir: str | Path) -> Metrics:
    """Read ``run_dir/metrics.jsonl`` (``run_dir`` may also be the file itself)."""
    path = Path(run_dir)
    if path.is_dir():
        path = path / METRICS_FILE
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise RunError(f"{path} does not exist: is {path.parent} a run directory?") from None
    lines = data.split(b"\n")
    complete = lines[:-1]  # the part after the last newline is a torn or empty line
    out = Metrics(path)
    for i, line in enumerate(complete, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            raise RunError(f"{path}:{i}: not a metrics record: {e}") from None
        if not isinstance(rec, dict) or "kind" not in rec or "step" not in rec:
            raise RunError(f"{path}:{i}: a metrics record needs 'kind' and 'step'")
        out.records.append(rec)
    # A last line without its newline is kept only if it is a whole record;
    # otherwise it is the torn end of an interrupted write.
    with contextlib.suppress(json.JSONDecodeError):
        rec = json.loads(lines[-1]) if lines[-1].strip() else None
        if isinstance(rec, dict) and "kind" in rec and "step" in rec:
            out.records.append(rec)
    return out


def read_config(run_dir: str | Path) -> dict[str, Any]:
    """The run's resolved configuration; empty when it has no config.yaml."""
    path = Path(run_dir) / CONFIG_FILE
    if not path.exists():
        return {}
    try:
        cfg = yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        raise RunError(f"{path}: {e}") from None
    return cfg if isinstance(cfg, dict) else {}
