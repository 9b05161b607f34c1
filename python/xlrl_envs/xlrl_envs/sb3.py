"""Stable-Baselines3's VecEnv interface over an XlrlVectorEnv (duck-typed: SB3 is not needed)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from xlrl_envs.vector import XlrlVectorEnv


class SB3VecEnv:
    """What SB3's algorithms call on a VecEnv: reset() -> obs, step_async/step_wait.

    ``step_wait`` returns (obs, rewards, dones, infos) with dones = terminated
    or truncated, ``infos[i]["terminal_observation"]`` for copies whose
    episode ended and ``infos[i]["TimeLimit.truncated"]`` as SB3 expects.
    Observations are copied (SB3 keeps them in its rollout buffer).
    To wrap it in SB3's own VecEnv wrappers, subclass
    stable_baselines3.common.vec_env.VecEnv with this as a mixin.
    """

    def __init__(self, venv: XlrlVectorEnv) -> None:
        self.venv = venv
        self.num_envs = venv.num_envs
        self.observation_space = venv.single_observation_space
        self.action_space = venv.single_action_space
        self.render_mode = None
        self._actions: np.ndarray | None = None
        self._seed: int | None = None

    def seed(self, seed: int | None = None) -> Sequence[int | None]:
        self._seed = seed
        return [None if seed is None else seed + i for i in range(self.num_envs)]

    def reset(self) -> np.ndarray:
        obs, _ = self.venv.reset(seed=self._seed)
        self._seed = None
        return np.array(obs)

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = actions

    def step_wait(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict[str, Any]]]:
        if self._actions is None:
            raise RuntimeError("step_wait without step_async")
        obs, rew, term, trunc, infos = self.venv.step(self._actions)
        self._actions = None
        dones = term | trunc
        out: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        for i in np.flatnonzero(dones):
            out[i]["terminal_observation"] = np.array(infos["final_obs"][i])
            out[i]["TimeLimit.truncated"] = bool(trunc[i] and not term[i])
        return np.array(obs), rew.astype(np.float32), dones.copy(), out

    def step(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict[str, Any]]]:
        self.step_async(actions)
        return self.step_wait()

    def close(self) -> None:
        self.venv.close()

    def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
        return [getattr(self.venv, attr_name)] * self._count(indices)

    def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:
        raise AttributeError("the copies live in Go: their attributes cannot be set from Python")

    def env_method(
        self, method_name: str, *args: Any, indices: Any = None, **kwargs: Any
    ) -> list[Any]:
        raise AttributeError(f"the copies live in Go: no per-copy method {method_name!r}")

    def env_is_wrapped(self, wrapper_class: type, indices: Any = None) -> list[bool]:
        return [False] * self._count(indices)

    def get_images(self) -> Sequence[np.ndarray | None]:
        return [None] * self.num_envs

    def _count(self, indices: Any) -> int:
        if indices is None:
            return self.num_envs
        if isinstance(indices, int):
            return 1
        return len(list(indices))
