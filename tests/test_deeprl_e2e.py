"""End to end: `xlrl train` with the deep RL agents and the real worker."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT

pytestmark = pytest.mark.e2e


def train(binary: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    # Each run writes its run directory (runs/<time>) under a temporary cwd,
    # without the end-of-run plots, which tests/test_e2e_runs.py covers.
    with tempfile.TemporaryDirectory() as cwd:
        return subprocess.run(
            [str(binary), "train", "--env", "CartPole-v1", "--plot=false", *args],
            capture_output=True,
            text=True,
            timeout=300,
            env=dict(os.environ, XLRL_PYTHON=sys.executable, **env),
            cwd=cwd,
        )


def test_dqn_on_the_tf_backend_reports_where_time_goes(xlrl_binary: Path) -> None:
    p = train(xlrl_binary, "--algo", "dqn", "--backend", "tf", "--steps", "2000", "--json")
    assert p.returncode == 0, p.stderr
    res = json.loads(p.stdout.strip().splitlines()[-1])
    deep = res["deep"]
    assert deep["backend"] == "tf"
    # learning starts at 1000 and trains every 256 steps, 128 gradient steps each
    assert deep["gradient_steps"] == (2000 // 256 - 1000 // 256) * 128
    t = deep["time"]
    assert t["train_s"] > 0 and t["link_s"] > 0 and t["env_s"] > 0 and t["tf_forward_s"] > 0
    assert t["total_s"] >= t["train_s"] + t["link_s"]
    assert res["eval_episodes"] == 100 and res["train_steps"] == 2000
    assert "time (tf backend" in p.stdout


def test_the_training_workers_log_goes_into_the_run_directory(
    xlrl_binary: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    p = train(xlrl_binary, "--algo", "dqn", "--backend", "tf", "--steps", "1200", "--out", str(out))
    assert p.returncode == 0, p.stderr
    log = (out / "worker.log").read_text()
    assert "pyworker 0.1.0 serving" in log
    # The run frees its network in the worker when it ends (backend.TF.Close).
    left = re.findall(r"rl\.free: network \d+ freed \((\d+) left\)", log)
    assert left and left[-1] == "0", log[-2000:]


def test_seed_architecture_on_the_tf_backend(xlrl_binary: Path) -> None:
    p = train(
        xlrl_binary,
        "--algo",
        "dqn",
        "--backend",
        "tf",
        "--arch",
        "seed",
        "--steps",
        "1500",
        "--eval-episodes",
        "5",
        "--json",
    )
    assert p.returncode == 0, p.stderr
    res = json.loads(p.stdout.strip().splitlines()[-1])
    assert res["deep"]["params"] == 4 * 32 + 32 + 32 * 2 + 2
    assert res["hyperparameters"]["loss"] == "mse"
    assert res["hyperparameters"]["hidden"] == [32]


def test_a_worker_dying_mid_training_is_a_clear_error(xlrl_binary: Path) -> None:
    fixture = FIXTURES / "dying_rl_worker"
    p = train(
        xlrl_binary,
        "--algo",
        "dqn",
        "--backend",
        "tf",
        "--steps",
        "5000",
        PYTHONPATH=f"{fixture}{os.pathsep}{ROOT}",
    )
    assert p.returncode != 0
    assert "the Python worker died (exit status 3) during rl.fit" in p.stderr
    assert "dqn on CartPole-v1 (tf backend)" in p.stderr
    assert p.stdout.strip() == "" or "mean return" not in p.stdout  # no result was printed


@pytest.mark.parametrize("algo", ["a2c", "reinforce"])
def test_policy_gradient_on_the_tf_backend(xlrl_binary: Path, algo: str) -> None:
    p = train(
        xlrl_binary,
        "--algo",
        algo,
        "--backend",
        "tf",
        "--steps",
        "1000",
        "--eval-episodes",
        "3",
        "--json",
    )
    assert p.returncode == 0, p.stderr
    res = json.loads(p.stdout.strip().splitlines()[-1])
    assert res["deep"]["backend"] == "tf" and res["deep"]["gradient_steps"] > 0
    assert res["deep"]["time"]["train_s"] > 0 and res["eval_episodes"] == 3
