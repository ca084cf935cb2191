"""HTTP caching tied to the build: ETag, Cache-Control, 304 Not Modified.

Everything the API serves is a pure function of the published build and the request,
so the ETag is a hash of the build version and the request's path and query. A client
(browser, tile cache, proxy) revalidates with ``If-None-Match`` and gets ``304`` without
the body while the build is unchanged; a new build changes every ETag.
"""

from __future__ import annotations

import hashlib

from fastapi import Request, Response

#: Seconds a client may reuse a response without revalidating.
MAX_AGE = 300
BUILD_HEADER = "X-Build-Version"


def etag_for(request: Request, version: str, extra: str = "") -> str:
    """A strong ETag for ``request`` under build ``version``."""
    key = f"{version}|{request.url.path}|{request.url.query}|{extra}"
    return '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'


def matches(request: Request, etag: str) -> bool:
    """True when ``If-None-Match`` names ``etag`` (weak comparison, RFC 9110 13.1.2).

    Weak comparison because a compressed answer carries the weak form of the same
    validator (:class:`~api.middleware.VariantHeaders`): both variants revalidate.
    """
    header = request.headers.get("if-none-match")
    if not header:
        return False
    candidates = {c.strip().removeprefix("W/") for c in header.split(",")}
    return "*" in candidates or etag in candidates


def cache_headers(etag: str, version: str, max_age: int = MAX_AGE) -> dict[str, str]:
    """The caching headers of a build-derived response."""
    return {
        "ETag": etag,
        "Cache-Control": f"public, max-age={max_age}",
        BUILD_HEADER: version,
        "Vary": "Accept-Encoding",
    }


def not_modified(request: Request, version: str, extra: str = "") -> Response | None:
    """A ``304`` response when the client already holds this version, else ``None``."""
    etag = etag_for(request, version, extra)
    if matches(request, etag):
        return Response(status_code=304, headers=cache_headers(etag, version))
    return None


def cached(
    request: Request,
    version: str,
    content: bytes | str,
    media_type: str,
    *,
    extra: str = "",
    max_age: int = MAX_AGE,
) -> Response:
    """``content`` with ETag/Cache-Control/X-Build-Version, or ``304`` if unchanged."""
    etag = etag_for(request, version, extra)
    headers = cache_headers(etag, version, max_age)
    if matches(request, etag):
        return Response(status_code=304, headers=headers)
    return Response(content=content, media_type=media_type, headers=headers)
