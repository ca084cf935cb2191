"""The build the service serves, reloaded when a new one is published.

Each request takes one :class:`~layers.result.BuildResult` snapshot through the
:func:`current_build` dependency and uses only it, so a response never mixes two builds
even when ``build/current`` is swapped while it is being served. The store notices a
new build by reading the ``current`` symlink (one ``readlink``, no file reads) at most
every :attr:`BuildStore.check_interval` seconds.

A build that cannot be served is never treated as an empty one: when nothing is
published, the published build is damaged, or the served build's folder disappears or
becomes unreadable while serving, :meth:`BuildStore.get` raises
:class:`BuildUnavailable` (a ``503`` problem with ``Retry-After`` on every data route)
and :meth:`BuildStore.health` says why (``/healthz`` fails). Whether the served build's
folder is still there is checked on every request (one ``stat``), so ``/point`` can
never answer "no data" everywhere for a build that has gone.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

import anyio.to_thread
from fastapi import Request

from aralrisk.geo.errors import InputError, NotFoundError
from aralrisk.layers.publish import CURRENT, MANIFEST
from aralrisk.layers.result import BuildResult, open_build

log = logging.getLogger("aralrisk.api")

#: Seconds a client should wait before asking again while no build can be served.
RETRY_AFTER = 30

NO_BUILD = "no build is published yet: run `aralrisk build`"
VANISHED = (
    "the served build's folder has disappeared or become unreadable: publish a build "
    "again with `aralrisk build`; the service picks it up by itself"
)


class BuildUnavailable(Exception):
    """No build can be served now; the message is one sentence for clients (no paths)."""

    retry_after = RETRY_AFTER


def _present(build_dir: Path) -> bool:
    """Whether a build's folder is still there and readable (its manifest is a file)."""
    try:
        return (build_dir / MANIFEST).is_file() and os.access(build_dir / MANIFEST, os.R_OK)
    except OSError:
        return False


class BuildStore:
    """Holds the served build; thread-safe; reloads on a new ``current``."""

    check_interval = 1.0

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._lock = threading.Lock()
        self._build: BuildResult | None = None
        self._target: str | None = None
        self._checked = 0.0
        # Why the last load failed, and for which `current` target (None: it did not).
        self._failure: tuple[str | None, BuildUnavailable] | None = None

    def _target_now(self) -> str | None:
        link = self.root / CURRENT
        try:
            return os.readlink(link)
        except OSError:
            return str(self.root) if (self.root / "manifest.json").is_file() else None

    def fresh(self) -> BuildResult | None:
        """The served build if it was checked a moment ago and its folder is there.

        One ``stat`` at most, so the event loop may ask; ``None`` when :meth:`get` has
        work to do (a first load, a new publication to look for, a failure to report).
        """
        build = self._build
        if build is None or time.monotonic() - self._checked >= self.check_interval:
            return None
        return build if _present(build.path) else None

    def get(self) -> BuildResult:
        """The current build (loading or reloading it when needed).

        Raises:
            BuildUnavailable: Nothing is published under the root, the published build
                is damaged, or the served build's folder has gone; the sentence says
                which, without server paths.
        """
        build = self.fresh()
        if build is not None:
            return build
        with self._lock:
            now = time.monotonic()
            if (
                self._build is None
                and self._failure is not None
                and now - self._checked < self.check_interval
            ):
                raise self._failure[1]  # failed a moment ago: do not retry on every request
            self._checked = now
            target = self._target_now()
            build = self._build
            if build is not None and target == self._target and _present(build.path):
                return build
            reason = NO_BUILD if build is None else VANISHED
            if target is not None:
                try:
                    self._build, self._target, self._failure = open_build(self.root), target, None
                    return self._build
                except NotFoundError:
                    reason = NO_BUILD if build is None else VANISHED
                except Exception as exc:  # any build that cannot be loaded is not served
                    # A half-written or damaged build is never served. Its own sentence
                    # (base names only) is passed on; anything else is logged.
                    if not isinstance(exc, InputError):
                        log.warning("the published build cannot be loaded", exc_info=True)
                    detail = str(exc) if isinstance(exc, InputError) else "it cannot be read"
                    reason = (
                        f"the published build cannot be served ({detail}): publish a build "
                        "again with `aralrisk build`"
                    )
            if build is not None and _present(build.path):
                return build  # keep serving the last good build while its files are there
            self._build = self._target = None
            self._failure = (target, BuildUnavailable(reason))
            raise self._failure[1]

    def health(self) -> str | None:
        """Why no build can be served (one sentence), or ``None`` when one can.

        While the served build's folder is there this is one ``stat``. Otherwise it is
        :meth:`get` (a load attempt, at most once per :attr:`check_interval`), so that
        ``/healthz`` fails exactly when the data routes answer 503, and recovers as soon
        as they do.
        """
        build = self._build
        if build is not None and _present(build.path):
            return None
        try:
            self.get()
        except BuildUnavailable as exc:
            return str(exc)
        return None


async def current_build(request: Request) -> BuildResult:
    """FastAPI dependency: the build snapshot for this request (503 when there is none).

    Answered on the event loop when the build was checked a moment ago (the common
    case: one ``stat``); loading or re-checking reads files, in a worker thread. A sync
    dependency would cost every request a thread hop, and under load the hop waits for
    the interpreter lock held by rendering threads.
    """
    store: BuildStore = request.app.state.builds
    build = store.fresh()
    if build is not None:
        return build
    return await anyio.to_thread.run_sync(store.get)
