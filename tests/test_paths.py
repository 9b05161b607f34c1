"""Path confinement (pyworker/paths.py) and the methods that write through it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pyworker import paths
from pyworker.errors import ArgumentError


def test_relative_paths_from_the_host_are_relative_to_its_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XLRL_HOST_CWD", str(tmp_path))
    assert paths.from_host("runs/a") == tmp_path / "runs" / "a"
    assert paths.from_host("/abs/x") == Path("/abs/x")


@pytest.mark.parametrize("target", ["../x", "/etc/passwd", "a/../../x", "link/x"])
def test_inside_refuses_paths_that_leave_the_run(tmp_path: Path, target: str) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "link").symlink_to(tmp_path)
    with pytest.raises(ArgumentError, match="leaves the run directory"):
        paths.inside(run, target, "out")


def test_inside_accepts_paths_in_the_run(tmp_path: Path) -> None:
    assert paths.inside(tmp_path, "plots/x.png", "out") == tmp_path.resolve() / "plots" / "x.png"
    assert paths.inside(tmp_path, tmp_path / "a", "out") == tmp_path.resolve() / "a"


@pytest.mark.parametrize("name", ["/some/file", "../x.h5", "", None, 3, "a/../../b"])
def test_names_stored_in_run_files_must_be_plain(tmp_path: Path, name: object) -> None:
    with pytest.raises(ArgumentError, match="only files inside its run directory|leaves"):
        paths.stored(tmp_path, name, "meta.json's weights")


def test_a_crafted_meta_json_cannot_make_save_delete_a_file(tmp_path: Path) -> None:
    from pyworker.gen import train as gt

    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    run = tmp_path / "run"
    run.mkdir()
    (run / gt.META).write_text(json.dumps({"epoch": 1, "weights": str(victim)}))

    class Model:
        def save_weights(self, path: str, overwrite: bool = True) -> None:
            Path(path).write_bytes(b"weights")

        weights: list = []

    with pytest.raises(ArgumentError, match="only files inside its run directory"):
        gt.save(Model(), str(run), {"epoch": 2})
    assert victim.read_text() == "keep me"
    assert not [p for p in os.listdir(run) if p.startswith(".model-")], "a temporary file is left"


def test_a_full_disk_during_save_is_an_error_and_keeps_the_last_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pyworker.gen import train as gt

    class Model:
        weights: list = []

        def save_weights(self, path: str, overwrite: bool = True) -> None:
            Path(path).write_bytes(b"w" * 100)

    gt.save(Model(), str(tmp_path), {"epoch": 1})
    before = sorted(os.listdir(tmp_path))
    meta = (tmp_path / gt.META).read_text()

    real = os.statvfs

    class Full:
        def __init__(self, st: os.statvfs_result) -> None:
            self.f_frsize, self.f_bavail = st.f_frsize, 0

    monkeypatch.setattr(os, "statvfs", lambda p: Full(real(p)))
    with pytest.raises(OSError, match="No space left|full") as err:
        gt.save(Model(), str(tmp_path), {"epoch": 2})
    assert err.value.errno == 28
    assert sorted(os.listdir(tmp_path)) == before
    assert (tmp_path / gt.META).read_text() == meta


def test_plot_runs_with_a_run_dir_refuses_an_out_that_leaves_it(tmp_path: Path) -> None:
    from pyworker.plots import runs

    with pytest.raises(ArgumentError, match="leaves the run directory"):
        runs(None, runs=[str(tmp_path)], out="../evil.png", run_dir=str(tmp_path), metrics={})  # type: ignore[arg-type]


def test_plot_runs_requires_a_run_dir(tmp_path: Path) -> None:
    from pyworker.plots import runs

    with pytest.raises(TypeError, match="run_dir"):
        runs(None, runs=[str(tmp_path)], out=str(tmp_path / "x.png"), metrics={})  # type: ignore[arg-type, call-arg]


def test_tb_export_refuses_a_tb_folder_that_links_out(tmp_path: Path) -> None:
    from pyworker.tblog import export

    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.jsonl").write_text('{"kind":"episode","step":1,"return":1}\n')
    outside = tmp_path / "outside"
    outside.mkdir()
    (run / "tb").symlink_to(outside)
    with pytest.raises(ArgumentError, match="leaves the run directory"):
        export(None, run=str(run))  # type: ignore[arg-type]
    assert not list(outside.iterdir())
