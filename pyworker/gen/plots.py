"""Sample pictures: an image grid, or a 2-D scatter of samples beside the data."""

from __future__ import annotations

import math
import os

import numpy as np

from pyworker.gen.data import Dataset


def save_samples_png(path: str, samples: np.ndarray, ds: Dataset, title: str) -> None:
    """Write ``samples`` as a PNG: a grid for images, a scatter beside the test data otherwise."""
    import matplotlib

    matplotlib.use("Agg")  # no display in the worker
    import matplotlib.pyplot as plt

    if ds.image_shape is not None:
        h, w = ds.image_shape
        n = len(samples)
        cols = math.ceil(math.sqrt(n))
        rows = math.ceil(n / cols)
        grid = np.full((rows * (h + 1) + 1, cols * (w + 1) + 1), ds.low, np.float32)  # blank gaps
        for i, img in enumerate(samples.reshape(n, h, w)):
            r, c = divmod(i, cols)
            grid[1 + r * (h + 1) : 1 + r * (h + 1) + h, 1 + c * (w + 1) : 1 + c * (w + 1) + w] = img
        side = min(10.0, max(3.0, cols * w / 8))  # inches: readable, never a poster
        fig, ax = plt.subplots(figsize=(side, side * rows * h / (cols * w)))
        ax.imshow(grid, cmap="gray_r", vmin=ds.low, vmax=ds.high, interpolation="nearest")
        ax.set_axis_off()
        ax.set_title(title, fontsize=9)
    else:
        fig, axes = plt.subplots(1, 2, figsize=(9, 4.5), sharex=True, sharey=True)
        for ax, pts, name in ((axes[0], ds.x_test, "test data"), (axes[1], samples, "samples")):
            ax.scatter(pts[:, 0], pts[:, 1], s=3, alpha=0.5)
            ax.set_title(f"{name} ({len(pts)})" + ("" if ds.dim == 2 else ", dims 0 and 1"))
            ax.set_aspect("equal")
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    tmp = path + ".tmp.png"
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    os.replace(tmp, path)
