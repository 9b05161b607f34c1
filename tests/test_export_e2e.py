"""End to end: `xlrl export` of deep and tabular runs, read back without xlrl's Go side."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from conftest import ROOT, interrupt_run

pytestmark = pytest.mark.e2e

XLRL_ENVS = ROOT / "python" / "xlrl_envs"


def xlrl(binary: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(binary), *args],
        capture_output=True,
        text=True,
        timeout=600,
        # The worker (export.keras) is this checkout's, whatever the venv has installed.
        env=dict(os.environ, XLRL_PYTHON=sys.executable, PYTHONPATH=str(ROOT)),
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


def worktree_policy_module() -> ModuleType:
    """This checkout's xlrl_envs/policy.py (numpy only), whichever xlrl_envs is installed."""
    spec = importlib.util.spec_from_file_location(
        "xlrl_export_policy", XLRL_ENVS / "xlrl_envs" / "policy.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


def last_json(p: subprocess.CompletedProcess) -> dict[str, Any]:
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads(p.stdout.strip().splitlines()[-1])


def play(policy: Any, env_id: str, seed: int) -> tuple[float, np.ndarray, np.ndarray]:
    """One episode of policy in the Go environment seeded as `xlrl eval --seed` seeds it: its
    return, its observations and the actions taken."""
    import xlrl_envs

    e = xlrl_envs.make(env_id, seed=seed)
    obs, _ = e.reset()
    ret, seen, acts = 0.0, [], []
    while True:
        a = policy.act(obs)
        seen.append(np.asarray(obs, dtype=np.float64))
        acts.append(np.asarray(a, dtype=np.float64).reshape(-1))
        obs, r, term, trunc, _ = e.step(a)
        ret += r
        if term or trunc:
            e.close()
            return ret, np.array(seen), np.array(acts)


def keras_outputs(tmp_path: Path, keras_file: Path, obs: np.ndarray) -> np.ndarray:
    """The .keras model's outputs on obs, in a Python that cannot import xlrl's packages."""
    np.save(tmp_path / "keras_in.npy", obs.astype(np.float32))
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            f"""
import sys
sys.modules["pyworker"] = None  # the .keras file must load without xlrl
sys.modules["xlrl_envs"] = None
import numpy as np, keras
m = keras.saving.load_model({str(keras_file)!r})
np.save({str(tmp_path / "keras_out.npy")!r}, m.predict(np.load({str(tmp_path / "keras_in.npy")!r}), verbose=0))
""",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH="", TF_CPP_MIN_LOG_LEVEL="3"),
    )
    assert check.returncode == 0, check.stderr[-2000:]
    return np.load(tmp_path / "keras_out.npy")


def check_export(
    binary: Path, tmp_path: Path, run: Path, env_id: str, kind: str, partial: bool
) -> None:
    """Export run as npz and keras and check both against the Go agent: load_policy plays the
    episodes of `xlrl eval --eval-episodes 1 --seed S` and gets their returns (action for action
    for Discrete actions; to float rounding for Box), and the keras model's output on the
    observations of those episodes is load_policy's action (its argmax for Discrete)."""
    npz, keras_file = tmp_path / f"{run.name}.npz", tmp_path / f"{run.name}.keras"
    res = last_json(
        xlrl(binary, tmp_path, "export", str(run), "--format", "npz", "-o", str(npz), "--json")
    )
    assert res["architecture"]["kind"] == kind, res
    p = xlrl(binary, tmp_path, "export", str(run), "--format", "keras", "-o", str(keras_file))
    assert p.returncode == 0, p.stderr[-3000:]
    policy = worktree_policy_module().load_policy(npz)
    assert policy.kind == kind
    observations, actions = [], []
    for seed in (3, 11):
        ev = last_json(
            xlrl(
                binary,
                tmp_path,
                "eval",
                str(run),
                "--eval-episodes",
                "1",
                "--seed",
                str(seed),
                "--json",
            )
        )
        assert ev.get("partial", False) == partial, ev
        ret, obs, acts = play(policy, env_id, seed)
        if kind == "mlp":
            assert ret == ev["mean_return"], (seed, ret, ev["mean_return"])
        else:
            assert abs(ret - ev["mean_return"]) <= 1e-4 * max(1.0, abs(ret)), (seed, ret, ev)
        observations.append(obs)
        actions.append(acts)
    obs, acts = np.concatenate(observations), np.concatenate(actions)
    out = keras_outputs(tmp_path, keras_file, obs)
    if kind == "mlp":
        assert (np.argmax(out, axis=1) == acts[:, 0]).all()
    else:
        assert len(np.unique(acts)) > 1, "the policy's actions are all equal"
        np.testing.assert_allclose(out, acts, rtol=1e-5, atol=1e-5)


AC_RUNS = {
    "ppo-CartPole-go": (
        "CartPole-v1",
        "mlp",
        [
            *("--algo", "ppo", "--backend", "go", "--steps", "2048", "--layers", "32"),
            *("--hp", "n_epochs=2"),
        ],
    ),
    "ppo-Pendulum-go": (
        "Pendulum-v1",
        "mlp-clip",
        [
            *("--algo", "ppo", "--backend", "go", "--steps", "2048", "--layers", "32"),
            *("--hp", "n_epochs=2", "--hp", "normalize_obs=true"),
        ],
    ),
    "sac-Pendulum-go": (
        "Pendulum-v1",
        "mlp-tanh",
        [
            *("--algo", "sac", "--backend", "go", "--steps", "600", "--layers", "32"),
            *("--hp", "learning_starts=200", "--hp", "normalize_obs=true"),
        ],
    ),
    "sac-gsde-Pendulum-go": (
        "Pendulum-v1",
        "mlp-tanh",
        [
            *("--algo", "sac", "--backend", "go", "--steps", "600", "--layers", "32"),
            *("--hp", "learning_starts=200", "--hp", "use_sde=true"),
        ],
    ),
    "td3-Pendulum-go": (
        "Pendulum-v1",
        "mlp-tanh",
        [
            *("--algo", "td3", "--backend", "go", "--steps", "600", "--layers", "32"),
            *("--hp", "learning_starts=200"),
        ],
    ),
    "sac-Pendulum-tf": (
        "Pendulum-v1",
        "mlp-tanh",
        [
            *("--algo", "sac", "--backend", "tf", "--steps", "400", "--layers", "16"),
            *("--hp", "learning_starts=200"),
        ],
    ),
}


@pytest.mark.parametrize("name", sorted(AC_RUNS))
def test_actor_critic_run_exports_policies_that_act_as_xlrl_eval(
    xlrl_binary: Path, tmp_path: Path, name: str
) -> None:
    env_id, kind, args = AC_RUNS[name]
    p = xlrl(
        xlrl_binary,
        tmp_path,
        "train",
        "--env",
        env_id,
        *args,
        "--eval-episodes",
        "2",
        "--plot=false",
        "--name",
        name,
    )
    assert p.returncode == 0, p.stderr[-3000:]
    check_export(xlrl_binary, tmp_path, tmp_path / "runs" / name, env_id, kind, partial=False)


def test_interrupted_actor_critic_run_exports_the_policy_eval_acts_with(
    xlrl_binary: Path, tmp_path: Path
) -> None:
    args = [
        *("train", "--env", "Pendulum-v1", "--algo", "ppo", "--backend", "go"),
        *("--steps", "100000000", "--layers", "32", "--hp", "n_steps=256", "--hp", "n_envs=2"),
        *("--hp", "normalize_obs=true", "--hp", "eval_every=512", "--eval-episodes", "2"),
        *("--plot=false", "--name", "sig"),
    ]
    # the second progress line: past the first updates and evaluations
    env = dict(os.environ, XLRL_PYTHON=sys.executable, PYTHONPATH=str(ROOT))
    interrupt_run(xlrl_binary, tmp_path, args, lines=2, env=env)
    check_export(
        xlrl_binary, tmp_path, tmp_path / "runs" / "sig", "Pendulum-v1", "mlp-clip", partial=True
    )
