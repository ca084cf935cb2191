"""HTTP middleware: security headers, request bodies, HEAD, variant headers, root path."""

from __future__ import annotations

import json
from collections.abc import Sequence

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aralrisk.api import i18n
from aralrisk.api.i18n import N_
from aralrisk.api.problem_text import Text, render
from aralrisk.api.problems import PROBLEM_JSON

#: Headers every response carries. The map page sets its own stricter CSP.
SECURITY_HEADERS = {
    b"x-content-type-options": b"nosniff",
    b"x-frame-options": b"SAMEORIGIN",
    b"referrer-policy": b"no-referrer",
    b"cross-origin-opener-policy": b"same-origin",
    b"permissions-policy": b"geolocation=(), camera=(), microphone=()",
}


class SecurityHeaders:
    """Adds :data:`SECURITY_HEADERS` to every response that does not set them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add the headers to the response start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in SECURITY_HEADERS.items() if k not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, wrapped)


def _problem_bytes(status: int, title: str, detail: str) -> bytes:
    """An RFC 9457 problem body, for answers sent before the application runs."""
    return json.dumps(
        {"type": "about:blank", "title": title, "status": status, "detail": detail},
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")


async def _send_problem(
    scope: Scope,
    send: Send,
    status: int,
    title: str,
    detail: Text,
    extra: Sequence[tuple[bytes, bytes]] = (),
) -> None:
    """A problem answered before the application runs, in the request's language."""
    lang = i18n.request_lang(Request(scope))
    body = _problem_bytes(status, title, render(detail, lang))
    headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"content-language", lang.encode()),
        *extra,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Reads request bodies whole before a route does: at most ``max_bytes``, uncompressed.

    * A body over ``max_bytes`` is a 413, whether its ``Content-Length`` says so or it
      arrives chunked without one: the body is counted as it is read, here, so the
      answer is never the framework's "error parsing the body" (400).
    * A body with a ``Content-Encoding`` (gzip, br, ...) is a 415 with
      ``Accept-Encoding: identity`` (RFC 9110, 15.5.16 and 12.5.3): no route takes
      compressed bodies, and inflating them would bypass the size limit.

    The body read is handed to the application as one message, so it is held in memory
    at most once, up to ``max_bytes``.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _too_large(self, scope: Scope, send: Send) -> None:
        detail = Text(N_("the request body is larger than {most} bytes"), {"most": self.max_bytes})
        await _send_problem(scope, send, 413, "Content Too Large", detail)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length and coding, then read and count the body."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        length = headers.get("content-length")
        if length in (None, "0") and "transfer-encoding" not in headers:
            await self.app(scope, receive, send)  # no body (GET, HEAD, an empty POST)
            return
        coding = headers.get("content-encoding", "").strip().lower()
        if coding not in ("", "identity"):
            detail = Text(
                N_(
                    "request bodies are accepted uncompressed only, not with Content-Encoding "
                    "{coding}: send the JSON as it is"
                ),
                {"coding": repr(coding[:20])},
            )
            await _send_problem(
                scope,
                send,
                415,
                "Unsupported Media Type",
                detail,
                [(b"accept-encoding", b"identity")],
            )
            return
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await self._too_large(scope, send)
            return
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away before sending its body
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.max_bytes:
                await self._too_large(scope, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: wait for the disconnect

        await self.app(scope, replay, send)


class HeadAsGet:
    """Answers ``HEAD`` wherever ``GET`` answers: the GET's status and headers, no body.

    RFC 9110 (9.3.2) requires a server to send the same header fields for HEAD as for
    GET; monitors, ``curl -I`` and GDAL's ``/vsicurl/`` rely on it. FastAPI's routes
    list GET only, so a HEAD would be a 405. The request goes on as a GET (``Content-
    Length`` then is the GET's, as RFC 9110 allows) and the body is dropped here.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run a HEAD as a GET and send only its start message."""
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if not message.get("more_body", False):
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


class VariantHeaders:
    """Tidies what compression adds: one ``Vary`` token each, a weak ETag for gzip.

    Starlette's GZip middleware appends ``Accept-Encoding`` to ``Vary`` even when the
    route named it already (``Vary: Accept-Encoding, Accept-Encoding``), and keeps the
    route's strong ETag on the compressed bytes, so the gzip and identity bodies would
    share one strong validator (RFC 9110, 8.8.3 forbids it). As nginx does, the ETag of
    a compressed answer is made weak (``W/"..."``): both variants still revalidate
    with ``If-None-Match`` (weak comparison, 13.1.2), and a ``304`` answers with the
    validator form the client sent. Sits outside the GZip middleware.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Rewrite ``Vary`` and ``ETag`` of the response start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        asked = Headers(scope=scope).get("if-none-match", "")

        async def tidy(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                vary = headers.getlist("vary")
                if vary:
                    tokens: dict[str, str] = {}
                    for value in vary:
                        for token in value.split(","):
                            if token.strip():
                                tokens.setdefault(token.strip().lower(), token.strip())
                    del headers["vary"]
                    headers["Vary"] = ", ".join(tokens.values())
                etag = headers.get("etag")
                if etag and not etag.startswith("W/"):
                    compressed = headers.get("content-encoding", "identity") != "identity"
                    weak_asked = message["status"] == 304 and f"W/{etag}" in asked
                    if compressed or weak_asked:
                        headers["ETag"] = f"W/{etag}"
            await send(message)

        await self.app(scope, receive, tidy)


class RootPath:
    """Sets the ASGI ``root_path`` (a proxy's path prefix) when the server did not.

    ``aralrisk serve --root-path`` hands the prefix to uvicorn; this covers other ASGI
    servers started with ``ARALRISK_ROOT_PATH`` set, so generated URLs carry the prefix.
    """

    def __init__(self, app: ASGIApp, root_path: str) -> None:
        self.app = app
        self.root_path = root_path.rstrip("/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Add the prefix to HTTP scopes that have none."""
        if scope["type"] == "http" and not scope.get("root_path"):
            scope = {**scope, "root_path": self.root_path}
        await self.app(scope, receive, send)
