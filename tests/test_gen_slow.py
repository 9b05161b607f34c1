"""The issue's result targets at each model's default budget (make test-slow).

Each default training must also finish in under 2 minutes on a 2-core machine;
the bound is checked on the training time the run itself measured.
"""

from __future__ import annotations

import pytest

pytest.importorskip("tensorflow")

from pyworker.gen import service  # noqa: E402
from pyworker.gen.train import Progress  # noqa: E402

pytestmark = pytest.mark.slow

QUIET = Progress(report=lambda **_: None)
TWO_MINUTES = 120.0


def _train(tmp_path, model: str, data: str) -> dict:
    res = service.gen_train(run_dir=str(tmp_path), model=model, data=data, progress=QUIET)
    assert res["train_seconds"] < TWO_MINUTES, res
    return res


def test_realnvp_moons_test_nll_at_most_1_25(tmp_path):
    res = _train(tmp_path, "realnvp", "moons")
    assert res["test_nll"] <= 1.25, res


def test_maf_moons_far_below_the_gaussian(tmp_path):
    res = _train(tmp_path, "maf", "moons")
    # Both in the points' own units (the standardisation's Jacobian shifts
    # them alike), so the gap is what the flow learnt beyond a Gaussian.
    assert res["test_nll"] < res["baseline_nll"] - 1.0, res


@pytest.mark.parametrize("model", ["made", "vae"])
def test_digits_nll_clearly_below_independent_pixels(tmp_path, model):
    res = _train(tmp_path, model, "digits")
    assert res["binarized"] and res["test_nll"] < res["baseline_nll"] - 5.0, res


def test_gan_digits_covers_every_class(tmp_path):
    res = _train(tmp_path, "gan", "digits")
    assert res["classes_covered"] == 10 and res["max_class_fraction"] <= 0.20, res
    assert res["frechet_distance"] < 5 * res["frechet_train_vs_test"], res


def test_pgd_training_on_digits(tmp_path):
    res = service.robust_train(
        run_dir=str(tmp_path), data="digits", attack="pgd", eps=0.1, eval_steps=20, progress=QUIET
    )
    assert res["clean_accuracy"] >= 0.95 and res["robust_accuracy"] >= 0.85, res
    assert 0.25 <= res["standard_robust_accuracy"] <= 0.6, res
    assert res["train_seconds"] < TWO_MINUTES
