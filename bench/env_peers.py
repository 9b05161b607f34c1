"""Environment throughput: xlrl (Go) beside Gymnasium and EnvPool, measured in one run.

Runs ``xlrl bench env --json`` for the Go figures, then times Gymnasium's single environment and
EnvPool's vectorized pool on the same machine with uniformly random actions (resetting at every
episode end), and prints the figures side by side; ``--json`` ends the output with one JSON object.

    .venv/bin/python bench/env_peers.py --env CartPole-v1 [--json]

EnvPool is optional (``pip install envpool``, the ``bench`` extra); when it cannot be imported the
reason is reported in place of its figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time

import gymnasium as gym
import numpy as np


def bench_xlrl(xlrl: str, env_id: str, envs: int, min_seconds: float) -> dict:
    cmd = [
        xlrl,
        "bench",
        "env",
        "--env",
        env_id,
        "--envs",
        str(envs),
        "--min-seconds",
        str(min_seconds),
        "--json",
    ]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def bench_gymnasium(env_id: str, seconds: float) -> tuple[float, float]:
    """One environment stepped from Python, as a Gymnasium user would.

    Returns steps per second of wall time and per second of this process's CPU time.
    """
    env = gym.make(env_id)
    env.reset(seed=0)
    actions = np.random.default_rng(0).integers(0, env.action_space.n, size=4096).tolist()
    n, start, cpu0 = 0, time.perf_counter(), time.process_time()
    while True:
        for a in actions:
            _, _, term, trunc, _ = env.step(a)
            if term or trunc:
                env.reset()
        n += len(actions)
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return n / elapsed, n / (time.process_time() - cpu0)


def bench_envpool(env_id: str, num_envs: int, threads: int, seconds: float) -> float:
    """EnvPool's synchronous pool (batch = all envs); it resets finished envs itself."""
    import envpool

    pool = envpool.make(
        env_id,
        env_type="gymnasium",
        num_envs=num_envs,
        batch_size=num_envs,
        num_threads=threads,
        seed=0,
    )
    pool.reset()
    k = pool.action_space.n
    rng = np.random.default_rng(0)
    batches = [rng.integers(0, k, size=num_envs) for _ in range(64)]
    n, start = 0, time.perf_counter()
    while True:
        for b in batches:
            pool.step(b)
        n += 64 * num_envs
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return n / elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--env", default="CartPole-v1")
    ap.add_argument("--xlrl", default="bin/xlrl", help="path of the xlrl binary")
    ap.add_argument("--envs", type=int, default=256, help="environments in the vectorized runs")
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="EnvPool threads")
    ap.add_argument("--seconds", type=float, default=2.0, help="timed run per figure")
    ap.add_argument("--json", action="store_true", help="end with one JSON object")
    args = ap.parse_args()

    res: dict = {
        "env": args.env,
        "cpus": os.cpu_count(),
        "machine": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "gymnasium": gym.__version__,
    }
    go = bench_xlrl(args.xlrl, args.env, args.envs, args.seconds)
    res["steps_per_sec"] = go["steps_per_sec"]
    res["vectorized_steps_per_sec"] = go["vectorized_steps_per_sec"]
    res["go"] = go["go"]
    res["steps_per_cpu_sec"] = go.get("steps_per_cpu_sec")
    gym_wall, gym_cpu = bench_gymnasium(args.env, args.seconds)
    res["gymnasium_steps_per_sec"] = gym_wall
    res["gymnasium_steps_per_cpu_sec"] = gym_cpu
    try:
        import envpool

        res["envpool"] = envpool.__version__
        res["envpool_1env_steps_per_sec"] = bench_envpool(args.env, 1, 1, args.seconds)
        res["envpool_steps_per_sec"] = bench_envpool(
            args.env, args.envs, args.threads, args.seconds
        )
    except Exception as e:  # noqa: BLE001 - any import or build failure is reported, not fatal
        res["envpool_error"] = f"{type(e).__name__}: {e}"

    rows = [
        ("xlrl, one env, one core", res["steps_per_sec"]),
        ("xlrl, one env, per CPU-second", res["steps_per_cpu_sec"] or float("nan")),
        (
            f"xlrl, vectorized, {args.envs} envs, {go['workers']} workers",
            res["vectorized_steps_per_sec"],
        ),
        ("Gymnasium, one env (Python loop)", res["gymnasium_steps_per_sec"]),
        ("Gymnasium, one env, per CPU-second", res["gymnasium_steps_per_cpu_sec"]),
    ]
    if "envpool_error" in res:
        rows.append((f"EnvPool: unavailable ({res['envpool_error']})", float("nan")))
    else:
        rows.append(("EnvPool, one env, one thread", res["envpool_1env_steps_per_sec"]))
        rows.append(
            (f"EnvPool, {args.envs} envs, {args.threads} threads", res["envpool_steps_per_sec"])
        )
    print(f"{args.env}, random actions, {res['cpus']} CPUs, load average {os.getloadavg()[0]:.1f}")
    res["load_average"] = os.getloadavg()[0]
    for name, v in rows:
        print(f"  {name:<45} {v:>14,.0f} steps/s")
    if args.json:
        print(json.dumps(res))


if __name__ == "__main__":
    sys.exit(main())
