"""The jobs behind gen.* and robust.*: run directories, handlers, CLI, GAN and its metrics."""

from __future__ import annotations

import json

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

import pyworker.gen.handlers  # noqa: E402,F401  (registers the methods)
from pyworker.gen import data as gdata  # noqa: E402
from pyworker.gen import metrics, service  # noqa: E402
from pyworker.gen import train as gt  # noqa: E402
from pyworker.registry import METHODS, CallContext  # noqa: E402


class Recorder:
    """A CallContext whose notifications are kept."""

    def __init__(self, cancel_after: int | None = None) -> None:
        self.notes: list[dict] = []
        self.ctx = CallContext(msgid=1, notify=self._notify)
        self.cancel_after = cancel_after

    def _notify(self, kind: str, params: dict) -> None:
        assert kind == "progress"
        self.notes.append(params)
        if self.cancel_after is not None and len(self.notes) >= self.cancel_after:
            self.ctx.cancelled.set()


def test_methods_are_registered():
    for name in ("gen.train", "gen.sample", "gen.eval", "robust.train", "robust.eval"):
        assert name in METHODS


def test_gen_train_eval_sample_through_the_handlers(tmp_path):
    rec = Recorder()
    run = str(tmp_path / "run")
    res = METHODS["gen.train"].func(
        rec.ctx,
        run_dir=run,
        model="made",
        data="digits",
        epochs=3,
        seed=1,
        options={"hidden": [32]},
        n_samples=16,
    )
    assert [n["step"] for n in rec.notes] == [1, 2, 3]
    assert all(n["msgid"] == 1 and n["total"] == 3 and n["loss"] > 0 for n in rec.notes)
    assert res["test_nll"] > 0 and res["baseline_nll"] > 0 and res["binarized"]
    assert res["examples_per_s"] > 0
    again = METHODS["gen.eval"].func(rec.ctx, run_dir=run)
    for k in ("test_nll", "baseline_nll", "epoch", "examples_per_s"):
        assert again[k] == pytest.approx(res[k], rel=1e-6), k
    assert set(again) == set(res)
    trained_png = (tmp_path / "run" / "samples.png").read_bytes()
    s = METHODS["gen.sample"].func(rec.ctx, run_dir=run, n=10, seed=2)
    assert s["samples"].shape == (10, 64)
    # gen sample keeps the training's samples and names its own files.
    assert s["png"].endswith("samples-n10-seed2.png") and s["npy"].endswith("samples-n10-seed2.npy")
    assert (tmp_path / "run" / "samples.png").read_bytes() == trained_png
    assert np.array_equal(np.load(s["npy"]), s["samples"])
    with open(s["png"], "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    with open(tmp_path / "run" / "result.json") as f:
        assert json.load(f)["test_nll"] == pytest.approx(res["test_nll"])


def test_cancel_stops_after_the_epoch_and_keeps_a_checkpoint(tmp_path):
    rec = Recorder(cancel_after=2)
    res = METHODS["gen.train"].func(
        rec.ctx,
        run_dir=str(tmp_path),
        model="realnvp",
        data="moons",
        epochs=50,
        options={"layers": 2, "hidden": [8]},
    )
    assert len(rec.notes) == 2 and res["epoch"] == 2


def test_cancel_stops_robust_training_too(tmp_path):
    rec = Recorder(cancel_after=1)
    res = METHODS["robust.train"].func(
        rec.ctx, run_dir=str(tmp_path), attack="none", epochs=40, eval_steps=2
    )
    assert len(rec.notes) == 1 and res["epoch"] == 1


def test_gan_trains_samples_in_range_and_reports_metrics(tmp_path):
    res = service.gen_train(
        run_dir=str(tmp_path),
        model="gan",
        data="digits",
        epochs=2,
        options={"hidden": [32]},
        progress=gt.Progress(lambda **_: None),
    )
    assert "test_nll" not in res
    assert len(res["class_histogram"]) == 10
    assert sum(res["class_histogram"]) == pytest.approx(1.0)
    assert res["frechet_distance"] > res["frechet_train_vs_test"]  # 2 epochs is not enough
    s = service.gen_sample(run_dir=str(tmp_path), n=8)["samples"]
    assert s.shape == (8, 64) and s.min() >= 0 and s.max() <= 1


@pytest.mark.parametrize(
    ("model", "data", "check"),
    [
        ("made", "circles", lambda r: r["nll_method"] == "exact" and not r["binarized"]),
        ("gan", "8gaussians", lambda r: r["features"] == "raw coordinates"),
    ],
)
def test_models_on_2d_points(tmp_path, model, data, check):
    res = service.gen_train(
        run_dir=str(tmp_path),
        model=model,
        data=data,
        epochs=1,
        options={"hidden": [16]},
        progress=gt.Progress(lambda **_: None),
    )
    assert check(res), res
    meta = gt.load_meta(str(tmp_path))
    assert meta["config"].get("likelihood", "gaussian_mixture") == "gaussian_mixture"
    assert meta["config"].get("output", "linear") == "linear"  # standardized data: no sigmoid
    assert np.load(tmp_path / "samples.npy").shape == (800, 2)  # as many as the test split


def test_frechet_distance_and_inception_score_values():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4000, 3))
    assert metrics.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    b = rng.normal(size=(4000, 3)) + np.array([2.0, 0.0, 0.0])
    assert metrics.frechet_distance(a, b) == pytest.approx(4.0, abs=0.2)
    assert metrics.inception_score(np.eye(5)) == pytest.approx(5.0)
    assert metrics.inception_score(np.full((6, 5), 0.2)) == pytest.approx(1.0)


def test_robust_train_and_eval(tmp_path):
    rec = Recorder()
    run = str(tmp_path)
    res = METHODS["robust.train"].func(rec.ctx, run_dir=run, attack="fgsm", eps=0.1, epochs=3)
    assert len(rec.notes) == 3
    for k in (
        "clean_accuracy",
        "robust_accuracy",
        "standard_clean_accuracy",
        "standard_robust_accuracy",
    ):
        assert 0.0 <= res[k] <= 1.0
    assert res["clean_accuracy"] > 0.8 and res["attack"] == "pgd" and res["steps"] == 20
    ev = METHODS["robust.eval"].func(rec.ctx, run_dir=run, attack="fgsm", eps=0.05)
    assert ev["attack"] == "fgsm" and ev["clean_accuracy"] == res["clean_accuracy"]
    assert ev["robust_accuracy"] >= res["robust_accuracy"]  # weaker attack, smaller ball


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda d: service.robust_train(run_dir=d, data="moons", progress=None), "no class labels"),
        (lambda d: service.robust_train(run_dir=d, eps=2.0, progress=None), "outside the data"),
        (lambda d: service.robust_train(run_dir=d, attack="cw", progress=None), "attack 'cw'"),
        (lambda d: service.gen_eval(run_dir=d), "no meta.json"),
        (
            lambda d: service.gen_train(
                run_dir=d, model="made", data="moons", epochs=0, progress=None
            ),
            "epochs=0",
        ),
        (
            lambda d: service.gen_train(
                run_dir=d,
                model="vae",
                data="moons",
                progress=None,
                options={"decoder": "bernoulli"},
            ),
            "cannot be binarized",
        ),
    ],
)
def test_bad_requests_get_clear_errors(tmp_path, call, match):
    with pytest.raises(ValueError, match=match):
        call(str(tmp_path))


def test_eval_refuses_the_wrong_kind_of_run(tmp_path):
    service.robust_train(
        run_dir=str(tmp_path), attack="none", epochs=1, progress=gt.Progress(lambda **_: None)
    )
    with pytest.raises(gt.RunError, match="holds a 'classifier' model"):
        service.gen_eval(run_dir=str(tmp_path))


def test_user_file_through_train(tmp_path):
    rng = np.random.default_rng(0)
    p = tmp_path / "pts.npy"
    np.save(p, rng.normal(size=(300, 2)) @ np.array([[1.0, 0.5], [0.0, 0.3]]))
    res = service.gen_train(
        run_dir=str(tmp_path / "r"),
        model="maf",
        data=str(p),
        epochs=2,
        options={"hidden": [16]},
        progress=gt.Progress(lambda **_: None),
    )
    assert res["n_test"] == 60 and np.isfinite(res["test_nll"])


def test_click_cli_json(tmp_path):
    from click.testing import CliRunner

    from pyworker.gen.cli import gen, robust

    out = str(tmp_path / "run")
    r = CliRunner().invoke(
        gen,
        ["train", "--model", "made", "--data", "digits", "--epochs", "2", "--out", out, "--json"],
    )
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert res["test_nll"] < res["baseline_nll"] + 50
    r = CliRunner().invoke(
        gen,
        [
            "train",
            "--model",
            "vae",
            "--data",
            "moons",
            "--epochs",
            "1",
            "--option",
            "latent=2",
            "--option",
            "hidden=[8]",
            "--out",
            str(tmp_path / "vae"),
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    with open(tmp_path / "vae" / "meta.json") as f:
        assert json.load(f)["config"]["hidden"] == [8]
    r = CliRunner().invoke(gen, ["eval", out, "--json"])
    assert json.loads(r.stdout.strip().splitlines()[-1])["test_nll"] == res["test_nll"]
    r = CliRunner().invoke(robust, ["eval", out])
    assert r.exit_code == 1 and "not a run of 'robust train'" in r.output
    r = CliRunner().invoke(gen, ["train", "--model", "made", "--data", "nope", "--out", out])
    assert r.exit_code == 1 and "unknown data 'nope'" in r.output


def test_baseline_of_binary_and_continuous_data():
    ds = gdata.load("digits").binarize()
    base, name = gt.baseline_nll(ds)
    assert name.startswith("independent Bernoulli") and 20 < base < 30
    rng = np.random.default_rng(0)
    g = gdata.from_arrays("g", rng.normal(size=(20000, 2)))
    base, name = gt.baseline_nll(g)
    assert name.startswith("full-covariance") and base == pytest.approx(
        np.log(2 * np.pi * np.e), abs=0.05
    )
