"""The worker's trust boundary: malformed fields answer one request, never end the worker."""

from __future__ import annotations

import msgpack
import pytest
from conftest import RawWorker

from pyworker import protocol


def bad_array(payload: bytes) -> msgpack.ExtType:
    return msgpack.ExtType(protocol.ARRAY_EXT, payload)


@pytest.mark.parametrize(
    "value, text",
    [
        (bad_array(b"\x01"), "no header"),
        (bad_array(b"\x63\x01" + (3).to_bytes(8, "little")), "unknown dtype code 99"),
        (bad_array(b"\x01\x01" + (3).to_bytes(8, "little") + b"\x00" * 8), "needs 12 data bytes"),
        (msgpack.ExtType(42, b"xyz"), "unknown msgpack ext type 42"),
    ],
)
def test_a_malformed_field_answers_its_request_and_the_worker_keeps_serving(
    raw_worker: RawWorker, value: msgpack.ExtType, text: str
) -> None:
    # Another call is in flight while the malformed one arrives.
    raw_worker.request(1, "sleep", seconds=0.3)
    raw_worker.send([protocol.REQUEST, 2, "echo", [{"value": {"nested": [value]}}]])
    replies: dict[int, list] = {}
    while len(replies) < 2:
        m = raw_worker.read()
        if m[0] == protocol.RESPONSE:
            replies[m[1]] = m
    _, _, error, result = replies[2]
    assert result is None and error["type"] == "ArgumentError"
    assert "value" in error["message"] and text in error["message"]
    assert replies[1][2] is None, "the call in flight failed too"
    assert raw_worker.call(3, "ping") == [protocol.RESPONSE, 3, None, None]


@pytest.mark.parametrize("msgid", [[1, 2], {"a": 1}, None, "7", 2**64 - 1, True])
def test_a_cancel_with_an_odd_msgid_is_ignored(raw_worker: RawWorker, msgid: object) -> None:
    raw_worker.send([protocol.NOTIFICATION, "cancel", {"msgid": msgid}])
    assert raw_worker.call(4, "ping") == [protocol.RESPONSE, 4, None, None]
    assert raw_worker.proc.poll() is None


def test_a_malformed_notification_is_ignored(raw_worker: RawWorker) -> None:
    raw_worker.send([protocol.NOTIFICATION, "cancel", {"msgid": bad_array(b"\x01")}])
    raw_worker.send([protocol.NOTIFICATION, ["not", "a", "name"], {}])
    assert raw_worker.call(5, "ping") == [protocol.RESPONSE, 5, None, None]
