"""Property tests (Hypothesis) of the wire format in pyworker/protocol.py."""

from __future__ import annotations

import os
from typing import Any

import msgpack
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from pyworker import protocol

# `make fuzz` runs these with many more examples (HYPOTHESIS_PROFILE=fuzz).
settings.register_profile("fuzz", max_examples=2_000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

DTYPES = list(protocol.DTYPES.values())

arrays = st.sampled_from(DTYPES).flatmap(
    lambda dt: hnp.arrays(dt, hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5))
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.binary(max_size=20),
)
values = st.recursive(
    st.one_of(scalars, arrays),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray):
        return (
            isinstance(b, np.ndarray)
            and a.dtype == b.dtype
            and a.shape == b.shape
            and a.tobytes() == b.tobytes()
        )
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return isinstance(b, list) and len(a) == len(b) and all(map(same, a, b))
    return bool(a == b)


@given(arrays)
def test_arrays_round_trip_bit_for_bit(arr: np.ndarray) -> None:
    out = protocol.unpack(protocol.pack(arr))
    assert same(arr, out)


@given(values)
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_messages_round_trip(value: Any) -> None:
    out = protocol.unpack(protocol.pack([protocol.RESPONSE, 1, None, value]))
    assert same([protocol.RESPONSE, 1, None, value], out)


@given(st.sampled_from(DTYPES), st.integers(1, 3), st.integers(0, 3))
@settings(deadline=None, max_examples=25)
def test_chunked_packing_equals_plain_packing(dt: np.dtype, n: int, small: int) -> None:
    # Large arrays are scattered into chunks of their own; joined, the chunks
    # are exactly what the plain packer writes.
    side = (protocol.SCATTER_BYTES // dt.itemsize) + 1
    big = [(np.arange(side * (i + 1)) % 100).astype(dt) for i in range(n)]
    message = [protocol.RESPONSE, 9, None, {"big": big, "small": np.zeros(small, dt)}]
    chunks = protocol.ChunkPacker().pack_chunks(message)
    assert b"".join(bytes(c) for c in chunks) == protocol.pack(message)


@given(st.binary(max_size=200))
def test_decoding_any_payload_gives_an_array_or_a_protocol_error(payload: bytes) -> None:
    try:
        arr = protocol.decode_array(payload)
    except protocol.ProtocolError:
        return
    assert isinstance(arr, np.ndarray)
    assert 2 + 8 * arr.ndim + arr.nbytes == len(payload)


@given(
    st.integers(0, 255),
    st.lists(st.integers(0, 2**64 - 1), max_size=6),
    st.binary(max_size=64),
)
def test_huge_shapes_are_refused_without_allocating(
    code: int, shape: list[int], data: bytes
) -> None:
    payload = bytes([code, len(shape)]) + b"".join(d.to_bytes(8, "little") for d in shape) + data
    try:
        arr = protocol.decode_array(payload)
    except protocol.ProtocolError:
        return
    assert arr.nbytes == len(data)


@given(values, st.binary(max_size=40))
def test_a_malformed_ext_anywhere_is_found_and_the_rest_decodes(value: Any, junk: bytes) -> None:
    bad = msgpack.ExtType(
        protocol.ARRAY_EXT, b"\x00" + junk[:1]
    )  # dtype 0 or no header: never valid
    message = [protocol.REQUEST, 5, "m", [{"ok": value, "bad": [1, bad]}]]
    u = protocol.unpacker(lenient=True)
    u.feed(protocol.pack(message))
    (got,) = list(u)
    assert same(value, got[3][0]["ok"])
    where, why = protocol.find_malformed(got[3][0])
    assert where == "params.bad[1]"
    assert "array ext" in why


@given(st.binary(max_size=300))
def test_the_lenient_unpacker_never_raises_a_foreign_exception_on_garbage(data: bytes) -> None:
    # What the serving loop must handle: msgpack's own errors for broken
    # framing (it then ends with status 2), never a crash inside the hook.
    # TypeError: a map keyed by a map or a list (b"\x81\x80\x00", found by
    # this test) cannot become a dict; the loop reports it as malformed input.
    u = protocol.unpacker(lenient=True)
    u.feed(data)
    try:
        for _ in u:
            pass
    except (ValueError, TypeError, msgpack.ExtraData, msgpack.FormatError, msgpack.StackError):
        pass  # UnpackValueError and UnicodeDecodeError are ValueErrors
