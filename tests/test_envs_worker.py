"""Worker-hosted Gymnasium environments (pyworker.envs): the handlers, then over the wire."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import gymnasium
import numpy as np
import pytest

from pyworker import envs, protocol
from pyworker.errors import ArgumentError
from pyworker.registry import CallContext

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CTX = CallContext(0, lambda method, params: None)


@pytest.fixture(autouse=True)
def _fixtures_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(FIXTURES))
    monkeypatch.setenv("PYTHONPATH", f"{FIXTURES}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")


def make(env_id: str, **kw):
    out = envs.make(CTX, id=env_id, **kw)
    return out["handle"], out["spec"]


def attach_region(handle: int) -> None:
    """Give ``handle`` a shared region as the host does (a memfd), laid out by the worker."""
    h = envs._hosted[handle]
    _, size = envs._shm_layout(h)
    fd = os.memfd_create("xlrl-test")
    try:
        os.ftruncate(fd, size)
        envs.attach_shm(
            CTX, handle=handle, path=f"/proc/self/fd/{fd}", size=size, obs_dtype=str(h.obs.dtype)
        )
    finally:
        os.close(fd)


def step_shm(handle: int, actions) -> dict:
    """env.step through the shared region, its results in env.step's form."""
    h = envs._hosted.get(handle)
    if h is None:
        return envs.step_shm(CTX, handle=handle)  # raises: no such handle
    if h.shm is None:
        attach_region(handle)
    s = h.shm
    s.actions[...] = np.asarray(actions, dtype=s.actions.dtype).reshape(s.actions.shape)
    envs.step_shm(CTX, handle=handle)
    ended = np.flatnonzero(s.ended)
    return {
        "obs": h.obs,
        "rewards": h.rewards,
        "terminated": h.terminated,
        "truncated": h.truncated,
        "ended": ended,
        "final_obs": s.final_obs[ended],
    }


@pytest.fixture(params=["messages", "shm"])
def step(request: pytest.FixtureRequest):
    """env.step as the host calls it: the arrays in the messages, or in shared memory."""
    if request.param == "shm":
        if not hasattr(os, "memfd_create"):
            pytest.skip("shared regions are Linux-only")
        return step_shm
    return lambda handle, actions: envs.step(CTX, handle=handle, actions=actions)


def test_cartpole_matches_gymnasium_copy_by_copy(step) -> None:
    handle, spec = make("CartPole-v1", num=3, seed=7)
    assert spec["observation"]["kind"] == "box" and spec["observation"]["shape"] == [4]
    assert spec["action"] == {"kind": "discrete", "n": 2, "start": 0}
    assert spec["max_episode_steps"] == 500 and spec["reward_threshold"] == 475.0
    refs = [gymnasium.make("CartPole-v1") for _ in range(3)]
    ref_obs = np.stack([r.reset(seed=7 + i)[0] for i, r in enumerate(refs)])
    obs = envs.reset(CTX, handle=handle)["obs"]
    assert obs.dtype == np.float32 and obs.shape == (3, 4)
    np.testing.assert_array_equal(obs, ref_obs)
    rng = np.random.default_rng(1)
    ended_any = False
    for _ in range(200):
        a = rng.integers(0, 2, size=3)
        out = step(handle, a)
        for i, r in enumerate(refs):
            o, rew, term, trunc, _ = r.step(int(a[i]))
            assert out["rewards"][i] == rew
            assert out["terminated"][i] == term and out["truncated"][i] == trunc
            if term or trunc:
                ended_any = True
                k = list(out["ended"]).index(i)
                np.testing.assert_array_equal(out["final_obs"][k], o)
                o, _ = r.reset()  # the copy's stream goes on, unseeded
            np.testing.assert_array_equal(out["obs"][i], o)
    assert ended_any
    envs.close(CTX, handle=handle)
    with pytest.raises(ArgumentError, match="no environment with handle"):
        step(handle, np.zeros(3, np.int64))


def test_no_autoreset_refuses_a_step_after_the_end(step) -> None:
    handle, _ = make("gym_fixtures:Chain", kwargs={"n": "3", "limit": "10"}, autoreset=False)
    envs.reset(CTX, handle=handle)
    step(handle, np.array([1]))
    out = step(handle, np.array([1]))
    assert out["terminated"][0] and out["rewards"][0] == 1.0 and len(out["ended"]) == 0
    with pytest.raises(ArgumentError, match="copy 0: its episode ended at step 2; reset it first"):
        step(handle, np.array([1]))
    obs = envs.reset(CTX, handle=handle)["obs"]
    np.testing.assert_array_equal(obs[0], [1, 0, 0])
    envs.close(CTX, handle=handle)


def test_box_of_any_shape_and_uint8(step) -> None:
    handle, spec = make(
        "gym_fixtures:Noisy", num=2, kwargs={"shape": "(2, 3, 4)", "dtype": "uint8"}
    )
    assert spec["observation"]["shape"] == [2, 3, 4] and spec["observation"]["dtype"] == "uint8"
    assert spec["observation"]["low"].shape == (24,)
    assert spec["action"]["kind"] == "box" and spec["action"]["shape"] == [2]
    obs = envs.reset(CTX, handle=handle)["obs"]
    assert obs.dtype == np.uint8 and obs.shape == (2, 2, 3, 4)
    out = step(handle, np.full((2, 2), 0.5))
    np.testing.assert_array_equal(out["rewards"], [1.0, 1.0])
    assert out["obs"].dtype == np.uint8
    with pytest.raises(ArgumentError, match="3 action values for 2 copies"):
        envs.step(CTX, handle=handle, actions=np.zeros(3))  # the region's size is fixed
    envs.close(CTX, handle=handle)


def test_same_seed_same_trajectory_and_copies_differ(step) -> None:
    runs = []
    for _ in range(2):
        handle, _ = make("gym_fixtures:Noisy", num=2, seed=11)
        seq = [envs.reset(CTX, handle=handle)["obs"].copy()]
        for _ in range(7):
            seq.append(step(handle, np.zeros((2, 2)))["obs"].copy())
        envs.close(CTX, handle=handle)
        runs.append(np.stack(seq))
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0][:, 0], runs[0][:, 1])


@pytest.mark.skipif(not hasattr(os, "memfd_create"), reason="shared regions are Linux-only")
def test_shared_region_must_match_the_workers_layout() -> None:
    handle, _ = make("CartPole-v1", num=2)
    envs.reset(CTX, handle=handle)
    h = envs._hosted[handle]
    _, size = envs._shm_layout(h)
    fd = os.memfd_create("xlrl-test")
    try:
        os.ftruncate(fd, size)
        path = f"/proc/self/fd/{fd}"
        with pytest.raises(ArgumentError, match="does not match this worker's layout"):
            envs.attach_shm(CTX, handle=handle, path=path, size=size + 64, obs_dtype="float32")
        with pytest.raises(ArgumentError, match="does not match this worker's layout"):
            envs.attach_shm(CTX, handle=handle, path=path, size=size, obs_dtype="float64")
        os.ftruncate(fd, size - 64)  # the file is not what the host says it is
        with pytest.raises(ArgumentError, match="want"):
            envs.attach_shm(CTX, handle=handle, path=path, size=size, obs_dtype="float32")
    finally:
        os.close(fd)
    with pytest.raises(ArgumentError, match="has no shared region"):
        envs.step_shm(CTX, handle=handle)
    # The messages still work after the refusals.
    assert envs.step(CTX, handle=handle, actions=np.zeros(2, np.int64))["rewards"].tolist() == [
        1,
        1,
    ]
    envs.close(CTX, handle=handle)


@pytest.mark.parametrize(
    ("env_id", "match"),
    [
        ("gym_fixtures:DictObs", "observation space is Dict .*FlattenObservation"),
        ("gym_fixtures:MultiAction", "action space is MultiDiscrete .*ActionWrapper"),
        ("gym_fixtures:NoSuch", "has no attribute 'NoSuch'"),
        ("gym_fixtures:not_an_env", "not a gymnasium.Env"),
        ("no_such_module_xyz:Env", "cannot import module 'no_such_module_xyz'.*PYTHONPATH"),
        ("NoSuchEnv-v0", "gym:NoSuchEnv-v0"),
        ("gym_fixtures:autoreset_chain", "wrapped in gymnasium.wrappers.Autoreset"),
        ("gym_fixtures:vector_chain", "gives a VectorEnv .*autoreset_mode"),
    ],
)
def test_bad_ids_and_spaces(env_id: str, match: str) -> None:
    with pytest.raises(ArgumentError, match=match):
        make(env_id)


def test_factory_with_wrapper_is_drivable() -> None:
    handle, spec = make("gym_fixtures:flat_dict")
    assert spec["observation"]["kind"] == "box" and spec["observation"]["shape"] == [4]
    envs.close(CTX, handle=handle)


def test_exception_inside_the_env_names_id_copy_and_step(step) -> None:
    handle, _ = make("gym_fixtures:Exploding", num=2, kwargs={"at": "3"})
    envs.reset(CTX, handle=handle)
    step(handle, np.zeros(2, np.int64))
    step(handle, np.zeros(2, np.int64))
    with pytest.raises(
        envs.EnvError,
        match=r"gym_fixtures:Exploding copy 0 step 3: ValueError: the reactor overheated",
    ):
        step(handle, np.zeros(2, np.int64))
    envs.close(CTX, handle=handle)


def test_working_directory_is_not_imported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "stray_env_module.py").write_text("raise SystemExit('imported by accident')\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend("")
    with pytest.raises(ArgumentError, match="never from the working directory"):
        make("stray_env_module:Env")
    assert "stray_env_module" not in sys.modules


def test_kwargs_parse() -> None:
    assert envs.parse_kwarg("3") == 3 and envs.parse_kwarg("0.5") == 0.5
    assert envs.parse_kwarg("True") is True and envs.parse_kwarg("false") is False
    assert envs.parse_kwarg("none") is None and envs.parse_kwarg("(1, 2)") == (1, 2)
    assert envs.parse_kwarg("rgb_array") == "rgb_array"


def test_over_the_wire(raw_worker) -> None:
    w = raw_worker
    assert "env.step" in w.hello[2]["methods"]
    w.request(1, "env.make", id="gym_fixtures:Chain", num=2, seed=0, kwargs={"n": "3"})
    _, _, err, res = w.read()
    assert err is None, err
    handle = res["handle"]
    w.request(2, "env.reset", handle=handle)
    _, _, err, res = w.read()
    assert err is None and res["obs"].shape == (2, 3)
    w.request(3, "env.step", handle=handle, actions=np.array([1, 0], dtype=np.int64))
    _, _, err, res = w.read()
    assert err is None
    np.testing.assert_array_equal(res["rewards"], [0.0, 0.1])
    assert list(res["ended"]) == [1] and list(res["final_obs"][0]) == [1, 0, 0]
    w.request(4, "env.step", handle=handle, actions=[1, 0])
    _, _, err, _ = w.read()
    assert "must be an array" in err["message"]
    assert protocol.DTYPES[2] == np.float64


def test_bench_times_the_hosts_steps_apart_from_its_own() -> None:
    handle, _ = make("CartPole-v1", num=2, seed=1)
    envs.reset(CTX, handle=handle)
    for i in range(5):
        step_shm(handle, [i & 1, 1])
    for _ in range(3):
        envs.step_rpc(CTX, handle=handle, actions=np.array([0, 1], dtype=np.int64))
    h = envs._hosted[handle]
    assert h.served_steps == 8 and h.served_ns > 0
    served = h.served_ns / 1e9 / 8
    out = envs.bench(CTX, handle=handle, steps=10)
    assert out["served_seconds_per_step"] == pytest.approx(served)
    assert out["seconds"] > 0 and out["sync_vector_seconds"] > 0 and out["copies"] == 2
    # env.bench's own steps do not count, and the next bench starts afresh
    assert envs.bench(CTX, handle=handle, steps=3)["served_seconds_per_step"] == 0
    envs.close(CTX, handle=handle)
