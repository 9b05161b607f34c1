"""A worker that breaks the protocol in the way BROKEN_MODE names."""

import os
import sys
import time

import msgpack

mode = os.environ["BROKEN_MODE"]
out = sys.stdout.buffer


def send(msg):
    out.write(msgpack.packb(msg))
    out.flush()


def hello(protocol=(1, 0)):
    send([2, "hello", {"protocol": list(protocol), "version": "9.9.9", "methods": ["ping"], "pid": os.getpid()}])


def read_request():
    u = msgpack.Unpacker()
    while True:
        chunk = os.read(0, 65536)
        if not chunk:
            sys.exit(0)
        u.feed(chunk)
        for msg in u:
            return msg


if mode == "garbage-at-start":
    out.write(b"hello world\n")
    out.flush()
    time.sleep(30)
elif mode == "no-handshake":
    time.sleep(30)
elif mode == "exit-before-handshake":
    sys.stderr.write("ModuleNotFoundError: No module named 'pyworker'\n")
    sys.exit(1)
elif mode == "wrong-protocol":
    hello(protocol=(2, 0))
    time.sleep(30)
elif mode == "exit-mid-call":
    hello()
    read_request()
    sys.stderr.write("broken: exiting mid-call\n")
    sys.exit(7)
elif mode == "garbage-mid-call":
    hello()
    read_request()
    out.write(b"\xc1\xc1\xc1 not msgpack")
    out.flush()
    time.sleep(30)
elif mode == "never-answers":
    hello()
    read_request()
    time.sleep(30)
elif mode == "second-hello":
    hello()
    hello()
    read_request()
    time.sleep(30)
elif mode == "long-stderr-line":
    # A line of 5 MiB, then one of normal length: the host must keep reading
    # (a 4 MiB line limit used to stop the reader and block this process).
    sys.stderr.write("x" * (5 << 20) + "\n")
    sys.stderr.write("after the long line\n")
    sys.stderr.flush()
    hello()
    msg = read_request()
    send([1, msg[1], None, "pong"])
    time.sleep(30)
elif mode == "report-cwd":
    # Answers the first request with its working directory and sys.path[0].
    hello()
    msg = read_request()
    send([1, msg[1], None, {"cwd": os.getcwd(), "path0": sys.path[0], "flags_safe_path": getattr(sys.flags, "safe_path", None)}])
    time.sleep(30)
elif mode == "stubborn":
    # Ignores the shutdown request, stdin EOF and SIGTERM: only SIGKILL ends it.
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    hello()
    time.sleep(60)
else:
    raise SystemExit(f"unknown BROKEN_MODE {mode}")
