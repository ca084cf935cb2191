"""Queries at a place: ``GET /point`` and ``POST /zonal``."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from fastapi.routing import APIRoute

from aralrisk.api import encoding, openapi
from aralrisk.api.blocking import run_blocking
from aralrisk.api.caching import BUILD_HEADER, cached, not_modified
from aralrisk.api.geojson import POLYGON_EXAMPLE, ZonalBody, to_polygon
from aralrisk.api.i18n import N_
from aralrisk.api.params import WeightQuery
from aralrisk.api.problems import ApiError
from aralrisk.api.query_schemas import PointResult, ZonalResult
from aralrisk.api.sampling import sample_point
from aralrisk.api.settings import Settings
from aralrisk.api.state import current_build
from aralrisk.api.zonal import zonal_statistics
from aralrisk.layers.result import BuildResult

router = APIRouter(tags=["queries"])
JSON = "application/json"


@router.get(
    "/point",
    response_model=PointResult,
    summary="Every layer at a point",
    responses=openapi.errors(404, 422),
)
async def point(
    request: Request,
    build: Annotated[BuildResult, Depends(current_build)],
    lon: Annotated[
        float,
        Query(ge=-180, le=180, allow_inf_nan=False, description="Longitude (EPSG:4326)"),
    ],
    lat: Annotated[
        float,
        Query(ge=-90, le=90, allow_inf_nan=False, description="Latitude (EPSG:4326)"),
    ],
) -> Response:
    """Every spatial layer at a point, whether it is exposed, and its district.

    The raw value (in the layer's units), score (0-10) and level of every spatial
    layer in the build grid cell holding the point; the composite hazard of that cell;
    whether any hazard reaches its exposure threshold there (and which), with the
    people per km2 exposed; and the district the point lies in with its risk, class,
    rank and hazard level (risk is a district index: a cell has none). A point outside
    the region of the build is a 422 problem.
    """
    if (unchanged := not_modified(request, build.version)) is not None:
        return unchanged
    body = await run_blocking(request, sample_point, build, lon, lat)
    return cached(request, build.version, encoding.dumps(body), JSON)


ZONAL_DOC = """Statistics of a polygon computed exactly as for a district: per layer the
district statistic (named), its area and population-weighted means, score, level
(with the threshold behind it) and data coverage; per hazard its ThinkHazard! level
and why, the people exposed and the INFORM exposure score; the people exposed to any
hazard; the composite hazard, hazard & exposure, vulnerability and lack of coping
capacity (area means of the districts covered), risk with its INFORM class, and the
drivers. The body is a GeoJSON Polygon or MultiPolygon, a Feature of one, or a
FeatureCollection of one such Feature (as QGIS and geojson.io save it), in EPSG:4326
(longitude first), sent as `Content-Type: application/json` (or
`application/geo+json`), uncompressed; `profile`, `weights` and `method` choose the
weights.

Limits (a 422 problem says which was exceeded): at most {vertices:,} vertices, at most
{area:,.0f} km2, and a request body of at most {body:,} bytes (413, chunked or not).
Another content type, or a `Content-Encoding` such as gzip, is a 415. Polygons must be
valid (no self-intersection) and must not cross the antimeridian: split such a polygon
at 180 degrees into a MultiPolygon (RFC 7946, section 3.1.9).
"""


#: Media types of a JSON body (``application/geo+json`` is what GeoJSON files are).
JSON_TYPES = ("application/json", "application/geo+json")


def require_json(request: Request) -> None:
    """Refuse a body that is not declared JSON, before the framework parses it.

    A form (``curl -d`` without ``-H``), plain text or a file upload would otherwise be
    read as "no object" and answered with a puzzling validation error. No body at all
    is left to the route (a 422 saying the body is missing).

    Raises:
        ApiError: 415 naming the content type and the one to send.
    """
    headers = request.headers
    if headers.get("content-length") in (None, "0") and "transfer-encoding" not in headers:
        return
    given = headers.get("content-type", "")
    media_type = given.partition(";")[0].strip().lower()
    if media_type in JSON_TYPES or media_type.endswith("+json"):
        return
    accept_post = {"Accept-Post": ", ".join(JSON_TYPES)}
    if not given:
        raise ApiError(
            415,
            N_(
                "the body must be GeoJSON sent as Content-Type: application/json, and it came "
                "without a Content-Type (curl: add -H 'Content-Type: application/json')"
            ),
            accept_post,
        )
    raise ApiError(
        415,
        N_(
            "the body must be GeoJSON sent as Content-Type: application/json, and it came as "
            "{given} (curl: add -H 'Content-Type: application/json')"
        ),
        accept_post,
        given=repr(given[:60]),
    )


class JSONBodyRoute(APIRoute):
    """A route whose body must be JSON: other content types are a 415 (see above)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """FastAPI's handler, after :func:`require_json`."""
        handler = super().get_route_handler()

        async def checked(request: Request) -> Response:
            require_json(request)
            return await handler(request)

        return checked


def zonal_router(settings: Settings) -> APIRouter:
    """The ``POST /zonal`` route, documented with the limits of ``settings``."""
    zonal_routes = APIRouter(tags=["queries"], route_class=JSONBodyRoute)

    @zonal_routes.post(
        "/zonal",
        response_model=ZonalResult,
        summary="Statistics of a polygon",
        responses=openapi.errors(404, 413, 415, 422),
        description=ZONAL_DOC.format(
            vertices=settings.max_zonal_vertices,
            area=settings.max_zonal_area_km2,
            body=settings.max_body_bytes,
        ),
    )
    async def zonal(
        request: Request,
        build: Annotated[BuildResult, Depends(current_build)],
        params: WeightQuery,
        body: Annotated[ZonalBody, Body(examples=[POLYGON_EXAMPLE])],
    ) -> Response:
        polygon = to_polygon(body, settings.max_zonal_vertices, settings.max_zonal_area_km2)
        weighting = params.weighting(build)
        result = await run_blocking(request, zonal_statistics, build, polygon, weighting)
        # Answers to POST are not cached, but they still name their build.
        return Response(
            encoding.dumps(result),
            media_type=JSON,
            headers={BUILD_HEADER: build.version, "Cache-Control": "no-store"},
        )

    return zonal_routes
