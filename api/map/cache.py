"""A small in-memory cache of generated pages, emptied when the served build changes.

The map page and the district reports are pure functions of the build (and a few
settings), but slow enough to generate (folium, matplotlib, weasyprint) that a server
should make each one once per build version. Keys start with the build version; the
first entry of a new version drops every entry of the old ones, so a rebuilt build is
never answered from the cache.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class VersionedCache(Generic[T]):
    """Thread-safe LRU of at most ``size`` values, keyed by build version and a key."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._version: str | None = None
        self._values: OrderedDict[Hashable, T] = OrderedDict()

    def get_or_make(self, version: str, key: Hashable, make: Callable[[], T]) -> T:
        """The cached value of ``key`` under ``version``, made by ``make()`` if missing.

        ``make`` runs outside the lock: two threads may make the same value at once
        (both results are equal), but a slow report never blocks other keys.
        """
        with self._lock:
            if version == self._version and key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = make()
        with self._lock:
            if version != self._version:
                self._values.clear()
                self._version = version
            self._values[key] = value
            while len(self._values) > self.size:
                self._values.popitem(last=False)
        return value
