"""Wire format of the Go<->Python link: msgpack-RPC plus an ext type for arrays.

Messages (msgpack-RPC):

- request       ``[0, msgid, method, [params]]`` where params is a map of keyword arguments
- response      ``[1, msgid, error, result]`` where error is nil or ``{type, message, traceback}``
- notification  ``[2, method, params]``

The worker's first message is the notification ``hello`` (see :mod:`pyworker.server`).

Arrays travel as msgpack ext type 1 whose payload is::

    u8 dtype code | u8 ndim | ndim x u64 little-endian shape | raw little-endian data

The decoder returns a read-only ``numpy.frombuffer`` view of the payload: no copy.
"""

from __future__ import annotations

import os
import struct
from typing import Any

import msgpack
import numpy as np

REQUEST, RESPONSE, NOTIFICATION = 0, 1, 2
ARRAY_EXT = 1

# Codes shared with the Go side (internal/worker/array.go). Append only.
DTYPES: dict[int, np.dtype] = {
    1: np.dtype("<f4"),
    2: np.dtype("<f8"),
    3: np.dtype("<i4"),
    4: np.dtype("<i8"),
    5: np.dtype("u1"),
    6: np.dtype("?"),
    7: np.dtype("i1"),
    8: np.dtype("<i2"),
    9: np.dtype("<u2"),
    10: np.dtype("<u4"),
    11: np.dtype("<u8"),
    12: np.dtype("<f2"),
}
CODES: dict[np.dtype, int] = {dt: code for code, dt in DTYPES.items()}


class ProtocolError(Exception):
    """Bytes or messages that do not follow the protocol."""


def _wire_form(arr: np.ndarray) -> tuple[bytes, np.ndarray]:
    """The ext header and the C-ordered little-endian data of ``arr``."""
    dt = arr.dtype.newbyteorder("<") if arr.dtype.byteorder == ">" else arr.dtype
    code = CODES.get(np.dtype(dt))
    if code is None:
        supported = ", ".join(str(d) for d in DTYPES.values())
        raise TypeError(f"arrays of dtype {arr.dtype} cannot travel; supported: {supported}")
    header = struct.pack(f"<BB{arr.ndim}Q", code, arr.ndim, *arr.shape)
    return header, np.ascontiguousarray(arr, dtype=dt)


def encode_array(arr: np.ndarray) -> msgpack.ExtType:
    header, data = _wire_form(arr)
    return msgpack.ExtType(ARRAY_EXT, header + data.tobytes())


# Arrays at least this large are not copied into the packed message: pack_chunks
# leaves a placeholder and the data is written straight from the array's memory.
SCATTER_BYTES = 256 << 10


def decode_array(payload: bytes) -> np.ndarray:
    if len(payload) < 2:
        raise ProtocolError(f"array ext of {len(payload)} bytes has no header")
    code, ndim = payload[0], payload[1]
    dtype = DTYPES.get(code)
    if dtype is None:
        raise ProtocolError(f"array ext has unknown dtype code {code}")
    offset = 2 + 8 * ndim
    if len(payload) < offset:
        raise ProtocolError(f"array ext header says ndim={ndim} but has {len(payload)} bytes")
    shape = struct.unpack_from(f"<{ndim}Q", payload, 2)
    count = 1
    for n in shape:
        count *= n
    want = count * dtype.itemsize
    if len(payload) - offset != want:
        raise ProtocolError(
            f"array ext of dtype {dtype} and shape {list(shape)} needs {want} data bytes, "
            f"got {len(payload) - offset}"
        )
    return np.frombuffer(payload, dtype=dtype, count=count, offset=offset).reshape(shape)


def _ext_hook(code: int, data: bytes) -> Any:
    if code == ARRAY_EXT:
        return decode_array(data)
    raise ProtocolError(f"unknown msgpack ext type {code}")


class Malformed:
    """A value that arrived whole (its msgpack framing is intact) but cannot be decoded.

    The serving unpacker puts one in place of a bad array ext or an ext of an
    unknown type, so that the request holding it is answered with an error
    and every other call goes on.
    """

    __slots__ = ("reason",)

    # How many have been made in this process: the server walks a request's
    # params for one only when this has grown since the last request, which
    # keeps the walk off every well-formed call.
    made = 0

    def __init__(self, reason: str) -> None:
        self.reason = reason
        Malformed.made += 1

    def __repr__(self) -> str:
        return f"Malformed({self.reason!r})"


def _lenient_ext_hook(code: int, data: bytes) -> Any:
    try:
        return _ext_hook(code, data)
    except ProtocolError as exc:
        return Malformed(str(exc))


def find_malformed(value: Any, where: str = "params", depth: int = 0) -> tuple[str, str] | None:
    """The first :class:`Malformed` inside ``value``: its place (``params.x[2]``) and why."""
    if isinstance(value, Malformed):
        return where, value.reason
    if depth > 64:  # deeper than anything the host sends; the unpacker limits it anyway
        return None
    if isinstance(value, dict):
        for k, v in value.items():
            found = find_malformed(v, f"{where}.{k}", depth + 1)
            if found:
                return found
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found = find_malformed(v, f"{where}[{i}]", depth + 1)
            if found:
                return found
    return None


def _default(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return encode_array(obj)
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, (tuple, set, frozenset)):
        return list(obj)
    raise TypeError(f"cannot send a value of type {type(obj).__name__} to the host")


class ChunkPacker:
    """Packs messages into a list of chunks, leaving large arrays' data uncopied.

    A large array is first packed as a placeholder ext holding its header and a
    random token; the token is then found in the packed bytes and the
    placeholder replaced by an ext32 header whose length covers the data, which
    becomes a chunk of its own (a memoryview of the array). Not thread-safe.
    """

    def __init__(self) -> None:
        self._big: list[np.ndarray] = []
        self._token = os.urandom(16)
        self._packer = msgpack.Packer(default=self._default, use_bin_type=True, datetime=False)

    def _default(self, obj: Any) -> Any:
        if isinstance(obj, np.ndarray) and obj.nbytes >= SCATTER_BYTES:
            header, data = _wire_form(obj)
            index = len(self._big)
            self._big.append(data)
            return msgpack.ExtType(ARRAY_EXT, header + self._token + struct.pack("<I", index))
        return _default(obj)

    def pack_chunks(self, obj: Any) -> list[bytes | memoryview]:
        self._big.clear()
        packed = self._packer.pack(obj)
        if not self._big:
            return [packed]
        chunks: list[bytes | memoryview] = []
        start = 0
        while (at := packed.find(self._token, start)) >= 0:
            index = struct.unpack_from("<I", packed, at + 16)[0]
            data = self._big[index]
            ndim = data.ndim
            header_start = at - (2 + 8 * ndim)
            # Placeholder ext: c7 len type | c8 len16 type | c9 len32 type, then the header.
            fmt = packed[header_start - 3]
            ext_start = header_start - (3 if fmt == 0xC7 else 4 if fmt == 0xC8 else 6)
            header = packed[header_start:at]
            length = len(header) + data.nbytes
            chunks.append(packed[start:ext_start])
            chunks.append(struct.pack(">BIb", 0xC9, length, ARRAY_EXT) + header)
            chunks.append(memoryview(data).cast("B"))
            start = at + 20
        chunks.append(packed[start:])
        self._big.clear()
        return chunks


def packer() -> msgpack.Packer:
    return msgpack.Packer(default=_default, use_bin_type=True, datetime=False)


def unpacker(*, lenient: bool = False) -> msgpack.Unpacker:
    """A streaming unpacker; ``lenient`` decodes bad exts as :class:`Malformed` values."""
    # max_buffer_size=0 lifts msgpack's 100 MiB default: arrays may be large.
    hook = _lenient_ext_hook if lenient else _ext_hook
    return msgpack.Unpacker(raw=False, ext_hook=hook, max_buffer_size=0, strict_map_key=False)


def pack(obj: Any) -> bytes:
    return packer().pack(obj)


def unpack(data: bytes) -> Any:
    return msgpack.unpackb(data, raw=False, ext_hook=_ext_hook, strict_map_key=False)
