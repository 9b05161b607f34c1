"""End to end: `xlrl train --env gym:...` with environments hosted by the worker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT

pytestmark = pytest.mark.e2e


def xlrl(binary: Path, *args: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as cwd:
        return subprocess.run(
            [str(binary), *args],
            capture_output=True,
            text=True,
            timeout=600,
            env=dict(
                os.environ,
                XLRL_PYTHON=sys.executable,
                PYTHONPATH=f"{ROOT}{os.pathsep}{FIXTURES}",
            ),
            cwd=cwd,
        )


def train_dqn(binary: Path, env_id: str, *args: str) -> subprocess.CompletedProcess:
    """`xlrl train` of DQN on the go backend, without plots, on env_id."""
    return xlrl(
        binary, "train", "--algo", "dqn", "--backend", "go", "--env", env_id, "--plot=false", *args
    )


def last_json(p: subprocess.CompletedProcess) -> dict:
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout.strip().splitlines()[-1])


def test_gym_cartpole_trains_and_takes_cartpoles_settings(xlrl_binary: Path) -> None:
    p = train_dqn(xlrl_binary, "gym:CartPole-v1", "--steps", "1500", "--json")
    res = last_json(p)
    assert res["env"] == "gym:CartPole-v1" and res["train_steps"] == 1500
    assert res["deep"]["tuned"] is True  # CartPole-v1's table entry
    assert res["eval_episodes"] == 100 and res["mean_return"] > 0


@pytest.mark.parametrize(
    "algo,hp",
    [("ppo", "n_steps=64"), ("sac", "learning_starts=100"), ("td3", "learning_starts=100")],
)
def test_actor_critic_agents_train_on_a_gym_box_env(xlrl_binary: Path, algo: str, hp: str) -> None:
    """PPO, SAC and TD3 train on a worker-hosted Box-action environment and evaluate on
    fresh episodes."""
    p = xlrl(
        xlrl_binary, "train", "--algo", algo, "--backend", "go", "--env", "gym:Pendulum-v1",
        "--steps", "400", "--hp", hp, "--eval-episodes", "2", "--plot=false", "--json",
    )  # fmt: skip
    res = last_json(p)
    assert res["env"] == "gym:Pendulum-v1" and res["algo"] == algo
    assert res["train_steps"] >= 400 and res["eval_episodes"] == 2
    # Pendulum's return per episode lies in [-16.27 * 200, 0]
    assert -16.3 * 200 <= res["mean_return"] <= 0


def test_unsupported_space_is_a_clear_error(xlrl_binary: Path) -> None:
    p = train_dqn(xlrl_binary, "gym:gym_fixtures:DictObs", "--steps", "100")
    assert p.returncode != 0
    assert "observation space is Dict" in p.stderr and "FlattenObservation" in p.stderr


def test_exception_inside_the_env_is_an_error_naming_copy_and_step(xlrl_binary: Path) -> None:
    p = train_dqn(xlrl_binary, "gym:gym_fixtures:Exploding", "--steps", "100")
    assert p.returncode != 0
    assert "panic" not in p.stderr
    assert (
        "gym:gym_fixtures:Exploding copy 0 step 3: ValueError: the reactor overheated" in p.stderr
    )


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_user_chain_mdp_learnt_to_its_optimum(xlrl_binary: Path, seed: int) -> None:
    # tests/fixtures/gym_fixtures.py:Chain: the optimum is 1 (five moves right),
    # the myopic policy earns 0.1. Fresh evaluation episodes, greedy policy.
    p = train_dqn(
        xlrl_binary,
        "gym:gym_fixtures:Chain",
        "--steps",
        "4000",
        "--seed",
        str(seed),
        "--hp",
        "target_update_interval=100",
        "--hp",
        "exploration_fraction=0.3",
        "--hp",
        "learning_starts=500",
        "--json",
    )
    res = last_json(p)
    assert res["eval_episodes"] == 100
    assert res["mean_return"] == pytest.approx(1.0, abs=1e-9), res


def test_check_env_passes_gymnasium_and_go_envs(xlrl_binary: Path) -> None:
    for env_id in ("CartPole-v1", "gym:CartPole-v1", "gym:gym_fixtures:Noisy"):
        p = xlrl(xlrl_binary, "check-env", env_id, "--steps", "300", "--json")
        rep = last_json(p)
        assert rep["ok"] is True and rep["problems"] == 0, rep
        names = {c["name"] for c in rep["checks"]}
        assert {"same seed, same trajectory", "observations inside the space"} <= names
    p = xlrl(
        xlrl_binary,
        "check-env",
        "gym:gym_fixtures:Noisy",
        "--env-kwargs",
        "dtype=uint8",
        "--env-kwargs",
        "shape=(3, 4, 4)",
        "--json",
    )
    rep = last_json(p)
    assert rep["obs_dtype"] == "uint8" and rep["observation"] == "Box[3 4 4]" and rep["ok"]


def test_check_env_fails_an_env_whose_observations_leave_the_space(xlrl_binary: Path) -> None:
    p = xlrl(xlrl_binary, "check-env", "gym:gym_fixtures:OutOfBounds", "--steps", "100")
    assert p.returncode != 0
    assert "FAIL observations inside the space" in p.stdout
    assert "gym:gym_fixtures:OutOfBounds FAILS" in p.stdout
