"""Reference for ``xlrl bench rpc``: a Python-to-Python msgpack round trip over a pipe.

The parent sends ``[0, msgid, "ping", [{}]]`` to a child over a pipe and the
child answers ``[1, msgid, None, None]``, with the same msgpack library and
read loop the worker uses. ``python -m pyworker.benchref --calls N --json``
prints the median and p99 round trip in microseconds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import msgpack

CHILD = """
import os, msgpack
u = msgpack.Unpacker(raw=False)
p = msgpack.Packer()
while True:
    chunk = os.read(0, 1 << 20)
    if not chunk:
        break
    u.feed(chunk)
    for m in u:
        os.write(1, p.pack([1, m[1], None, None]))
"""


def measure(calls: int, warmup: int = 200) -> dict[str, float]:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert child.stdin is not None and child.stdout is not None
    out_fd, in_fd = child.stdin.fileno(), child.stdout.fileno()
    packer, unpacker = msgpack.Packer(), msgpack.Unpacker(raw=False)
    samples = []
    for i in range(warmup + calls):
        start = time.perf_counter_ns()
        os.write(out_fd, packer.pack([0, i, "ping", [{}]]))
        reply = None
        while reply is None:
            unpacker.feed(os.read(in_fd, 1 << 16))
            reply = next(unpacker, None)
        if i >= warmup:
            samples.append(time.perf_counter_ns() - start)
    child.stdin.close()
    child.wait()
    samples.sort()
    return {
        "reference_rtt_median_us": samples[len(samples) // 2] / 1000,
        "reference_rtt_p99_us": samples[int(len(samples) * 0.99)] / 1000,
    }


def main() -> None:
    calls = 5000
    if "--calls" in sys.argv:
        calls = int(sys.argv[sys.argv.index("--calls") + 1])
    result = measure(calls)
    if "--json" in sys.argv:
        print(json.dumps(result))
    else:
        print(f"python->python pipe round trip: median {result['reference_rtt_median_us']:.1f} us")


if __name__ == "__main__":
    main()
