"""plot.runs: the PNG decodes, is not blank, and several runs are drawn."""

from __future__ import annotations

import json

import numpy as np
import pytest
from matplotlib import image
from runfixtures import make_run

from pyworker.metrics import RunError, read_metrics
from pyworker.plots import group_runs, moving_average, plot_runs


def assert_png_not_blank(path):
    img = image.imread(path)
    assert img.ndim == 3 and img.shape[0] > 200 and img.shape[1] > 200
    gray = img[..., :3].mean(axis=2)
    # A drawn figure has dark ink (lines, text) on a light background.
    assert (gray < 0.5).mean() > 0.005
    assert gray.std() > 0.05


def test_single_run_has_three_panels(tmp_path):
    run = make_run(tmp_path, "a")
    res = plot_runs([str(run)], str(run / "plots" / "training.png"), threshold=475)
    assert res["panels"] == ["Episode return", "Q-values progression", "Loss trajectory"]
    assert_png_not_blank(res["path"])


def test_tabular_run_only_returns_panel(tmp_path):
    run = make_run(tmp_path, "q", updates=False)
    res = plot_runs([str(run)], str(tmp_path / "q.png"))
    assert res["panels"] == ["Episode return"]
    assert_png_not_blank(tmp_path / "q.png")


def test_seeds_of_one_config_form_one_group(tmp_path):
    runs = [str(make_run(tmp_path, f"s{i}", seed=i)) for i in range(3)]
    other = str(make_run(tmp_path, "lr", seed=9, lr=0.01))
    groups = group_runs(runs + [other])
    assert [len(g.runs) for g in groups] == [3, 1]
    assert groups[0].label.startswith("lr=0.001") and "mean ± std of 3" in groups[0].label
    res = plot_runs(runs + [other], str(tmp_path / "multi.png"), threshold=475)
    assert len(res["groups"]) == 2
    assert_png_not_blank(tmp_path / "multi.png")


def test_band_differs_from_single_line(tmp_path):
    """The multi-run figure is a different picture from one run's, not a copy."""
    runs = [str(make_run(tmp_path, f"s{i}", seed=i)) for i in range(3)]
    plot_runs(runs[:1], str(tmp_path / "one.png"))
    plot_runs(runs, str(tmp_path / "three.png"))
    a, b = image.imread(tmp_path / "one.png"), image.imread(tmp_path / "three.png")
    assert a.shape != b.shape or np.abs(a - b).mean() > 1e-3


def test_torn_last_line_is_ignored(tmp_path):
    run = make_run(tmp_path, "t", torn=True)
    m = read_metrics(run)
    assert m.records[-1]["kind"] == "episode"
    assert all("step" in r for r in m.records)
    plot_runs([str(run)], str(tmp_path / "t.png"))


def test_bad_middle_line_names_file_and_line(tmp_path):
    run = make_run(tmp_path, "b", episodes=2, updates=False)
    lines = (run / "metrics.jsonl").read_text().splitlines()
    (run / "metrics.jsonl").write_text(lines[0] + "\nnot json\n" + lines[1] + "\n")
    with pytest.raises(RunError, match=r"metrics.jsonl:2"):
        read_metrics(run)


def test_missing_run_and_empty_metrics(tmp_path):
    with pytest.raises(RunError, match="does not exist"):
        plot_runs([str(tmp_path / "nope")], str(tmp_path / "x.png"))
    run = tmp_path / "empty"
    run.mkdir()
    (run / "metrics.jsonl").write_text(json.dumps({"kind": "eval", "step": 1}) + "\n")
    with pytest.raises(RunError, match="nothing to plot"):
        plot_runs([str(run)], str(tmp_path / "x.png"))


def test_unwritable_output_names_path(tmp_path):
    run = make_run(tmp_path, "a", episodes=5)
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OSError, match="file/x.png"):
        plot_runs([str(run)], str(blocker / "x.png"))


def test_moving_average():
    v = np.array([1.0, 2.0, np.nan, 4.0, 5.0])
    np.testing.assert_allclose(moving_average(v, 2), [1.0, 1.5, 2.0, 4.0, 4.5])
    np.testing.assert_allclose(moving_average(np.arange(5.0), 100), [0, 0.5, 1, 1.5, 2])
