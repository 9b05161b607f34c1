"""gen train: a bad --option is refused before TensorFlow is imported, with
the model's options named; the table of options matches the constructors."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

from pyworker.gen import catalog
from pyworker.gen import train as gt


@pytest.mark.parametrize("kind", list(catalog.MODELS))
def test_option_table_matches_the_constructors(kind):
    params = inspect.signature(gt.model_class(kind).__init__).parameters
    assert catalog.MODELS[kind]["options"] == tuple(
        p for p in params if p not in ("self", "dim", "seed")
    )


def test_bad_option_is_refused_before_tensorflow_loads(tmp_path):
    code = f"""
import sys
from pyworker.gen import service
try:
    service.gen_train(run_dir={str(tmp_path)!r}, model="vae", data="moons",
                      options={{"latnet": 8}}, progress=None)
except ValueError as e:
    print("error:", e)
print("tensorflow loaded:", "tensorflow" in sys.modules or "keras" in sys.modules)
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    assert (
        "error: vae has no option latnet; its options are decoder, latent, hidden, iw_samples"
        in out
    )
    assert "tensorflow loaded: False" in out
    assert not any(tmp_path.iterdir())  # nothing written


def test_run_files_have_the_modes_of_rl_runs(tmp_path):
    """0644 less the umask, as the Go host's files (mkstemp alone gives 0600)."""
    import os

    umask = os.umask(0)
    os.umask(umask)
    want = 0o644 & ~umask
    assert want == gt.FILE_MODE
    gt.write_json(str(tmp_path / "meta.json"), {"a": 1})

    class Model:
        def save_weights(self, path, overwrite):
            with open(path, "wb") as f:  # rewrites the file mkstemp made
                f.write(b"w")

    gt.save(Model(), str(tmp_path / "run"), {"epoch": 1})
    files = [tmp_path / "meta.json", *(tmp_path / "run").iterdir()]
    assert len(files) == 3
    for f in files:
        assert f.stat().st_mode & 0o777 == want, f
