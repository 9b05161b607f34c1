"""Live parity: `xlrl rollout` against Gymnasium, from fresh random states and actions.

The checked-in fixtures (internal/env/testdata/parity) pin Gymnasium 1.4; this test compares
with whatever Gymnasium is installed, so an upgrade that changes an environment shows up here.
"""

from __future__ import annotations

import json
import math
import subprocess
import zlib
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

pytestmark = pytest.mark.e2e

CASES = [
    # id in xlrl, id in Gymnasium, state sampler, number of actions (0: Box)
    ("CartPole-v1", "CartPole-v1", lambda r: r.uniform(-0.05, 0.05, 4), 2),
    (
        "MountainCar-v0",
        "MountainCar-v0",
        lambda r: [r.uniform(-1.2, 0.5), r.uniform(-0.07, 0.07)],
        3,
    ),
    ("Acrobot-v1", "Acrobot-v1", lambda r: r.uniform(-1, 1, 4), 3),
    ("Pendulum-v1", "Pendulum-v1", lambda r: [r.uniform(-np.pi, np.pi), r.uniform(-8, 8)], 0),
    ("Taxi-v3", "Taxi-v4", lambda r: [int(r.integers(0, 500))], 6),
    ("CliffWalking-v0", "CliffWalking-v1", lambda r: [int(r.integers(0, 36))], 4),
    ("FrozenLake8x8-v1", "FrozenLake8x8-v1", lambda r: [0], 4),
]


def _registered(gym_id: str) -> str:
    """Gymnasium 1.4 knows Taxi-v4 and CliffWalking-v1; earlier 1.x releases the older ids."""
    if gym_id in gym.registry:
        return gym_id
    older = {"Taxi-v4": "Taxi-v3", "CliffWalking-v1": "CliffWalking-v0"}
    return older.get(gym_id, gym_id)


def _gym_rollout(gym_id: str, state: list[float], actions: list, kwargs: dict) -> list[dict]:
    gym_id = _registered(gym_id)
    env = gym.make(gym_id, **kwargs)
    env.reset(seed=0)
    u = env.unwrapped
    if hasattr(u, "P"):
        u.s = int(state[0])
    elif gym_id.startswith("MountainCar"):
        u.state = (np.float64(state[0]), np.float64(state[1]))
    else:
        u.state = np.array(state, dtype=np.float64)
    steps = []
    for a in actions:
        act = np.array([a], dtype=np.float32) if isinstance(a, float) else a
        o, r, term, trunc, _ = env.step(act)
        steps.append((np.atleast_1d(o).astype(np.float64), float(r), bool(term), bool(trunc)))
    return steps


@pytest.mark.parametrize("xid,gid,sample,n_actions", CASES, ids=[c[0] for c in CASES])
def test_rollout_matches_gymnasium(xlrl_binary: Path, xid, gid, sample, n_actions) -> None:
    rng = np.random.default_rng(zlib.crc32(xid.encode()))
    state = [float(v) for v in sample(rng)]
    if n_actions:
        actions: list = [int(a) for a in rng.integers(0, n_actions, 60)]
    else:
        actions = [float(a) for a in rng.uniform(-2.5, 2.5, 60).astype(np.float32)]
    kwargs = {"is_slippery": False} if "FrozenLake" in gid else {}
    cmd = [
        str(xlrl_binary),
        "rollout",
        "--env",
        xid,
        "--json",
        "--state",
        ",".join(repr(v) for v in state),
        "--actions",
        ",".join(repr(a) for a in actions),
    ]
    if kwargs:
        cmd.append("--slippery=false")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    got = [json.loads(line) for line in out.strip().splitlines()]
    want = _gym_rollout(gid, state, actions, kwargs)
    assert len(got) == len(want)
    for i, (g, (obs, r, term, trunc)) in enumerate(zip(got, want, strict=True)):
        np.testing.assert_allclose(
            g["obs"], obs, rtol=1e-5, atol=1e-6, err_msg=f"{xid} step {i + 1}"
        )
        assert (g["terminated"], g["truncated"]) == (term, trunc), f"{xid} step {i + 1}"
        if xid == "Pendulum-v1":  # see docs/envs.md: glibc's powf and sin misround a few
            assert math.isclose(g["reward"], r, rel_tol=1e-15, abs_tol=1e-9), f"{xid} step {i + 1}"
        else:
            assert g["reward"] == r, f"{xid} step {i + 1}"
