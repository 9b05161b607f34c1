"""Paths the worker gets from the host and from run files, and where it may write.

The worker runs in a directory of its own (``internal/worker`` starts it
there, with a safe import path), so a relative path in a request means a path
relative to the host's working directory, which the host passes as
``XLRL_HOST_CWD``: :func:`from_host` resolves it.

Nothing read from a run file is trusted as a path: a file name stored in one
(``meta.json``'s ``"weights"``) must be a plain relative name that stays
inside its run directory (:func:`stored`). Methods that write take the run
directory and refuse a target that leaves it (:func:`inside`); symbolic links
are resolved before the check.
"""

from __future__ import annotations

import os
from pathlib import Path

from pyworker.errors import ArgumentError


def from_host(path: str | os.PathLike[str]) -> Path:
    """``path`` as the host meant it: a relative one is relative to the host's working directory."""
    p = Path(path)
    if p.is_absolute():
        return p
    return Path(os.environ.get("XLRL_HOST_CWD") or os.getcwd()) / p


def inside(run_dir: str | os.PathLike[str], path: str | os.PathLike[str], what: str) -> Path:
    """``path`` (relative to ``run_dir``, or absolute) if it stays inside ``run_dir``.

    Raises :class:`ArgumentError` naming ``what`` for a path that leaves it,
    through ``..``, an absolute path elsewhere, or a symbolic link.
    """
    root = from_host(run_dir).resolve()
    target = (root / path).resolve()  # an absolute path replaces root
    if target != root and root not in target.parents:
        raise ArgumentError(
            f"{what} {os.fspath(path)!r} leaves the run directory {root}: the worker writes "
            "only inside the run directory it is given"
        )
    return target


def stored(run_dir: str | os.PathLike[str], name: object, what: str) -> Path:
    """A file name read from a run file: a plain relative name, inside ``run_dir``."""
    if not isinstance(name, str) or not name or os.path.isabs(name) or ".." in Path(name).parts:
        raise ArgumentError(
            f"{what} in {os.fspath(run_dir)!r} names {name!r:.80}: a run file may name only "
            "files inside its run directory (the file was edited or crafted)"
        )
    return inside(run_dir, name, what)
