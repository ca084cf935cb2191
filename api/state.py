"""The build the service serves, reloaded when a new one is published.

Each request takes one :class:`~layers.result.BuildResult` snapshot through the
:func:`current_build` dependency and uses only it, so a response never mixes two builds
even when ``build/current`` is swapped while it is being served. The store notices a
new build by reading the ``current`` symlink (one ``readlink``, no file reads) at most
every :attr:`BuildStore.check_interval` seconds.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from fastapi import Request

from aralrisk.geo.errors import InputError, NotFoundError
from aralrisk.layers.publish import CURRENT
from aralrisk.layers.result import BuildResult, open_build


class BuildStore:
    """Holds the served build; thread-safe; reloads on a new ``current``."""

    check_interval = 1.0

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._lock = threading.Lock()
        self._build: BuildResult | None = None
        self._target: str | None = None
        self._checked = 0.0

    def _target_now(self) -> str | None:
        link = self.root / CURRENT
        try:
            return os.readlink(link)
        except OSError:
            return str(self.root) if (self.root / "manifest.json").is_file() else None

    def get(self) -> BuildResult:
        """The current build (loading or reloading it when needed).

        Raises:
            NotFoundError: No build is published under the root.
        """
        now = time.monotonic()
        if self._build is not None and now - self._checked < self.check_interval:
            return self._build
        with self._lock:
            self._checked = now
            target = self._target_now()
            if self._build is not None and target == self._target:
                return self._build
            if target is None:
                if self._build is not None:
                    return self._build
                raise NotFoundError("no build is published yet: run `aralrisk build`")
            try:
                self._build = open_build(self.root)
                self._target = target
            except InputError:
                # A half-written or damaged build is never served; keep the last good one.
                if self._build is None:
                    raise
            return self._build


def current_build(request: Request) -> BuildResult:
    """FastAPI dependency: the build snapshot for this request."""
    store: BuildStore = request.app.state.builds
    return store.get()
