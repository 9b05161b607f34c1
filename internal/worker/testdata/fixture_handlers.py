"""Handlers that only the Go client's tests import (--import fixture_handlers)."""

import logging
import os
import subprocess
import sys

from pyworker.errors import check_array
from pyworker.registry import method


@method("fixture.noisy")
def noisy(ctx, *, text: str) -> str:
    """Writes to stdout three ways; none of it may reach the protocol stream."""
    print(text)
    sys.stdout.flush()
    os.write(1, (text + "\n").encode())
    subprocess.run(["echo", text], check=True)
    logging.getLogger("fixture").warning("noisy said %s", text)
    return text


@method("fixture.mean")
def mean(ctx, *, x) -> float:
    """Refuses NaN: the kind of check a handler makes on its input."""
    return float(check_array("x", x, dtype="float32", ndim=2, finite=True).mean())


@method("fixture.die")
def die(ctx, *, status: int = 3) -> None:
    sys.stderr.write("fixture: dying on purpose\n")
    sys.stderr.flush()
    os._exit(status)
