"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) that work offline.

FastAPI's default pages load Swagger UI and ReDoc from a CDN, so on an agency network
without internet they are blank. Here their scripts and styles come from an installed
Python package, ``fastapi-offline`` (its ``static`` folder ships ``swagger-ui-dist``
and ReDoc's standalone bundle; only those files are used, not its FastAPI subclass),
and are served under ``/docs/assets/``. The pages reference nothing but this server:
relative URLs (so they work under a proxy's path prefix), no favicon or font from
elsewhere, Swagger UI's online validator badge switched off, and a
``Content-Security-Policy`` that lets a browser load nothing from another origin.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Annotated

from fastapi import FastAPI, Path, Request, Response
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html

from aralrisk.api.caching import matches
from aralrisk.api.i18n import N_
from aralrisk.api.problems import ApiError

#: The package whose ``static`` folder holds the Swagger UI and ReDoc bundles.
ASSET_PACKAGE = "fastapi_offline"
#: File name -> media type of every asset served (nothing else in the folder is).
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "favicon.png": "image/png",
}
#: The assets' URLs, relative to ``/docs`` and ``/redoc`` (both at the root).
ASSET_PREFIX = "docs/assets/"
#: Seconds a browser keeps an asset: they change only with the installed package.
ASSET_MAX_AGE = 86_400


@dataclass(frozen=True)
class DocAsset:
    """One script, stylesheet or icon of the documentation pages."""

    body: bytes
    media_type: str
    etag: str


@cache
def doc_asset(name: str) -> DocAsset:
    """The asset ``name`` of :data:`ASSETS`, read once from the installed package.

    Raises:
        ApiError: 404 for a name not in :data:`ASSETS`.
    """
    if name not in ASSETS:
        raise ApiError(404, N_("no documentation asset {name}"), name=repr(name[:60]))
    body = (resources.files(ASSET_PACKAGE) / "static" / name).read_bytes()
    return DocAsset(body, ASSETS[name], '"' + hashlib.sha256(body).hexdigest()[:32] + '"')


def _script_hashes(html: str) -> str:
    """CSP source expressions allowing exactly the page's inline scripts."""
    scripts = re.findall(r"<script>(.*?)</script>", html, flags=re.DOTALL)
    return " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in scripts
    )


def _policy(html: str) -> str:
    """Only this server: scripts listed by hash, styles inline (both UIs inject them)."""
    return (
        "default-src 'self'; "
        f"script-src 'self' {_script_hashes(html)}; "
        "style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; "
        "font-src 'self' data:; "
        "worker-src 'self' blob:; "  # ReDoc runs its search index in a blob worker
        "connect-src 'self'; "
        "frame-ancestors 'self'; base-uri 'none'; form-action 'self'"
    )


def _asset_url(name: str) -> str:
    return ASSET_PREFIX + name + "?v=" + doc_asset(name).etag.strip('"')[:12]


@cache
def swagger_page(title: str) -> str:
    """The Swagger UI page, every URL relative to ``/docs``."""
    return bytes(
        get_swagger_ui_html(
            openapi_url="openapi.json",
            title=f"{title} - Swagger UI",
            swagger_js_url=_asset_url("swagger-ui-bundle.js"),
            swagger_css_url=_asset_url("swagger-ui.css"),
            swagger_favicon_url=_asset_url("favicon.png"),
            oauth2_redirect_url=None,
            # The default shows a badge fetched from validator.swagger.io.
            swagger_ui_parameters={"validatorUrl": None},
        ).body
    ).decode()


@cache
def redoc_page(title: str) -> str:
    """The ReDoc page, every URL relative to ``/redoc``, without Google Fonts."""
    return bytes(
        get_redoc_html(
            openapi_url="openapi.json",
            title=f"{title} - ReDoc",
            redoc_js_url=_asset_url("redoc.standalone.js"),
            redoc_favicon_url=_asset_url("favicon.png"),
            with_google_fonts=False,
        ).body
    ).decode()


def _page(html: str) -> Response:
    return Response(
        html,
        media_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": _policy(html), "Cache-Control": "no-cache"},
    )


def install(app: FastAPI) -> None:
    """Add ``/docs``, ``/redoc`` and ``/docs/assets/{name}`` to ``app``."""
    title = app.title

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> Response:
        return _page(swagger_page(title))

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> Response:
        return _page(redoc_page(title))

    @app.get("/docs/assets/{name}", include_in_schema=False)
    def docs_asset(
        request: Request,
        name: Annotated[str, Path(pattern=r"^[a-z][a-z.-]{0,63}$")],
    ) -> Response:
        asset = doc_asset(name)
        headers = {"ETag": asset.etag, "Cache-Control": f"public, max-age={ASSET_MAX_AGE}"}
        if matches(request, asset.etag):
            return Response(status_code=304, headers=headers)
        return Response(asset.body, media_type=asset.media_type, headers=headers)
