"""Likelihood models: exactness of the densities, invertibility, masks, learning on tiny budgets."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from pyworker.gen import catalog  # noqa: E402
from pyworker.gen import data as gdata  # noqa: E402
from pyworker.gen import train as gt  # noqa: E402
from pyworker.gen.flows import MAF, RealNVP  # noqa: E402
from pyworker.gen.made import MADE, made_masks  # noqa: E402


def quiet() -> gt.Progress:
    return gt.Progress(report=lambda **_: None)


def _perturb_weights(model, seed: int, scale: float = 0.3) -> None:
    """Random weights everywhere, so that tests do not pass on an identity flow."""
    rng = np.random.default_rng(seed)
    for v in model.trainable_variables:
        v.assign(rng.normal(0, scale, v.shape).astype(np.float32))


def _grid_integral(model, lim: float = 8.0, n: int = 321) -> float:
    g = np.linspace(-lim, lim, n, dtype=np.float32)
    xx, yy = np.meshgrid(g, g)
    pts = np.stack([xx.ravel(), yy.ravel()], 1)
    dens = np.exp(-model.nll(pts))
    return float(dens.sum() * (g[1] - g[0]) ** 2)


@pytest.mark.parametrize(
    "make",
    [
        lambda: RealNVP(dim=2, layers=4, hidden=[16]),
        lambda: MAF(dim=2, layers=3, hidden=[16]),
        lambda: MADE(dim=2, likelihood="gaussian_mixture", hidden=[16], components=3, orderings=2),
    ],
    ids=["realnvp", "maf", "made-mog"],
)
def test_2d_density_integrates_to_one(make):
    keras.utils.set_random_seed(0)
    m = make()
    m.build_now()
    _perturb_weights(m, 1, scale=0.2)
    assert _grid_integral(m) == pytest.approx(1.0, abs=0.02)


def test_made_bernoulli_sums_to_one_over_all_binary_vectors():
    keras.utils.set_random_seed(0)
    m = MADE(dim=5, hidden=[12], orderings=3)
    m.build_now()
    _perturb_weights(m, 2, scale=1.0)
    xs = np.array(list(itertools.product([0.0, 1.0], repeat=5)), np.float32)
    assert np.exp(-m.nll(xs)).sum() == pytest.approx(1.0, abs=1e-4)


def test_made_masks_are_autoregressive():
    order = np.array([2, 0, 3, 1])  # position of each input in the ordering
    masks = made_masks(4, [7, 7], order, params_per_dim=2)
    conn = masks[0]
    for m in masks[1:]:
        conn = (conn @ m > 0).astype(np.float32)
    for i, j in itertools.product(range(4), range(8)):
        d = j % 4  # output j parameterizes input d
        assert conn[i, d if j < 4 else j] == 0 or order[i] < order[d], (i, j)
    # and every output except the first in the ordering sees some input
    first = int(np.argmin(order))
    assert all(conn[:, d].any() for d in range(4) if d != first)


def test_flow_sampling_inverts_the_density_map():
    keras.utils.set_random_seed(0)
    m = RealNVP(dim=3, layers=4, hidden=[16])
    m.build_now()
    _perturb_weights(m, 3, scale=0.2)
    x = m.sample(50, seed=5)
    z, _ = m.to_noise(tf.constant(x))
    np.testing.assert_allclose(
        z.numpy(), tf.random.stateless_normal((50, 3), seed=[5, 0]), atol=1e-4
    )


def test_maf_logdet_matches_autodiff_jacobian():
    keras.utils.set_random_seed(0)
    m = MAF(dim=3, layers=2, hidden=[16])
    m.build_now()
    _perturb_weights(m, 4, scale=0.3)
    x = tf.constant(np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32))

    def to_noise(v):
        for made in m.mades:
            mu, alpha = m._shift_scale(made(v))
            v = (v - mu) * tf.exp(-alpha)
        return v

    with tf.GradientTape() as tape:
        tape.watch(x)
        z = to_noise(x)
    jac = tape.batch_jacobian(z, x).numpy()
    logdet = np.log(np.abs(np.linalg.det(jac)))
    expect = -m.nll(x.numpy()) + 0.5 * (z.numpy() ** 2 + np.log(2 * np.pi)).sum(1)
    np.testing.assert_allclose(logdet, expect, atol=1e-4)


def _fit(
    kind: str,
    ds: gdata.Dataset,
    run_dir: str,
    epochs: int,
    seed: int = 0,
    batch_size: int | None = None,
    **opts,
):
    ds, opts = gt.prepare(kind, ds, opts)
    keras.utils.set_random_seed(seed)
    m = gt.build(kind, {"dim": ds.dim, "seed": seed, **opts})
    d = catalog.MODELS[kind]
    stats = gt.fit(
        m,
        ds,
        run_dir=run_dir,
        meta={"model": kind, "config": m.config()},
        epochs=epochs,
        batch_size=batch_size or d["batch_size"],
        learning_rate=d["learning_rate"],
        seed=seed,
        progress=quiet(),
    )
    return m, ds, stats


def test_made_beats_independent_pixels_on_binarized_digits(tmp_path):
    m, ds, _ = _fit("made", gdata.load("digits"), str(tmp_path), epochs=15)
    base, _ = gt.baseline_nll(ds)
    nll = m.nll(ds.x_test).mean()
    assert ds.binarized
    assert nll < base - 3.0, (nll, base)


def test_vae_beats_independent_pixels_on_digits(tmp_path):
    m, ds, _ = _fit("vae", gdata.load("digits"), str(tmp_path), epochs=20, iw_samples=50)
    base, _ = gt.baseline_nll(ds)
    nll = m.nll(ds.x_test).mean()
    assert nll < base - 2.0, (nll, base)


def test_realnvp_learns_moons_on_a_small_budget(tmp_path):
    # a smaller flow than the default (tracing 8 couplings alone takes seconds)
    m, ds, stats = _fit(
        "realnvp",
        gdata.load("moons"),
        str(tmp_path),
        epochs=30,
        batch_size=64,
        layers=4,
        hidden=[64, 64],
    )
    base, _ = gt.baseline_nll(ds)  # the best single Gaussian: about 2.7
    assert m.nll(ds.x_test).mean() < base - 1.1  # reaches about 1.41
    assert stats["examples_per_s"] > 0


def test_vae_gaussian_decoder_on_points(tmp_path):
    m, ds, _ = _fit(
        "vae", gdata.load("circles"), str(tmp_path), epochs=3, iw_samples=20, latent=2, hidden=[32]
    )
    assert m.decoder_kind == "gaussian"
    assert np.isfinite(m.nll(ds.x_test)).all()
    assert m.sample(10, 0).shape == (10, 2)


def test_training_is_deterministic_by_seed(tmp_path):
    ds = gdata.load("moons")
    runs = [
        _fit("vae", ds, str(tmp_path / f"r{i}"), epochs=2, seed=s, latent=2, hidden=[16])
        for i, s in enumerate([3, 3, 4])
    ]
    w = [np.concatenate([v.numpy().ravel() for v in m.trainable_variables]) for m, _, _ in runs]
    np.testing.assert_array_equal(w[0], w[1])
    assert not np.array_equal(w[0], w[2])
    np.testing.assert_array_equal(runs[0][0].sample(5, 1), runs[1][0].sample(5, 1))


def test_samples_have_the_data_shape():
    keras.utils.set_random_seed(0)
    for m, dim in [(MADE(dim=6, hidden=[8], orderings=2), 6), (MAF(dim=3, hidden=[8]), 3)]:
        m.build_now()
        s = m.sample(7, seed=0)
        assert s.shape == (7, dim) and np.isfinite(s).all()
    assert set(np.unique(MADE(dim=6, hidden=[8]).sample(20, 0))) <= {0.0, 1.0}


def test_divergence_keeps_the_last_good_checkpoint(tmp_path):
    rng = np.random.default_rng(0)
    huge = gdata.from_arrays("huge", rng.normal(size=(200, 2)) * 1e30)
    with pytest.raises(gt.Diverged, match=r"last good checkpoint \(epoch 0\)"):
        _fit("realnvp", huge, str(tmp_path), epochs=3, layers=2, hidden=[8])
    meta = gt.load_meta(str(tmp_path))
    assert meta["epoch"] == 0
    assert (tmp_path / meta["weights"]).exists()


def test_checkpoints_replace_each_other(tmp_path):
    m, _, _ = _fit("made", gdata.load("digits"), str(tmp_path), epochs=4, hidden=[16])
    weights = sorted(p.name for p in tmp_path.glob("*.weights.h5"))
    meta = gt.load_meta(str(tmp_path))
    assert weights == [meta["weights"]] and meta["epoch"] == 4
    m2 = gt.build("made", m.config())
    m2.load_weights(str(tmp_path / meta["weights"]))
    x = gdata.load("digits").binarize().x_test[:20]
    np.testing.assert_allclose(m.nll(x), m2.nll(x), rtol=1e-6)


def test_unknown_options_are_rejected():
    with pytest.raises(ValueError, match="VAE decoder 'poisson'"):
        gt.build("vae", {"dim": 4, "decoder": "poisson"})
    with pytest.raises(ValueError, match="made has no option depth; its options are likelihood"):
        gt.build("made", {"dim": 4, "depth": 3})
    with pytest.raises(ValueError, match="unknown model 'pixelcnn'"):
        gt.model_class("pixelcnn")


def _iw_vae(k: int):
    from pyworker.gen.vae import VAE

    m = VAE(dim=6, latent=2, hidden=[8], iw_samples=k, decoder="bernoulli")
    m.build_now()
    _perturb_weights(m, seed=4, scale=0.2)
    return m


def test_iwae_draws_fresh_noise_for_every_batch():
    # The same example in two batches gets two independent estimates (the old
    # code reused batch 0's noise for every batch); a second run repeats them.
    m = _iw_vae(5)
    x = (np.random.default_rng(0).random((128, 6)) < 0.5).astype(np.float32)
    x[64] = x[0]
    a, _ = m.iw_nll(x, batch_size=64)
    assert a[0] != a[64]
    b, _ = m.iw_nll(x, batch_size=64)
    assert np.array_equal(a, b)


def test_iwae_monte_carlo_variance_matches_repeats():
    # The delta-method variance of each estimate agrees with the spread of
    # estimates under independent noise (one batch per copy of the example).
    m = _iw_vae(20)
    rng = np.random.default_rng(1)
    x = (rng.random((3, 6)) < 0.5).astype(np.float32)
    reps = np.repeat(x, 400, axis=0)  # 400 copies of each, one per batch
    est, var = m.iw_nll(reps, batch_size=1)
    for i in range(3):
        e, v = est[i * 400 : (i + 1) * 400], var[i * 400 : (i + 1) * 400]
        ratio = e.var(ddof=1) / v.mean()
        assert 0.6 < ratio < 1.6, (i, e.var(ddof=1), v.mean())
