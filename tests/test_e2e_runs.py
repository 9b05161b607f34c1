"""End to end: the real xlrl binary writes run directories a person can follow.

Training, resuming (after --episodes and after a real Ctrl-C), evaluating and
plotting, through the built binary and the real worker.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import interrupt_run
from matplotlib import image

from pyworker.metrics import read_metrics
from pyworker.plots import RETURNS_TITLE as RETURNS_PANEL

pytestmark = pytest.mark.e2e

ENV = ["--env", "FrozenLake-v1", "--algo", "q-learning"]


def xlrl(binary: Path, cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ, XLRL_PYTHON=sys.executable)
    p = subprocess.run(
        [str(binary), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    if check and p.returncode != 0:
        raise AssertionError(f"xlrl {' '.join(args)} exited {p.returncode}:\n{p.stderr}")
    return p


def last_json(p: subprocess.CompletedProcess) -> dict:
    return json.loads(p.stdout.strip().splitlines()[-1])


def comparable(records: list[dict]) -> list[dict]:
    """Records without the wall-clock fields, which differ between runs."""
    return [{k: v for k, v in r.items() if k not in ("time", "steps_per_sec")} for r in records]


def test_train_writes_a_run_directory(xlrl_binary, tmp_path):
    p = xlrl(xlrl_binary, tmp_path, "train", *ENV, "--episodes", "2000", "--name", "fl", "--json")
    res = last_json(p)
    run = tmp_path / "runs" / "fl"
    assert res["run_dir"] == "runs/fl" and res["plot"] == "runs/fl/plots/training.png"
    for name in [
        "config.yaml",
        "metrics.jsonl",
        "checkpoint.ckpt",
        "result.json",
        "worker.log",
        "plots/training.png",
    ]:
        assert (run / name).is_file(), name
    assert list((run / "tb").glob("events.out.tfevents.*"))

    img = image.imread(run / "plots" / "training.png")
    gray = img[..., :3].mean(axis=2)
    assert img.shape[0] > 200 and gray.std() > 0.05 and (gray < 0.5).mean() > 0.001

    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    episodes = [r for r in rows if r["kind"] == "episode"]
    assert len(episodes) == 2000 == res["train_episodes"]
    assert [r["episode"] for r in episodes] == list(range(1, 2001))
    steps = np.array([r["step"] for r in episodes])
    assert (np.diff(steps) > 0).all() and steps[-1] == res["train_steps"]
    assert all({"return", "length", "steps_per_sec", "time"} <= r.keys() for r in episodes)

    config = (run / "config.yaml").read_text()
    assert "env: FrozenLake-v1" in config and "episodes: 2000" in config
    assert json.loads((run / "result.json").read_text())["mean_return"] == res["mean_return"]

    # The checkpoint reproduces the final evaluation, and --config the run.
    ev = last_json(xlrl(xlrl_binary, tmp_path, "eval", "runs/fl", "--json"))
    assert ev["mean_return"] == res["mean_return"] and ev["eval_episodes"] == res["eval_episodes"]
    again = last_json(
        xlrl(
            xlrl_binary,
            tmp_path,
            "train",
            "--config",
            "runs/fl/config.yaml",
            "--name",
            "again",
            "--plot=false",
            "--json",
        )
    )
    assert again["mean_return"] == res["mean_return"]
    assert comparable(read_metrics(tmp_path / "runs" / "again").records) == comparable(rows)


def test_resume_extends_a_run_exactly(xlrl_binary, tmp_path):
    """With schedules that do not depend on the budget, 1200 episodes resumed to
    3000 are the 3000-episode run."""
    fixed = [
        *ENV,
        "--lr",
        "0.1",
        "--explore",
        "epsilon-greedy",
        "--schedule",
        "constant",
        "--explore-start",
        "0.1",
        "--plot=false",
    ]
    full = last_json(
        xlrl(
            xlrl_binary, tmp_path, "train", *fixed, "--episodes", "3000", "--name", "full", "--json"
        )
    )
    xlrl(xlrl_binary, tmp_path, "train", *fixed, "--episodes", "1200", "--name", "part")
    p = xlrl(
        xlrl_binary,
        tmp_path,
        "train",
        "--resume",
        "runs/part",
        "--episodes",
        "3000",
        "--plot=false",
        "--json",
    )
    assert "resuming runs/part at step" in p.stderr
    resumed = last_json(p)
    assert resumed["train_episodes"] == 3000 and resumed["train_steps"] == full["train_steps"]
    assert resumed["mean_return"] == full["mean_return"]
    a = read_metrics(tmp_path / "runs" / "full").records
    b = read_metrics(tmp_path / "runs" / "part").records
    assert len(b) == 3000 and comparable(a) == comparable(b)


def test_ctrl_c_checkpoints_and_resume_finishes(xlrl_binary, tmp_path):
    episodes = "150000"
    # The first progress line ("256/150000 episodes (0%) ...") follows the first episodes.
    err = interrupt_run(
        xlrl_binary,
        tmp_path,
        ["train", *ENV, "--episodes", episodes, "--name", "sig", "--plot=false"],
        progress="episodes (",
        timeout=60,
    )
    assert f"continue with: {xlrl_binary} train --resume runs/sig" in err
    run = tmp_path / "runs" / "sig"
    done = read_metrics(run).records
    assert 0 < len(done) < int(episodes)

    resumed = last_json(
        xlrl(xlrl_binary, tmp_path, "train", "--resume", "runs/sig", "--json", "--plot=false")
    )
    rows = read_metrics(run).records
    assert [r["episode"] for r in rows] == list(range(1, int(episodes) + 1))
    assert resumed["train_episodes"] == int(episodes)
    full = last_json(
        xlrl(
            xlrl_binary,
            tmp_path,
            "train",
            *ENV,
            "--episodes",
            episodes,
            "--name",
            "full",
            "--plot=false",
            "--json",
        )
    )
    assert resumed["mean_return"] == full["mean_return"]
    assert resumed["train_steps"] == full["train_steps"]


def test_bad_input_fails_before_training(xlrl_binary, tmp_path):
    (tmp_path / "typo.yaml").write_text("env: FrozenLake-v1\nepisodez: 10\n")
    p = xlrl(xlrl_binary, tmp_path, "train", "--config", "typo.yaml", check=False)
    assert p.returncode != 0
    assert 'typo.yaml:2: unknown key "episodez" (did you mean "episodes"?)' in p.stderr

    (tmp_path / "type.yaml").write_text("gamma: high\n")
    p = xlrl(xlrl_binary, tmp_path, "train", "--config", "type.yaml", check=False)
    assert 'type.yaml:1: key "gamma": want a number, got "high"' in p.stderr

    (tmp_path / "file").write_text("")
    p = xlrl(xlrl_binary, tmp_path, "train", *ENV, "--out", "file/run", check=False)
    assert p.returncode != 0 and "file/run" in p.stderr
    assert not (tmp_path / "runs").exists(), "a failed start must leave no run behind"

    xlrl(xlrl_binary, tmp_path, "train", *ENV, "--episodes", "10", "--name", "x", "--plot=false")
    p = xlrl(xlrl_binary, tmp_path, "train", *ENV, "--name", "x", check=False)
    assert "already exists" in p.stderr and "--resume runs/x" in p.stderr
    p = xlrl(xlrl_binary, tmp_path, "train", "--resume", "runs/x", "--env", "Taxi-v3", check=False)
    assert "--env" in p.stderr and p.returncode != 0

    (tmp_path / "runs" / "x" / "checkpoint.ckpt").write_bytes(b"XLRLCKPT truncated")
    p = xlrl(xlrl_binary, tmp_path, "eval", "runs/x", check=False)
    assert "truncated" in p.stderr and "checkpoint.ckpt" in p.stderr
    p = xlrl(xlrl_binary, tmp_path, "plot", "runs/none", check=False)
    assert "runs/none does not exist" in p.stderr


def test_plot_several_seeds(xlrl_binary, tmp_path):
    for seed in ("1", "2"):
        xlrl(
            xlrl_binary,
            tmp_path,
            "train",
            *ENV,
            "--episodes",
            "1500",
            "--seed",
            seed,
            "--name",
            f"s{seed}",
            "--plot=false",
        )
    t0 = time.monotonic()
    res = last_json(
        xlrl(xlrl_binary, tmp_path, "plot", "runs/s1", "runs/s2", "-o", "cmp.png", "--json")
    )
    assert time.monotonic() - t0 < 60
    assert res["path"] == "cmp.png" and res["panels"] == [RETURNS_PANEL]
    assert len(res["groups"]) == 1 and len(res["groups"][0]["runs"]) == 2
    gray = image.imread(tmp_path / "cmp.png")[..., :3].mean(axis=2)
    assert gray.std() > 0.05


def test_dqn_run_has_the_seed_panels(xlrl_binary, tmp_path):
    """A DQN run (go backend) logs updates, so its plot has the Q-values and loss panels."""
    res = last_json(
        xlrl(
            xlrl_binary,
            tmp_path,
            "train",
            "--env",
            "CartPole-v1",
            "--algo",
            "dqn",
            "--backend",
            "go",
            "--steps",
            "3000",
            "--eval-episodes",
            "5",
            "--name",
            "dqn",
            "--json",
        )
    )
    run = tmp_path / "runs" / "dqn"
    m = read_metrics(run)
    updates = [r for r in m.records if r["kind"] == "update"]
    assert updates and all({"loss", "epsilon", "mean_q", "max_q"} <= r.keys() for r in updates)
    assert len([r for r in m.records if r["kind"] == "episode"]) == res["train_episodes"]
    assert res["plot"] == "runs/dqn/plots/training.png"
    plotted = last_json(xlrl(xlrl_binary, tmp_path, "plot", "runs/dqn", "--json"))
    assert plotted["panels"] == [RETURNS_PANEL, "Q-values progression", "Loss trajectory"]
    ev = last_json(xlrl(xlrl_binary, tmp_path, "eval", "runs/dqn", "--json"))
    assert ev["mean_return"] == res["mean_return"]


@pytest.mark.parametrize("backend", ["go", "tf"])
def test_dqn_ctrl_c_and_resume_match_an_uninterrupted_run(xlrl_binary, tmp_path, backend):
    args = [
        "train",
        "--env",
        "CartPole-v1",
        "--algo",
        "dqn",
        "--backend",
        backend,
        "--steps",
        "8000",
        "--layers",
        "16",
        "--eval-episodes",
        "5",
        "--plot=false",
    ]
    err = interrupt_run(xlrl_binary, tmp_path, [*args, "--name", "sig"], timeout=60)
    assert f"continue with: {xlrl_binary} train --resume runs/sig" in err

    resumed = last_json(xlrl(xlrl_binary, tmp_path, "train", "--resume", "runs/sig", "--json"))
    full = last_json(xlrl(xlrl_binary, tmp_path, *args, "--name", "full", "--json"))
    for key in ("mean_return", "train_steps", "train_episodes"):
        assert resumed[key] == full[key], key
    assert comparable(read_metrics(tmp_path / "runs" / "sig").records) == comparable(
        read_metrics(tmp_path / "runs" / "full").records
    )
