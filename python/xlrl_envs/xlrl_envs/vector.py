"""xlrl's Go environments as a gymnasium.vector.VectorEnv and a gymnasium.Env."""

from __future__ import annotations

import ctypes
import json
import sys
from typing import Any

import gymnasium
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode
from gymnasium.vector.utils import batch_space

from xlrl_envs import _lib

_BIG = sys.float_info.max


def _space(w: dict[str, Any]) -> spaces.Space:
    if w["kind"] == "discrete":
        return spaces.Discrete(w["n"])
    shape = tuple(w["shape"])
    low = np.asarray(w["low"], dtype=np.float64)
    high = np.asarray(w["high"], dtype=np.float64)
    low[low <= -_BIG] = -np.inf  # the library sends +-MaxFloat64 for infinities
    high[high >= _BIG] = np.inf
    return spaces.Box(low.reshape(shape), high.reshape(shape), dtype=np.float64)


def _view(ptr: ctypes.c_void_p, ctype: Any, shape: tuple[int, ...]) -> np.ndarray:
    count = int(np.prod(shape))
    arr = np.ctypeslib.as_array(ctypes.cast(ptr, ctypes.POINTER(ctype)), shape=(count,))
    return arr.reshape(shape)


class XlrlVectorEnv(gymnasium.vector.VectorEnv):
    """N copies of one Go environment, stepped by one call into Go per vector step.

    Observations, final observations, rewards and the two flags are numpy
    views of memory the Go side writes in place: each step overwrites them,
    so copy what you keep (or pass ``copy=True``). Resets happen in the same
    step as an episode's end (``AutoresetMode.SAME_STEP``): the returned
    observation of a copy whose episode ended is the next episode's first,
    and ``infos["final_obs"][i]`` (valid where ``infos["_final_obs"][i]``)
    the last one of the episode that ended. Box observations are float64
    (the Go environments compute in float64); Discrete ones are int64 (a
    conversion, not a view, for the grid environments).
    """

    metadata = {"autoreset_mode": AutoresetMode.SAME_STEP}

    def __init__(
        self,
        env_id: str,
        num_envs: int,
        seed: int | None = None,
        *,
        workers: int = 0,
        copy: bool = False,
        **options: Any,
    ) -> None:
        lib = _lib.lib()
        err = ctypes.c_void_p()
        opts = json.dumps(options).encode() if options else None
        self._handle = 0
        handle = lib.XlrlVecNew(
            env_id.encode(), num_envs, workers, 0 if seed is None else seed, opts, ctypes.byref(err)
        )
        if not handle:
            raise ValueError(_lib.take_string(err.value) or f"cannot make {env_id}")
        self._handle = handle
        self._lib = lib
        spec = json.loads(_lib.take_string(lib.XlrlVecSpec(handle)) or "{}")
        self.spec_dict = spec
        self.env_id = env_id
        self.num_envs = num_envs
        self.single_observation_space = _space(spec["observation"])
        self.single_action_space = _space(spec["action"])
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self.max_episode_steps = spec["max_episode_steps"]
        self.reward_threshold = spec["reward_threshold"]
        self._copy = copy
        ptrs = [ctypes.c_void_p() for _ in range(5)]
        if lib.XlrlVecBuffers(handle, *[ctypes.byref(p) for p in ptrs]) != 0:
            raise RuntimeError("xlrl_envs: the library gave no buffers")
        ob = spec["observation"]
        dim = 1 if ob["kind"] == "discrete" else int(np.prod(ob["shape"]))
        shape = (num_envs,) if ob["kind"] == "discrete" else (num_envs, *ob["shape"])
        self._obs = _view(ptrs[0], ctypes.c_double, (num_envs * dim,)).reshape(shape)
        self._final = _view(ptrs[1], ctypes.c_double, (num_envs * dim,)).reshape(shape)
        self._rewards = _view(ptrs[2], ctypes.c_double, (num_envs,))
        self._terminated = _view(ptrs[3], ctypes.c_bool, (num_envs,))
        self._truncated = _view(ptrs[4], ctypes.c_bool, (num_envs,))
        self._discrete_obs = ob["kind"] == "discrete"
        act = spec["action"]
        self._discrete_act = act["kind"] == "discrete"
        adim = 1 if self._discrete_act else int(np.prod(act["shape"]))
        self._actions = np.zeros(
            num_envs * adim, dtype=np.int64 if self._discrete_act else np.float64
        )
        self._actions_ptr = self._actions.ctypes.data
        self._step_fn = lib.XlrlVecStepDiscrete if self._discrete_act else lib.XlrlVecStepContinuous
        self._err = ctypes.c_void_p()
        self._err_ref = ctypes.byref(self._err)
        self._seed_next = seed
        self._started = False

    def _out(self, arr: np.ndarray) -> np.ndarray:
        if self._discrete_obs:
            return arr.astype(np.int64)
        return arr.copy() if self._copy else arr

    def _check(self, err: int | None) -> None:
        msg = _lib.take_string(err)
        if msg is not None:
            raise ValueError(msg)

    def reset(
        self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start an episode in every copy; ``seed`` reseeds copy i with seed + i."""
        _lib.check_process()
        if isinstance(seed, list):
            raise TypeError("xlrl_envs seeds copy i with seed + i: pass one int")
        if seed is None and not self._started:
            seed = self._seed_next
        self._started = True
        self._check(self._lib.XlrlVecReset(self._handle, seed or 0, seed is not None))
        return self._out(self._obs), {}

    def step(
        self, actions: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Step every copy once (one call into Go; the GIL is released while Go steps)."""
        if _lib._forked:
            _lib.check_process()
        if not self._started:
            raise RuntimeError(f"{self.env_id}: call reset() before step()")
        a = actions if isinstance(actions, np.ndarray) else np.asarray(actions)
        if a.size != self._actions.size:
            raise ValueError(
                f"{self.env_id}: {a.size} action values for {self.num_envs} copies of "
                f"{self.single_action_space}"
            )
        if a.shape == self._actions.shape:
            self._actions[...] = a
        else:
            self._actions[...] = a.reshape(-1)
        ended = self._step_fn(self._handle, self._actions_ptr, self._err_ref)
        if ended < 0:
            raise ValueError(_lib.take_string(self._err.value) or "step failed")
        infos: dict[str, Any] = {}
        if ended:
            infos["final_obs"] = self._out(self._final)
            infos["_final_obs"] = self._terminated | self._truncated
        if self._copy:
            return (
                self._out(self._obs),
                self._rewards.copy(),
                self._terminated.copy(),
                self._truncated.copy(),
                infos,
            )
        return self._out(self._obs), self._rewards, self._terminated, self._truncated, infos

    def close_extras(self, **kwargs: Any) -> None:
        if self._handle:
            _lib.check_process()
            # The views die with the memory: drop them first.
            self._obs = self._final = self._rewards = np.zeros(0)
            self._terminated = self._truncated = np.zeros(0, dtype=bool)
            self._lib.XlrlVecClose(self._handle)
            self._handle = 0

    def __del__(self) -> None:
        try:
            if getattr(self, "_handle", 0) and _lib._pid == __import__("os").getpid():
                self._lib.XlrlVecClose(self._handle)
                self._handle = 0
        except Exception:
            pass


class XlrlEnv(gymnasium.Env):
    """One Go environment as a gymnasium.Env (a vector of one underneath).

    ``step`` returns a copy of the observation. After an episode ends, call
    ``reset()`` as Gymnasium's API says: the Go side has started the next
    episode in the same step already, so an unseeded reset returns that
    episode's first observation without another call (and copy i of a
    vector seeded with s steps exactly as this env seeded with s + i).
    """

    def __init__(self, env_id: str, seed: int | None = None, **options: Any) -> None:
        self._vec = XlrlVectorEnv(env_id, 1, seed, copy=False, **options)
        self.observation_space = self._vec.single_observation_space
        self.action_space = self._vec.single_action_space
        self.env_id = env_id
        self._next_started = False  # the episode after the one that ended is under way

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        super().reset(seed=seed)
        if self._next_started and seed is None:
            self._next_started = False
            return self._one(self._vec._obs), {}
        obs, _ = self._vec.reset(seed=seed)
        return self._one(obs), {}

    def _one(self, obs: np.ndarray) -> Any:
        if self._vec._discrete_obs:
            return int(obs[0])
        return np.array(obs[0])

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        self._next_started = False
        obs, rew, term, trunc, infos = self._vec.step(np.asarray([action]))
        if term[0] or trunc[0]:
            obs = infos["final_obs"]
            self._next_started = True
        return self._one(obs), float(rew[0]), bool(term[0]), bool(trunc[0]), {}

    def close(self) -> None:
        self._vec.close()
