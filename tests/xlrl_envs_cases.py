"""The in-process cases of tests/test_xlrl_envs.py, each run in a fresh spawned process.

One Go runtime per process: the test session may have loaded another Go library
(bench/qvalue.py's libqvalue.so in tests/test_native.py), which xlrl_envs rightly refuses to sit
beside, so each case runs in a process of its own (multiprocessing's spawn start method).
"""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest
import xlrl_envs


def case_vector_spaces_and_metadata() -> None:
    v = xlrl_envs.make_vec("CartPole-v1", 8, seed=0)
    assert isinstance(v, gymnasium.vector.VectorEnv)
    assert v.num_envs == 8
    assert v.single_observation_space.shape == (4,)
    assert v.observation_space.shape == (8, 4)
    assert v.single_action_space == gymnasium.spaces.Discrete(2)
    assert v.metadata["autoreset_mode"] == gymnasium.vector.AutoresetMode.SAME_STEP
    assert v.max_episode_steps == 500 and v.reward_threshold == 475
    v.close()


def case_observations_are_views_of_go_memory() -> None:
    v = xlrl_envs.make_vec("CartPole-v1", 4, seed=0)
    obs0, _ = v.reset()
    addr = obs0.ctypes.data
    assert not obs0.flags.owndata
    before = obs0.copy()
    obs1, rew, term, trunc, _ = v.step(np.zeros(4, dtype=np.int64))
    # The same memory, rewritten in place by Go: no per-step copy.
    assert (
        obs1.ctypes.data == addr and rew.ctypes.data == v.step(np.zeros(4, np.int64))[1].ctypes.data
    )
    assert not np.array_equal(obs0, before)
    v.close()


def run(v: gymnasium.vector.VectorEnv, steps: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    obs, _ = v.reset(seed=seed)
    seq = [obs.copy()]
    for _ in range(steps):
        obs, rew, term, trunc, infos = v.step(rng.integers(0, 2, size=v.num_envs))
        seq += [obs.copy(), rew.copy(), term.copy(), trunc.copy()]
        if "final_obs" in infos:
            seq.append(infos["final_obs"][infos["_final_obs"]].copy())
    return seq


def case_same_seed_same_trajectory_and_vector_equals_single_envs() -> None:
    v = xlrl_envs.make_vec("CartPole-v1", 3, seed=0)
    a, b = run(v, 300, seed=5), run(v, 300, seed=5)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0][0], a[0][1])  # copies seeded apart
    assert any(len(x) and x.ndim == 2 for x in a[1:] if x.dtype == np.float64)  # episodes ended
    # Copy i of a vector seeded with s is the single env seeded with s + i.
    rng = np.random.default_rng(0)
    v.reset(seed=5)
    singles = [xlrl_envs.make("CartPole-v1") for _ in range(3)]
    got = [e.reset(seed=5 + i)[0] for i, e in enumerate(singles)]
    np.testing.assert_array_equal(np.stack(got), a[0])
    for _ in range(50):
        acts = rng.integers(0, 2, size=3)
        obs, rew, term, trunc, infos = v.step(acts)
        for i, e in enumerate(singles):
            o, r, te, tr, _ = e.step(int(acts[i]))
            assert (r, te, tr) == (rew[i], term[i], trunc[i])
            np.testing.assert_array_equal(o, infos["final_obs"][i] if te or tr else obs[i])
            if te or tr:
                e.reset()
    v.close()


def case_single_env_passes_gymnasium_checker() -> None:
    from gymnasium.utils.env_checker import check_env

    check_env(xlrl_envs.make("CartPole-v1"), skip_render_check=True)
    e = xlrl_envs.make("FrozenLake-v1", map="4x4", slippery=False)
    assert e.observation_space == gymnasium.spaces.Discrete(16)
    obs, _ = e.reset(seed=0)
    assert obs == 0
    assert e.step(2)[0] == 1  # right, not slippery


def case_continuous_actions() -> None:
    v = xlrl_envs.make_vec("Pendulum-v1", 2, seed=1)
    v.reset()
    obs, rew, *_ = v.step(np.array([[2.0], [-2.0]]))
    assert obs.shape == (2, 3) and (rew <= 0).all()
    with pytest.raises(ValueError, match="3 action values for 2 copies"):
        v.step(np.zeros(3))


def case_bad_input() -> None:
    cases = [
        (lambda: xlrl_envs.make_vec("NoSuch-v0", 1), "unknown environment id"),
        (lambda: xlrl_envs.make_vec("CartPole-v1", 0), "num_envs=0"),
        (lambda: xlrl_envs.make_vec("CartPole-v1", 1, colour="red"), "unknown field"),
        (lambda: xlrl_envs.make_vec("CartPole-v1", 1, map="4x4"), "does not apply"),
    ]
    for call, match in cases:
        with pytest.raises(ValueError, match=match):
            call()


def case_bad_action_is_an_error_not_a_crash() -> None:
    v = xlrl_envs.make_vec("CartPole-v1", 2, seed=0)
    v.reset()
    with pytest.raises(ValueError, match="action 5 of copy 1 is outside"):
        v.step(np.array([0, 5]))
    v.close()


def case_sb3_adapter() -> None:
    venv = xlrl_envs.SB3VecEnv(xlrl_envs.make_vec("CartPole-v1", 4, seed=0))
    venv.seed(3)
    obs = venv.reset()
    assert obs.shape == (4, 4) and venv.action_space.n == 2
    ended = 0
    for _ in range(100):
        obs, rew, dones, infos = venv.step(np.ones(4, dtype=np.int64))
        assert rew.dtype == np.float32 and dones.shape == (4,) and len(infos) == 4
        for i in np.flatnonzero(dones):
            ended += 1
            assert infos[i]["terminal_observation"].shape == (4,)
            assert infos[i]["TimeLimit.truncated"] is False
    assert ended > 0
    venv.close()


CASES = sorted(name for name in dir() if name.startswith("case_"))
