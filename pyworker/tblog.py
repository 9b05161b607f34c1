"""TensorBoard event files, written without TensorFlow.

``tensorboard --logdir runs`` reads ``runs/<name>/tb/events.out.tfevents.*``.
The format is TFRecord (length, masked CRC-32C, data, masked CRC-32C) around
``tensorflow.Event`` protobufs. Only scalars are needed, and their encoding is
four fields deep, so it is written by hand here: the worker need not import
TensorFlow (3 s) for a run trained on the pure-Go backend.

RPC methods:

* ``tb.export(run)``: write every value of ``run/metrics.jsonl`` as scalars
  ``<kind>/<key>`` into ``run/tb/``, replacing an earlier export.
"""

from __future__ import annotations

import math
import os
import socket
import struct
import time
from pathlib import Path
from typing import BinaryIO

from pyworker import paths
from pyworker.metrics import read_metrics
from pyworker.registry import CallContext, method

TB_DIR = "tb"
EXPORT_SUFFIX = ".xlrl-export"
# Record fields that are not worth a TensorBoard curve (the x axis is the step).
_NOT_CURVES = {"kind", "step", "time", "episode"}


def _crc32c_table() -> list[int]:
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    c = 0xFFFFFFFF
    for b in data:
        c = _TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def _masked_crc(data: bytes) -> int:
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1  # negative int64 is ten bytes of two's complement
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field_bytes(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _event(wall_time: float, step: int, *, file_version: str = "", scalars=()) -> bytes:
    """Encode a tensorflow.Event: wall_time=1 (double), step=2 (int64),
    file_version=3 (string), summary=5 (Summary{value=1: Value{tag=1,
    simple_value=2 (float)}})."""
    msg = bytearray(_varint(1 << 3 | 1) + struct.pack("<d", wall_time))
    msg += _varint(2 << 3 | 0) + _varint(step)
    if file_version:
        msg += _field_bytes(3, file_version.encode())
    if scalars:
        values = (
            _field_bytes(1, tag.encode()) + _varint(2 << 3 | 5) + struct.pack("<f", v)
            for tag, v in scalars
        )
        summary = b"".join(_field_bytes(1, v) for v in values)
        msg += _field_bytes(5, summary)
    return bytes(msg)


class EventWriter:
    """One TensorBoard event file, appended to record by record."""

    _counter = 0

    def __init__(self, logdir: str | Path, suffix: str = "") -> None:
        self.logdir = Path(logdir)
        try:
            self.logdir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            msg = f"cannot create the TensorBoard folder {self.logdir}: {e.strerror}"
            raise OSError(msg) from None
        EventWriter._counter += 1
        name = (
            f"events.out.tfevents.{int(time.time())}.{socket.gethostname()}."
            f"{os.getpid()}.{EventWriter._counter}{suffix}"
        )
        self.path = self.logdir / name
        self._f: BinaryIO = open(self.path, "wb")  # noqa: SIM115 (closed in close())
        self._write(_event(time.time(), 0, file_version="brain.Event:2"))

    def _write(self, data: bytes) -> None:
        header = struct.pack("<Q", len(data))
        self._f.write(header + struct.pack("<I", _masked_crc(header)))
        self._f.write(data + struct.pack("<I", _masked_crc(data)))

    def scalar(self, tag: str, step: int, value: float, wall_time: float | None = None) -> None:
        self._write(
            _event(
                time.time() if wall_time is None else wall_time,
                int(step),
                scalars=[(tag, float(value))],
            )
        )

    def flush(self) -> None:
        self._f.flush()

    def close(self) -> None:
        self._f.close()


def export_run(run: str | Path) -> tuple[Path, int]:
    """Write a run's metrics as TensorBoard scalars; returns (file, count)."""
    metrics = read_metrics(run)
    logdir = paths.inside(run, TB_DIR, "the TensorBoard folder")  # refuses a tb that links out
    for old in logdir.glob(f"events.out.tfevents.*{EXPORT_SUFFIX}"):
        old.unlink()
    w = EventWriter(logdir, suffix=EXPORT_SUFFIX)
    n = 0
    try:
        for r in metrics.records:
            for k, v in r.items():
                if k in _NOT_CURVES or v is None or not math.isfinite(v):
                    continue
                w.scalar(f"{r['kind']}/{k}", r["step"], v, wall_time=r.get("time"))
                n += 1
    finally:
        w.close()
    return w.path, n


@method("tb.export")
def export(ctx: CallContext, *, run: str) -> dict:
    """Write ``run/metrics.jsonl`` as TensorBoard scalars into ``run/tb/``."""
    path, n = export_run(paths.from_host(run))
    return {"path": str(Path(run) / TB_DIR / path.name), "scalars": n}  # as the host named the run
