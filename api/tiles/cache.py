"""An in-process LRU cache of rendered tiles, keyed by build version and request.

Keys start with the build version, so a new build never gets an old build's tile;
entries of replaced builds simply age out. Thread-safe: tiles are rendered in worker
threads and looked up on the event loop.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable


class TileCache:
    """At most ``maxsize`` PNG tiles, least recently used evicted first (0 = off).

    Attributes:
        hits: Lookups answered from the cache since it was made.
        misses: Lookups that were not.
    """

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self.hits = 0
        self.misses = 0
        self._tiles: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._tiles)

    def get(self, key: Hashable) -> bytes | None:
        """The cached tile for ``key`` (now the most recently used), or ``None``."""
        with self._lock:
            tile = self._tiles.get(key)
            if tile is None:
                self.misses += 1
                return None
            self._tiles.move_to_end(key)
            self.hits += 1
            return tile

    def put(self, key: Hashable, tile: bytes) -> None:
        """Keep ``tile`` under ``key``, evicting the least recently used beyond the size."""
        if self.maxsize <= 0:
            return
        with self._lock:
            self._tiles[key] = tile
            self._tiles.move_to_end(key)
            while len(self._tiles) > self.maxsize:
                self._tiles.popitem(last=False)

    def clear(self) -> None:
        """Forget every tile."""
        with self._lock:
            self._tiles.clear()
