"""Data sets of pyworker.gen: built-ins, the fixed split, user files and their errors."""

from __future__ import annotations

import numpy as np
import pytest

from pyworker.gen import data as gdata


@pytest.mark.parametrize(
    ("name", "n_train", "n_test", "dim", "image_shape", "classes"),
    [
        ("digits", 1438, 359, 64, (8, 8), 10),
        ("mnist5k", 4000, 1000, 784, (28, 28), 10),
        ("moons", 3200, 800, 2, None, 0),
        ("circles", 3200, 800, 2, None, 0),
        ("8gaussians", 3200, 800, 2, None, 0),
    ],
)
def test_builtin_shapes(name, n_train, n_test, dim, image_shape, classes):
    ds = gdata.load(name)
    assert ds.x_train.shape == (n_train, dim) and ds.x_test.shape == (n_test, dim)
    assert ds.x_train.dtype == np.float32
    assert ds.image_shape == image_shape
    assert ds.num_classes == classes
    assert np.isfinite(ds.x_train).all()


def test_images_are_scaled_to_unit_range():
    for name in ("digits", "mnist5k"):
        ds = gdata.load(name)
        assert ds.x_train.min() == 0.0 and ds.x_train.max() == 1.0
        assert (ds.low, ds.high) == (0.0, 1.0)


def test_points_are_standardized_on_the_train_split():
    ds = gdata.load("moons")
    np.testing.assert_allclose(ds.x_train.mean(0), 0.0, atol=1e-5)
    np.testing.assert_allclose(ds.x_train.std(0), 1.0, atol=1e-4)


def test_split_is_fixed_and_disjoint():
    a, b = gdata.load("digits"), gdata.load("digits")
    np.testing.assert_array_equal(a.x_test, b.x_test)
    tr, te = gdata.split(100)
    assert len(te) == 20 and not set(tr) & set(te) and len(set(tr) | set(te)) == 100


def test_binarize():
    ds = gdata.load("digits").binarize()
    assert ds.binarized and ds.is_binary
    assert set(np.unique(ds.x_train)) == {0.0, 1.0}
    with pytest.raises(gdata.DataError, match="cannot be binarized"):
        gdata.load("moons").binarize()


def test_user_npy_vectors_and_images(tmp_path):
    rng = np.random.default_rng(0)
    p = tmp_path / "v.npy"
    np.save(p, rng.normal(size=(50, 3)))
    ds = gdata.load(str(p))
    assert ds.x_train.shape == (40, 3) and ds.image_shape is None
    p = tmp_path / "im.npy"
    np.save(p, rng.random((30, 4, 5)))
    ds = gdata.load(str(p))
    assert ds.image_shape == (4, 5) and ds.dim == 20


def test_user_npz_with_labels(tmp_path):
    p = tmp_path / "d.npz"
    np.savez(p, x=np.random.default_rng(0).random((20, 4)), y=np.arange(20) % 3)
    ds = gdata.load(str(p))
    assert ds.num_classes == 3 and len(ds.y_train) == 16


def test_user_csv_with_header(tmp_path):
    p = tmp_path / "d.csv"
    rows = "\n".join(f"{i},{i * 2}" for i in range(12))
    p.write_text("a,b\n" + rows + "\n")
    ds = gdata.load(str(p))
    assert ds.dim == 2 and len(ds.x_train) + len(ds.x_test) == 12


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda p: np.save(p, np.arange(20.0)), r"shape \(20,\)"),
        (lambda p: np.save(p, np.zeros((20, 1))), "at least 2"),
        (lambda p: np.save(p, np.zeros((5, 3))), "at least 10"),
        (lambda p: np.save(p, np.array([["a", "b"]] * 12)), "dtype <U1"),
        (lambda p: np.save(p, np.where(np.eye(12) > 0, np.nan, 1.0)), "12 NaN or infinite"),
    ],
)
def test_user_npy_errors(tmp_path, make, match):
    p = tmp_path / "bad.npy"
    make(p)
    with pytest.raises(gdata.DataError, match=match):
        gdata.load(str(p))


def test_other_user_file_errors(tmp_path):
    p = tmp_path / "two.npz"
    np.savez(p, a=np.zeros((12, 2)), b=np.zeros((12, 2)))
    with pytest.raises(gdata.DataError, match="name the data 'x'"):
        gdata.load(str(p))
    p = tmp_path / "labels.npz"
    np.savez(p, x=np.zeros((12, 2)), y=np.zeros(11))
    with pytest.raises(gdata.DataError, match=r"want \(12,\)"):
        gdata.load(str(p))
    p = tmp_path / "t.csv"
    p.write_text("1,2\n3,x\n")
    with pytest.raises(gdata.DataError, match="not a CSV of numbers"):
        gdata.load(str(p))
    with pytest.raises(gdata.DataError, match="does not exist"):
        gdata.load(str(tmp_path / "missing.npy"))
    with pytest.raises(gdata.DataError, match="unknown data 'mnist'"):
        gdata.load("mnist")


def test_handlers_import_without_tensorflow():
    """The worker imports the handler module at start: it must not pull TensorFlow in."""
    import subprocess
    import sys

    code = (
        "import sys, pyworker.gen.handlers; "
        "print(sorted(m for m in ('tensorflow', 'keras', 'sklearn') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
