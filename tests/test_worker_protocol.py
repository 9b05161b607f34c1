"""The worker on its own: byte streams in, byte streams out."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import RawWorker

from pyworker import PROTOCOL_VERSION, __version__, protocol
from pyworker.errors import ArgumentError, check_array


def test_handshake_comes_first_and_describes_the_worker(raw_worker: RawWorker) -> None:
    kind, name, hello = raw_worker.hello
    assert (kind, name) == (protocol.NOTIFICATION, "hello")
    assert tuple(hello["protocol"]) == PROTOCOL_VERSION
    assert hello["version"] == __version__
    assert {"ping", "echo", "sleep", "info", "fixture.noisy"} <= set(hello["methods"])
    assert hello["pid"] == raw_worker.proc.pid
    assert hello["import_errors"] == {}


DTYPES = ["float32", "float64", "int32", "int64", "uint8", "bool"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(0,), (3,), (2, 3), (0, 5), (2, 1, 2)])
def test_arrays_of_every_dtype_and_shape_round_trip(
    raw_worker: RawWorker, dtype: str, shape: tuple[int, ...]
) -> None:
    arr = (np.arange(int(np.prod(shape))) % 7).astype(dtype).reshape(shape)
    reply = raw_worker.call(1, "echo", value=arr)
    assert reply[:3] == [protocol.RESPONSE, 1, None]
    out = reply[3]
    assert out.dtype == arr.dtype and out.shape == arr.shape
    assert np.array_equal(out, arr)


def test_array_encoding_is_raw_little_endian_bytes() -> None:
    arr = np.array([[1.0, 2.0]], dtype=">f4")  # big-endian input is converted
    ext = protocol.encode_array(arr)
    assert ext.code == protocol.ARRAY_EXT
    assert ext.data[:2] == bytes([1, 2])
    assert ext.data[-8:] == np.array([1.0, 2.0], dtype="<f4").tobytes()


def test_decoding_does_not_copy() -> None:
    payload = protocol.encode_array(np.arange(1000, dtype=np.float64)).data
    out = protocol.decode_array(payload)
    assert not out.flags.owndata and not out.flags.writeable


@pytest.mark.parametrize(
    "payload, match",
    [
        (b"\x01", "no header"),
        (b"\x63\x01" + (3).to_bytes(8, "little"), "unknown dtype code 99"),
        (b"\x01\x01" + (3).to_bytes(8, "little") + b"\x00" * 8, "needs 12 data bytes, got 8"),
    ],
)
def test_malformed_array_ext_is_refused(payload: bytes, match: str) -> None:
    with pytest.raises(protocol.ProtocolError, match=match):
        protocol.decode_array(payload)


def test_unsupported_dtype_names_the_supported_ones() -> None:
    with pytest.raises(TypeError, match="complex128 cannot travel; supported: float32"):
        protocol.encode_array(np.zeros(2, dtype=np.complex128))


@pytest.mark.parametrize(
    "method, params, etype, text",
    [
        ("nope", {}, "ArgumentError", "unknown method 'nope'"),
        ("echo", {}, "ArgumentError", "missing a required argument: 'value'"),
        ("echo", {"value": 1, "other": 2}, "ArgumentError", "unexpected keyword argument 'other'"),
        ("fixture.scale", {"x": [1, 2], "by": 2.0}, "ArgumentError", "must be an array, got list"),
        (
            "fixture.scale",
            {"x": np.zeros(2, np.float64), "by": 2.0},
            "ArgumentError",
            "must have dtype float32",
        ),
        (
            "fixture.scale",
            {"x": np.array([1, np.nan], np.float32), "by": 2.0},
            "ArgumentError",
            "1 NaN or infinite",
        ),
        ("fail", {"message": "bad"}, "RuntimeError", "bad"),
        ("fixture.unencodable", {}, "TypeError", "result cannot be encoded"),
    ],
)
def test_errors_answer_with_an_error_object_and_the_worker_keeps_serving(
    raw_worker: RawWorker, method: str, params: dict, etype: str, text: str
) -> None:
    kind, msgid, error, result = raw_worker.call(7, method, **params)
    assert (kind, msgid, result) == (protocol.RESPONSE, 7, None)
    assert error["type"] == etype
    assert text in error["message"]
    assert "Traceback" in error["traceback"]
    assert raw_worker.call(8, "ping") == [protocol.RESPONSE, 8, None, None]


def test_positional_params_are_refused(raw_worker: RawWorker) -> None:
    raw_worker.send([protocol.REQUEST, 3, "echo", [1, 2]])
    _, _, error, _ = raw_worker.read()
    assert "one map of keyword arguments" in error["message"]


def test_several_requests_in_flight_are_matched_by_msgid(raw_worker: RawWorker) -> None:
    # A slow call on the compute thread, then fast inline calls: the replies
    # come back out of order and each carries its own msgid.
    raw_worker.request(100, "sleep", seconds=0.3)
    for i in range(20):
        raw_worker.request(i, "echo", value=i)
    replies = {}
    while len(replies) < 21:
        message = raw_worker.read()
        if message[0] == protocol.RESPONSE:
            replies[message[1]] = message
    assert all(replies[i][3] == i for i in range(20))
    assert replies[100][2] is None
    order_done = list(replies)
    assert order_done[-1] == 100


def test_progress_notifications_name_their_call(raw_worker: RawWorker) -> None:
    raw_worker.request(5, "sleep", seconds=0.2)
    notes = []
    while True:
        message = raw_worker.read()
        if message[0] == protocol.RESPONSE:
            break
        notes.append(message)
    assert notes and all(n[:2] == [protocol.NOTIFICATION, "progress"] for n in notes)
    assert all(n[2]["msgid"] == 5 for n in notes)


def test_cancel_notification_stops_a_running_call(raw_worker: RawWorker) -> None:
    raw_worker.request(9, "sleep", seconds=30)
    assert raw_worker.read()[1] == "progress"  # it is running
    raw_worker.send([protocol.NOTIFICATION, "cancel", {"msgid": 9}])
    while True:
        message = raw_worker.read(timeout=5)
        if message[0] == protocol.RESPONSE:
            break
    assert message[1] == 9 and message[3] < 5


def test_a_call_cancelled_before_it_starts_answers_cancelled(raw_worker: RawWorker) -> None:
    raw_worker.request(1, "sleep", seconds=0.5)
    raw_worker.request(2, "sleep", seconds=30)
    raw_worker.send([protocol.NOTIFICATION, "cancel", {"msgid": 2}])
    replies = {}
    while len(replies) < 2:
        message = raw_worker.read(timeout=5)
        if message[0] == protocol.RESPONSE:
            replies[message[1]] = message
    assert replies[2][2]["type"] == "Cancelled"


def test_print_inside_a_handler_does_not_break_the_stream(raw_worker: RawWorker) -> None:
    assert raw_worker.call(1, "fixture.noisy", text="stray")[3] == "stray"
    assert raw_worker.call(2, "echo", value="next")[3] == "next"
    assert raw_worker.close() == 0
    assert raw_worker.stderr().count("stray") >= 3


def test_exits_zero_on_stdin_eof(raw_worker: RawWorker) -> None:
    assert raw_worker.close() == 0


def test_shutdown_request_answers_then_exits(raw_worker: RawWorker) -> None:
    assert raw_worker.call(4, "shutdown")[3] == {"ok": True}
    assert raw_worker.proc.wait(5) == 0


@pytest.mark.parametrize(
    "garbage", [b"\xc1garbage", b"hello world\n", protocol.pack({"not": "an array"})]
)
def test_malformed_bytes_are_reported_and_end_the_worker(garbage: bytes) -> None:
    w = RawWorker()
    w.write(garbage)
    status = w.proc.wait(10)
    err = w.stderr()
    assert status == 2
    assert "malformed input on stdin" in err
    assert garbage[:4].hex(" ") in err


def test_check_array_accepts_matching_arrays() -> None:
    x = np.zeros((3, 4), np.float32)
    assert check_array("x", x, dtype="float32", shape=(None, 4), finite=True) is x
    with pytest.raises(ArgumentError, match=r"shape \[\*, 5\], got \[3, 4\]"):
        check_array("x", x, shape=(None, 5))


@pytest.mark.parametrize("shape", [(1 << 16,), (300, 1000), (4, 256, 256)])
def test_large_arrays_are_written_from_their_own_memory(shape: tuple[int, ...]) -> None:
    arr = np.random.default_rng(0).random(shape).astype(np.float32)
    message = [protocol.RESPONSE, 1, None, {"a": arr, "b": arr[:2].copy(), "tail": "end"}]
    chunks = protocol.ChunkPacker().pack_chunks(message)
    assert any(isinstance(c, memoryview) for c in chunks)
    decoded = protocol.unpack(b"".join(bytes(c) for c in chunks))
    assert decoded[:3] == message[:3]
    assert np.array_equal(decoded[3]["a"], arr) and decoded[3]["tail"] == "end"
    assert np.array_equal(decoded[3]["b"], arr[:2])
