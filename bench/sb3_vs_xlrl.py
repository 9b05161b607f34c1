"""Stable-Baselines3 with rl-baselines3-zoo's settings beside `xlrl train`: DQN or PPO on CartPole-v1, SAC on Pendulum-v1.

--task dqn-cartpole (the default) is described below. --task ppo-cartpole is rl-zoo's
ppo.yml CartPole-v1 entry (8 envs, 100k steps, n_steps 32, batch 256, gae_lambda 0.8,
gamma 0.98, 20 epochs, lin_0.001, clip lin_0.2) against `xlrl train --algo ppo` (the same
entry is xlrl's tuned table's); --task sac-pendulum is sac.yml's Pendulum-v1 entry (20k
steps, learning_rate 1e-3, SB3's defaults) against `xlrl train --algo sac`. Solved means a
mean of at least 475 (CartPole) or -200 (Pendulum) over the evaluation episodes.

Both train for the same budget (50,000 steps) with the same network ([256, 256]) and the
rl-zoo hyperparameters (lr 2.3e-3, batch 64, buffer 100k, learning_starts 1000, gamma 0.99,
target_update_interval 10, train_freq 256, gradient_steps 128, exploration 0.16 -> 0.04),
several seeds each, on the same machine in one run. Each trained policy is evaluated
greedily on 100 fresh episodes (seeds apart from training). Printed per run: wall time from
start to finish (xlrl: the whole process, worker start-up and TensorFlow import included),
evaluation mean and std, and for xlrl where its time went; beside each wall time the CPU
time it used (SB3: its process; xlrl: the binary, and its worker only where the binary waited
for it, so treat the tf backend's CPU figure as a lower bound), which tells how much of a
wall time on a shared machine was waiting for a core. The tf backend's worker runs
TensorFlow on XLRL_TF_THREADS intra-op threads (default 1, see pyworker/rl.py; 0: one per
core, TensorFlow's default); the environment variable passes through to it. The tf
backend's figures are cold: no compilation cache, TensorFlow imported and the training
loop XLA-compiled inside every run's wall time.

SB3 needs PyTorch; install both into a separate virtual environment (large: PyPI's torch
wheel pulls the CUDA libraries even on a CPU machine) and run this script with it:

    python3 -m venv /work/benchvenv && /work/benchvenv/bin/pip install stable-baselines3 gymnasium
    make build venv
    /work/benchvenv/bin/python bench/sb3_vs_xlrl.py --seeds 3 [--json]

xlrl runs as `bin/xlrl train --env CartPole-v1 --algo dqn --layers 256,256 --lr 0.0023
--steps 50000 --hp double=false` (rl-zoo's learning rate, vanilla DQN like SB3's), once with its defaults (periodic evaluation keeps
the best weights and stops at a perfect score, like rl-zoo's EvalCallback keeping best_model)
and once with --no-early-stop (the whole budget). --skip-sb3 runs only xlrl.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ZOO = dict(
    learning_rate=2.3e-3,
    batch_size=64,
    buffer_size=100_000,
    learning_starts=1000,
    gamma=0.99,
    target_update_interval=10,
    train_freq=256,
    gradient_steps=128,
    exploration_fraction=0.16,
    exploration_final_eps=0.04,
)


# Each task's environment, rl-zoo budget and the mean return that counts as solved.
TASK_ENV = {
    "dqn-cartpole": "CartPole-v1",
    "ppo-cartpole": "CartPole-v1",
    "sac-pendulum": "Pendulum-v1",
}
TASK_STEPS = {"dqn-cartpole": 50_000, "ppo-cartpole": 100_000, "sac-pendulum": 20_000}
TASK_SOLVED = {"dqn-cartpole": 475.0, "ppo-cartpole": 475.0, "sac-pendulum": -200.0}


def sb3_model(task: str, seed: int):
    import gymnasium as gym
    from stable_baselines3 import DQN, PPO, SAC
    from stable_baselines3.common.env_util import make_vec_env

    if task == "dqn-cartpole":
        env = gym.make("CartPole-v1")
        return DQN(
            "MlpPolicy", env, policy_kwargs=dict(net_arch=[256, 256]), seed=seed, verbose=0, **ZOO
        )
    if task == "ppo-cartpole":
        env = make_vec_env("CartPole-v1", n_envs=8, seed=seed)
        return PPO(
            "MlpPolicy",
            env,
            n_steps=32,
            batch_size=256,
            gae_lambda=0.8,
            gamma=0.98,
            n_epochs=20,
            ent_coef=0.0,
            learning_rate=lambda p: p * 1e-3,
            clip_range=lambda p: p * 0.2,
            seed=seed,
            verbose=0,
        )
    return SAC("MlpPolicy", gym.make("Pendulum-v1"), learning_rate=1e-3, seed=seed, verbose=0)


def run_sb3(task: str, seed: int, steps: int, episodes: int) -> dict:
    import gymnasium as gym
    import numpy as np
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    start, cpu0 = time.perf_counter(), time.process_time()
    model = sb3_model(task, seed)
    model.learn(total_timesteps=steps)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu0
    eval_env = gym.make(TASK_ENV[task])
    returns = []
    for ep in range(episodes):
        obs, _ = eval_env.reset(seed=1_000_000 + 1000 * seed + ep)
        done, total = False, 0.0
        while not done:
            action, _ = model.predict(obs, deterministic=True)
            if task != "sac-pendulum":
                action = int(action)
            obs, r, term, trunc, _ = eval_env.step(action)
            total += float(r)
            done = term or trunc
        returns.append(total)
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "mean": float(np.mean(returns)),
        "std": float(np.std(returns)),
        "steps": steps,
    }


def xlrl_args(task: str) -> list[str]:
    if task == "dqn-cartpole":
        return [
            "--env",
            "CartPole-v1",
            "--algo",
            "dqn",
            "--layers",
            "256,256",
            "--lr",
            "0.0023",
            "--hp",
            "double=false",
        ]
    if task == "ppo-cartpole":
        return ["--env", "CartPole-v1", "--algo", "ppo", "--plot=false"]
    return ["--env", "Pendulum-v1", "--algo", "sac", "--plot=false"]


def run_xlrl(
    xlrl: str, python: str, task: str, seed: int, steps: int, backend: str, early_stop: bool
) -> dict:
    cmd = [
        xlrl,
        "train",
        *xlrl_args(task),
        "--backend",
        backend,
        "--steps",
        str(steps),
        "--seed",
        str(seed),
        "--json",
    ]
    if not early_stop:
        cmd.append("--no-early-stop")
    start, ru0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(
        cmd, capture_output=True, text=True, cwd=ROOT, env=dict(os.environ, XLRL_PYTHON=python)
    )
    wall, ru = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
    # xlrl and the descendants it waited for: the tf worker's threads may be missed
    cpu = ru.ru_utime + ru.ru_stime - ru0.ru_utime - ru0.ru_stime
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{p.stderr}")
    res = json.loads(p.stdout.strip().splitlines()[-1])
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "mean": res["mean_return"],
        "std": res["std_return"],
        "steps": res["train_steps"],
        "time": res["deep"]["time"],
        "worker_start_s": res["deep"]["worker_start_s"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--task", choices=sorted(TASK_ENV), default="dqn-cartpole")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--steps", type=int, help="the budget (default: the task's rl-zoo budget)")
    ap.add_argument("--episodes", type=int, default=100)
    ap.add_argument("--xlrl", default=str(ROOT / "bin" / "xlrl"))
    ap.add_argument(
        "--xlrl-python",
        default=str(ROOT / ".venv" / "bin" / "python"),
        help="the interpreter with pyworker and TensorFlow, for the tf backend",
    )
    ap.add_argument("--backends", default="tf", help="xlrl backends, comma-separated (tf, go)")
    ap.add_argument(
        "--modes",
        default="early,full",
        help="xlrl runs, comma-separated: early (stop at a perfect evaluation), full (whole budget)",
    )
    ap.add_argument("--skip-sb3", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if args.steps is None:
        args.steps = TASK_STEPS[args.task]

    runs: dict[str, list[dict]] = {}
    configs: list[tuple[str, tuple[str, bool] | None]] = [] if args.skip_sb3 else [("sb3", None)]
    modes = args.modes.split(",")
    for b in args.backends.split(","):
        if "early" in modes:
            configs.append((f"xlrl-{b}", (b, True)))
        if "full" in modes:
            configs.append((f"xlrl-{b}-full-budget", (b, False)))
    for seed in range(1, args.seeds + 1):
        for name, conf in configs:
            if conf is None:
                r = run_sb3(args.task, seed, args.steps, args.episodes)
            else:
                r = run_xlrl(args.xlrl, args.xlrl_python, args.task, seed, args.steps, *conf)
            runs.setdefault(name, []).append(r)
            extra = ""
            if "time" in r:
                t = r["time"]
                extra = (
                    f"  [worker start {r['worker_start_s']:.1f}s, setup {t['setup_s']:.1f}s, "
                    f"env {t['env_s']:.1f}s, eval {t['eval_s']:.1f}s, "
                    f"Go forward {t['forward_s']:.1f}s, worker forward {t['tf_forward_s']:.1f}s, "
                    f"gradient steps {t['train_s']:.1f}s, link {t['link_s']:.1f}s]"
                )
            print(
                f"{name:24s} seed {seed}: {r['wall_s']:7.1f} s (CPU {r['cpu_s']:7.1f} s), "
                f"{r['steps']:6d} steps, "
                f"eval {r['mean']:6.1f} ± {r['std']:5.1f}{extra}",
                flush=True,
            )

    summary = {}
    for name, rs in runs.items():
        summary[name] = {
            "median_wall_s": statistics.median(r["wall_s"] for r in rs),
            "median_cpu_s": statistics.median(r["cpu_s"] for r in rs),
            "solved": sum(r["mean"] >= TASK_SOLVED[args.task] for r in rs),
            "seeds": len(rs),
            "eval_means": [r["mean"] for r in rs],
        }
    print()
    for name, s in summary.items():
        print(
            f"{name:24s} median wall {s['median_wall_s']:7.1f} s, solved {s['solved']} of "
            f"{s['seeds']} seeds (eval means {', '.join(f'{m:.1f}' for m in s['eval_means'])})"
        )
    if "sb3" in summary:
        for name, s in summary.items():
            if name != "sb3":
                print(
                    f"{name}: {summary['sb3']['median_wall_s'] / s['median_wall_s']:.1f}x "
                    f"faster than SB3 in median wall time "
                    f"({summary['sb3']['median_cpu_s'] / s['median_cpu_s']:.1f}x in CPU time)"
                )
    if args.json:
        print(
            json.dumps(
                {
                    "machine": {
                        "cpus": os.cpu_count(),
                        "platform": platform.platform(),
                        "python": sys.version.split()[0],
                    },
                    # the tf backend's intra-op threads (pyworker/rl.py; unset: 1)
                    "xlrl_tf_threads": os.environ.get("XLRL_TF_THREADS", "1"),
                    "task": args.task,
                    "steps": args.steps,
                    "runs": runs,
                    "summary": summary,
                }
            )
        )


if __name__ == "__main__":
    main()
