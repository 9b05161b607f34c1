"""The in-process cases of tests/test_xlrl_envs.py, each run in a fresh spawned process.

One Go runtime per process: the test session may have loaded another Go library
(pyworker.native's libqvalue in tests/test_native.py), which xlrl_envs rightly refuses to sit
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


def case_actions_of_every_form_step_alike() -> None:
    # Contiguous int64 arrays go to Go as they are; anything else is converted first.
    forms = [
        lambda a: a,
        lambda a: a.tolist(),
        lambda a: a.astype(np.int32),
        lambda a: a.astype(np.float64),
        lambda a: np.ascontiguousarray(np.stack([a, a], axis=1))[:, 0],  # strided
        lambda a: a.reshape(3, 1),
    ]
    acts = np.random.default_rng(1).integers(0, 2, size=(40, 3))
    seqs = []
    for form in forms:
        v = xlrl_envs.make_vec("CartPole-v1", 3, seed=2)
        seqs.append(run_actions(v, [form(a) for a in acts]))
        v.close()
    for seq in seqs[1:]:
        for x, y in zip(seqs[0], seq, strict=True):
            np.testing.assert_array_equal(x, y)
    e = xlrl_envs.make("CartPole-v1", seed=2)
    e.reset()
    for a in (1, np.int64(0), np.array(1), True, [0], 1.0):
        obs, rew, term, trunc, info = e.step(a)
        assert obs.shape == (4,) and obs.dtype == np.float64 and obs.flags.owndata
        assert type(rew) is float and type(term) is bool and type(trunc) is bool and info == {}
    for bad, match in [(2, "outside"), (-1, "outside"), (1 << 70, "int"), ([0, 1], "2 action")]:
        with pytest.raises((ValueError, OverflowError), match=match):
            e.step(bad)
    with pytest.raises(TypeError):
        e._vec._fast() if e._vec._fast is not None else e._vec.step()
    e.close()


def run_actions(v: gymnasium.vector.VectorEnv, actions: list) -> list[np.ndarray]:
    obs, _ = v.reset()
    seq = [obs.copy()]
    for a in actions:
        obs, rew, term, trunc, infos = v.step(a)
        seq += [obs.copy(), rew.copy(), term.copy(), trunc.copy(), np.array(sorted(infos))]
        if "final_obs" in infos:
            seq.append(infos["final_obs"][infos["_final_obs"]].copy())
    return seq


def case_single_env_observations_are_fresh_and_episodes_continue() -> None:
    e = xlrl_envs.make("CartPole-v1", seed=4)
    obs, _ = e.reset()
    kept, ends = [(obs, obs.copy())], 0
    for t in range(400):
        obs, rew, term, trunc, _ = e.step(t % 2)
        kept.append((obs, obs.copy()))
        if term or trunc:
            ends += 1
            first, _ = e.reset()  # the next episode, started by Go in the same step
            assert not np.array_equal(first, obs)
            kept.append((first, first.copy()))
    assert ends > 3
    # Every observation returned is still what it was: none is a view that Go rewrote.
    for got, then in kept:
        np.testing.assert_array_equal(got, then)
    lake = xlrl_envs.make("FrozenLake-v1", map="4x4", slippery=False)
    assert lake.reset(seed=0)[0] == 0
    for a, want in [(2, 1), (2, 2), (1, 6), (1, 10), (1, 14)]:
        obs, rew, term, *_ = lake.step(a)
        assert type(obs) is int and obs == want
    obs, rew, term, *_ = lake.step(2)  # into the goal: the final observation, not the next start
    assert (obs, rew, term) == (15, 1.0, True)
    assert lake.reset()[0] == 0


def case_discrete_observation_vectors() -> None:
    v = xlrl_envs.make_vec("FrozenLake-v1", 2, seed=0, map="4x4", slippery=False)
    obs, _ = v.reset()
    assert obs.dtype == np.int64 and obs.tolist() == [0, 0]
    for a in [2, 2, 1, 1, 1]:
        obs, *_ = v.step([a, 0])
    obs, rew, term, trunc, infos = v.step(np.array([2, 0]))
    assert obs.dtype == np.int64 and obs.tolist() == [0, 0] and rew.tolist() == [1.0, 0.0]
    assert infos["final_obs"].dtype == np.int64 and infos["final_obs"][0] == 15
    assert infos["_final_obs"].tolist() == [True, False]
    v.close()


CASES = sorted(name for name in dir() if name.startswith("case_"))
