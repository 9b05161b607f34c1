"""Record Gymnasium trajectories and transition models as parity fixtures for internal/env.

Each environment gets one JSON file under internal/env/testdata/parity/: episodes that start from
a set state (written into ``env.unwrapped``) and replay a fixed action sequence through the
registered time limit, recording every step's observation, reward and flags, including episode
ends, truncation and both at once; for the grid environments also the full model ``P`` and the
initial-state distribution. The Go tests replay the same states and actions and compare.

Run from the repository root:  .venv/bin/python scripts/record_parity.py
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

OUT = Path("internal/env/testdata/parity")


def _pyfloat(x: Any) -> float:
    return float(x)


def _obs(o: Any) -> list[float]:
    return [float(v) for v in np.atleast_1d(np.asarray(o))]


def _set_state(env: gym.Env, state: list[float]) -> None:
    u = env.unwrapped
    if hasattr(u, "P"):  # toy text: the state is the index
        u.s = int(state[0])
    elif u.spec.id.startswith("MountainCar"):
        u.state = (np.float64(state[0]), np.float64(state[1]))
    else:
        u.state = np.array(state, dtype=np.float64)


def _to_action(env: gym.Env, a: Any) -> Any:
    if isinstance(env.action_space, gym.spaces.Box):
        return np.array(a, dtype=env.action_space.dtype)
    return int(a)


def episode(
    env_id: str,
    actions: list[Any],
    state: list[float] | None = None,
    kwargs: dict | None = None,
    max_episode_steps: int | None = None,
    note: str = "",
) -> dict:
    """Replay actions from state (or from reset(seed=0) when state is None) and record each step.

    Steps continue past termination if actions remain (Gymnasium allows it; CartPole then pays 0);
    they stop at truncation.
    """
    make_kwargs = dict(kwargs or {})
    if max_episode_steps is not None:
        make_kwargs["max_episode_steps"] = max_episode_steps
    env = gym.make(env_id, **make_kwargs)
    obs, _ = env.reset(seed=0)
    if state is not None:
        _set_state(env, state)
        obs = None
    steps = []
    for a in actions:
        o, r, term, trunc, _ = env.step(_to_action(env, a))
        steps.append(
            {
                "obs": _obs(o),
                "reward": _pyfloat(r),
                "terminated": bool(term),
                "truncated": bool(trunc),
            }
        )
        if trunc:
            break
    env.close()
    return {
        "note": note,
        "state": state,
        "kwargs": kwargs or {},
        "max_episode_steps": max_episode_steps,
        "actions": actions[: len(steps)],
        "steps": steps,
        "reset_obs": None if obs is None else _obs(obs),
    }


def model(env_id: str, kwargs: dict | None = None) -> dict:
    """Export P (every outcome, in Gymnasium's order) and the initial-state distribution."""
    env = gym.make(env_id, **(kwargs or {}))
    u = env.unwrapped
    n_s, n_a = u.observation_space.n, u.action_space.n
    p = [
        [
            [[float(pr), int(nx), float(rw), bool(dn)] for pr, nx, rw, dn in u.P[s][a]]
            for a in range(n_a)
        ]
        for s in range(n_s)
    ]
    init = [float(x) for x in u.initial_state_distrib]
    env.close()
    return {
        "kwargs": kwargs or {},
        "n_states": int(n_s),
        "n_actions": int(n_a),
        "P": p,
        "initial": init,
    }


def first_end(env_id: str, actions: list[Any], state: list[float], **kw: Any) -> int:
    """Number of steps until termination when replaying actions from state (0 if it never ends)."""
    ep = episode(env_id, actions, state, max_episode_steps=100000, **kw)
    for i, s in enumerate(ep["steps"]):
        if s["terminated"]:
            return i + 1
    return 0


def rng_actions(seed: int, n: int, k: int) -> list[int]:
    rng = np.random.default_rng(seed)
    return [int(a) for a in rng.integers(0, k, size=n)]


def cartpole() -> dict:
    eps = []
    for seed in range(4):
        rng = np.random.default_rng(100 + seed)
        state = [float(v) for v in rng.uniform(-0.05, 0.05, size=4)]
        eps.append(episode("CartPole-v1", rng_actions(seed, 60, 2), state, note="random actions"))
    # A balancing controller from the edge of the stable set: survives to the 500-step limit.
    env = gym.make("CartPole-v1")
    env.reset(seed=1)
    state = [0.01, -0.02, 0.03, 0.01]
    _set_state(env, state)
    s = np.array(state)
    acts = []
    for _ in range(500):
        a = int(s[2] + 0.5 * s[3] + 0.05 * s[0] + 0.1 * s[1] > 0)
        acts.append(a)
        o, _, term, trunc, _ = env.step(a)
        s = np.asarray(o, dtype=np.float64)
        if term or trunc:
            break
    eps.append(episode("CartPole-v1", acts, state, note="controller to the time limit"))
    # Stepping past termination: Gymnasium pays 0 after the terminating step.
    acts = [1] * 40
    eps.append(episode("CartPole-v1", acts, [0.0, 0.0, 0.0, 0.0], note="past termination"))
    # Termination on the last allowed step: both flags at once.
    state = [0.0, 0.0, 0.05, 0.0]
    acts = [0] * 60
    k = first_end("CartPole-v1", acts, state)
    eps.append(
        episode("CartPole-v1", acts, state, max_episode_steps=k, note="terminated and truncated")
    )
    eps.append(episode("CartPole-v1", [0, 1] * 10, [2.3, 0.5, 0.0, 0.0], note="x edge"))
    return {"id": "CartPole-v1", "episodes": eps}


def mountaincar() -> dict:
    eps = [
        episode("MountainCar-v0", rng_actions(1, 200, 3), [-0.5, 0.0], note="random to the limit"),
        episode("MountainCar-v0", [0] * 80, [-1.1, -0.02], note="left wall"),
    ]
    # Energy pumping reaches the goal.
    state = [-0.52, 0.0]
    env = gym.make("MountainCar-v0")
    env.reset(seed=0)
    _set_state(env, state)
    v, acts = 0.0, []
    for _ in range(200):
        a = 2 if v >= 0 else 0
        acts.append(a)
        o, _, term, trunc, _ = env.step(a)
        v = float(o[1])
        if term or trunc:
            break
    eps.append(episode("MountainCar-v0", acts, state, note="pumping to the goal"))
    k = len(acts)
    eps.append(
        episode("MountainCar-v0", acts, state, max_episode_steps=k, note="terminated and truncated")
    )
    return {"id": "MountainCar-v0", "episodes": eps}


def mountaincar_continuous() -> dict:
    env_id = "MountainCarContinuous-v0"
    eps = []
    for seed in range(2):
        rng = np.random.default_rng(400 + seed)
        acts = [[float(a)] for a in rng.uniform(-1.5, 1.5, size=300).astype(np.float32)]
        eps.append(episode(env_id, acts, [-0.5, 0.0], note="random forces (some clipped)"))
    eps.append(episode(env_id, [[-1.0]] * 80, [-1.1, -0.02], note="left wall"))
    # Energy pumping reaches the goal (reward 100 minus the action cost).
    state = [-0.52, 0.0]
    env = gym.make(env_id)
    env.reset(seed=0)
    _set_state(env, state)
    v, acts = 0.0, []
    for _ in range(999):
        a = [1.0 if v >= 0 else -1.0]
        acts.append(a)
        o, _, term, trunc, _ = env.step(np.array(a, dtype=np.float32))
        v = float(o[1])
        if term or trunc:
            break
    eps.append(episode(env_id, acts, state, note="pumping to the goal"))
    eps.append(
        episode(env_id, acts, state, max_episode_steps=len(acts), note="terminated and truncated")
    )
    return {"id": env_id, "episodes": eps}


def acrobot() -> dict:
    eps = []
    for seed in range(3):
        rng = np.random.default_rng(200 + seed)
        state = [float(v) for v in rng.uniform(-0.1, 0.1, size=4)]
        eps.append(
            episode("Acrobot-v1", rng_actions(10 + seed, 150, 3), state, note="random actions")
        )
    eps.append(episode("Acrobot-v1", [2] * 30, [3.0, -3.0, 12.0, 28.0], note="wrap and bound"))
    # Swing up by pumping with the sign of the first joint's velocity, until termination.
    state = [0.05, -0.03, 0.0, 0.0]
    env = gym.make("Acrobot-v1")
    env.reset(seed=0)
    _set_state(env, state)
    acts, s = [], np.array(state)
    for _ in range(500):
        a = 2 if s[2] >= 0 else 0
        acts.append(a)
        _, _, term, trunc, _ = env.step(a)
        s = env.unwrapped.state
        if term or trunc:
            break
    eps.append(episode("Acrobot-v1", acts, state, note="pumping to termination"))
    return {"id": "Acrobot-v1", "episodes": eps}


def pendulum() -> dict:
    eps = []
    for seed in range(2):
        rng = np.random.default_rng(300 + seed)
        state = [float(rng.uniform(-math.pi, math.pi)), float(rng.uniform(-1, 1))]
        acts = [[float(a)] for a in rng.uniform(-3, 3, size=200).astype(np.float32)]
        eps.append(
            episode("Pendulum-v1", acts, state, note="random torques (some clipped) to the limit")
        )
    eps.append(episode("Pendulum-v1", [[2.0]] * 40, [7.5, 7.9], note="speed clip, angle beyond pi"))
    return {"id": "Pendulum-v1", "episodes": eps}


def frozenlake() -> list[dict]:
    out = []
    custom = ["SFFHF", "FHFFF", "FFFHG"]
    for env_id, kwargs, name in [
        ("FrozenLake-v1", {}, "FrozenLake-v1"),
        ("FrozenLake-v1", {"is_slippery": False}, "FrozenLake-v1_dry"),
        ("FrozenLake8x8-v1", {}, "FrozenLake8x8-v1"),
        ("FrozenLake8x8-v1", {"is_slippery": False}, "FrozenLake8x8-v1_dry"),
        ("FrozenLake-v1", {"desc": custom}, "FrozenLake-v1_custom"),
    ]:
        dry = dict(kwargs, is_slippery=False)
        eps = [
            episode(env_id, [2, 2, 1, 1, 1, 2], [0], dry, note="a path"),
            episode(env_id, [0] * 250, [0], dry, note="bumping the wall to the limit"),
            episode(
                env_id, rng_actions(5, 50, 4), [1], dry, note="random until a hole or the goal"
            ),
        ]
        out.append(
            {
                "id": env_id,
                "name": name,
                "go_map": ",".join(custom) if "desc" in kwargs else None,
                "episodes": eps,
                "model": model(env_id, kwargs),
            }
        )
    return out


def taxi() -> dict:
    eps = [
        # Taxi at R with the passenger, destination G: pick up, wall, south, east, north, drop.
        episode(
            "Taxi-v4",
            [4, 2, 2, 0, 0, 2, 2, 2, 1, 1, 5],
            [0 * 100 + 0 * 20 + 0 * 4 + 1],
            note="wall, pick-up and delivery",
        ),
        episode("Taxi-v4", [5, 4, 3, 3], [2 * 100 + 2 * 20 + 4 * 4 + 0], note="illegal actions"),
        episode("Taxi-v4", [1] * 250, [123], note="bumping to the limit"),
        episode("Taxi-v4", rng_actions(7, 120, 6), [321], note="random actions"),
    ]
    return {"id": "Taxi-v4", "episodes": eps, "model": model("Taxi-v4")}


def cliffwalking() -> list[dict]:
    eps = [
        episode("CliffWalking-v1", [0] + [1] * 11 + [2], [36], note="the safe path"),
        episode(
            "CliffWalking-v1", [1, 1, 0, 3, 2, 2], [36], note="into the cliff and back to start"
        ),
        episode("CliffWalking-v1", rng_actions(9, 300, 4), [13], note="random, no time limit"),
    ]
    return [
        {
            "id": "CliffWalking-v1",
            "name": "CliffWalking-v1",
            "episodes": eps,
            "model": model("CliffWalking-v1"),
        },
        {
            "id": "CliffWalking-v1",
            "name": "CliffWalking-v1_slippery",
            "episodes": [],
            "model": model("CliffWalking-v1", {"is_slippery": True}),
        },
    ]


def trig_table(path: Path) -> None:
    """(x, sin x, cos x) from NumPy (glibc) for the Go sin/cos accuracy test."""
    rng = np.random.default_rng(0)
    x = np.concatenate(
        [
            rng.uniform(-0.3, 0.3, 20000),
            rng.uniform(-4, 4, 20000),
            rng.uniform(-40, 40, 20000),
            [0.0, -0.0, 1e-300, np.pi, np.pi / 2, np.pi / 4, 3 * np.pi / 4],
        ]
    )
    np.stack([x, np.sin(x), np.cos(x)], axis=1).astype("<f8").tofile(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    trig_table(args.out.parent / "trig.bin")
    fixtures = [
        cartpole(),
        mountaincar(),
        mountaincar_continuous(),
        acrobot(),
        pendulum(),
        taxi(),
        *frozenlake(),
        *cliffwalking(),
    ]
    for fx in fixtures:
        fx["gymnasium"] = gym.__version__
        name = fx.get("name", fx["id"])
        path = args.out / f"{name}.json"
        path.write_text(json.dumps(fx, separators=(",", ":")) + "\n")
        n = sum(len(e["steps"]) for e in fx["episodes"])
        print(
            f"{path}: {len(fx['episodes'])} episodes, {n} steps{', model' if 'model' in fx else ''}"
        )


if __name__ == "__main__":
    main()
