"""The risk map, its static files and the district reports.

``GET /map`` is the interactive map (generated once per build and language, cached in
memory); ``GET /static/{bundle}/{file}`` serves Leaflet and our scripts from installed
packages, so the map needs nothing from the internet; ``GET /districts/{code}/report``
is the printable preparedness report of one district and ``GET /report`` the oblast's
one-page summary, each as HTML or PDF. Pages and reports are in Kazakh, Russian or
English: ``?lang=`` first, then ``Accept-Language`` (:func:`api.i18n.request_lang`).
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import HTMLResponse

from aralrisk.api import i18n, openapi
from aralrisk.api.blocking import run_blocking
from aralrisk.api.caching import cached, matches
from aralrisk.api.i18n import N_
from aralrisk.api.map import assets, csp
from aralrisk.api.map.cache import VersionedCache
from aralrisk.api.map.page import MapPage, build_page
from aralrisk.api.map.report import (
    PdfUnavailable,
    pdf_filename,
    render_oblast_report,
    render_report,
    report_pdf,
)
from aralrisk.api.map.report_alerts import alerts_version
from aralrisk.api.problems import ApiError, Problem
from aralrisk.api.routers.districts import DistrictCode
from aralrisk.api.state import current_build
from aralrisk.geo.errors import NotFoundError
from aralrisk.layers.result import BuildResult

router = APIRouter(tags=["map"])

HTML = "text/html; charset=utf-8"
PDF = "application/pdf"
#: Seconds a browser keeps a static file whose URL names its digest (``?v=``): they
#: never change under that URL. Without the digest, an hour.
IMMUTABLE_MAX_AGE = 31_536_000
ASSET_MAX_AGE = 3600

_pages: VersionedCache[tuple[MapPage, str]] = VersionedCache(size=6)
#: Report body, media type and (for HTML) its Content-Security-Policy.
_reports: VersionedCache[tuple[bytes, str, str | None]] = VersionedCache(size=64)


def _map_page(request: Request, build: BuildResult, lang: str) -> tuple[MapPage, str]:
    online = bool(request.app.state.settings.basemap_online)

    def make() -> tuple[MapPage, str]:
        page = build_page(build, online_basemap=online, lang=lang)
        return page, hashlib.sha256(page.html.encode()).hexdigest()[:16]

    return _pages.get_or_make(build.version, ("map", online, lang), make)


def _language_headers(response: Response, lang: str) -> None:
    # The answer depends on Accept-Language when ?lang= is absent: caches must know.
    response.headers["Vary"] = "Accept-Encoding, Accept-Language"
    response.headers["Content-Language"] = lang


def content_disposition(filename: str) -> str:
    """``inline`` with an ASCII ``filename`` and the UTF-8 one as RFC 5987 ``filename*``."""
    ascii_name = filename.encode("ascii", "ignore").decode("ascii").replace('"', "") or "report.pdf"
    return f"inline; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


@router.get(
    "/map",
    response_class=HTMLResponse,
    summary="The interactive risk map",
    responses={
        200: {"content": {"text/html": {}}, "description": "The map page"},
        **openapi.errors(404),
    },
)
def risk_map(request: Request, build: Annotated[BuildResult, Depends(current_build)]) -> Response:
    """The interactive risk map of the served build, for a browser.

    Districts by risk class with popups and a ranking, every layer's tiles with
    legends, weight profiles, point queries and links to the district reports. Works
    without internet: every script and style comes from this server.
    """
    lang = i18n.request_lang(request)
    page, digest = _map_page(request, build, lang)
    # Revalidated on every visit (max-age 0) so a new build shows at once.
    response = cached(request, build.version, page.html, HTML, extra=digest, max_age=0)
    response.headers["Content-Security-Policy"] = page.csp
    _language_headers(response, lang)
    return response


@router.get("/static/{bundle}/{name:path}", include_in_schema=False)
def static_file(
    request: Request,
    bundle: Annotated[str, Path(pattern=r"^[a-z]{1,32}$")],
    name: Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$", max_length=200)],
    v: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """A file of the map's static bundles (``leaflet`` or ``map``)."""
    try:
        asset = assets.asset(bundle, name)
    except NotFoundError as exc:
        raise ApiError(404, str(exc)) from None
    etag = f'"{asset.digest[:32]}"'
    immutable = v is not None and asset.digest.startswith(v)
    headers = {
        "ETag": etag,
        "Cache-Control": f"public, max-age={IMMUTABLE_MAX_AGE}, immutable"
        if immutable
        else f"public, max-age={ASSET_MAX_AGE}",
    }
    if matches(request, etag):  # weak comparison: gzip answers carry W/"..."
        return Response(status_code=304, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)


REPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/html": {}, PDF: {}},
        "description": "The report as a printable HTML page, or as PDF with `?format=pdf`",
    },
    501: {"model": Problem, "description": "PDF output is not installed on this server"},
    **openapi.errors(404, 422),
}


@router.get(
    "/districts/{code}/report",
    response_class=HTMLResponse,
    summary="Preparedness report of one district (HTML or PDF)",
    responses=REPORT_RESPONSES,
)
async def district_report(
    request: Request,
    code: DistrictCode,
    build: Annotated[BuildResult, Depends(current_build)],
    report_format: Annotated[
        Literal["html", "pdf"],
        Query(alias="format", description="`html` (printable page) or `pdf`"),
    ] = "html",
) -> Response:
    """A printable one-page preparedness report of a district.

    A map inset, each hazard's level with the threshold behind it, the people and
    vulnerable groups exposed, what drives the risk, recommended preparedness actions
    per hazard and level, data sources and the build. `?format=pdf` prints it to PDF.
    """
    if code not in set(build.districts["code"].astype(str)):
        raise ApiError(
            404,
            N_("unknown district {code}; the districts are listed at /districts"),
            code=repr(code),
        )
    lang = i18n.request_lang(request)
    row = build.districts.loc[build.districts["code"].astype(str) == code].iloc[0].to_dict()
    filename = pdf_filename(i18n.district_name(code, lang, row), build)

    def make() -> str:
        return render_report(build, code, lang=lang)

    # The report opens with the published alerts: a new alerts run makes a new report.
    key = (code, lang, alerts_version(build.path))
    return await _report_response(request, build, key, make, report_format, filename)


async def _report_response(
    request: Request,
    build: BuildResult,
    key: tuple[str, ...],
    make_html: Any,
    report_format: str,
    filename: str,
) -> Response:
    """A report as HTML (with its CSP) or PDF (named ``filename``), cached per build."""
    lang = key[1]

    def make() -> tuple[bytes, str, str | None]:
        html = make_html()
        if report_format == "pdf":
            return report_pdf(html), PDF, None
        return html.encode("utf-8"), HTML, csp.policy(html, connect=False)

    try:
        body, media_type, policy = await run_blocking(
            request, _reports.get_or_make, build.version, (*key, report_format), make
        )
    except PdfUnavailable as exc:
        raise ApiError(501, str(exc)) from None
    extra = "-".join(key[1:])  # the language, and the alerts run of a district report
    response = cached(request, build.version, body, media_type, extra=extra, max_age=0)
    if policy is not None:
        response.headers["Content-Security-Policy"] = policy
    else:
        response.headers["Content-Disposition"] = content_disposition(filename)
    _language_headers(response, lang)
    return response


@router.get(
    "/report",
    response_class=HTMLResponse,
    summary="The oblast on one printable A4 page (HTML or PDF)",
    responses=REPORT_RESPONSES,
)
async def oblast_report(
    request: Request,
    build: Annotated[BuildResult, Depends(current_build)],
    report_format: Annotated[
        Literal["html", "pdf"],
        Query(alias="format", description="`html` (printable page) or `pdf`"),
    ] = "html",
) -> Response:
    """The oblast on one printable A4 page.

    The district map, the ranking with each district's risk, hazard level and people
    exposed, every hazard's level per district, and the date of the data. `?format=pdf`
    prints it to PDF.
    """
    lang = i18n.request_lang(request)
    tr = i18n.translator(lang)
    filename = pdf_filename(tr("Oblast summary"), build)

    def make() -> str:
        return render_oblast_report(build, lang=lang)

    return await _report_response(request, build, ("*oblast*", lang), make, report_format, filename)
