"""xlrl_envs (Go environments from Python) beside EnvPool and Gymnasium, measured in one run.

All figures are steps per second of wall time, stepped from this Python process with random
actions drawn up front (a list of one array per step, so that no contender pays for slicing
them); each contender runs in several interleaved rounds and the median round is reported, so
that a burst of load on a shared machine hits all of them alike.

- 256 copies: ``xlrl_envs.make_vec("CartPole-v1", 256)`` beside EnvPool's ``CartPole-v1`` pool
  of 256 (``num_threads`` = CPUs) and Gymnasium's ``SyncVectorEnv`` of 256.
- one copy: ``xlrl_envs.make_vec(id, 1)`` and ``xlrl_envs.make(id)`` beside ``gymnasium.make(id)``
  stepped one step per call (the single envs reset at each episode's end, as a user would).
- before and after: where the C extension (``xlrl_envs._fast``) is built, the same xlrl_envs rows
  once more through the pure-ctypes path it replaced (``XLRL_ENVS_NO_C=1``), in the same rounds.

    .venv/bin/python bench/xlrl_envs_peers.py [--seconds 1] [--rounds 5] [--json]

Goals (issue 11): >= 10x EnvPool at 256 copies, >= 20x Gymnasium at one copy.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable

import gymnasium as gym
import numpy as np
import xlrl_envs
from xlrl_envs import vector


def timed(step: Callable[[int], None], n_copies: int, seconds: float) -> float:
    """Steps per second: ``step(i)`` advances every copy once."""
    i, start = 0, time.perf_counter()
    while True:
        for _ in range(64):
            step(i)
            i += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return i * n_copies / elapsed


def xlrl_vec(env_id: str, n: int) -> tuple[Callable[[int], None], Callable[[], None]]:
    v = xlrl_envs.make_vec(env_id, n, seed=0)
    v.reset()
    acts = list(np.random.default_rng(0).integers(0, 2, size=(1024, n)))
    return (lambda i: v.step(acts[i & 1023])), v.close


def xlrl_single(env_id: str, n: int) -> tuple[Callable[[int], None], Callable[[], None]]:
    e = xlrl_envs.make(env_id)
    e.reset(seed=0)
    acts = np.random.default_rng(0).integers(0, 2, size=1024).tolist()

    def step(i: int) -> None:
        _, _, term, trunc, _ = e.step(acts[i & 1023])
        if term or trunc:
            e.reset()

    return step, e.close


def through_ctypes(
    make: Callable[[str, int], tuple[Callable[[int], None], Callable[[], None]]],
) -> Callable[[str, int], tuple[Callable[[int], None], Callable[[], None]]]:
    """``make`` with the C extension turned off for the environments it makes."""

    def made(env_id: str, n: int) -> tuple[Callable[[int], None], Callable[[], None]]:
        os.environ[vector.NO_C_ENV] = "1"
        try:
            return make(env_id, n)
        finally:
            del os.environ[vector.NO_C_ENV]

    return made


def envpool_vec(env_id: str, n: int) -> tuple[Callable[[int], None], Callable[[], None]]:
    import envpool

    e = envpool.make_gymnasium(env_id, num_envs=n, num_threads=os.cpu_count() or 1, seed=0)
    e.reset()
    acts = list(np.random.default_rng(0).integers(0, 2, size=(1024, n)).astype(np.int32))
    return (lambda i: e.step(acts[i & 1023])), e.close


def sync_vec(env_id: str, n: int) -> tuple[Callable[[int], None], Callable[[], None]]:
    e = gym.vector.SyncVectorEnv(
        [lambda: gym.make(env_id)] * n, autoreset_mode=gym.vector.AutoresetMode.SAME_STEP
    )
    e.reset(seed=0)
    acts = list(np.random.default_rng(0).integers(0, 2, size=(1024, n)))
    return (lambda i: e.step(acts[i & 1023])), e.close


def gym_single(env_id: str, n: int) -> tuple[Callable[[int], None], Callable[[], None]]:
    e = gym.make(env_id)
    e.reset(seed=0)
    acts = np.random.default_rng(0).integers(0, 2, size=1024).tolist()

    def step(i: int) -> None:
        _, _, term, trunc, _ = e.step(acts[i & 1023])
        if term or trunc:
            e.reset()

    return step, e.close


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--env", default="CartPole-v1")
    ap.add_argument("--seconds", type=float, default=1.0, help="per round and contender")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    contenders: dict[str, tuple[Callable, int]] = {
        "xlrl_envs, 256 copies": (xlrl_vec, 256),
        "Gymnasium SyncVectorEnv, 256 copies": (sync_vec, 256),
        "xlrl_envs, 1 copy": (xlrl_vec, 1),
        "xlrl_envs.make, 1 env": (xlrl_single, 1),
        "Gymnasium, 1 env": (gym_single, 1),
    }
    if vector.c_extension():
        contenders["xlrl_envs, 1 copy, ctypes"] = (through_ctypes(xlrl_vec), 1)
        contenders["xlrl_envs.make, 1 env, ctypes"] = (through_ctypes(xlrl_single), 1)
        contenders["xlrl_envs, 256 copies, ctypes"] = (through_ctypes(xlrl_vec), 256)
    envpool_error = None
    try:
        import envpool

        contenders["EnvPool, 256 copies"] = (envpool_vec, 256)
        envpool_version = envpool.__version__
    except ImportError as exc:
        envpool_error = f"EnvPool not installed ({exc}): pip install envpool (the bench extra)"
        envpool_version = None

    made = {name: make(args.env, n) for name, (make, n) in contenders.items()}
    rounds: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.rounds):
        for name, (step, _close) in made.items():
            rounds[name].append(timed(step, contenders[name][1], args.seconds))
    for _step, close in made.values():
        close()
    rate = {name: statistics.median(r) for name, r in rounds.items()}

    result = {
        "env": args.env,
        "steps_per_s": rate,
        "rounds": args.rounds,
        "seconds_per_round": args.seconds,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "load_average": os.getloadavg()[0],
        "envpool": envpool_version or envpool_error,
        "ratio_256_vs_envpool": None,
        "c_extension": vector.c_extension(),
        "ratio_1_vs_gymnasium": rate["xlrl_envs, 1 copy"] / rate["Gymnasium, 1 env"],
        "ratio_make_1_vs_gymnasium": rate["xlrl_envs.make, 1 env"] / rate["Gymnasium, 1 env"],
        "ratio_256_vs_sync_vector": rate["xlrl_envs, 256 copies"]
        / rate["Gymnasium SyncVectorEnv, 256 copies"],
    }
    if vector.c_extension():
        result["ratio_1_vs_gymnasium_ctypes"] = (
            rate["xlrl_envs, 1 copy, ctypes"] / rate["Gymnasium, 1 env"]
        )
        result["ratio_make_1_vs_gymnasium_ctypes"] = (
            rate["xlrl_envs.make, 1 env, ctypes"] / rate["Gymnasium, 1 env"]
        )
    if "EnvPool, 256 copies" in rate:
        result["ratio_256_vs_envpool"] = rate["xlrl_envs, 256 copies"] / rate["EnvPool, 256 copies"]
    for name, r in rate.items():
        print(f"{name:40s} {r / 1e6:9.3f} M steps/s")
    if envpool_error:
        print(envpool_error)
    print(
        f"xlrl_envs / EnvPool at 256: {result['ratio_256_vs_envpool'] or float('nan'):.1f}x (goal >= 10); "
        f"xlrl_envs / Gymnasium at 1: {result['ratio_1_vs_gymnasium']:.1f}x (goal >= 20; "
        f"xlrl_envs.make: {result['ratio_make_1_vs_gymnasium']:.1f}x); "
        f"load average {result['load_average']:.2f}"
    )
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
