"""The catalog of gen and robust: one definition, advertised in the handshake,
used by the jobs and the standalone command."""

from __future__ import annotations

import msgpack
import pytest

from pyworker import registry
from pyworker.gen import catalog, cli, service
from pyworker.gen import data as gdata
from pyworker.server import Server


def test_the_handshake_advertises_the_catalog() -> None:
    server = Server(0, 1)
    hello = server.hello()
    cat = hello["catalog"]
    assert [m["name"] for m in cat["gen"]["models"]] == list(catalog.MODELS)
    assert [d["name"] for d in cat["gen"]["data"]] == list(catalog.DATASETS)
    assert cat["gen"]["data_files"] == [".npy", ".npz", ".csv"]
    vae = cat["gen"]["models"][0]
    assert vae["epochs"] == catalog.MODELS["vae"]["epochs"] and "latent" in vae["options"]
    assert cat["robust"]["train"] == catalog.ROBUST_TRAIN
    assert cat["robust"]["data"] == ["digits", "mnist5k"]  # the labelled ones
    assert not any(k.startswith("catalog:") for k in hello["import_errors"])
    msgpack.packb(hello)  # it goes over the wire as it is


def test_a_broken_catalog_entry_is_reported_not_fatal(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> dict:
        raise RuntimeError("boom")

    monkeypatch.setitem(registry.CATALOG, "broken", broken)
    server = Server(0, 1)
    hello = server.hello()
    assert "broken" not in hello["catalog"] and "gen" in hello["catalog"]
    assert "boom" in hello["import_errors"]["catalog:broken"]


def test_the_data_loaders_are_the_catalogs() -> None:
    assert tuple(gdata._BUILDERS) == tuple(catalog.DATASETS)
    for name in ("digits", "moons"):
        ds = gdata.load(name)
        assert (ds.y_train is not None) == catalog.DATASETS[name]["labelled"]


@pytest.mark.parametrize(
    ("kvs", "want"),
    [
        (["latent=8", "decoder=gaussian"], {"latent": 8, "decoder": "gaussian"}),
        (["hidden=[64,64]", "x=1.5", "ok=true"], {"hidden": [64, 64], "x": 1.5, "ok": True}),
        (["name=a=b"], {"name": "a=b"}),
        ([], {}),
    ],
)
def test_parse_options(kvs: list[str], want: dict) -> None:
    got = catalog.parse_options(kvs)
    assert got == want
    assert all(type(got[k]) is type(want[k]) for k in want)  # 8 stays an int


@pytest.mark.parametrize("bad", ["latent", "=8"])
def test_parse_options_refuses_a_setting_without_key(bad: str) -> None:
    with pytest.raises(ValueError, match="want KEY=VALUE"):
        catalog.parse_options([bad])


def test_gen_train_reads_key_value_options(tmp_path) -> None:
    # The host sends --option as typed; a bad key is refused by name, before
    # anything is written or TensorFlow loads.
    with pytest.raises(ValueError, match="vae has no option latnet"):
        service.gen_train(
            run_dir=str(tmp_path), model="vae", data="moons", options=["latnet=8"], progress=None
        )
    with pytest.raises(ValueError, match=catalog.unknown_model("pixelcnn")):
        service.gen_train(run_dir=str(tmp_path), model="pixelcnn", data="moons", progress=None)
    assert not any(tmp_path.iterdir())


def test_the_standalone_command_uses_the_catalog() -> None:
    from click.testing import CliRunner

    r = CliRunner().invoke(cli.gen, ["train", "--model", "nope", "--data", "moons"])
    assert r.exit_code == 2
    for name in catalog.MODELS:
        assert name in r.output
    r = CliRunner().invoke(cli.robust, ["train", "--help"])
    assert f"default {catalog.ROBUST_TRAIN['epochs']}" in r.output
