"""render: episodes drawn from recorded states (what is where in the frames),
written as a GIF that decodes, and bad input refused before drawing."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from pyworker.render import (
    CELL,
    HOLD,
    MAX_FRAMES,
    SIZE,
    RenderError,
    episode_frames,
    frames_of,
    write_frames,
)

LAKE = ["SFFF", "FHFH", "FFFH", "HFFG"]
RED = np.array([220, 40, 40])


def is_red(px) -> bool:
    return bool(np.abs(np.asarray(px[:3], dtype=int) - RED).max() < 30)


def pole_pixels(frame: np.ndarray) -> np.ndarray:
    """Where the pole's colour is: (row, col) pairs."""
    ys, xs = np.nonzero(np.abs(frame.astype(int) - [202, 152, 101]).max(axis=2) < 20)
    return np.stack([ys, xs], axis=1)


def test_cartpole_pole_leans_with_theta_and_cart_moves_with_x():
    upright, right, moved = (
        np.asarray(f)
        for f in episode_frames("CartPole-v1", [[0, 0, 0, 0], [0, 0, 0.2, 0], [1.0, 0, 0, 0]])
    )
    up = pole_pixels(upright)
    assert up[:, 1].max() - up[:, 1].min() < 10  # vertical
    lean = pole_pixels(right)
    top = lean[lean[:, 0].argmin()]
    bottom = lean[lean[:, 0].argmax()]
    assert top[1] > bottom[1] + 10  # positive theta: the tip is to the right
    shift = pole_pixels(moved)[:, 1].mean() - up[:, 1].mean()
    assert shift == pytest.approx(SIZE[0] / 4.8, abs=3)  # one metre of track


def test_lake_frames_follow_the_agent_with_its_path():
    states = [[0], [4], [8], [9]]
    frames = [np.asarray(f) for f in episode_frames("FrozenLake-v1", states, LAKE)]
    assert len(frames) == 4
    for f, (s,) in zip(frames, states, strict=True):
        r, c = divmod(s, 4)
        assert is_red(f[r * CELL + CELL // 2, c * CELL + CELL // 2])
        assert not is_red(f[CELL // 2, 3 * CELL + CELL // 2])  # never at the top right
    # The path so far is drawn through the cells left behind.
    path = frames[-1][0 * CELL + CELL // 2 + 12, CELL // 2]
    assert tuple(path[:3]) == (230, 120, 30)


def test_taxi_and_cliff_draw_without_a_map():
    assert len(episode_frames("Taxi-v3", [[328], [228]])) == 2
    (f,) = episode_frames("CliffWalking-v0", [[36]])
    assert is_red(np.asarray(f)[3 * CELL + CELL // 2, CELL // 2])


def test_frames_of_counts_and_holds_each_episode_end():
    eps = [
        {"states": [[0], [1], [2]], "rewards": [0, 0]},
        {"states": [[0], [4]], "rewards": [0]},
    ]
    frames = frames_of("FrozenLake-v1", eps, LAKE)
    assert len(frames) == 3 + HOLD + 2 + HOLD
    assert len(frames_of("FrozenLake-v1", eps, LAKE, every=2)) == 2 + HOLD + 1 + HOLD


@pytest.mark.parametrize(
    ("env", "states", "grid", "match"),
    [
        ("CartPole-v1", [[0, 0]], None, "4 finite values"),
        ("CartPole-v1", [[0, 0, math.nan, 0]], None, "4 finite values"),
        ("FrozenLake-v1", [[0]], None, "grid map is needed"),
        ("FrozenLake-v1", [[16]], LAKE, "outside the 16 cells"),
        ("FrozenLake-v1", [[0.5]], LAKE, "one cell index"),
        ("FrozenLake-v1", [[0]], ["SF", "F"], "rows of one length"),
        ("Taxi-v3", [[500]], None, "outside the 500 cells"),
        ("Hopper-v4", [[0]], None, "cannot draw Hopper-v4"),
        ("CartPole-v1", [], None, "no states"),
    ],
)
def test_bad_episodes_are_refused(env, states, grid, match):
    with pytest.raises(RenderError, match=match):
        episode_frames(env, states, grid)


def test_too_many_frames_refused_before_drawing():
    eps = [{"states": [[0]] * (MAX_FRAMES + 1), "rewards": [0] * MAX_FRAMES}]
    with pytest.raises(RenderError, match="more than"):
        frames_of("FrozenLake-v1", eps, LAKE)


def test_gif_round_trip(tmp_path):
    states = [[0.0, 0.0, 0.05 * t, 0.0] for t in range(5)]
    frames = frames_of("CartPole-v1", [{"states": states, "rewards": [1.0] * 4}])
    res = write_frames(frames, str(tmp_path / "sub" / "cp.gif"), fps=10)
    assert res["frames"] == 5 + HOLD and (res["width"], res["height"]) == SIZE
    with Image.open(res["path"]) as im:
        assert im.n_frames >= 5  # identical held frames may be merged
        assert im.info["duration"] == 100
    assert not list((tmp_path / "sub").glob(".*tmp*"))


def test_write_frames_refuses_other_formats(tmp_path):
    frames = frames_of("FrozenLake-v1", [{"states": [[0]], "rewards": []}], LAKE)
    with pytest.raises(RenderError, match=r"\.gif or an \.mp4"):
        write_frames(frames, str(tmp_path / "x.avi"))
    with pytest.raises(RenderError, match="fps"):
        write_frames(frames, str(tmp_path / "x.gif"), fps=0)


def test_mp4_is_written_with_ffmpeg(tmp_path):
    try:
        import imageio_ffmpeg  # noqa: F401
    except ImportError:
        pytest.fail("imageio-ffmpeg is missing: .venv/bin/pip install -e '.[dev]'")
    states = [[0.1 * t, 0.0, 0.0, 0.0] for t in range(12)]
    frames = frames_of("CartPole-v1", [{"states": states, "rewards": [1.0] * 11}])
    res = write_frames(frames, str(tmp_path / "cp.mp4"), fps=12)
    data = (tmp_path / "cp.mp4").read_bytes()
    assert res["frames"] == 12 + HOLD and data[4:8] == b"ftyp" and len(data) > 1000


def test_mp4_without_ffmpeg_says_what_to_install(tmp_path, monkeypatch):
    import sys

    import pyworker.render as render

    monkeypatch.setattr(render.shutil, "which", lambda _: None)
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # import fails
    frames = frames_of("FrozenLake-v1", [{"states": [[0]], "rewards": []}], LAKE)
    with pytest.raises(RenderError, match=r"apt-get install ffmpeg.*--gif"):
        write_frames(frames, str(tmp_path / "x.mp4"))
    assert not (tmp_path / "x.mp4").exists()
