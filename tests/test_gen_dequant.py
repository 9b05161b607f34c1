"""Continuous densities on discrete data: dequantisation, bits per dimension, data units."""

from __future__ import annotations

import math

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from pyworker.gen import data as gdata  # noqa: E402
from pyworker.gen import service  # noqa: E402
from pyworker.gen import train as gt  # noqa: E402
from pyworker.gen.flows import MAF, RealNVP  # noqa: E402

QUIET = gt.Progress(report=lambda **_: None)


def _perturb(model, seed: int, scale: float) -> None:
    rng = np.random.default_rng(seed)
    for v in model.trainable_variables:
        v.assign(rng.normal(0, scale, v.shape).astype(np.float32))


@pytest.mark.parametrize("cls", [RealNVP, MAF])
def test_dequantised_nll_bounds_the_discrete_probability(cls):
    # Two dimensions with 3 levels: P(k) is the density's mass on the cell of
    # k, integrated on a fine grid. The reported figure, averaged over noise
    # draws, is -log P(k) plus a Jensen gap: never below it; and the cells'
    # masses sum to at most 1.
    levels = 3
    m = cls(dim=2, layers=2, hidden=[8], levels=levels)
    m.build_now()
    _perturb(m, 2, 0.3)
    g = (np.arange(60) + 0.5) / 60  # midpoints inside [0, 1)
    xx, yy = np.meshgrid(g, g)
    fine = np.stack([xx.ravel(), yy.ravel()], 1).astype(np.float32)
    dens = np.exp(-m.continuous_nll(tf.constant(fine)).numpy()).reshape(60, 60)
    cell = dens.reshape(levels, 20, levels, 20).mean(axis=(1, 3)) / levels**2  # P(k) (rows: k_y)
    assert cell.sum() <= 1.0 + 1e-3
    for ky in range(levels):
        for kx in range(levels):
            x = np.tile(np.array([[kx, ky]], np.float32) / (levels - 1), (4000, 1))
            reported = m.nll(x).mean()
            assert reported >= -math.log(cell[ky, kx]) - 0.01, (kx, ky)
            assert reported <= -math.log(cell[ky, kx]) + 1.0, (kx, ky)


def test_flow_on_digits_reports_non_negative_nats_and_bits(tmp_path):
    # The old figure was a density of 17 values, about -42 nats; dequantised
    # it is a discrete NLL bound: positive, and so is the baseline.
    res = service.gen_train(
        run_dir=str(tmp_path),
        model="realnvp",
        data="digits",
        epochs=2,
        options={"layers": 2, "hidden": [32]},
        n_samples=20,
        progress=QUIET,
    )
    d = res["dim"]
    assert res["dequantized"]["levels"] == 17
    assert res["dequantized"]["levels_term_nats"] == pytest.approx(d * math.log(17))
    assert res["test_nll"] > 0 and res["baseline_nll"] > 0
    assert res["test_bits_per_dim"] == pytest.approx(res["test_nll"] / (d * math.log(2)))
    assert res["baseline_bits_per_dim"] == pytest.approx(res["baseline_nll"] / (d * math.log(2)))
    assert 0 < res["baseline_bits_per_dim"] < math.log2(17)  # better than uniform over levels
    samples = np.load(tmp_path / "samples.npy")
    assert np.array_equal(np.round(samples * 16), samples * 16)  # back on the 17 levels
    assert samples.min() >= 0 and samples.max() <= 1
    with pytest.raises(ValueError, match="levels=5"):
        gt.prepare("maf", gdata.load("digits"), {"levels": 5})


def test_baseline_of_dequantised_data_is_a_discrete_bound():
    ds = gdata.load("digits")
    base, name = gt.baseline_nll(ds, 17)
    assert name.endswith("dequantised")
    # Each pixel's Gaussian on a cell of width 1/17 can at best match the
    # uniform; constant border pixels make the bound a little above 0 there.
    assert 0 < base < ds.dim * math.log(17)
    old, _ = gt.baseline_nll(ds)  # a density of 17 values: meaningless, negative
    assert old < 0


def test_standardization_jacobian_gives_the_points_own_units():
    rng = np.random.default_rng(0)
    raw = rng.normal(size=(20000, 2)) * np.array([10.0, 0.5]) + 3.0
    g = gdata.from_arrays("g", raw, standardize=True)
    assert g.log_scale == pytest.approx(math.log(10.0) + math.log(0.5), abs=0.02)
    base, _ = gt.baseline_nll(g)
    # a Gaussian with these scales: log(2 pi e) + log(10 * 0.5) nats
    assert base + g.log_scale == pytest.approx(
        math.log(2 * math.pi * math.e) + math.log(5.0), abs=0.05
    )
    assert gdata.load("digits").log_scale == 0.0


def test_moons_figures_are_in_the_points_units(tmp_path):
    res = service.gen_train(
        run_dir=str(tmp_path),
        model="maf",
        data="moons",
        epochs=1,
        options={"layers": 1, "hidden": [8]},
        n_samples=10,
        progress=QUIET,
    )
    # The baseline against a Gaussian fitted directly to the raw points.
    from sklearn.datasets import make_moons

    x, _ = make_moons(gdata.N_POINTS, noise=0.05, random_state=gdata.DATA_SEED)
    tr, te = gdata.split(len(x))
    xtr, xte = (
        x[tr].astype(np.float32).astype(np.float64),
        x[te].astype(np.float32).astype(np.float64),
    )
    mean, cov = xtr.mean(0), np.cov(xtr, rowvar=False)
    d = xte - mean
    maha = np.einsum("ij,ij->i", d @ np.linalg.inv(cov), d)
    want = 0.5 * (maha + np.linalg.slogdet(cov)[1] + 2 * math.log(2 * math.pi))
    assert res["baseline_nll"] == pytest.approx(want.mean(), abs=2e-3)
    assert "test_bits_per_dim" not in res  # continuous data: no bits per dimension
