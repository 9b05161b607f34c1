"""Tabular Q-learning throughput: Go (xlrl) beside Python peers, in one run.

Measures updates per second of the same loop (environment step, epsilon-greedy
choice, Q update) on FrozenLake-v1 and Taxi-v3:

- Go: ``go test -bench QLearning ./internal/agent/tabular`` (the xlrl agent);
- numpy: a straightforward loop over a numpy Q table, stepping a numpy copy
  of Gymnasium's transition table P (no Gymnasium overhead);
- gymnasium: the same loop stepping ``gymnasium.make(id)`` itself.

It also times the Q-update kernel from Python over a million updates: one
ctypes call per update into libqvalue.so, one batched ctypes call, and numpy.

Run from the repository root (needs ``make libqvalue`` and the venv):
    .venv/bin/python bench/tabular_numpy.py [--steps 200000]
Prints a markdown table, then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import subprocess
import time
from pathlib import Path

import gymnasium as gym
import numpy as np

from pyworker import native

ROOT = Path(__file__).resolve().parent.parent
# Matching the tuned defaults of `xlrl train` (internal/agent/zoo/table.go).
# Gymnasium 1.x renamed Taxi-v3 (same dynamics when not rainy) to Taxi-v4.
GYM_ID = {"FrozenLake-v1": "FrozenLake-v1", "Taxi-v3": "Taxi-v4"}
HYPER = {
    "FrozenLake-v1": {"lr": 0.1, "gamma": 0.99, "decay_episodes": 10_000},
    "Taxi-v3": {"lr": 0.5, "gamma": 0.99, "decay_episodes": 2_500},
}


def go_bench(steps: int) -> dict[str, float]:
    """Updates/s of the Go agent, from the Go benchmark's custom metric."""
    out = subprocess.run(
        [
            "go",
            "test",
            "-run",
            "^$",
            "-bench",
            "QLearning",
            "-benchtime",
            f"{steps}x",
            "-count",
            "3",
            "./internal/agent/tabular/",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    best: dict[str, float] = {}
    for env_id, rate in re.findall(r"BenchmarkQLearning/(\S+?)-\d+\s.*?([\d.e+]+) updates/s", out):
        best[env_id] = max(best.get(env_id, 0.0), float(rate))
    return best


def tables(env_id: str) -> tuple[np.ndarray, ...]:
    """Gymnasium's P as padded numpy arrays: cumulative probs, next, reward, done."""
    env = gym.make(GYM_ID[env_id])
    p = env.unwrapped.P
    n_s, n_a = env.observation_space.n, env.action_space.n
    k = max(len(p[s][a]) for s in range(n_s) for a in range(n_a))
    cum = np.ones((n_s, n_a, k))
    nxt = np.zeros((n_s, n_a, k), dtype=np.int64)
    rew = np.zeros((n_s, n_a, k))
    done = np.zeros((n_s, n_a, k), dtype=bool)
    for s in range(n_s):
        for a in range(n_a):
            c = 0.0
            for i, (prob, s2, r, d) in enumerate(p[s][a]):
                c += prob
                cum[s, a, i], nxt[s, a, i], rew[s, a, i], done[s, a, i] = c, s2, r, d
    init = np.cumsum(env.unwrapped.initial_state_distrib)
    return cum, nxt, rew, done, init, env.spec.max_episode_steps


def numpy_loop(env_id: str, steps: int, seed: int = 1) -> float:
    """Updates/s of Q-learning over a numpy model of the environment."""
    cum, nxt, rew, done, init, limit = tables(env_id)
    h = HYPER[env_id]
    rng = np.random.default_rng(seed)
    n_s, n_a = cum.shape[:2]
    q = np.zeros((n_s, n_a))
    lr, gamma = h["lr"], h["gamma"]
    episode = 0
    t0 = time.perf_counter()
    done_steps = 0
    while done_steps < steps:
        eps = max(0.05, 1 - 0.95 * episode / h["decay_episodes"])
        s = int(np.searchsorted(init, rng.random(), side="right"))
        for _ in range(limit):
            a = int(rng.integers(n_a)) if rng.random() < eps else int(np.argmax(q[s]))
            i = int(np.searchsorted(cum[s, a], rng.random(), side="right"))
            s2, r, term = nxt[s, a, i], rew[s, a, i], done[s, a, i]
            target = r if term else r + gamma * q[s2].max()
            q[s, a] += lr * (target - q[s, a])
            done_steps += 1
            s = s2
            if term or done_steps >= steps:
                break
        episode += 1
    return done_steps / (time.perf_counter() - t0)


def gymnasium_loop(env_id: str, steps: int, seed: int = 1) -> float:
    """Updates/s of the same loop stepping Gymnasium's environment."""
    env = gym.make(GYM_ID[env_id])
    h = HYPER[env_id]
    rng = np.random.default_rng(seed)
    q = np.zeros((env.observation_space.n, env.action_space.n))
    lr, gamma = h["lr"], h["gamma"]
    n_a = env.action_space.n
    episode, done_steps = 0, 0
    s, _ = env.reset(seed=seed)
    t0 = time.perf_counter()
    while done_steps < steps:
        eps = max(0.05, 1 - 0.95 * episode / h["decay_episodes"])
        a = int(rng.integers(n_a)) if rng.random() < eps else int(np.argmax(q[s]))
        s2, r, term, trunc, _ = env.step(a)
        target = r if term else r + gamma * q[s2].max()
        q[s, a] += lr * (target - q[s, a])
        done_steps += 1
        s = s2
        if term or trunc:
            s, _ = env.reset()
            episode += 1
    return done_steps / (time.perf_counter() - t0)


def kernel(n_single: int, n_batch: int) -> dict[str, float]:
    """Updates/s of the Q-update kernel called from Python three ways."""
    rng = np.random.default_rng(0)
    q, r, m = (rng.standard_normal(n_batch) for _ in range(3))
    t = rng.random(n_batch) < 0.1
    upd = native.update_q_value
    qs, rs, ms, ts = (
        q[:n_single].tolist(),
        r[:n_single].tolist(),
        m[:n_single].tolist(),
        t[:n_single].tolist(),
    )
    t0 = time.perf_counter()
    for i in range(n_single):
        upd(qs[i], rs[i], ms[i], 0.1, 0.99, ts[i])
    single = n_single / (time.perf_counter() - t0)
    out = np.empty(n_batch)
    best_batch = best_np = 0.0
    for _ in range(5):
        t0 = time.perf_counter()
        native.update_q_value_batch(q, r, m, t, 0.1, 0.99, out=out)
        best_batch = max(best_batch, n_batch / (time.perf_counter() - t0))
        t0 = time.perf_counter()
        native.update_q_value_numpy(q, r, m, t, 0.1, 0.99)
        best_np = max(best_np, n_batch / (time.perf_counter() - t0))
    return {"ctypes_per_call": single, "ctypes_batched": best_batch, "numpy": best_np}


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--steps", type=int, default=200_000, help="updates per Python loop measurement"
    )
    ap.add_argument("--go-steps", type=int, default=5_000_000, help="updates per Go benchmark run")
    args = ap.parse_args()

    go = go_bench(args.go_steps)
    rows = {}
    for env_id in HYPER:
        rows[env_id] = {
            "go": go[env_id],
            "numpy": numpy_loop(env_id, args.steps),
            "gymnasium": gymnasium_loop(env_id, args.steps),
        }
    k = kernel(200_000, 1_000_000)

    print(
        f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}"
    )
    print("\n| environment | xlrl (Go) updates/s | numpy loop | gymnasium loop | Go / numpy |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for env_id, v in rows.items():
        ratio = v["go"] / v["numpy"]
        print(
            f"| {env_id} | {v['go']:,.0f} | {v['numpy']:,.0f} | {v['gymnasium']:,.0f} "
            f"| {ratio:,.0f}x |"
        )
    print("\n| Q-update kernel from Python | updates/s |")
    print("| --- | ---: |")
    for name, v in k.items():
        print(f"| {name} | {v:,.0f} |")
    print(json.dumps({"q_learning": rows, "kernel": k}))


if __name__ == "__main__":
    main()
