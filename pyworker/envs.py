"""Gymnasium environments hosted by the worker, N copies per handle.

The Go host (internal/gymenv) asks for ``env.make(id, num, seed)`` and then
steps all N copies in one call: actions in; observations, rewards,
terminated, truncated and the final observations of the episodes that ended
out, all as raw arrays.

Ids:

- ``CartPole-v1``: any id registered with Gymnasium (``gymnasium.make``), and
  Gymnasium's own ``module:Env-v0`` form (the module registers the id).
- ``package.module:Name``: a class or factory function importable by the
  worker's Python, called with the keyword arguments. Modules are imported
  from ``sys.path`` without the working directory (``python -m`` puts it
  first): a file that happens to lie where the worker was started is never
  imported by accident; list its directory in ``PYTHONPATH`` to use it.

Resets are explicit. With ``autoreset=True`` (vectors) a copy whose episode
ends is reset in the same step and its last observation comes back in
``final_obs`` (Gymnasium's ``AutoresetMode.SAME_STEP``); with
``autoreset=False`` (one environment driven by ``env.reset``) stepping a copy
whose episode ended is an error. Nothing depends on Gymnasium's vector
autoreset default (``NEXT_STEP`` since 1.0).
"""

from __future__ import annotations

import ast
import importlib
import mmap
import os
import struct
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import msgpack
import numpy as np

from pyworker import protocol
from pyworker.errors import ArgumentError, check_array
from pyworker.registry import CallContext, method

# The observation dtypes the host decodes (internal/gymenv).
_HOST_DTYPES = {np.dtype(d) for d in ("<f4", "<f8", "u1", "<i4", "<i8", "?")}

# More copies than this in one handle is a mistake, not a plan.
MAX_COPIES = 1 << 16


class EnvError(RuntimeError):
    """An exception raised inside a hosted environment, with where it happened."""


class SpaceError(ArgumentError):
    """A space the host cannot drive, with the wrapper that would fix it."""


# What to do about each unsupported space, by role.
_FIXES_OBS = {
    "Dict": "wrap the env in gymnasium.wrappers.FlattenObservation",
    "Tuple": "wrap the env in gymnasium.wrappers.FlattenObservation",
    "MultiDiscrete": "wrap the env in gymnasium.wrappers.FlattenObservation (one-hot Box)",
    "MultiBinary": "wrap the env in gymnasium.wrappers.FlattenObservation",
    "Text": "encode the text as a Box with a gymnasium.ObservationWrapper",
    "Graph": "encode the graph as a Box with a gymnasium.ObservationWrapper",
    "Sequence": "pad it to a fixed-size Box with a gymnasium.ObservationWrapper",
}
_FIXES_ACT = {
    "MultiDiscrete": "map one Discrete(prod(nvec)) onto it with a gymnasium.ActionWrapper",
    "MultiBinary": "map one Discrete(2**n) onto it with a gymnasium.ActionWrapper",
    "Dict": "flatten it to a Box with a gymnasium.ActionWrapper (gymnasium.spaces.flatten)",
    "Tuple": "flatten it to a Box with a gymnasium.ActionWrapper (gymnasium.spaces.flatten)",
    "Text": "map a Discrete onto the strings with a gymnasium.ActionWrapper",
}
_WRAP_HOW = (
    "; wrappers apply in a factory of your own: def make(**kw): return Wrapper(gymnasium.make(...)),"
    " then --env gym:yourmodule:make"
)


def parse_kwarg(value: str) -> Any:
    """A ``KEY=VALUE`` value as Python sees it: numbers, booleans, None, lists, else the string."""
    lowered = value.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return value


def describe_space(space: Any, role: str, env_id: str) -> dict[str, Any]:
    """The wire form of a Discrete or Box space; a :class:`SpaceError` for any other."""
    from gymnasium import spaces

    if isinstance(space, spaces.Discrete):
        return {"kind": "discrete", "n": int(space.n), "start": int(space.start)}
    if isinstance(space, spaces.Box):
        if space.dtype.kind not in "fiub":
            raise SpaceError(f"{env_id}: {role} space {space} has dtype {space.dtype}")
        return {
            "kind": "box",
            "shape": [int(d) for d in space.shape],
            "dtype": str(space.dtype),
            "low": np.asarray(space.low, dtype=np.float64).reshape(-1),
            "high": np.asarray(space.high, dtype=np.float64).reshape(-1),
        }
    name = type(space).__name__
    fixes = _FIXES_OBS if role == "observation" else _FIXES_ACT
    fix = fixes.get(name, "convert it to a Discrete or Box space with a gymnasium wrapper")
    raise SpaceError(
        f"{env_id}: the {role} space is {name} ({space}); xlrl drives Discrete and Box "
        f"spaces only: {fix}{_WRAP_HOW}"
    )


def _import_from_path(module: str) -> Any:
    """Import ``module`` from sys.path minus the working directory (unless PYTHONPATH lists it)."""
    if module in sys.modules:
        return sys.modules[module]
    cwd = os.path.realpath(os.getcwd())
    allowed = {os.path.realpath(p) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p}
    saved = list(sys.path)
    sys.path[:] = [
        p for p in saved if (p not in ("", ".") and os.path.realpath(p) != cwd) or cwd in allowed
    ]
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        raise ArgumentError(
            f"cannot import module {module!r} for the environment ({exc}); the worker's Python "
            f"({sys.executable}) imports from PYTHONPATH and its site-packages, never from the "
            "working directory: add the module's directory to PYTHONPATH"
        ) from exc
    finally:
        sys.path[:] = saved


def build_env(env_id: str, kwargs: dict[str, Any]) -> Any:
    """One Gymnasium environment for ``env_id`` (a registered id or ``module:Name``)."""
    import gymnasium

    module, sep, name = env_id.partition(":")
    if sep and name.isidentifier():
        factory = getattr(_import_from_path(module), name, None)
        if factory is None:
            raise ArgumentError(f"{env_id}: module {module!r} has no attribute {name!r}")
        if not callable(factory):
            raise ArgumentError(f"{env_id}: {name!r} is not a class or function")
        try:
            env = factory(**kwargs)
        except TypeError as exc:
            raise ArgumentError(f"{env_id}: cannot call it with {kwargs}: {exc}") from exc
    else:
        if sep:  # gymnasium's module:Env-v0 form: importing the module registers the id
            _import_from_path(module)
            env_id = name
        try:
            env = gymnasium.make(env_id, **kwargs)
        except gymnasium.error.Error as exc:
            raise ArgumentError(f"gym:{env_id}: {exc}") from exc
    if isinstance(env, gymnasium.vector.VectorEnv):
        raise ArgumentError(
            f"{env_id} gives a VectorEnv (autoreset_mode {env.metadata.get('autoreset_mode')}); "
            "give one environment: xlrl makes and resets the copies itself"
        )
    if not isinstance(env, gymnasium.Env):
        raise ArgumentError(f"{env_id} gives a {type(env).__name__}, not a gymnasium.Env")
    inner: Any = env
    while inner is not None:
        if isinstance(inner, gymnasium.wrappers.Autoreset):
            raise ArgumentError(
                f"{env_id} is wrapped in gymnasium.wrappers.Autoreset; xlrl resets explicitly "
                "after each episode: remove the wrapper"
            )
        inner = getattr(inner, "env", None)
    return env


@dataclass
class Hosted:
    """The N copies behind one handle and the buffers their results go into."""

    id: str
    envs: list[Any]
    obs_space: Any
    act_space: Any
    obs_start: int  # Discrete observation spaces: subtracted so the host sees 0..n-1
    act_start: int
    autoreset: bool
    obs: np.ndarray
    rewards: np.ndarray
    terminated: np.ndarray
    truncated: np.ndarray
    steps: np.ndarray  # steps since make, per copy (for error messages)
    final: list[np.ndarray]  # step's final observations of the copies that ended, in order
    ended: np.ndarray  # autoreset=False: the copy's episode ended and awaits reset
    started: np.ndarray  # the copy has been reset at least once
    seeds: list[int]  # each copy's first reset
    kwargs: dict[str, Any]  # the constructor arguments (env.bench rebuilds the copies)
    spec: dict[str, Any] = field(default_factory=dict)
    all_started: bool = False  # every copy has been reset at least once
    wire: _Wire | None = None  # how step's results go on the wire, made at the first step
    shm: _Shm | None = None  # the host's shared region (env.shm), when it gave one
    served_ns: int = 0  # time spent in the host's env.step calls since the last env.bench
    served_steps: int = 0

    def put_obs(self, i: int, value: Any, out: np.ndarray | None = None) -> None:
        target = self.obs if out is None else out
        arr = np.asarray(value)
        if self.obs_start:
            arr = arr - self.obs_start
        if arr.size != target[i].size:
            raise EnvError(
                f"{self.id} copy {i}: observation of shape {list(arr.shape)} does not fit the "
                f"observation space {self.obs_space}"
            )
        target[i] = arr.reshape(target[i].shape)


def _ext_header(arr: np.ndarray) -> bytes | None:
    """The array ext's header for arrays of arr's dtype and shape (protocol.py's wire format),
    or None for an array large enough that the packer should send it without a copy."""
    code = protocol.CODES.get(arr.dtype)
    if code is None or arr.nbytes >= protocol.SCATTER_BYTES:
        return None
    return struct.pack(f"<BB{arr.ndim}Q", code, arr.ndim, *arr.shape)


class _Wire:
    """step's results as ready-made msgpack ext values: one bytes join per array per step.

    Encoding a small array through the packer's default hook costs more than the copy's step
    (protocol.encode_array checks the dtype and builds the header every time); the header of
    each result array never changes, so it is built once here.
    """

    def __init__(self, h: Hosted) -> None:
        self.arrays = {
            "obs": h.obs,
            "rewards": h.rewards,
            "terminated": h.terminated,
            "truncated": h.truncated,
        }
        self.headers = {k: _ext_header(a) for k, a in self.arrays.items()}
        empty = np.zeros((0, *h.obs.shape[1:]), h.obs.dtype)
        self.none_ended = {
            "ended": protocol.encode_array(np.zeros(0, np.int64)),
            "final_obs": protocol.encode_array(empty),
        }

    def encode(self, results: dict[str, Any]) -> dict[str, Any]:
        """step's results with the result arrays as ext values (the others as they are)."""
        out = dict(results)
        for k, a in self.arrays.items():
            header = self.headers[k]
            if header is not None:
                # tuple.__new__ skips ExtType's own argument checks (a microsecond
                # per array per step): the code and the bytes are known good.
                out[k] = tuple.__new__(msgpack.ExtType, (protocol.ARRAY_EXT, header + a.tobytes()))
        if not len(results["ended"]):
            out.update(self.none_ended)
        return out


_hosted: dict[int, Hosted] = {}
_next_handle = 1


def _get(handle: int) -> Hosted:
    h = _hosted.get(handle)
    if h is None:
        raise ArgumentError(f"no environment with handle {handle} (closed, or never made)")
    return h


def _spec(env: Any, env_id: str, obs: dict[str, Any], act: dict[str, Any]) -> dict[str, Any]:
    spec = getattr(env, "spec", None)
    max_steps = getattr(spec, "max_episode_steps", None) if spec is not None else None
    threshold = getattr(spec, "reward_threshold", None) if spec is not None else None
    return {
        "id": env_id,
        "observation": obs,
        "action": act,
        "max_episode_steps": int(max_steps or 0),
        "reward_threshold": None if threshold is None else float(threshold),
        "autoreset_mode": "same-step",
    }


@method("env.make")
def make(
    ctx: CallContext,
    *,
    id: str,
    num: int = 1,
    seed: int = 0,
    kwargs: dict[str, Any] | None = None,
    max_episode_steps: int = 0,
    autoreset: bool = True,
) -> dict[str, Any]:
    """Make ``num`` copies of ``id``; copy i's first reset is seeded with ``seed + i``."""
    global _next_handle
    if not isinstance(id, str) or not id:
        raise ArgumentError("env.make: id must be a non-empty string")
    if not 1 <= num <= MAX_COPIES:
        raise ArgumentError(f"env.make: num={num}: want 1 to {MAX_COPIES} copies")
    if max_episode_steps < 0:
        raise ArgumentError(f"env.make: max_episode_steps={max_episode_steps}: want >= 0")
    parsed = {
        str(k): parse_kwarg(v) if isinstance(v, str) else v for k, v in (kwargs or {}).items()
    }
    envs = []
    try:
        for _ in range(num):
            e = build_env(id, parsed)
            if max_episode_steps:
                import gymnasium

                e = gymnasium.wrappers.TimeLimit(e, max_episode_steps)
            envs.append(e)
        obs = describe_space(envs[0].observation_space, "observation", id)
        act = describe_space(envs[0].action_space, "action", id)
    except BaseException:
        for e in envs:
            e.close()
        raise
    space = envs[0].observation_space
    shape = (num,) if obs["kind"] == "discrete" else (num, *space.shape)
    dtype = np.int64 if obs["kind"] == "discrete" else space.dtype
    if np.dtype(dtype) not in _HOST_DTYPES:  # the host reads these; others travel as float64
        dtype = np.float64
    h = Hosted(
        id=id,
        envs=envs,
        obs_space=space,
        act_space=envs[0].action_space,
        obs_start=obs.get("start", 0),
        act_start=act.get("start", 0),
        autoreset=autoreset,
        obs=np.zeros(shape, dtype=dtype),
        rewards=np.zeros(num, dtype=np.float64),
        terminated=np.zeros(num, dtype=bool),
        truncated=np.zeros(num, dtype=bool),
        steps=np.zeros(num, dtype=np.int64),
        final=[],
        ended=np.zeros(num, dtype=bool),
        started=np.zeros(num, dtype=bool),
        seeds=[seed + i for i in range(num)],
        kwargs=parsed,
    )
    h.spec = _spec(envs[0], id, obs, act)
    if max_episode_steps:
        h.spec["max_episode_steps"] = max_episode_steps
    handle = _next_handle
    _next_handle += 1
    _hosted[handle] = h
    return {"handle": handle, "spec": h.spec}


def _reset_copy(h: Hosted, i: int, seed: int | None) -> None:
    try:
        obs, _info = h.envs[i].reset(seed=seed)
    except Exception as exc:
        raise EnvError(
            f"{h.id} copy {i}: reset after step {int(h.steps[i])} raised "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    h.put_obs(i, obs)
    h.ended[i] = False
    h.started[i] = True


@method("env.reset", inline=True)
def reset(
    ctx: CallContext, *, handle: int, seeds: list[int | None] | None = None
) -> dict[str, Any]:
    """Reset every copy; ``seeds[i]`` (or None: the copy's stream goes on) reseeds copy i.

    Without ``seeds``, a copy's first reset takes its seed from make.
    """
    h = _get(handle)
    n = len(h.envs)
    if seeds is not None and len(seeds) != n:
        raise ArgumentError(f"env.reset: {len(seeds)} seeds for {n} copies")
    for i in range(n):
        first = None if h.started[i] else h.seeds[i]
        _reset_copy(h, i, seeds[i] if seeds is not None else first)
    h.all_started = True
    return {"obs": h.obs}


def _actions(h: Hosted, actions: Any, copy: bool) -> list[Any]:
    """The copies' actions as step passes them to the envs, checked against the action space.

    ``copy``: Box actions are copied out of ``actions`` (a view of the shared region, which the
    host rewrites next step) instead of handed to the envs as views.
    """
    n = len(h.envs)
    if h.spec["action"]["kind"] == "discrete":
        acts = check_array("actions", actions, ndim=1, shape=(n,))
        if acts.dtype.kind not in "iu":
            raise ArgumentError(f"env.step: discrete actions must be integers, got {acts.dtype}")
        values: list[Any] = acts.tolist()
        n_act = h.spec["action"]["n"]
        if min(values) < 0 or max(values) >= n_act:
            i = next(i for i, a in enumerate(values) if not 0 <= a < n_act)
            raise ArgumentError(f"{h.id} copy {i}: action {values[i]} is outside Discrete({n_act})")
        return values
    acts = check_array("actions", actions)
    size = int(np.prod(h.act_space.shape))
    if acts.size != n * size:
        raise ArgumentError(f"env.step: {acts.size} action values for {n} copies of {h.act_space}")
    acts = acts.reshape((n, *h.act_space.shape))
    acts = acts.astype(h.act_space.dtype, copy=copy)
    return list(acts)


def _step_copies(h: Hosted, values: list[Any], final_out: np.ndarray | None) -> list[int]:
    """Step every copy with ``values``; return the copies whose episode ended (autoreset).

    An ended copy's last observation goes into ``final_out[i]`` when given, else it is appended
    to ``h.final``, in the order of the returned list (see :func:`step`).
    """
    if not h.all_started:
        raise ArgumentError(f"{h.id}: call env.reset before the first env.step")
    if not h.autoreset and h.ended.any():
        i = int(np.argmax(h.ended))
        raise ArgumentError(
            f"{h.id} copy {i}: its episode ended at step {int(h.steps[i])}; reset it first"
        )
    discrete = h.spec["action"]["kind"] == "discrete"
    # Per copy, only what must be: plain Python values, and numpy once per array at the end.
    obs_one = h.obs.shape[1:]
    obs_ok = h.obs.dtype
    rewards: list[float] = []
    terms: list[bool] = []
    truncs: list[bool] = []
    ended: list[int] = []
    final = h.final if final_out is None else None
    for i, env in enumerate(h.envs):
        a = values[i] + h.act_start if discrete else values[i]
        try:
            obs, reward, term, trunc, _info = env.step(a)
        except Exception as exc:
            h.steps[:i] += 1
            raise EnvError(
                f"{h.id} copy {i} step {int(h.steps[i]) + 1}: {type(exc).__name__}: {exc}"
            ) from exc
        if type(obs) is np.ndarray and obs.shape == obs_one and obs.dtype == obs_ok:
            h.obs[i] = obs
        elif type(obs) is int and not obs_one:  # Discrete
            h.obs[i] = obs - h.obs_start
        else:
            h.put_obs(i, obs)
        rewards.append(float(reward))
        terms.append(bool(term))
        truncs.append(bool(trunc))
        if term or trunc:
            if h.autoreset:
                ended.append(i)
                if final is None:
                    final_out[i] = h.obs[i]  # type: ignore[index]
                else:
                    final.append(h.obs[i].copy())
                _reset_copy(h, i, None)
            else:
                h.ended[i] = True
    h.steps += 1
    h.rewards[:] = rewards
    h.terminated[:] = terms
    h.truncated[:] = truncs
    return ended


def step(ctx: CallContext, *, handle: int, actions: np.ndarray) -> dict[str, Any]:
    """Step every copy once; copies whose episode ended are reset when autoreset is on."""
    h = _get(handle)
    values = _actions(h, actions, copy=False)
    h.final.clear()
    ended = _step_copies(h, values, None)
    return {
        "obs": h.obs,
        "rewards": h.rewards,
        "terminated": h.terminated,
        "truncated": h.truncated,
        "ended": np.asarray(ended, dtype=np.int64) if ended else _NO_ENDED,
        "final_obs": np.stack(h.final) if ended else h.obs[:0],
    }


_NO_ENDED = np.zeros(0, dtype=np.int64)
_NO_ENDED.flags.writeable = False


@method("env.step", inline=True)
def step_rpc(ctx: CallContext, *, handle: int, actions: np.ndarray) -> dict[str, Any]:
    """:func:`step` for the host: its results go on the wire as ready-made ext values."""
    start = time.perf_counter_ns()
    out = step(ctx, handle=handle, actions=actions)
    h = _hosted[handle]
    if h.wire is None:
        h.wire = _Wire(h)
    encoded = h.wire.encode(out)
    _served(h, start)
    return encoded


def _served(h: Hosted, start_ns: int) -> None:
    """Count one of the host's env.step calls, begun at ``start_ns``, for env.bench."""
    h.served_ns += time.perf_counter_ns() - start_ns
    h.served_steps += 1


@dataclass
class _Shm:
    """The views of one handle's shared region (its other arrays replace ``Hosted``'s own)."""

    mem: mmap.mmap
    actions: np.ndarray
    final_obs: np.ndarray
    ended: np.ndarray


_SHM_ALIGN = 64


def _shm_layout(h: Hosted) -> tuple[list[tuple[str, np.dtype, tuple[int, ...], int]], int]:
    """The arrays of ``h``'s shared region (name, dtype, shape, offset) and its size in bytes.

    The same layout as internal/gymenv/shm.go's layoutFor, computed from what the worker knows:
    actions (int64 per copy for Discrete, float64 per value for Box), obs and final_obs (the
    observation buffer's dtype and shape), rewards (float64), terminated, truncated and ended
    (one byte per copy), each starting on a 64-byte boundary.
    """
    n = len(h.envs)
    if h.spec["action"]["kind"] == "discrete":
        act: tuple[np.dtype, tuple[int, ...]] = (np.dtype(np.int64), (n,))
    else:
        act = (np.dtype(np.float64), (n * int(np.prod(h.act_space.shape)),))
    arrays = [
        ("actions", *act),
        ("obs", h.obs.dtype, h.obs.shape),
        ("final_obs", h.obs.dtype, h.obs.shape),
        ("rewards", np.dtype(np.float64), (n,)),
        ("terminated", np.dtype(bool), (n,)),
        ("truncated", np.dtype(bool), (n,)),
        ("ended", np.dtype(bool), (n,)),
    ]
    out = []
    at = 0
    for name, dtype, shape in arrays:
        out.append((name, dtype, shape, at))
        nbytes = dtype.itemsize * int(np.prod(shape))
        at += -(-nbytes // _SHM_ALIGN) * _SHM_ALIGN
    return out, at


@method("env.shm", inline=True)
def attach_shm(ctx: CallContext, *, handle: int, path: str, size: int, obs_dtype: str) -> None:
    """Step ``handle`` through the host's shared region at ``path`` from now on (env.step_shm).

    The worker computes the region's layout itself and refuses a region, or an observation
    dtype, that does not match it; the host then keeps stepping through env.step.
    """
    h = _get(handle)
    arrays, want = _shm_layout(h)
    if size != want or obs_dtype != str(h.obs.dtype):
        raise ArgumentError(
            f"env.shm: the host's region of {size} bytes for {obs_dtype} observations does not "
            f"match this worker's layout ({want} bytes, {h.obs.dtype})"
        )
    fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    try:
        if os.fstat(fd).st_size != want:
            raise ArgumentError(f"env.shm: {path} holds {os.fstat(fd).st_size} bytes, want {want}")
        mem = mmap.mmap(fd, want)
    finally:
        os.close(fd)
    views = {
        name: np.ndarray(shape, dtype=dtype, buffer=mem, offset=offset)
        for name, dtype, shape, offset in arrays
    }
    for name in ("obs", "rewards", "terminated", "truncated"):
        views[name][...] = getattr(h, name)
        setattr(h, name, views[name])
    views["ended"][...] = False
    h.shm = _Shm(mem, views["actions"], views["final_obs"], views["ended"])
    h.wire = None  # made again over the new buffers


@method("env.step_shm", inline=True)
def step_shm(ctx: CallContext, *, handle: int) -> None:
    """:func:`step` through the shared region: actions from it, results into it."""
    start = time.perf_counter_ns()
    h = _get(handle)
    s = h.shm
    if s is None:
        raise ArgumentError(f"env.step_shm: handle {handle} has no shared region (env.shm)")
    values = _actions(h, s.actions, copy=True)
    s.ended[:] = False
    for i in _step_copies(h, values, s.final_obs):
        s.ended[i] = True
    _served(h, start)


@method("env.close", inline=True)
def close(ctx: CallContext, *, handle: int) -> None:
    """Close the copies behind ``handle``; closing twice is not an error."""
    h = _hosted.pop(handle, None)
    if h is not None:
        for e in h.envs:
            e.close()


@method("env.bench", inline=True)
def bench(ctx: CallContext, *, handle: int, steps: int) -> dict[str, Any]:
    """Step the copies ``steps`` times with random actions inside the worker (no link).

    The reference for the link's cost: the same stepping without the round trip. For a
    Gymnasium peer it also times ``gymnasium.vector.SyncVectorEnv`` of the same copies
    (same-step autoreset) on the same actions. ``served_seconds_per_step`` is the mean time
    the host's own env.step calls since the last env.bench spent in this worker's handler: the
    same stepping, with the link's reading and writing around it.
    """
    h = _get(handle)
    if steps <= 0:
        raise ArgumentError(f"env.bench: steps={steps}: want a positive number")
    n = len(h.envs)
    rng = np.random.default_rng(0)
    actions: np.ndarray
    if h.spec["action"]["kind"] == "discrete":
        actions = rng.integers(0, h.spec["action"]["n"], size=(steps, n))
    else:
        lo = np.where(np.isfinite(h.act_space.low), h.act_space.low, -1.0)
        hi = np.where(np.isfinite(h.act_space.high), h.act_space.high, 1.0)
        actions = rng.uniform(lo, hi, size=(steps, n, *h.act_space.shape))
    start = time.perf_counter()
    for t in range(steps):
        step(ctx, handle=handle, actions=actions[t])
    seconds = time.perf_counter() - start
    import gymnasium

    sync = gymnasium.vector.SyncVectorEnv(
        [lambda: build_env(h.id, h.kwargs)] * n,
        autoreset_mode=gymnasium.vector.AutoresetMode.SAME_STEP,
    )
    sync.reset(seed=0)
    start = time.perf_counter()
    for t in range(steps):
        sync.step(actions[t])
    sync_seconds = time.perf_counter() - start
    sync.close()
    served = h.served_ns / 1e9 / max(h.served_steps, 1)
    h.served_ns = h.served_steps = 0
    return {
        "seconds": seconds,
        "sync_vector_seconds": sync_seconds,
        "served_seconds_per_step": served,
        "steps": steps,
        "copies": n,
    }
