"""The IDX file format of MNIST and Fashion-MNIST, read with numpy (no torchvision).

An IDX file is a 4-byte magic number ``0 0 <dtype> <ndim>``, then ``ndim`` big-endian uint32
dimensions, then the values in C order. The files may be gzip-compressed or not.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

__all__ = ["IDXError", "parse_idx", "read_bytes"]

_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


class IDXError(ValueError):
    """A file that is not a well-formed IDX file."""


def read_bytes(path: Path) -> bytes:
    """The decompressed content of ``path``; gzip is recognised by its magic bytes, not the name."""
    raw = Path(path).read_bytes()
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError) as e:  # truncated or damaged gzip stream
        raise IDXError(f"{path}: corrupt gzip data ({e})") from None


def parse_idx(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """The array stored in IDX ``data``; ``IDXError`` naming ``name`` when it is malformed."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _DTYPES:
        raise IDXError(f"{name}: not an IDX file (bad magic number {data[:4].hex() or 'empty'})")
    dtype, ndim = _DTYPES[data[2]], data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise IDXError(f"{name}: truncated header")
    shape = tuple(int(d) for d in np.frombuffer(data, ">u4", count=ndim, offset=4))
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        raise IDXError(f"{name}: {len(data)} bytes, expected {expected} for shape {shape}")
    values = np.frombuffer(data, dtype, offset=header).reshape(shape)
    return values.astype(dtype.newbyteorder("="))
