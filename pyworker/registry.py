"""The table of RPC methods the worker serves.

A handler is a function whose first argument is a :class:`CallContext` and
whose other arguments are keyword-only; the request's params map is bound to
them by name, so a missing or unknown argument is reported by name::

    @method("net.fit")
    def fit(ctx: CallContext, *, net: int, x: np.ndarray, y: np.ndarray) -> dict:
        ...
        ctx.progress(step=i, total=n)   # a notification the host renders
        return {"loss": float(loss)}

``inline=True`` runs the handler on the reader thread (for cheap calls such as
``ping``); the rest run one at a time on the worker's compute thread, in the
order they arrived, so TensorFlow state is never touched concurrently.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class CallContext:
    """What a handler knows about the call it serves."""

    __slots__ = ("msgid", "notify", "_cancelled")

    def __init__(self, msgid: int, notify: Callable[[str, dict[str, Any]], None]) -> None:
        self.msgid = msgid
        self.notify = notify
        self._cancelled: threading.Event | None = None

    @property
    def cancelled(self) -> threading.Event:
        """Set when the host cancels the call; long handlers check it between steps."""
        # Created on first use: an Event costs more than the whole empty call.
        if self._cancelled is None:
            self._cancelled = threading.Event()
        return self._cancelled

    def progress(self, **fields: Any) -> None:
        """Send a ``progress`` notification for this call to the host."""
        self.notify("progress", {"msgid": self.msgid, **fields})


@dataclass(frozen=True)
class Method:
    name: str
    func: Callable[..., Any]
    inline: bool
    signature: inspect.Signature
    names: frozenset[str]
    required: frozenset[str]

    def accepts(self, params: dict[str, Any]) -> bool:
        """A fast check that ``params`` binds to the signature (the slow path explains why not)."""
        return self.required <= params.keys() and params.keys() <= self.names


METHODS: dict[str, Method] = {}

#: What handler modules advertise in the handshake (``hello``'s ``catalog``),
#: by name: each provider returns a msgpack-able value (the ``gen`` module's
#: models, data sets and defaults), so that the host restates none of it.
CATALOG: dict[str, Callable[[], Any]] = {}


def advertise(name: str, provider: Callable[[], Any]) -> None:
    """Put ``provider()`` into the handshake's catalog under ``name``."""
    if name in CATALOG:
        raise ValueError(f"catalog entry {name!r} is advertised twice")
    CATALOG[name] = provider


def method(
    name: str, *, inline: bool = False
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``func`` as the handler of RPC method ``name``."""

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        if name in METHODS:
            raise ValueError(f"RPC method {name!r} is registered twice")
        sig = inspect.signature(func)
        params = list(sig.parameters.values())[1:]  # drop ctx
        if any(p.kind is not inspect.Parameter.KEYWORD_ONLY for p in params):
            raise TypeError(
                f"handler of {name!r}: arguments after ctx must be keyword-only (*, ...)"
            )
        names = frozenset(p.name for p in params)
        required = frozenset(p.name for p in params if p.default is inspect.Parameter.empty)
        METHODS[name] = Method(name, func, inline, sig.replace(parameters=params), names, required)
        return func

    return register
