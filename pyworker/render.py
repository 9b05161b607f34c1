"""Pictures of a policy at work: episodes drawn frame by frame into a GIF or
an MP4 (``xlrl eval RUN --gif FILE`` / ``--video FILE``).

The Go host runs the greedy policy and records each episode's states (the
observations it saw, the last one included), actions and rewards; this module
only draws them, with Pillow, so no display or pygame is needed:

- the classic-control environments (CartPole, MountainCar,
  MountainCarContinuous, Acrobot, Pendulum) from their observations, with the
  geometry of Gymnasium's own renderer;
- the grid environments (FrozenLake with its map, CliffWalking, Taxi) as
  their grids, with the agent's path so far.

Environments hosted by the worker through Gymnasium draw themselves:
:func:`gym_frames` replays the recorded actions in the environment made with
``render_mode="rgb_array"`` from the episode's reset seed, and
:func:`write_frames` writes whatever frames it is given.

Nothing on the wire is trusted for sizes: the frame count, the grid size and
the length of each state are checked before anything is drawn.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from pyworker.metrics import RunError
from pyworker.registry import CallContext, method

MAX_FRAMES = 5000
MAX_GRID = 64
SIZE = (360, 240)  # width, height of a classic-control frame
CELL = 36  # pixels per grid cell
HOLD = 8  # frames an episode's last state is held, with its return

Frame = np.ndarray  # (height, width, 3) uint8
State = Sequence[float]


class RenderError(ValueError):
    """The episodes cannot be drawn as asked; the message says why and what to do."""


# Classic control, from the observation -------------------------------------


def _canvas():
    from PIL import Image, ImageDraw

    img = Image.new("RGB", SIZE, "white")
    return img, ImageDraw.Draw(img)


def _cartpole(obs: State):
    x, _, theta, _ = obs[:4]
    img, d = _canvas()
    w, h = SIZE
    scale = w / 4.8  # the track spans x in [-2.4, 2.4]
    ground = h * 0.75
    d.line([(0, ground), (w, ground)], fill="black")
    cx = w / 2 + x * scale
    cw, ch = 0.11 * w, 0.08 * h
    d.rectangle([cx - cw / 2, ground - ch / 2, cx + cw / 2, ground + ch / 2], fill="black")
    length = 1.0 * scale  # twice the half-length 0.5
    tip = (cx + length * math.sin(theta), ground - length * math.cos(theta))
    d.line([(cx, ground), tip], fill=(202, 152, 101), width=max(3, w // 60))
    d.ellipse([cx - 3, ground - 3, cx + 3, ground + 3], fill=(129, 132, 203))
    return img


def _mountaincar(obs: State):
    pos = obs[0]
    img, d = _canvas()
    w, h = SIZE
    lo, hi = -1.2, 0.6

    def height(p: float) -> float:
        return math.sin(3 * p) * 0.45 + 0.55

    def px(p: float, y: float) -> tuple[float, float]:
        return ((p - lo) / (hi - lo) * w, h - 20 - y * (h - 60))

    d.line([px(p, height(p)) for p in np.linspace(lo, hi, 100)], fill="black", width=2)
    gx, gy = px(0.5, height(0.5))
    d.line([(gx, gy), (gx, gy - 30)], fill="black", width=2)
    d.polygon([(gx, gy - 30), (gx + 16, gy - 25), (gx, gy - 20)], fill=(204, 204, 0))
    cx, cy = px(pos, height(pos))
    # The slope of the track, in pixels: d(height)/d(pos) = 1.35 cos(3 pos).
    angle = math.atan(1.35 * math.cos(3 * pos) * (h - 60) * (hi - lo) / w)
    dx, dy = 14 * math.cos(angle), -14 * math.sin(angle)
    nx, ny = -8 * math.sin(angle), -8 * math.cos(angle)
    body = [
        (cx - dx, cy - dy),
        (cx + dx, cy + dy),
        (cx + dx + nx, cy + dy + ny),
        (cx - dx + nx, cy - dy + ny),
    ]
    d.polygon(body, fill="black")
    return img


def _acrobot(obs: State):
    c1, s1, c2, s2 = obs[:4]
    t1, t2 = math.atan2(s1, c1), math.atan2(s2, c2)
    img, d = _canvas()
    w, h = SIZE
    scale = h / 4.4
    ox, oy = w / 2, h / 2
    p1 = (ox + scale * math.sin(t1), oy + scale * math.cos(t1))
    p2 = (p1[0] + scale * math.sin(t1 + t2), p1[1] + scale * math.cos(t1 + t2))
    d.line([(0, oy - scale), (w, oy - scale)], fill="black")  # the height to reach
    d.line([(ox, oy), p1], fill=(0, 204, 204), width=6)
    d.line([p1, p2], fill=(0, 204, 204), width=6)
    for p in ((ox, oy), p1):
        d.ellipse([p[0] - 4, p[1] - 4, p[0] + 4, p[1] + 4], fill=(204, 204, 0))
    return img


def _pendulum(obs: State):
    c, s = obs[0], obs[1]
    theta = math.atan2(s, c)  # 0: upright
    img, d = _canvas()
    w, h = SIZE
    ox, oy, length = w / 2, h / 2, h * 0.4
    tip = (ox + length * math.sin(theta), oy - length * math.cos(theta))
    d.line([(ox, oy), tip], fill=(204, 77, 77), width=10)
    d.ellipse([ox - 4, oy - 4, ox + 4, oy + 4], fill="black")
    return img


# id prefix -> (observation size, drawer)
_CLASSIC: dict[str, tuple[int, Callable]] = {
    "CartPole-": (4, _cartpole),
    "MountainCarContinuous-": (2, _mountaincar),
    "MountainCar-": (2, _mountaincar),
    "Acrobot-": (6, _acrobot),
    "Pendulum-": (3, _pendulum),
}


# Grids, from the state index -------------------------------------------------

_CLIFF = ["FFFFFFFFFFFF", "FFFFFFFFFFFF", "FFFFFFFFFFFF", "SHHHHHHHHHHG"]
_TAXI_MAP = [
    "+---------+",
    "|R: | : :G|",
    "| : | : : |",
    "| : : : : |",
    "| | : | : |",
    "|Y| : |B: |",
    "+---------+",
]
_TAXI_LOCS = [(0, 0), (0, 4), (4, 0), (4, 3)]
_TAXI_COLOURS = [(220, 60, 60), (60, 170, 60), (220, 200, 40), (60, 90, 220)]
_CELL_COLOURS = {
    "S": (214, 234, 248),
    "F": (214, 234, 248),
    "H": (31, 58, 105),
    "G": (110, 190, 110),
}


def _grid_image(rows: list[str]):
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (len(rows[0]) * CELL, len(rows) * CELL + 18), "white")
    d = ImageDraw.Draw(img)
    for r, row in enumerate(rows):
        for c, ch in enumerate(row):
            box = [c * CELL, r * CELL, (c + 1) * CELL - 1, (r + 1) * CELL - 1]
            d.rectangle(box, fill=_CELL_COLOURS.get(ch, "white"), outline=(150, 150, 150))
            if ch in "SG":
                d.text((c * CELL + 3, r * CELL + 2), ch, fill="black")
    return img, d


def _centre(r: int, c: int) -> tuple[float, float]:
    return (c * CELL + CELL / 2, r * CELL + CELL / 2)


def _draw_path(d, cells: list[tuple[int, int]]) -> None:
    if len(cells) > 1:
        d.line([_centre(r, c) for r, c in cells], fill=(230, 120, 30), width=3)
    r, c = cells[-1]
    x, y = _centre(r, c)
    d.ellipse([x - CELL / 3, y - CELL / 3, x + CELL / 3, y + CELL / 3], fill=(220, 40, 40))


def _check_map(rows: list[str]) -> list[str]:
    if not rows or not all(isinstance(r, str) for r in rows):
        raise RenderError("a grid map is a list of rows such as ['SFFF', 'FHFH', ...]")
    if len(rows) > MAX_GRID or any(len(r) != len(rows[0]) or len(r) > MAX_GRID for r in rows):
        raise RenderError(f"a grid map has rows of one length, at most {MAX_GRID} by {MAX_GRID}")
    return rows


def _lake_frames(rows: list[str], states: list[int]) -> list:
    ncol = len(rows[0])
    cells = [divmod(s, ncol) for s in states]
    frames = []
    for i in range(len(cells)):
        img, d = _grid_image(rows)
        _draw_path(d, cells[: i + 1])
        frames.append(img)
    return frames


def _taxi_frames(states: list[int]) -> list:
    frames = []
    path: list[tuple[int, int]] = []
    for s in states:
        row, col, passenger, dest = s // 100, s // 20 % 5, s // 4 % 5, s % 4
        path.append((row, col))
        img, d = _grid_image(["FFFFF"] * 5)
        for i, (r, c) in enumerate(_TAXI_LOCS):
            d.rectangle(
                [c * CELL + 2, r * CELL + 2, (c + 1) * CELL - 3, (r + 1) * CELL - 3],
                outline=_TAXI_COLOURS[i],
                width=5 if i == dest else 2,
            )
            d.text((c * CELL + 4, r * CELL + 3), "RGYB"[i], fill="black")
        for r in range(5):  # the walls between cells
            for c in range(4):
                if _TAXI_MAP[1 + r][2 * c + 2] == "|":
                    wall = (c + 1) * CELL
                    d.line([(wall, r * CELL), (wall, (r + 1) * CELL)], fill="black", width=4)
        if len(path) > 1:
            d.line([_centre(r, c) for r, c in path], fill=(230, 120, 30), width=3)
        x, y = _centre(row, col)
        taxi = (60, 170, 60) if passenger == 4 else (240, 200, 0)
        d.rectangle([x - CELL / 3, y - CELL / 4, x + CELL / 3, y + CELL / 4], fill=taxi)
        if passenger < 4:
            pr, pc = _TAXI_LOCS[passenger]
            px, py = _centre(pr, pc)
            d.ellipse([px - 6, py - 6, px + 6, py + 6], fill=(120, 40, 160))
        frames.append(img)
    return frames


# Episodes into frames ----------------------------------------------------------


def episode_frames(env: str, states: list[State], grid: list[str] | None = None) -> list:
    """The frames (PIL images) of one episode of ``env`` from its states."""
    if not states:
        raise RenderError("an episode has no states to draw")
    if env.startswith(("FrozenLake", "CliffWalking", "Taxi")):
        idx = []
        for s in states:
            if len(s) != 1 or not float(s[0]).is_integer():
                raise RenderError(f"{env}: a state is one cell index, got {list(s)[:4]}")
            idx.append(int(s[0]))
        if env.startswith("Taxi"):
            rows = None
            n = 500
        else:
            rows = _check_map(grid) if grid else None
            if rows is None and env.startswith("CliffWalking"):
                rows = _CLIFF
            if rows is None:
                raise RenderError(f"{env}: the grid map is needed to draw it")
            n = len(rows) * len(rows[0])
        if any(not 0 <= i < n for i in idx):
            raise RenderError(f"{env}: a state index is outside the {n} cells of the grid")
        return _taxi_frames(idx) if rows is None else _lake_frames(rows, idx)
    for prefix, (dim, draw) in _CLASSIC.items():
        if env.startswith(prefix):
            for s in states:
                if len(s) < dim or not all(math.isfinite(float(v)) for v in s[:dim]):
                    raise RenderError(f"{env}: a state has {dim} finite values, got {list(s)[:8]}")
            return [draw([float(v) for v in s]) for s in states]
    raise RenderError(
        f"cannot draw {env}: drawn here are {', '.join(p.rstrip('-') for p in _CLASSIC)}, "
        "FrozenLake, CliffWalking and Taxi; environments hosted by the worker draw themselves"
    )


def _caption(img, text: str):
    from PIL import ImageDraw

    img = img.copy()
    d = ImageDraw.Draw(img)
    d.rectangle([0, img.height - 16, img.width, img.height], fill="white")
    d.text((4, img.height - 14), text, fill="black")
    return img


def frames_of(
    env: str, episodes: list[dict], grid: list[str] | None = None, every: int = 1
) -> list[Frame]:
    """Every frame of the episodes, each captioned with its episode, step and
    return so far, the last state held for a moment; ``every`` keeps one step
    in that many."""
    if every < 1:
        raise RenderError(f"every={every}: want a positive number of steps per frame")
    total = sum(len(e.get("states", [])) // every + HOLD for e in episodes)
    if total > MAX_FRAMES:
        raise RenderError(
            f"{total} frames is more than {MAX_FRAMES}: draw fewer episodes or keep one step in more"
        )
    out: list[Frame] = []
    for k, ep in enumerate(episodes, 1):
        states, rewards = ep.get("states", []), ep.get("rewards", [])
        imgs = episode_frames(env, states, grid)
        ret = np.concatenate([[0.0], np.cumsum(np.asarray(rewards, dtype=float))])
        for i in range(0, len(imgs), every):
            r = ret[min(i, len(ret) - 1)]
            out.append(np.asarray(_caption(imgs[i], f"episode {k}  step {i}  return {r:g}")))
        last = _caption(imgs[-1], f"episode {k} done: return {ret[-1]:g} in {len(imgs) - 1} steps")
        out.extend([np.asarray(last)] * HOLD)
    return out


def _ffmpeg() -> str:
    exe = shutil.which("ffmpeg")
    if exe:
        return exe
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        raise RenderError(
            "an MP4 needs ffmpeg: install it (apt-get install ffmpeg, or "
            "pip install 'xlrl[video]' for a bundled one), or write a GIF with --gif"
        ) from None


def write_frames(frames: list[Frame], out: str, fps: int = 30) -> dict:
    """Write frames to ``out``: a GIF (Pillow) or an MP4 (ffmpeg), atomically."""
    from PIL import Image

    if not frames:
        raise RenderError("no frames to write")
    if not 1 <= fps <= 60:
        raise RenderError(f"fps={fps}: want 1 to 60 frames per second")
    path = Path(out)
    ext = path.suffix.lower()
    if ext not in (".gif", ".mp4"):
        raise RenderError(f"{out}: write a .gif or an .mp4")
    h, w = frames[0].shape[:2]
    if any(f.shape[:2] != (h, w) for f in frames):
        raise RenderError("frames of one file have one size")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}{ext}")
    try:
        if ext == ".gif":
            imgs = [Image.fromarray(np.ascontiguousarray(f[..., :3])) for f in frames]
            imgs[0].save(
                tmp,
                save_all=True,
                append_images=imgs[1:],
                duration=round(1000 / fps),
                loop=0,
                optimize=True,
            )
        else:
            _write_mp4(frames, tmp, fps)
        os.replace(tmp, path)
    except OSError as e:
        raise OSError(f"cannot write {out}: {e.strerror or e}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return {"path": str(path), "frames": len(frames), "width": w, "height": h}


def _write_mp4(frames: list[Frame], tmp: Path, fps: int) -> None:
    h, w = frames[0].shape[:2]
    # H.264 wants even sides: pad by one pixel where needed.
    cmd = [_ffmpeg(), "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24"]
    cmd += ["-s", f"{w}x{h}", "-r", str(fps), "-i", "-", "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2"]
    cmd += ["-pix_fmt", "yuv420p", "-vcodec", "libx264", "-f", "mp4", str(tmp)]
    data = b"".join(np.ascontiguousarray(f[..., :3], dtype=np.uint8).tobytes() for f in frames)
    done = subprocess.run(cmd, input=data, capture_output=True, check=False)
    if done.returncode != 0:
        raise RenderError(f"ffmpeg failed: {done.stderr.decode(errors='replace').strip()}")


def gym_frames(env_id: str, seed: int | None, actions: list) -> list[Frame]:
    """Replay ``actions`` in Gymnasium's ``env_id`` made with
    ``render_mode="rgb_array"`` and reset with ``seed``: the environment's own
    frames, the first state's included."""
    import gymnasium as gym

    env = gym.make(env_id, render_mode="rgb_array")
    try:
        env.reset(seed=seed)
        frames = [np.asarray(env.render())]
        for a in actions:
            _, _, term, trunc, _ = env.step(a)
            frames.append(np.asarray(env.render()))
            if term or trunc:
                break
    finally:
        env.close()
    return frames


@method("render.episodes")
def episodes(
    ctx: CallContext,
    *,
    env: str,
    episodes: list[dict],
    out: str,
    grid: list[str] | None = None,
    fps: int = 30,
    every: int = 1,
) -> dict:
    """Draw recorded episodes of ``env`` (each ``{"states": [...], "rewards":
    [...]}``, one more state than rewards) into the GIF or MP4 ``out``."""
    if not isinstance(episodes, list) or not episodes:
        raise RunError("no episodes to draw")
    frames = frames_of(env, episodes, grid, every)
    res = write_frames(frames, out, fps)
    res["episodes"] = len(episodes)
    return res


@method("render.gym")
def gym(
    ctx: CallContext,
    *,
    env: str,
    episodes: list[dict],
    out: str,
    fps: int = 30,
) -> dict:
    """Draw episodes of a Gymnasium environment with its own ``rgb_array``
    render: each ``{"seed": int | None, "actions": [...]}`` is replayed from
    its reset seed into the GIF or MP4 ``out``."""
    if not isinstance(episodes, list) or not episodes:
        raise RunError("no episodes to draw")
    steps = sum(len(e.get("actions", [])) + 1 for e in episodes)
    if steps > MAX_FRAMES:
        raise RenderError(f"{steps} frames is more than {MAX_FRAMES}: draw fewer episodes")
    frames: list[Frame] = []
    for e in episodes:
        ep = gym_frames(env, e.get("seed"), list(e.get("actions", [])))
        frames.extend(ep + [ep[-1]] * HOLD)
    res = write_frames(frames, out, fps)
    res["episodes"] = len(episodes)
    return res
