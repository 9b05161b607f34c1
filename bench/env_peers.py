"""Environment throughput: xlrl (Go) beside Gymnasium and EnvPool, measured in one run.

Runs ``xlrl bench env --json`` for the Go figures, then times Gymnasium's single environment and
EnvPool's vectorized pool on the same machine with uniformly random actions (resetting at every
episode end), and prints the figures side by side; ``--json`` ends the output with one JSON object.

    .venv/bin/python bench/env_peers.py --env CartPole-v1 [--json]

EnvPool is optional (``pip install envpool``, the ``bench`` extra); when it cannot be imported the
reason is reported in place of its figures.

For CartPole-v1 it also compiles ``bench/cartpole_ref.c`` (a plain C loop of the same dynamics and
the same work per step) with ``cc -O2 -std=c11`` and runs it alternately with ``xlrl bench env``,
``--rounds`` times, so that load that comes and goes hits both alike; it reports each figure's
median over the rounds and the median of the per-round ratios xlrl / C, per second of wall time
and per second of CPU time (the latter stays meaningful on a loaded machine).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


C_LOOP = Path(__file__).resolve().parent / "cartpole_ref.c"


def build_c_loop(workdir: str) -> str:
    """Compile the C reference loop; returns the binary's path."""
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        raise RuntimeError("no C compiler: install one (e.g. apt-get install gcc) or set $CC")
    out = os.path.join(workdir, "cartpole_ref")
    subprocess.run([cc, "-O2", "-std=c11", "-o", out, str(C_LOOP), "-lm"], check=True)
    return out


def bench_c(binary: str, seconds: float) -> dict:
    out = subprocess.run([binary, str(seconds)], check=True, capture_output=True, text=True).stdout
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
    ap.add_argument(
        "--rounds", type=int, default=3, help="alternating xlrl / C rounds (CartPole-v1)"
    )
    args = ap.parse_args()
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")

    res: dict = {
        "env": args.env,
        "cpus": os.cpu_count(),
        "machine": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "gymnasium": gym.__version__,
    }
    c_rounds: list[dict] = []
    go_rounds: list[dict] = []
    if args.env == "CartPole-v1":
        with tempfile.TemporaryDirectory() as tmp:
            binary = build_c_loop(tmp)
            for _ in range(args.rounds):
                go_rounds.append(bench_xlrl(args.xlrl, args.env, args.envs, args.seconds))
                c_rounds.append(bench_c(binary, args.seconds))
    else:
        go_rounds.append(bench_xlrl(args.xlrl, args.env, args.envs, args.seconds))

    def med(rounds: list[dict], key: str) -> float:
        return statistics.median(r[key] for r in rounds)

    go = dict(go_rounds[-1])
    for key in (
        "steps_per_sec",
        "steps_per_cpu_sec",
        "vectorized_steps_per_sec",
        "vectorized_one_worker_steps_per_sec",
    ):
        if key in go:
            go[key] = med(go_rounds, key)
    res["rounds"] = len(go_rounds)
    res["vector_over_one_core"] = statistics.median(
        r["vectorized_steps_per_sec"] / r["steps_per_sec"] for r in go_rounds
    )
    if "vectorized_one_worker_steps_per_sec" in go:
        # xlrl bench env measures the vector on one worker too (its fallback):
        # the vector's choice is right when it is never much below that.
        res["vectorized_one_worker_steps_per_sec"] = go["vectorized_one_worker_steps_per_sec"]
        res["vector_over_one_worker"] = statistics.median(
            r["vectorized_steps_per_sec"] / r["vectorized_one_worker_steps_per_sec"]
            for r in go_rounds
        )
    res["parallel_step_share"] = med(go_rounds, "parallel_step_share")
    if c_rounds:
        res["c_steps_per_sec"] = med(c_rounds, "steps_per_sec")
        res["c_steps_per_cpu_sec"] = med(c_rounds, "steps_per_cpu_sec")
        res["xlrl_over_c"] = statistics.median(
            g["steps_per_sec"] / c["steps_per_sec"]
            for g, c in zip(go_rounds, c_rounds, strict=True)
        )
        res["xlrl_over_c_cpu"] = statistics.median(
            g["steps_per_cpu_sec"] / c["steps_per_cpu_sec"]
            for g, c in zip(go_rounds, c_rounds, strict=True)
        )
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
            f"xlrl, vectorized, {args.envs} envs, up to {go['workers']} workers",
            res["vectorized_steps_per_sec"],
        ),
    ]
    if "vectorized_one_worker_steps_per_sec" in res:
        rows.append(
            (
                f"xlrl, vectorized, {args.envs} envs, 1 worker",
                res["vectorized_one_worker_steps_per_sec"],
            )
        )
    if c_rounds:
        rows += [
            ("plain C loop (bench/cartpole_ref.c), one core", res["c_steps_per_sec"]),
            ("plain C loop, per CPU-second", res["c_steps_per_cpu_sec"]),
        ]
    rows += [
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
    if c_rounds:
        print(
            f"  xlrl / C over {len(c_rounds)} alternating rounds (median): "
            f"{res['xlrl_over_c']:.2f} (wall), {res['xlrl_over_c_cpu']:.2f} (CPU time)"
        )
    print(
        f"  vector / one core: {res['vector_over_one_core']:.2f} "
        f"({100 * res['parallel_step_share']:.0f}% of vector steps on more than one worker)"
    )
    if "vector_over_one_worker" in res:
        print(f"  vector / the same vector on 1 worker: {res['vector_over_one_worker']:.2f}")
    if args.json:
        print(json.dumps(res))


if __name__ == "__main__":
    sys.exit(main())
