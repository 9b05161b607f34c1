"""The worker's serving loop: msgpack-RPC over stdin/stdout.

Start-up protects the protocol stream first: the protocol keeps a duplicate of
fd 1 and fd 1 itself is pointed at stderr, so a stray ``print``, a TensorFlow
log line or a child process can never write into the stream; stdin is likewise
kept for the protocol and fd 0 is pointed at /dev/null.

Threads: the main thread reads and decodes requests. Handlers registered with
``inline=True`` answer on that thread; the others run in arrival order on one
compute thread. Either thread may write a message; writes hold a lock.

The worker exits on stdin EOF, on a ``shutdown`` request, and when its parent
process is gone. Bytes that are not msgpack-RPC end it with status 2 after it
reports what it read.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import io
import logging
import os
import platform
import queue
import sys
import threading
import time
import traceback
from typing import Any

from pyworker import PROTOCOL_VERSION, __version__, link, protocol
from pyworker.errors import ArgumentError
from pyworker.methods import HANDLER_MODULES
from pyworker.registry import CATALOG, METHODS, CallContext, Method

log = logging.getLogger("pyworker")

EXIT_PROTOCOL_ERROR = 2
EXIT_ORPHANED = 3


def tensorflow_version() -> str | None:
    """TensorFlow's version without importing it (the import takes seconds)."""
    try:
        if importlib.util.find_spec("tensorflow") is None:
            return None
    except (ImportError, ValueError):
        return None
    for dist in ("tensorflow", "tensorflow-cpu", "tensorflow-intel", "tf-nightly"):
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return "unknown"


class Server:
    def __init__(self, in_fd: int, out_fd: int, extra_modules: list[str] | None = None) -> None:
        self._in_fd = in_fd
        self._out_fd = out_fd
        self._write_lock = threading.Lock()
        self._packer = protocol.ChunkPacker()  # guarded by _write_lock
        self._jobs: queue.Queue[tuple[Method, CallContext, dict[str, Any]] | None] = queue.Queue()
        self._contexts: dict[int, CallContext] = {}
        self._contexts_lock = threading.Lock()
        # Calls handed to the compute thread, and those it has finished (each
        # counter written by one thread only): the reader polls only when equal.
        self._queued = 0
        self._finished = 0
        self._malformed_made = protocol.Malformed.made
        self.import_errors = self._import_handlers(HANDLER_MODULES + (extra_modules or []))

    @staticmethod
    def _import_handlers(modules: list[str]) -> dict[str, str]:
        errors = {}
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception as exc:  # a broken module must not take the others down
                errors[name] = f"{type(exc).__name__}: {exc}"
                log.error("cannot import handler module %s: %s", name, errors[name])
        return errors

    # --- writing -----------------------------------------------------------

    def send(self, message: list[Any]) -> None:
        with self._write_lock:
            for chunk in self._packer.pack_chunks(message):
                view = memoryview(chunk)
                while view:
                    n = os.write(self._out_fd, view)
                    view = view[n:]

    def notify(self, method: str, params: dict[str, Any]) -> None:
        self.send([protocol.NOTIFICATION, method, params])

    def _respond(self, msgid: int, error: dict[str, str] | None, result: Any) -> None:
        try:
            self.send([protocol.RESPONSE, msgid, error, result])
        except (TypeError, ValueError, OverflowError) as exc:
            self.send(
                [protocol.RESPONSE, msgid, error_object(exc, "result cannot be encoded"), None]
            )

    # --- serving -----------------------------------------------------------

    def hello(self) -> dict[str, Any]:
        return {
            "protocol": list(PROTOCOL_VERSION),
            "version": __version__,
            "python": platform.python_version(),
            "executable": sys.executable,
            "tensorflow": tensorflow_version(),
            "methods": sorted(METHODS),
            "import_errors": self.import_errors,
            "pid": os.getpid(),
            "catalog": self._catalog(),
        }

    def _catalog(self) -> dict[str, Any]:
        out = {}
        for name, provider in sorted(CATALOG.items()):
            try:
                out[name] = provider()
            except Exception as exc:  # one broken entry must not lose the handshake
                self.import_errors[f"catalog:{name}"] = f"{type(exc).__name__}: {exc}"
                log.error("catalog entry %s failed: %s", name, exc)
        return out

    def serve(self) -> int:
        """Serve until EOF or shutdown; return the exit status."""
        threading.Thread(target=self._compute_loop, name="compute", daemon=True).start()
        hello = self.hello()
        self.notify("hello", hello)
        log.info(
            "pyworker %s serving %d methods (pid %d, Python %s, TensorFlow %s)",
            hello["version"],
            len(hello["methods"]),
            hello["pid"],
            hello["python"],
            hello["tensorflow"] or "not installed",
        )
        unpacker = protocol.unpacker(lenient=True)
        seen = bytearray()  # the first bytes read, for the report on malformed input
        reader = link.RequestReader(
            self._in_fd,
            link.spin_ns_from_env(),
            idle=lambda: self._queued == self._finished,
            hold_off_ns=link.hold_off_ns_from_env(),
        )
        while True:
            chunk = reader.read()
            if not chunk:
                log.debug("stdin closed: exiting")
                return 0
            if len(seen) < 64:
                seen += chunk[: 64 - len(seen)]
            unpacker.feed(chunk)
            try:
                for message in unpacker:
                    if self._dispatch(message) == "shutdown":
                        return 0
            except protocol.ProtocolError as exc:
                return self._malformed(str(exc), seen)
            except Exception as exc:  # msgpack's own decoding errors
                return self._malformed(f"{type(exc).__name__}: {exc}", seen)

    def _malformed(self, why: str, seen: bytes | bytearray) -> int:
        log.error(
            "malformed input on stdin (%s); first bytes read: %s. The host must speak "
            "msgpack-RPC: [0, msgid, method, [params]]",
            why,
            seen.hex(" "),
        )
        return EXIT_PROTOCOL_ERROR

    def _dispatch(self, message: Any) -> str | None:
        if not isinstance(message, list) or not message:
            raise protocol.ProtocolError(f"expected a msgpack-RPC array, got {message!r:.80}")
        kind = message[0]
        if kind == protocol.NOTIFICATION and len(message) == 3:
            self._on_notification(message[1], message[2])
            return None
        if kind != protocol.REQUEST or len(message) != 4 or not isinstance(message[1], int):
            raise protocol.ProtocolError(
                f"expected [0, msgid, method, params], got {message!r:.80}"
            )
        _, msgid, name, params = message
        if name == "shutdown":
            self._respond(msgid, None, {"ok": True})
            return "shutdown"
        try:
            bad = None
            if protocol.Malformed.made != self._malformed_made:
                self._malformed_made = protocol.Malformed.made
                bad = protocol.find_malformed(params)
            if bad is not None:
                where, why = bad
                raise ArgumentError(f"{name!r:.40}: {where.replace('params.', '', 1)}: {why}")
            method, kwargs = self._resolve(name, params)
        except ArgumentError as exc:
            self._respond(msgid, error_object(exc), None)
            return None
        ctx = CallContext(msgid=msgid, notify=self.notify)
        if method.inline:
            self._run(method, ctx, kwargs)
        else:
            _ = ctx.cancelled  # create its Event here, before two threads can race to
            with self._contexts_lock:
                self._contexts[msgid] = ctx
            self._queued += 1
            self._jobs.put((method, ctx, kwargs))
        return None

    def _resolve(self, name: Any, params: Any) -> tuple[Method, dict[str, Any]]:
        if not isinstance(name, str):
            raise ArgumentError(f"method name must be a string, got {name!r:.40}")
        method = METHODS.get(name)
        if method is None:
            raise ArgumentError(
                f"unknown method {name!r}; this worker serves: {', '.join(sorted(METHODS))}"
            )
        if isinstance(params, list):
            if len(params) == 0 or params == [None]:
                params = {}
            elif len(params) == 1 and isinstance(params[0], dict):
                params = params[0]
            else:
                raise ArgumentError(f"{name}: pass params as one map of keyword arguments")
        if not isinstance(params, dict):
            raise ArgumentError(f"{name}: params must be a map, got {type(params).__name__}")
        if method.accepts(params):
            return method, params
        try:
            method.signature.bind(**params)
        except TypeError as exc:
            takes = ", ".join(method.signature.parameters) or "no arguments"
            raise ArgumentError(f"{name}: {exc} (it takes: {takes})") from None
        return method, params

    def _on_notification(self, name: Any, params: Any) -> None:
        # A notification has no reply: whatever is wrong with one is logged
        # and the worker goes on.
        if name == "cancel" and isinstance(params, dict):
            msgid = params.get("msgid")
            if not isinstance(msgid, int) or isinstance(msgid, bool):
                log.warning("ignoring a cancel with msgid %.40r (not an integer)", msgid)
                return
            with self._contexts_lock:
                ctx = self._contexts.get(msgid)
            if ctx is not None:
                ctx.cancelled.set()
        else:
            log.warning("ignoring unknown notification %.80r", name)

    def _run(self, method: Method, ctx: CallContext, kwargs: dict[str, Any]) -> None:
        try:
            result = method.func(ctx, **kwargs)
        except Exception as exc:
            self._respond(ctx.msgid, error_object(exc), None)
        else:
            self._respond(ctx.msgid, None, result)

    def _compute_loop(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            method, ctx, kwargs = job
            try:
                if ctx.cancelled.is_set():
                    self._respond(
                        ctx.msgid,
                        {"type": "Cancelled", "message": "cancelled by the host", "traceback": ""},
                        None,
                    )
                else:
                    self._run(method, ctx, kwargs)
            finally:
                with self._contexts_lock:
                    self._contexts.pop(ctx.msgid, None)
                self._finished += 1


def error_object(exc: BaseException, context: str = "") -> dict[str, str]:
    message = str(exc) if not context else f"{context}: {exc}"
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return {"type": type(exc).__name__, "message": message, "traceback": tb}


def _watch_parent(parent: int) -> None:
    """Exit when the parent is gone (the host was killed without closing our stdin)."""
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(EXIT_ORPHANED)


def protect_stdio() -> tuple[int, int]:
    """Keep fds 0 and 1 for the protocol; point fd 1 at stderr and fd 0 at /dev/null."""
    proto_in, proto_out = os.dup(0), os.dup(1)
    os.dup2(2, 1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)
    return proto_in, proto_out


def main(extra_modules: list[str] | None = None) -> int:
    proto_in, proto_out = protect_stdio()
    logging.basicConfig(
        stream=sys.stderr,
        level=os.environ.get("XLRL_WORKER_LOG_LEVEL", "INFO").upper(),
        format="%(levelname)s %(name)s: %(message)s",
    )
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    status = Server(proto_in, proto_out, extra_modules).serve()
    sys.stdout.flush()
    sys.stderr.flush()
    # os._exit: the compute thread may be inside a long TensorFlow call that the
    # host no longer waits for.
    os._exit(status)
