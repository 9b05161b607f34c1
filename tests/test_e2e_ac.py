"""End to end: an actor-critic run stopped by a real Ctrl-C and resumed
through the built binary matches a run never stopped (issue 12)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from pyworker.metrics import read_metrics
from tests.test_e2e_runs import comparable, last_json, xlrl

pytestmark = pytest.mark.e2e

RUNS = {
    # SAC with normalised observations and rewards: the replay buffer, the
    # statistics and the environment's state mid-episode all resume.
    "sac-go": [
        "--env",
        "Pendulum-v1",
        "--algo",
        "sac",
        "--backend",
        "go",
        "--steps",
        "30000",
        "--layers",
        "16",
        "--hp",
        "batch_size=16",
        "--hp",
        "normalize_obs=true",
        "--hp",
        "normalize_reward=true",
    ],
    # PPO on the tf backend: the worker's weights and Adam moments resume.
    "ppo-tf": [
        "--env",
        "CartPole-v1",
        "--algo",
        "ppo",
        "--backend",
        "tf",
        "--steps",
        "40000",
        "--layers",
        "16",
        "--hp",
        "n_epochs=2",
    ],
}


@pytest.mark.parametrize("name", sorted(RUNS))
def test_ac_ctrl_c_and_resume_match_an_uninterrupted_run(
    xlrl_binary: Path, tmp_path: Path, name: str
):
    args = ["train", *RUNS[name], "--eval-episodes", "5", "--plot=false"]
    env = dict(os.environ, XLRL_PYTHON=sys.executable)
    proc = subprocess.Popen(
        [str(xlrl_binary), *args, "--name", "sig"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    while "steps (" not in proc.stderr.readline():  # the first progress line
        assert proc.poll() is None, "xlrl train ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert f"continue with: {xlrl_binary} train --resume runs/sig" in err

    p = xlrl(xlrl_binary, tmp_path, "train", "--resume", "runs/sig", "--json")
    assert "resuming runs/sig at step" in p.stderr
    resumed = last_json(p)
    full = last_json(xlrl(xlrl_binary, tmp_path, *args, "--name", "full", "--json"))
    for key in ("mean_return", "train_steps", "train_episodes"):
        assert resumed[key] == full[key], key
    assert resumed["deep"]["gradient_steps"] == full["deep"]["gradient_steps"]
    assert comparable(read_metrics(tmp_path / "runs" / "sig").records) == comparable(
        read_metrics(tmp_path / "runs" / "full").records
    )
    ev = last_json(xlrl(xlrl_binary, tmp_path, "eval", "runs/sig", "--json"))
    assert ev["mean_return"] == full["mean_return"]
