"""xlrl's Go environments as a gymnasium.vector.VectorEnv and a gymnasium.Env."""

from __future__ import annotations

import ctypes
import json
import os
import sys
from collections.abc import Callable
from typing import Any

import gymnasium
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode
from gymnasium.vector.utils import batch_space

from xlrl_envs import _lib

try:  # the C hot path of step, built with the package when a C compiler was there
    from xlrl_envs import _fast
except ImportError:  # the pure-ctypes path below does the same, slower
    _fast = None  # type: ignore[assignment]

NO_C_ENV = "XLRL_ENVS_NO_C"
"""Set to 1 to step through ctypes even when the C extension is there (tests compare both)."""

_BIG = sys.float_info.max


def c_extension() -> bool:
    """Whether steps go through the C extension (``xlrl_envs._fast``) rather than ctypes."""
    return _fast is not None and os.environ.get(NO_C_ENV, "") in ("", "0")


def _space(w: dict[str, Any]) -> spaces.Space:
    if w["kind"] == "discrete":
        return spaces.Discrete(w["n"])
    shape = tuple(w["shape"])
    low = np.asarray(w["low"], dtype=np.float64)
    high = np.asarray(w["high"], dtype=np.float64)
    low[low <= -_BIG] = -np.inf  # the library sends +-MaxFloat64 for infinities
    high[high >= _BIG] = np.inf
    return spaces.Box(low.reshape(shape), high.reshape(shape), dtype=np.float64)


def _converter(
    env_id: str, target: np.ndarray, n: int, space: spaces.Space
) -> Callable[[Any], np.ndarray]:
    """Actions of any array-like form into ``target`` (the library's dtype, flat), or ValueError."""

    def convert(actions: Any) -> np.ndarray:
        a = actions if isinstance(actions, np.ndarray) else np.asarray(actions)
        if a.size != target.size:
            raise ValueError(f"{env_id}: {a.size} action values for {n} copies of {space}")
        target[...] = a.reshape(-1)
        return target

    return convert


def _on_ended(
    final: np.ndarray, terminated: np.ndarray, truncated: np.ndarray, discrete: bool
) -> Callable[[dict[str, Any]], None]:
    """What a vector step adds to infos when an episode ended (no reference to the env)."""

    def fill(infos: dict[str, Any]) -> None:
        infos["final_obs"] = final.astype(np.int64) if discrete else final
        infos["_final_obs"] = terminated | truncated

    return fill


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
        self._convert = _converter(env_id, self._actions, num_envs, self.single_action_space)
        self._step_fn = lib.XlrlVecStepDiscrete if self._discrete_act else lib.XlrlVecStepContinuous
        self._err = ctypes.c_void_p()
        self._err_ref = ctypes.byref(self._err)
        self._seed_next = seed
        self._started = False
        self._use_c = not copy and c_extension()  # decided once, at make
        self._fast: Any = None  # the C stepper, made at the first reset

    def _make_stepper(self) -> Any:
        """The C stepper over this vector's buffers; no reference to self (no cycle)."""
        obs, final = self._obs, self._final
        return _fast.Stepper(
            step=ctypes.cast(self._step_fn, ctypes.c_void_p).value or 0,
            free=ctypes.cast(self._lib.XlrlEnvsFree, ctypes.c_void_p).value or 0,
            handle=self._handle,
            n_values=self._actions.size,
            discrete_actions=self._discrete_act,
            discrete_obs=self._discrete_obs,
            obs=obs,
            final_obs=final,
            rewards=self._rewards,
            terminated=self._terminated,
            truncated=self._truncated,
            obs_fn=(lambda: obs.astype(np.int64)) if self._discrete_obs else None,
            on_ended=_on_ended(final, self._terminated, self._truncated, self._discrete_obs),
            convert=self._convert,
            on_fork=_lib.check_process,
        )

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
        if self._fast is None and self._use_c:
            self._fast = self._make_stepper()
            # The instance's step is the stepper itself: no Python frame between the caller and C.
            self.step = self._fast  # type: ignore[method-assign]
        elif self._fast is not None:
            self._fast.ended = False
        return self._out(self._obs), {}

    def step(
        self, actions: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Step every copy once (one call into Go; the GIL is released while Go steps).

        After the first reset, with the C extension, the instance's ``step`` is the C
        stepper, which does what :meth:`_step_ctypes` does.
        """
        return self._step_ctypes(actions)

    def _step_ctypes(
        self, actions: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """step through ctypes (no C extension, or copy=True): the same results, slower."""
        if _lib._forked:
            _lib.check_process()
        if not self._started:
            raise RuntimeError(f"{self.env_id}: call reset() before step()")
        self._convert(actions)
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
        self._fast = None  # before the memory it reads goes
        self.__dict__.pop("step", None)
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
        fast = self._vec._fast
        if seed is None and fast is not None and fast.ended:  # the next episode, started in Go
            fast.ended = False
            return fast.obs_one(), {}
        super().reset(seed=seed)
        if seed is None and self._next_started:
            self._next_started = False
            return self._one(self._vec._obs), {}
        obs, _ = self._vec.reset(seed=seed)
        if self._vec._fast is not None and "step" not in self.__dict__:
            # The C stepper's step_one is this env's step: no Python frame in between.
            self.step = self._vec._fast.step_one  # type: ignore[method-assign]
        return self._one(obs), {}

    def _one(self, obs: np.ndarray) -> Any:
        if self._vec._discrete_obs:
            return int(obs[0])
        return np.array(obs[0])

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        """One step (after the first reset, with the C extension, the C stepper's step_one)."""
        self._next_started = False
        obs, rew, term, trunc, infos = self._vec.step(np.asarray([action]))
        if term[0] or trunc[0]:
            obs = infos["final_obs"]
            self._next_started = True
        return self._one(obs), float(rew[0]), bool(term[0]), bool(trunc[0]), {}

    def close(self) -> None:
        self.__dict__.pop("step", None)
        self._vec.close()
