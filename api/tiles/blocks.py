"""Decoded COG blocks shared by every worker thread, least recently used evicted first.

GDAL caches decoded blocks per open dataset, and a dataset belongs to one thread, so
with four rendering threads a block that neighbouring tiles share is inflated (a 1 MB
float32 block costs milliseconds of DEFLATE) up to four times. This cache holds each
decoded block once for the whole process. Keys carry the build version, so a rebuilt
raster is never served from an old block.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

import numpy as np
import numpy.typing as npt
from rasterio.io import DatasetReader
from rasterio.windows import Window


class BlockCache:
    """At most ``max_bytes`` of decoded blocks (0 = off), thread-safe."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._blocks: OrderedDict[Hashable, npt.NDArray[np.generic]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> npt.NDArray[np.generic] | None:
        """The block under ``key`` (now the most recently used), or ``None``."""
        with self._lock:
            block = self._blocks.get(key)
            if block is not None:
                self._blocks.move_to_end(key)
            return block

    def put(self, key: Hashable, block: npt.NDArray[np.generic]) -> None:
        """Keep ``block``, evicting the least recently used beyond the size."""
        if block.nbytes > self.max_bytes:
            return
        block.flags.writeable = False  # shared between threads: nobody may change it
        with self._lock:
            old = self._blocks.pop(key, None)
            if old is not None:
                self.bytes -= old.nbytes
            self._blocks[key] = block
            self.bytes += block.nbytes
            while self.bytes > self.max_bytes:
                _, evicted = self._blocks.popitem(last=False)
                self.bytes -= evicted.nbytes

    def clear(self) -> None:
        """Forget every block."""
        with self._lock:
            self._blocks.clear()
            self.bytes = 0


def read_window(
    dataset: DatasetReader, window: Window, cache: BlockCache, key: Hashable
) -> npt.NDArray[np.generic]:
    """Band 1 of ``dataset`` inside ``window``, assembled from (cached) whole blocks.

    Args:
        dataset: An open tiled raster (a COG level).
        window: Integer window inside the raster.
        cache: Where decoded blocks are kept.
        key: Identifies the raster and level in the cache (with the build version).
    """
    block_h, block_w = dataset.block_shapes[0]
    row0, col0 = int(window.row_off), int(window.col_off)
    height, width = int(window.height), int(window.width)
    out = np.empty((height, width), dtype=dataset.dtypes[0])
    for block_row in range(row0 // block_h, (row0 + height - 1) // block_h + 1):
        for block_col in range(col0 // block_w, (col0 + width - 1) // block_w + 1):
            top, left = block_row * block_h, block_col * block_w
            block = cache.get((key, block_row, block_col))
            if block is None:
                whole = Window(
                    left,
                    top,
                    min(block_w, dataset.width - left),
                    min(block_h, dataset.height - top),
                )
                block = dataset.read(1, window=whole)
                cache.put((key, block_row, block_col), block)
            # The part of this block inside the window, in both coordinate systems.
            r_start, r_stop = max(row0, top), min(row0 + height, top + block.shape[0])
            c_start, c_stop = max(col0, left), min(col0 + width, left + block.shape[1])
            out[r_start - row0 : r_stop - row0, c_start - col0 : c_stop - col0] = block[
                r_start - top : r_stop - top, c_start - left : c_stop - left
            ]
    return out
