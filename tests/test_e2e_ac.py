"""End to end: an actor-critic run stopped by a real Ctrl-C and resumed
through the built binary matches a run never stopped (issue 12)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import interrupt_run

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
    err = interrupt_run(xlrl_binary, tmp_path, [*args, "--name", "sig"])
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


# Runs whose first steps do not depend on the budget (constant learning
# rate and clip range, no periodic evaluation): the policy an interrupted
# run stopped with is the final policy of the same run with that budget.
STOPPED = {
    "ppo-go": [
        *("--env", "CartPole-v1", "--algo", "ppo", "--backend", "go", "--layers", "16"),
        *("--hp", "n_epochs=2", "--hp", "linear_lr=false", "--hp", "linear_clip_range=false"),
    ],
    "ppo-tf": [
        *("--env", "Pendulum-v1", "--algo", "ppo", "--backend", "tf", "--layers", "16"),
        *("--hp", "n_steps=64", "--hp", "n_epochs=1", "--hp", "normalize_obs=true"),
    ],
    "sac-go": [
        *("--env", "Pendulum-v1", "--algo", "sac", "--backend", "go", "--layers", "16"),
        *("--hp", "batch_size=16", "--hp", "normalize_obs=true"),
    ],
    "td3-go": [
        *("--env", "Pendulum-v1", "--algo", "td3", "--backend", "go", "--layers", "16"),
        *("--hp", "batch_size=16", "--hp", "learning_starts=100"),
    ],
}


def _files(run: Path) -> dict[str, tuple[int, bytes]]:
    return {
        str(p.relative_to(run)): (p.stat().st_mtime_ns, p.read_bytes())
        for p in sorted(run.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("name", sorted(STOPPED))
def test_eval_of_an_ac_run_stopped_by_ctrl_c_acts_as_the_agent_did(
    xlrl_binary: Path, tmp_path: Path, name: str
):
    common = [*STOPPED[name], "--hp", "eval_every=0", "--eval-episodes", "5", "--plot=false"]
    interrupt_run(xlrl_binary, tmp_path, ["train", *common, "--steps", "1000000", "--name", "sig"])

    run = tmp_path / "runs" / "sig"
    before = _files(run)
    ev = last_json(xlrl(xlrl_binary, tmp_path, "eval", "runs/sig", "--json"))
    assert _files(run) == before, "xlrl eval changed the run directory"
    assert ev["partial"] is True and ev["train_steps"] > 0
    # The agent as it stopped: the same run trained for exactly those steps.
    ref = last_json(
        xlrl(
            xlrl_binary,
            tmp_path,
            "train",
            *common,
            "--steps",
            str(ev["train_steps"]),
            "--name",
            "ref",
            "--json",
        )
    )
    assert ref["train_steps"] == ev["train_steps"]
    for key in ("mean_return", "std_return", "eval_episodes"):
        assert ev[key] == ref[key], key
