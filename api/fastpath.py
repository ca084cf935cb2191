"""Tiles already served once are answered from memory, before the framework.

A tile is a pure function of the published build and the request's path and query, and
map clients ask for the same tiles over and over (every pan back, every user of one
district). Answering those repeats through FastAPI costs routing, dependency injection,
parameter validation, three middlewares and header building for a response that is
already known: measured on 2 cores, about 440 cached tiles per second where the server
answers a constant response three times faster (bench/README.md).

:class:`TileFastPath` is the outermost ASGI layer. The first ``GET`` of a tile URL goes
through the application as usual and its complete ``200`` answer (status, every header
the application and its middlewares set, body) is remembered under the URL together
with the build version it came from. A later ``GET`` or ``HEAD`` of the same URL, while
that build is still the published one, is answered with the remembered bytes (or
``304`` when ``If-None-Match`` holds its ETag) without entering the application. A new
build changes the version, so its tiles are rendered again; remembered answers of the
old build are replaced as they are asked for, or age out of the LRU.

What is never answered from memory: anything but ``GET``/``HEAD`` on a ``.png`` under
``/tiles/``; requests carrying an ``Origin`` when CORS is on (the answer depends on it);
answers other than a plain ``200`` (errors, ``304``, compressed or streamed bodies).
Tiles are requested from the application without ``Accept-Encoding``: a PNG is already
deflated, and gzip over it costs time for no bytes saved.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

Headers = list[tuple[bytes, bytes]]

#: Headers a ``304`` keeps (RFC 9110 15.4.5: those a ``200`` would have sent that
#: describe the cache entry, not the body).
_NOT_MODIFIED_KEEP = frozenset(
    {b"etag", b"cache-control", b"vary", b"x-build-version", b"date", b"expires"}
)


@dataclass(frozen=True, slots=True)
class _Entry:
    """One remembered answer: the build it came from, its headers, its body."""

    version: str
    headers: Headers
    not_modified_headers: Headers
    etag: bytes
    body: bytes


def is_tile_path(path: str) -> bool:
    """Whether ``path`` names a PNG tile (``.../tiles/{z}/{x}/{y}.png``).

    >>> is_tile_path("/layers/dust_days/tiles/6/43/22.png")
    True
    >>> is_tile_path("/layers/dust_days/tilejson.json")
    False
    """
    return path.endswith(".png") and "/tiles/" in path


def _etag_matches(if_none_match: bytes, etag: bytes) -> bool:
    """RFC 9110 weak comparison of ``If-None-Match`` against a stored ETag."""
    if if_none_match.strip() == b"*":
        return True
    bare = etag.removeprefix(b"W/")
    return any(c.strip().removeprefix(b"W/") == bare for c in if_none_match.split(b","))


class TileFastPath:
    """Outermost ASGI layer that answers repeated tile requests from memory.

    Args:
        app: The application (with its middlewares) to pass everything else to.
        version: Returns the published build's version, or raises when none can be
            served (then the request goes to the application, which answers the error).
        maxsize: Answers kept, least recently used dropped first (0 turns this off).
        cors: Whether CORS is on (then requests with an ``Origin`` bypass the cache).

    Attributes:
        hits: Requests answered from memory.
    """

    def __init__(
        self, app: ASGIApp, version: Callable[[], str], maxsize: int, cors: bool = False
    ) -> None:
        self.app = app
        self.version = version
        self.maxsize = maxsize
        self.cors = cors
        self.hits = 0
        self._entries: OrderedDict[tuple[str, bytes, str], _Entry] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer from memory, or pass on and remember a plain ``200`` tile."""
        if (
            self.maxsize <= 0
            or scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or not is_tile_path(scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        if_none_match = b""
        for name, value in scope["headers"]:
            if name == b"if-none-match":
                if_none_match = value
            elif name == b"origin" and self.cors:
                await self.app(scope, receive, send)
                return
        try:
            version = self.version()
        except Exception:  # the application answers why it cannot serve
            await self.app(scope, receive, send)
            return
        key = (scope["path"], scope["query_string"], scope.get("root_path", ""))
        entry = self._entries.get(key)
        if entry is not None and entry.version == version:
            self._entries.move_to_end(key)
            self.hits += 1
            await self._answer(entry, scope["method"] == "HEAD", if_none_match, send)
            return
        if scope["method"] == "HEAD":
            await self.app(scope, receive, send)
            return
        plain = {
            **scope,
            "headers": [(n, v) for n, v in scope["headers"] if n != b"accept-encoding"],
        }
        await self.app(plain, receive, self._recorder(key, version, send))

    async def _answer(self, entry: _Entry, head: bool, if_none_match: bytes, send: Send) -> None:
        if if_none_match and _etag_matches(if_none_match, entry.etag):
            headers = entry.not_modified_headers
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200, "headers": entry.headers})
        await send({"type": "http.response.body", "body": b"" if head else entry.body})

    def _recorder(self, key: tuple[str, bytes, str], version: str, send: Send) -> Send:
        """A ``send`` that forwards the answer and remembers it when it is a plain tile."""
        start: Message | None = None

        async def record(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif (
                message["type"] == "http.response.body"
                and start is not None
                and start["status"] == 200
                and not message.get("more_body", False)
            ):
                self._remember(key, version, list(start.get("headers", [])), message["body"])
                start = None
            else:
                start = None  # a streamed body: not remembered
            await send(message)

        return record

    def _remember(
        self, key: tuple[str, bytes, str], version: str, headers: Headers, body: bytes
    ) -> None:
        names = {name.lower(): value for name, value in headers}
        etag = names.get(b"etag")
        if (
            etag is None
            or b"content-encoding" in names
            or b"set-cookie" in names
            or not names.get(b"content-type", b"").startswith(b"image/png")
        ):
            return
        # The route says whether it rendered the tile; a replay is a cache hit.
        headers = [(n, b"hit" if n.lower() == b"x-tile-cache" else v) for n, v in headers]
        keep = [(n, v) for n, v in headers if n.lower() in _NOT_MODIFIED_KEEP]
        self._entries[key] = _Entry(version, headers, keep, etag, bytes(body))
        self._entries.move_to_end(key)
        while len(self._entries) > self.maxsize:
            self._entries.popitem(last=False)
