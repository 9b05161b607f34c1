"""xlrl's Go environments for Python.

``make_vec(id, num_envs, seed=None, **options)`` gives a
``gymnasium.vector.VectorEnv`` whose arrays are views of the Go side's
buffers, stepped by one call into Go per vector step; ``make(id)`` one
``gymnasium.Env``; ``SB3VecEnv`` the Stable-Baselines3 VecEnv interface;
``load_policy(file)`` a policy exported by ``xlrl export --format npz``.

Options: ``map`` and ``slippery`` (FrozenLake, CliffWalking),
``max_episode_steps``; ``workers`` (goroutines stepping the copies, 0: one
per CPU) and ``copy`` (return copies instead of views).

Pitfalls of a Go runtime inside Python: one per process (a second Go
library is refused), and none after fork (refused, naming the ``spawn``
start method).
"""

from __future__ import annotations

from typing import Any

from xlrl_envs._lib import GoRuntimeError, load_library, specs
from xlrl_envs.policy import Policy, load_policy
from xlrl_envs.sb3 import SB3VecEnv
from xlrl_envs.vector import XlrlEnv, XlrlVectorEnv

__all__ = [
    "GoRuntimeError",
    "Policy",
    "SB3VecEnv",
    "XlrlEnv",
    "XlrlVectorEnv",
    "ids",
    "load_library",
    "load_policy",
    "make",
    "make_vec",
    "specs",
]


def make_vec(env_id: str, num_envs: int, seed: int | None = None, **options: Any) -> XlrlVectorEnv:
    """``num_envs`` copies of the Go environment ``env_id``; copy i is seeded with seed + i."""
    return XlrlVectorEnv(env_id, num_envs, seed, **options)


def make(env_id: str, seed: int | None = None, **options: Any) -> XlrlEnv:
    """One Go environment as a gymnasium.Env."""
    return XlrlEnv(env_id, seed, **options)


def ids() -> list[str]:
    """The ids the loaded library serves (the built-ins and any registered in its Go build)."""
    return [s["id"] for s in specs()]
