"""Binary messages: a JSON header and typed arrays in one WebSocket frame.

Layout: ``u32 header length`` (little-endian), the header as UTF-8 JSON, then each array's raw
bytes at an 8-byte aligned offset. The header's ``arrays`` lists ``[name, dtype, shape, offset]``
so the page wraps each one in a typed array (``Float32Array``, ``Int8Array``) without copying.
Non-finite floats in the header become ``null`` (JSON has no NaN).
"""

from __future__ import annotations

import json
import struct
from typing import Any

import numpy as np

from .._json import dumps

__all__ = ["pack", "unpack"]

_DTYPES = {"float32": "f4", "int8": "i1", "uint8": "u1", "int32": "i4"}


def _pad(n: int) -> int:
    return (8 - n % 8) % 8


def pack(header: dict[str, Any], arrays: dict[str, np.ndarray]) -> bytes:
    table, chunks, offset = [], [], 0
    for name, a in arrays.items():
        a = np.ascontiguousarray(a)
        if a.dtype.name not in _DTYPES:
            raise TypeError(f"array {name}: dtype {a.dtype} is not sent to the page")
        a = a.astype(a.dtype.newbyteorder("<"), copy=False)
        table.append([name, a.dtype.name, list(a.shape), offset])
        data = a.tobytes()
        chunks.append(data + b"\0" * _pad(len(data)))
        offset += len(data) + _pad(len(data))
    head = dumps({**header, "arrays": table}, separators=(",", ":")).encode()
    head += b" " * _pad(4 + len(head))  # the arrays start 8-byte aligned
    return struct.pack("<I", len(head)) + head + b"".join(chunks)


def unpack(message: bytes) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The inverse of :func:`pack` (the tests and the benchmark read frames with it)."""
    (n,) = struct.unpack_from("<I", message)
    header = json.loads(message[4 : 4 + n])
    base = 4 + n
    arrays = {}
    for name, dtype, shape, offset in header.pop("arrays"):
        dt = np.dtype(_DTYPES[dtype])
        count = int(np.prod(shape)) if shape else 1
        arrays[name] = np.frombuffer(message, dt, count, base + offset).reshape(shape)
    return header, arrays
