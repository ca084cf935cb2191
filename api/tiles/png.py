"""A small encoder for paletted (8-bit indexed) PNG images.

Tiles of class maps hold a handful of colours, so an indexed PNG (one byte per pixel,
a palette, one transparency entry) is a quarter of the RGBA data to compress and
encodes in about a millisecond, where a generic RGBA encoder at the default level
costs more than reading the tile (profiled with `bench/`). The format is the W3C PNG
specification, 3rd edition: signature, ``IHDR``, ``PLTE``, ``tRNS``, ``IDAT``, ``IEND``.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOR_TYPE_INDEXED = 3
#: zlib level of the image data: class maps compress well already at level 1, and
#: higher levels cost several times the time for a few percent of bytes.
ZLIB_LEVEL = 1


def _chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(payload, zlib.crc32(kind))
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def hex_rgb(color: str) -> tuple[int, int, int]:
    """``"#rrggbb"`` as an ``(r, g, b)`` tuple of 0-255 integers."""
    value = color.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


class Palette:
    """Up to 256 RGBA colours, encoded once as ``PLTE`` and ``tRNS`` chunks.

    Args:
        colors: ``(r, g, b, a)`` tuples of 0-255 integers; index 0 is the first.
    """

    def __init__(self, colors: Sequence[tuple[int, int, int, int]]) -> None:
        if not 1 <= len(colors) <= 256:
            raise ValueError(f"a PNG palette holds 1 to 256 colours, got {len(colors)}")
        self.colors = tuple(colors)
        rgb = bytes(c for r, g, b, _ in colors for c in (r, g, b))
        alpha = [a for *_, a in colors]
        # tRNS may stop at the last non-opaque entry: the rest default to opaque.
        last = max((i for i, a in enumerate(alpha) if a != 255), default=-1)
        self._chunks = _chunk(b"PLTE", rgb)
        if last >= 0:
            self._chunks += _chunk(b"tRNS", bytes(alpha[: last + 1]))

    def __len__(self) -> int:
        return len(self.colors)

    def encode(self, indices: npt.NDArray[np.uint8], level: int = ZLIB_LEVEL) -> bytes:
        """An indexed PNG of ``indices`` (shape ``(height, width)``, values < len(self)).

        Args:
            indices: Palette index of every pixel, row 0 at the top.
            level: zlib compression level, 0-9.
        """
        height, width = indices.shape
        # Each scanline starts with its filter type; 0 ("None") is cheapest to write.
        raw = np.zeros((height, width + 1), dtype=np.uint8)
        raw[:, 1:] = indices
        header = struct.pack(">IIBBBBB", width, height, 8, _COLOR_TYPE_INDEXED, 0, 0, 0)
        return b"".join(
            (
                _SIGNATURE,
                _chunk(b"IHDR", header),
                self._chunks,
                _chunk(b"IDAT", zlib.compress(raw.tobytes(), level)),
                _chunk(b"IEND", b""),
            )
        )
