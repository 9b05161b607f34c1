"""The Go Q-update kernel through ctypes agrees with Go and numpy bit for bit.

internal/qupdate/testdata/golden.txt is written by the Go test TestGolden
(inputs and Update's output as float64 bit patterns); here the C library and
the numpy reference must reproduce every output exactly.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))  # bench/qvalue.py: the ctypes client lives by its users

import qvalue as native  # noqa: E402

GOLDEN = ROOT / "internal" / "qupdate" / "testdata" / "golden.txt"


@pytest.fixture(scope="module")
def golden() -> dict[str, np.ndarray]:
    rows = [
        line.split()
        for line in GOLDEN.read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert len(rows) > 500, "golden file too short: regenerate it with the Go test"

    def col(i: int) -> np.ndarray:
        return np.array([int(r[i], 16) for r in rows], dtype=np.uint64).view(np.float64)

    return {
        "q": col(0),
        "r": col(1),
        "m": col(2),
        "lr": col(3),
        "gamma": col(4),
        "terminal": np.array([r[5] == "1" for r in rows]),
        "out": col(6),
    }


@pytest.fixture(scope="module", autouse=True)
def library() -> None:
    if not native.library_path().is_file():
        # The Makefile builds it before pytest; build it here for a bare pytest run.
        subprocess.run(["make", "libqvalue"], cwd=ROOT, check=True)


def test_single_calls_match_go_bits(golden: dict[str, np.ndarray]) -> None:
    got = np.array(
        [
            native.update_q_value(q, r, m, lr, g, bool(t))
            for q, r, m, lr, g, t in zip(
                golden["q"],
                golden["r"],
                golden["m"],
                golden["lr"],
                golden["gamma"],
                golden["terminal"],
                strict=True,
            )
        ]
    )
    assert np.array_equal(got.view(np.uint64), golden["out"].view(np.uint64))


def test_batch_matches_single_calls_bitwise(golden: dict[str, np.ndarray]) -> None:
    # The batched call takes one learning rate and discount for the whole batch.
    lr, gamma = 0.25, 0.97
    got = native.update_q_value_batch(
        golden["q"], golden["r"], golden["m"], golden["terminal"], lr, gamma
    )
    want = np.array(
        [
            native.update_q_value(q, r, m, lr, gamma, bool(t))
            for q, r, m, t in zip(
                golden["q"], golden["r"], golden["m"], golden["terminal"], strict=True
            )
        ]
    )
    assert np.array_equal(got.view(np.uint64), want.view(np.uint64))
    # In place.
    q = golden["q"].copy()
    native.update_q_value_batch(q, golden["r"], golden["m"], golden["terminal"], lr, gamma, out=q)
    assert np.array_equal(q.view(np.uint64), want.view(np.uint64))


def test_numpy_reference_matches_go_bits(golden: dict[str, np.ndarray]) -> None:
    got = native.update_q_value_numpy(
        golden["q"], golden["r"], golden["m"], golden["terminal"], golden["lr"], golden["gamma"]
    )
    assert np.array_equal(got.view(np.uint64), golden["out"].view(np.uint64))


def test_negative_next_value_is_bootstrapped() -> None:
    # The seed dropped the bootstrap when maxNextQ <= 0; -1 + 0.9 * -10 = -10.
    assert native.update_q_value(0.0, -1.0, -10.0, 1.0, 0.9, False) == pytest.approx(-10.0)
    assert native.update_q_value(0.0, -1.0, -10.0, 1.0, 0.9, True) == -1.0


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="learning rate 0.0 outside"):
        native.update_q_value(0, 0, 0, 0.0, 0.9, False)
    with pytest.raises(ValueError, match="discount 1.5 outside"):
        native.update_q_value_batch(np.zeros(2), np.zeros(2), np.zeros(2), np.zeros(2), 0.1, 1.5)
    with pytest.raises(ValueError, match="reward has shape"):
        native.update_q_value_batch(np.zeros(3), np.zeros(2), np.zeros(3), np.zeros(3), 0.1, 0.9)
    with pytest.raises(ValueError, match="terminal has shape"):
        native.update_q_value_batch(np.zeros(3), np.zeros(3), np.zeros(3), np.zeros(4), 0.1, 0.9)
    z = np.zeros(0)
    empty = native.update_q_value_batch(z, z, z, z, 0.1, 0.9)
    assert empty.shape == (0,)


def test_missing_library_says_how_to_build(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(native.ENV_VAR, str(tmp_path / "nowhere.so"))
    native._lib.cache_clear()
    try:
        with pytest.raises(native.NativeLibraryError, match="make libqvalue"):
            native.update_q_value(0, 0, 0, 0.1, 0.9, False)
    finally:
        monkeypatch.delenv(native.ENV_VAR)
        native._lib.cache_clear()


def test_terminal_flags_are_truthiness_like_the_reference() -> None:
    # Any nonzero flag is terminal, as np.where reads it; the old uint8 cast
    # turned 0.5 into 0 and 256 into 0 (non-terminal).
    flags = [
        np.array([0.5, 256.0, 0.0, 1.0, -1.0, np.nan, 1e-300]),
        np.array([256, 0, 512, 1, -256, 3, 0], dtype=np.int64),
        np.array([True, False, True, True, False, False, True]),
    ]
    n = 7
    q = np.linspace(-1.0, 1.0, n)
    r = np.full(n, 0.5)
    m = np.full(n, -3.0)
    for terminal in flags:
        got = native.update_q_value_batch(q, r, m, terminal, 0.5, 0.9)
        want = native.update_q_value_numpy(q, r, m, terminal, 0.5, 0.9)
        assert np.array_equal(got.view(np.uint64), want.view(np.uint64)), terminal
    # The float case directly: 0.5 and 256 bootstrap nothing.
    got = native.update_q_value_batch(q[:2], r[:2], m[:2], np.array([0.5, 256.0]), 1.0, 0.9)
    assert np.array_equal(got, r[:2])
