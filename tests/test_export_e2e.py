"""End to end: `xlrl export` of deep and tabular runs, read back without xlrl's Go side."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

pytestmark = pytest.mark.e2e

XLRL_ENVS = ROOT / "python" / "xlrl_envs"


def xlrl(binary: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(binary), *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ, XLRL_PYTHON=sys.executable),
        cwd=cwd,
    )


def only_run(cwd: Path) -> Path:
    (run,) = (cwd / "runs").iterdir()
    return run


def test_deep_run_exports_npz_and_keras_that_agree(xlrl_binary: Path, tmp_path: Path) -> None:
    p = xlrl(
        xlrl_binary,
        tmp_path,
        "train",
        "--algo",
        "dqn",
        "--backend",
        "go",
        "--env",
        "CartPole-v1",
        "--steps",
        "1200",
        "--plot=false",
    )
    assert p.returncode == 0, p.stderr
    run = only_run(tmp_path)
    npz, keras_file = tmp_path / "policy.npz", tmp_path / "policy.keras"
    p = xlrl(xlrl_binary, tmp_path, "export", str(run), "--format", "npz", "-o", str(npz), "--json")
    assert p.returncode == 0, p.stderr
    res = json.loads(p.stdout.strip().splitlines()[-1])
    assert res["architecture"]["kind"] == "mlp" and res["architecture"]["in"] == 4
    p = xlrl(xlrl_binary, tmp_path, "export", str(run), "--format", "npz", "-o", str(npz))
    assert p.returncode != 0 and "--force" in p.stderr  # nothing replaced by accident
    p = xlrl(xlrl_binary, tmp_path, "export", str(run), "--format", "keras", "-o", str(keras_file))
    assert p.returncode == 0, p.stderr
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            f"""
import sys
sys.modules["pyworker"] = None  # the .keras file must load without xlrl
import numpy as np, keras
sys.path.insert(0, {str(XLRL_ENVS)!r})
del sys.modules["pyworker"]
m = keras.saving.load_model({str(keras_file)!r})
from xlrl_envs.policy import load_policy
p = load_policy({str(npz)!r})
x = np.random.default_rng(0).normal(size=(200, 4)).astype(np.float32)
k = m.predict(x, verbose=0)
np.testing.assert_allclose(k, p.outputs(x), rtol=1e-4, atol=1e-5)
assert (np.argmax(k, axis=1) == p.act_batch(x)).all()
print("agree")
""",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH="", TF_CPP_MIN_LOG_LEVEL="3"),
    )
    assert check.returncode == 0 and "agree" in check.stdout, check.stderr[-2000:]


def test_tabular_run_exports_its_q_table(xlrl_binary: Path, tmp_path: Path) -> None:
    p = xlrl(
        xlrl_binary,
        tmp_path,
        "train",
        "--algo",
        "q-learning",
        "--env",
        "FrozenLake-v1",
        "--episodes",
        "300",
        "--plot=false",
    )
    assert p.returncode == 0, p.stderr
    run = only_run(tmp_path)
    p = xlrl(
        xlrl_binary, tmp_path, "export", str(run), "--format", "npy", "-o", str(tmp_path / "q.npy")
    )
    assert p.returncode == 0, p.stderr
    q = np.load(tmp_path / "q.npy")
    assert q.shape == (16, 4) and np.abs(q).sum() > 0
    p = xlrl(
        xlrl_binary,
        tmp_path,
        "export",
        str(run),
        "--format",
        "keras",
        "-o",
        str(tmp_path / "q.keras"),
    )
    assert p.returncode != 0 and "not a network" in p.stderr
