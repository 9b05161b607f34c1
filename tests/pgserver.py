"""A throwaway PostgreSQL server on localhost for the tuning tests.

Debian's ``postgresql`` package provides the binaries (``.ci/run`` installs
it when missing). The server runs as the ``postgres`` user (PostgreSQL refuses
to run as root) from a temporary data directory, on a free port, with trust
authentication on 127.0.0.1 only, and is stopped at the end.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

INSTALL = "apt-get install -y postgresql (Debian) -- .ci/run does it"


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.fail(f"PostgreSQL's initdb is missing: {INSTALL}")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_user(user: str | None, args: list[str]) -> list[str]:
    if user is None:
        return args
    return ["runuser", "-u", user, "--", *args]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The URL of a fresh database ``xlrl`` on a server that lives for the session."""
    with running_postgres() as url:
        yield url


@contextlib.contextmanager
def running_postgres() -> Iterator[str]:
    """Start a server, yield the URL of its fresh database ``xlrl``, stop it."""
    bindir = _bin_dir()
    user = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.fail(f"running as root needs the postgres user to start PostgreSQL: {INSTALL}")
        user = "postgres"
    root = Path(tempfile.mkdtemp(prefix="xlrl-pg-"))
    data = root / "data"
    if user is not None:
        shutil.chown(root, user=user)
        os.chmod(root, 0o700)
    port = _free_port()
    subprocess.run(
        _as_user(user, [str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "xlrl"]),
        check=True,
        capture_output=True,
    )
    opts = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off"
    log = root / "server.log"
    subprocess.run(
        _as_user(
            user,
            [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", opts, "-w", "start"],
        ),
        check=True,
        capture_output=True,
    )
    try:
        subprocess.run(
            [str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "xlrl", "xlrl"],
            check=True,
            capture_output=True,
        )
        yield f"postgresql://xlrl@127.0.0.1:{port}/xlrl"
    finally:
        subprocess.run(
            _as_user(user, [str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)
