"""plot.runs: what the figure draws (figure_data), and that the PNG decodes,
is not blank and differs between one run and several."""

from __future__ import annotations

import json

import numpy as np
import pytest
from matplotlib import image
from runfixtures import NAMES, make_run

from pyworker.metrics import RunError, read_metrics
from pyworker.plots import figure_data, group_runs, moving_average, plot_runs

RETURNS = "Returns: training episodes and greedy evaluations"


def assert_png_not_blank(path):
    img = image.imread(path)
    assert img.ndim == 3 and img.shape[0] > 200 and img.shape[1] > 200
    gray = img[..., :3].mean(axis=2)
    # A drawn figure has dark ink (lines, text) on a light background.
    assert (gray < 0.5).mean() > 0.005
    assert gray.std() > 0.05


def test_single_run_has_three_panels(tmp_path):
    run = make_run(tmp_path, "a")
    res = plot_runs([str(run)], str(run / "plots" / "training.png"), NAMES, threshold=475)
    assert res["panels"] == [RETURNS, "Q-values progression", "Loss trajectory"]
    assert_png_not_blank(res["path"])


def test_tabular_run_only_returns_panel(tmp_path):
    run = make_run(tmp_path, "q", updates=False)
    res = plot_runs([str(run)], str(tmp_path / "q.png"), NAMES)
    assert res["panels"] == [RETURNS]
    assert_png_not_blank(tmp_path / "q.png")


def test_seeds_of_one_config_form_one_group(tmp_path):
    runs = [str(make_run(tmp_path, f"s{i}", seed=i)) for i in range(3)]
    other = str(make_run(tmp_path, "lr", seed=9, lr=0.01))
    groups = group_runs(runs + [other])
    assert [len(g.runs) for g in groups] == [3, 1]
    assert groups[0].label.startswith("lr=0.001") and "mean ± std of 3" in groups[0].label
    res = plot_runs(runs + [other], str(tmp_path / "multi.png"), NAMES, threshold=475)
    assert len(res["groups"]) == 2
    assert_png_not_blank(tmp_path / "multi.png")


def test_band_differs_from_single_line(tmp_path):
    """The multi-run figure is a different picture from one run's, not a copy."""
    runs = [str(make_run(tmp_path, f"s{i}", seed=i)) for i in range(3)]
    plot_runs(runs[:1], str(tmp_path / "one.png"), NAMES)
    plot_runs(runs, str(tmp_path / "three.png"), NAMES)
    a, b = image.imread(tmp_path / "one.png"), image.imread(tmp_path / "three.png")
    assert a.shape != b.shape or np.abs(a - b).mean() > 1e-3


def test_torn_last_line_is_ignored(tmp_path):
    run = make_run(tmp_path, "t", torn=True)
    m = read_metrics(run)
    assert m.records[-1]["kind"] == "episode"
    assert all("step" in r for r in m.records)
    plot_runs([str(run)], str(tmp_path / "t.png"), NAMES)


def test_bad_middle_line_names_file_and_line(tmp_path):
    run = make_run(tmp_path, "b", episodes=2, updates=False)
    lines = (run / "metrics.jsonl").read_text().splitlines()
    (run / "metrics.jsonl").write_text(lines[0] + "\nnot json\n" + lines[1] + "\n")
    with pytest.raises(RunError, match=r"metrics.jsonl:2"):
        read_metrics(run)


def test_missing_run_and_empty_metrics(tmp_path):
    with pytest.raises(RunError, match="does not exist"):
        plot_runs([str(tmp_path / "nope")], str(tmp_path / "x.png"), NAMES)
    run = tmp_path / "empty"
    run.mkdir()
    (run / "metrics.jsonl").write_text(json.dumps({"kind": "eval", "step": 1}) + "\n")
    with pytest.raises(RunError, match="nothing to plot"):
        plot_runs([str(run)], str(tmp_path / "x.png"), NAMES)


def test_unwritable_output_names_path(tmp_path):
    run = make_run(tmp_path, "a", episodes=5)
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OSError, match="file/x.png"):
        plot_runs([str(run)], str(blocker / "x.png"), NAMES)


def test_moving_average():
    v = np.array([1.0, 2.0, np.nan, 4.0, 5.0])
    np.testing.assert_allclose(moving_average(v, 2), [1.0, 1.5, 2.0, 4.0, 4.5])
    np.testing.assert_allclose(moving_average(np.arange(5.0), 100), [0, 0.5, 1, 1.5, 2])


EVALS = [(200, 20.0, 5.0), (400, 180.0, 30.0), (600, 500.0, 0.0), (800, 450.0, 40.0)]
RESULT = {"mean_return": 500.0, "std_return": 0.0, "train_steps": 900, "eval_episodes": 100}


def panel(panels, title):
    (p,) = [p for p in panels if p.title == title]
    return p


def line(p, starts):
    (ln,) = [ln for ln in p.lines if ln.label.startswith(starts)]
    return ln


def test_returns_panel_draws_greedy_evaluations_beside_training(tmp_path):
    run = make_run(tmp_path, "a", evals=EVALS, result=RESULT)
    panels = figure_data(group_runs([str(run)]), NAMES, threshold=475, window=10)
    p = panel(panels, RETURNS)
    ev = line(p, "periodic greedy evaluation")
    np.testing.assert_array_equal(ev.x, [200, 400, 600, 800])
    np.testing.assert_array_equal(ev.y, [20, 180, 500, 450])
    np.testing.assert_array_equal(ev.spread, [5, 30, 0, 40])  # the spread of its episodes
    train = line(p, "training (exploring)")
    assert train.color != ev.color and train.spread is None
    # The best periodic evaluation is marked, and the final one of result.json.
    best = [pt for pt in p.points if pt.label.startswith("best periodic")]
    assert [(pt.x, pt.y) for pt in best] == [(600.0, 500.0)]
    assert "500 at step 600" in best[0].label
    (final,) = [pt for pt in p.points if pt.label.startswith("final greedy")]
    assert (final.x, final.y, final.err) == (900.0, 500.0, 0.0)
    assert "100 episodes" in final.label
    assert p.threshold == 475


def test_every_panel_has_a_y_label_and_q_colours_differ(tmp_path):
    run = make_run(tmp_path, "a", evals=EVALS)
    panels = figure_data(group_runs([str(run)]), NAMES)
    assert [p.ylabel for p in panels] == ["episode return", "Q-value", "loss (log scale)"]
    q = panel(panels, "Q-values progression")
    mean_q, max_q = line(q, "mean Q"), line(q, "max Q")
    assert mean_q.color != max_q.color and mean_q.style != max_q.style
    assert (max_q.y >= mean_q.y - 1e-9).all()


def test_group_of_seeds_averages_evaluations(tmp_path):
    runs = [
        str(
            make_run(tmp_path, f"s{i}", seed=i, evals=[(200, 10.0 * i, 1.0), (400, 100.0 + i, 1.0)])
        )
        for i in range(3)
    ]
    (g,) = group_runs(runs)
    ev = line(panel(figure_data([g], NAMES), RETURNS), "periodic greedy evaluation")
    assert ev.y[0] == pytest.approx(10.0) and ev.y[-1] == pytest.approx(101.0)
    assert ev.spread is not None and ev.spread[0] == pytest.approx(np.std([0, 10, 20]))


def test_seeds_group_whatever_their_plot_setting_and_labels_show_no_none(tmp_path):
    a = make_run(tmp_path, "a", seed=1)
    b = make_run(tmp_path, "b", seed=2, extra_config="plot: false\ncheckpoint-every: 1m\n")
    c = make_run(tmp_path, "c", seed=3, extra_config="gamma: 0.9\n")
    groups = group_runs([str(a), str(b), str(c)])
    assert [len(g.runs) for g in groups] == [2, 1]
    # gamma is commented out (its default) in a and b: "default", not None.
    assert [g.label for g in groups] == ["gamma=default (mean ± std of 2)", "gamma=0.9"]
    res = plot_runs([str(a), str(b), str(c)], str(tmp_path / "m.png"), NAMES)
    assert res["differing_keys"] == ["gamma"]
    assert all("None" not in g["label"] for g in res["groups"])


def test_group_by_key(tmp_path):
    runs = [
        str(make_run(tmp_path, "a", seed=1, lr=0.1, extra_config="gamma: 0.9\n")),
        str(make_run(tmp_path, "b", seed=2, lr=0.1, extra_config="gamma: 0.99\n")),
        str(make_run(tmp_path, "c", seed=3, lr=0.5, extra_config="gamma: 0.9\n")),
    ]
    groups = group_runs(runs, ["lr"])
    assert [(g.label, len(g.runs)) for g in groups] == [
        ("lr=0.1 (mean ± std of 2)", 2),
        ("lr=0.5", 1),
    ]
    res = plot_runs(runs, str(tmp_path / "g.png"), NAMES, group_by=["lr"])
    assert res["differing_keys"] == ["lr"]
    panels = figure_data(groups, NAMES, legend_title="grouped by lr")
    assert all(p.legend_title == "grouped by lr" for p in panels)
    assert_png_not_blank(tmp_path / "g.png")
    # A key no run sets groups them all under "default".
    assert [g.label for g in group_runs(runs, ["tau"])] == ["3 runs (mean ± std of 3)"]


def test_evaluations_alone_are_plottable(tmp_path):
    run = tmp_path / "e"
    run.mkdir()
    (run / "metrics.jsonl").write_text(
        "".join(json.dumps({"kind": "eval", "step": s, "eval_mean": m}) + "\n" for s, m, _ in EVALS)
    )
    res = plot_runs([str(run)], str(tmp_path / "e.png"), NAMES)
    assert res["panels"] == [RETURNS]
    ev = line(
        panel(figure_data(group_runs([str(run)]), NAMES), RETURNS), "periodic greedy evaluation"
    )
    assert ev.spread is None  # no eval_std recorded: no band


def test_several_groups_keep_their_labels_out_of_each_line(tmp_path):
    a = make_run(tmp_path, "a", seed=1, evals=EVALS, result=RESULT)
    b = make_run(tmp_path, "b", seed=2, lr=0.01, evals=EVALS[:2], result=RESULT)
    groups = group_runs([str(a), str(b)])
    p = panel(figure_data(groups, NAMES), RETURNS)
    # Each line names its kind; its group (by colour) is a legend of its own.
    assert {ln.group for ln in p.lines} == {"lr=0.001", "lr=0.01"}
    assert all(not ln.label.startswith("lr=") for ln in p.lines)
    colours = {ln.group: ln.color for ln in p.lines}
    assert colours["lr=0.001"] != colours["lr=0.01"]
    best = {pt.group: pt.summary for pt in p.points if pt.marker == "*"}
    assert best == {"lr=0.001": "best eval 500 at step 600", "lr=0.01": "best eval 180 at step 400"}


def test_plot_request_names_every_role(tmp_path):
    from pyworker.plots import runs

    run = make_run(tmp_path, "a")
    with pytest.raises(ValueError, match="metrics: .*want the roles episode_kind, update_kind"):
        runs(None, runs=[str(run)], out="x.png", run_dir=str(run), metrics={"loss": "loss"})
    res = runs(None, runs=[str(run)], out="x.png", run_dir=str(run), metrics=vars(NAMES))
    assert len(res["panels"]) == 3
