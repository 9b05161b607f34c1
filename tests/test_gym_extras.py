"""Box2D and MuJoCo environments through the worker (extras: make venv-box2d venv-mujoco)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

from pyworker import envs
from pyworker.registry import CallContext

CTX = CallContext(0, lambda method, params: None)


def need(module: str, extra: str) -> None:
    try:
        __import__(module)
    except ImportError as exc:  # fail, never skip
        raise ImportError(f"{exc}: install the extra with `make venv-{extra}`") from exc


def check_env(binary: Path, env_id: str) -> dict:
    p = subprocess.run(
        [str(binary), "check-env", env_id, "--steps", "400", "--json"],
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ, XLRL_PYTHON=sys.executable, PYTHONPATH=str(ROOT)),
    )
    assert p.returncode == 0, p.stdout + p.stderr
    return json.loads(p.stdout.strip().splitlines()[-1])


@pytest.mark.box2d
def test_lunar_lander_steps_in_the_worker(xlrl_binary: Path) -> None:
    need("Box2D", "box2d")
    out = envs.make(CTX, id="LunarLander-v3", num=3, seed=0)
    h, spec = out["handle"], out["spec"]
    assert spec["observation"]["shape"] == [8] and spec["action"]["n"] == 4
    assert spec["max_episode_steps"] == 1000
    envs.reset(CTX, handle=h)
    ended = 0
    for _ in range(300):
        res = envs.step(CTX, handle=h, actions=np.random.default_rng(0).integers(0, 4, 3))
        ended += len(res["ended"])
    assert ended > 0  # random landers crash: the explicit reset ran
    envs.close(CTX, handle=h)
    rep = check_env(xlrl_binary, "gym:LunarLander-v3")
    assert rep["ok"] and rep["episodes"] > 0


@pytest.mark.mujoco
def test_half_cheetah_continuous_actions(xlrl_binary: Path) -> None:
    need("mujoco", "mujoco")
    out = envs.make(CTX, id="HalfCheetah-v5", num=2, seed=0)
    h, spec = out["handle"], out["spec"]
    assert spec["observation"]["shape"] == [17] and spec["action"]["shape"] == [6]
    envs.reset(CTX, handle=h)
    res = envs.step(CTX, handle=h, actions=np.full((2, 6), 0.5))
    assert res["obs"].shape == (2, 17) and np.isfinite(res["rewards"]).all()
    envs.close(CTX, handle=h)
    rep = check_env(xlrl_binary, "gym:HalfCheetah-v5")
    assert rep["ok"] and rep["action"] == "Box(6)"


def train_briefly(binary: Path, env_id: str, algo: str) -> dict:
    """300 steps of `xlrl train` (go backend) and one evaluation episode; its --json result."""
    p = subprocess.run(
        [
            str(binary), "train", "--env", env_id, "--algo", algo, "--backend", "go",
            "--steps", "300", "--hp", "learning_starts=100", "--eval-episodes", "1",
            "--plot=false", "--json",
        ],
        capture_output=True, text=True, timeout=600,
        env=dict(os.environ, XLRL_PYTHON=sys.executable, PYTHONPATH=str(ROOT)),
    )  # fmt: skip
    assert p.returncode == 0, p.stdout + p.stderr
    res = json.loads(p.stdout.strip().splitlines()[-1])
    assert res["algo"] == algo and res["train_steps"] == 300 and res["eval_episodes"] == 1
    return res


@pytest.mark.box2d
def test_sac_trains_on_lunar_lander_continuous(xlrl_binary: Path) -> None:
    need("Box2D", "box2d")
    train_briefly(xlrl_binary, "gym:LunarLanderContinuous-v3", "sac")


@pytest.mark.mujoco
def test_td3_trains_on_hopper(xlrl_binary: Path) -> None:
    need("mujoco", "mujoco")
    train_briefly(xlrl_binary, "gym:Hopper-v5", "td3")
