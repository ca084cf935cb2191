"""XYZ tiles and TileJSON: layers, derived surfaces, the composite on the fly, the basemap.

Every tile is a Web Mercator PNG (256 px, or 512 with ``?tilesize=512``) with an ETag
tied to the build version and the query, so map clients and proxies revalidate with
``If-None-Match`` and get ``304``. Rendered tiles are kept in an in-process LRU cache
keyed by build version, path and normalised query (``ARALRISK_TILE_CACHE_SIZE``).

The routes are ``async`` but do no blocking work on the event loop: cache hits and
``304`` answers are served at once, and rendering (GDAL reads, NumPy, zlib) runs in
the bounded raster pool of :mod:`api.blocking`, so a burst of tile requests can
neither block the loop nor take every thread of the shared pool that ``/healthz`` and
the JSON endpoints run in.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Hashable
from pathlib import Path as FilePath
from typing import Annotated, Any

import morecantile
from anyio import CapacityLimiter
from fastapi import APIRouter, Depends, Request, Response

from aralrisk.api import openapi
from aralrisk.api.blocking import run_blocking
from aralrisk.api.caching import cached, not_modified
from aralrisk.api.i18n import N_
from aralrisk.api.params import WeightQuery
from aralrisk.api.problems import ApiError
from aralrisk.api.state import current_build
from aralrisk.api.tiles import render
from aralrisk.api.tiles.cache import TileCache
from aralrisk.api.tiles.params import (
    CompositeQuery,
    LayerId,
    LayerTileQuery,
    TileJSON,
    TileQuery,
    TileX,
    TileY,
    TileZ,
)
from aralrisk.api.tiles.readers import RasterInfo, known_raster_info, raster_info
from aralrisk.api.tiles.sources import basemap_source, hydrography_path, tile_source
from aralrisk.layers.result import BuildResult

router = APIRouter(tags=["tiles"])

PNG = "image/png"
GEOJSON = "application/geo+json"
#: Tiles rendered at once per process (further requests wait their turn).
RENDERS_AT_ONCE = max(1, os.cpu_count() or 1)
_PREFIX = re.compile(r"^(/[A-Za-z0-9._~-]+)+$")


class PNGResponse(Response):
    """Documents a route's body as a PNG image."""

    media_type = PNG


def _render_limiter(request: Request) -> CapacityLimiter:
    """At most one tile render per core, made on first use (inside the event loop).

    Rendering is CPU-bound: more renders at once than cores add no throughput and
    leave the event loop (``/healthz``, cache hits, JSON answers) waiting for a core.
    Measured on 2 cores under 8 clients: the same tiles/s with 2 renders at once as
    with 4, and a third of the ``/healthz`` latency.
    """
    state = request.app.state
    limiter: CapacityLimiter | None = getattr(state, "tile_render_limiter", None)
    if limiter is None:
        limiter = state.tile_render_limiter = CapacityLimiter(RENDERS_AT_ONCE)
    return limiter


def _tile_cache(request: Request) -> TileCache:
    """The application's tile cache, made on first use (routes run on the event loop)."""
    state = request.app.state
    cache: TileCache | None = getattr(state, "tile_cache", None)
    if cache is None:
        cache = TileCache(state.settings.tile_cache_size)
        state.tile_cache = cache
    return cache


async def _raster_info(request: Request, build: BuildResult, path: FilePath) -> RasterInfo:
    info = known_raster_info(build.version, path)
    if info is None:
        # Opening the raster the first time is file I/O: keep it off the event loop.
        info = await run_blocking(request, raster_info, build.version, path)
    return info


#: Why a zoom has no tiles, per kind of tiled surface.
ZOOM_OUTSIDE = {
    "layer": N_(
        "layer {layer} has tiles from zoom {minzoom} to {maxzoom}; zoom {z} is outside that range"
    ),
    "composite": N_(
        "the composite has tiles from zoom {minzoom} to {maxzoom}; zoom {z} is outside that range"
    ),
    "basemap": N_(
        "the basemap has tiles from zoom {minzoom} to {maxzoom}; zoom {z} is outside that range"
    ),
}


def _check_tile(
    info: RasterInfo, z: int, x: int, y: int, what: str, layer: str = ""
) -> morecantile.Tile | None:
    """The tile ``z/x/y`` if ``what`` has data under it, ``None`` for an empty tile.

    Inside the layer's zoom range (TileJSON ``minzoom``..``maxzoom``) every tile exists:
    one outside the data's bounds is an empty transparent tile (``None`` here), not a
    404, so clients that read a fixed window (GDAL's WMS/TMS driver, QGIS) need no
    ``ZeroBlockHttpCodes``. Only tiles that cannot exist are errors.

    Args:
        info: The tiled raster's zoom range and bounds.
        z: Zoom level.
        x: Column.
        y: Row.
        what: ``layer``, ``composite`` or ``basemap`` (a key of :data:`ZOOM_OUTSIDE`).
        layer: The layer id (for ``what="layer"``).

    Raises:
        ApiError: 422 when x or y do not exist at zoom z; 404 when the zoom is outside
            the layer's range.
    """
    n = 2**z
    if x >= n or y >= n:
        raise ApiError(
            422,
            N_("tile {z}/{x}/{y} does not exist: at zoom {z}, x and y run from 0 to {last}"),
            z=z,
            x=x,
            y=y,
            last=n - 1,
        )
    if not info.minzoom <= z <= info.maxzoom:
        raise ApiError(
            404,
            ZOOM_OUTSIDE[what],
            layer=repr(layer),
            minzoom=info.minzoom,
            maxzoom=info.maxzoom,
            z=z,
        )
    tile = morecantile.Tile(x, y, z)
    return tile if info.covers(tile) else None


def _empty_tile(request: Request, build: BuildResult, tilesize: int) -> Response:
    """A transparent tile (outside the data) with the caching headers of any tile."""
    if (unchanged := not_modified(request, build.version)) is not None:
        return unchanged
    response = cached(request, build.version, render.empty_tile(tilesize), PNG)
    response.headers["X-Tile-Cache"] = "empty"
    return response


async def _serve_tile(
    request: Request,
    build: BuildResult,
    key: Hashable,
    draw: Callable[[], bytes],
) -> Response:
    """A tile from the cache or from ``draw`` (in a worker thread), with caching headers."""
    if (unchanged := not_modified(request, build.version)) is not None:
        return unchanged
    cache = _tile_cache(request)
    full_key = (build.version, request.url.path, key)
    png = cache.get(full_key)
    status = "hit"
    if png is None:
        status = "miss"
        async with _render_limiter(request):
            png = await run_blocking(request, draw)
        cache.put(full_key, png)
    # The same max-age as the JSON answers, so a map never shows tiles of an older
    # build than its legend and district values for long; revalidation costs a 304.
    response = cached(request, build.version, png, PNG)
    response.headers["X-Tile-Cache"] = status
    return response


def _public_url(request: Request, name: str, **params: str) -> str:
    """Absolute URL of route ``name`` as the client sees it.

    ``url_for`` honours the root path and the scheme and host the server was told by a
    trusted proxy; a proxy that strips a path prefix says so in ``X-Forwarded-Prefix``.
    """
    url = request.url_for(name, **params)
    prefix = request.headers.get("x-forwarded-prefix", "").rstrip("/")
    if prefix and _PREFIX.match(prefix) and not url.path.startswith(prefix + "/"):
        url = url.replace(path=prefix + url.path)
    # url_for escapes nothing in these names, but the template's braces must survive.
    return str(url).replace("%7B", "{").replace("%7D", "}")


def _same_query(request: Request) -> str:
    """The request's query, for a tile URL template that draws what the TileJSON says."""
    return "?" + request.url.query if request.url.query else ""


def _attribution(build: BuildResult) -> str:
    text = str(build.manifest.get("attribution") or "aralrisk")
    if build.manifest.get("illustrative"):
        text += " — illustrative sample data, not for decisions"
    return text


def _tilejson(
    request: Request,
    build: BuildResult,
    info: RasterInfo,
    url: str,
    name: str,
    description: str,
) -> Response:
    west, south, east, north = info.bounds
    center_zoom = min(info.minzoom + 2, info.native_maxzoom)
    doc = TileJSON(
        name=name,
        description=description,
        attribution=_attribution(build),
        tiles=[url],
        minzoom=info.minzoom,
        maxzoom=info.maxzoom,
        bounds=[round(v, 6) for v in info.bounds],
        center=[round((west + east) / 2, 6), round((south + north) / 2, 6), int(center_zoom)],
    )
    # The URLs depend on the prefix and host, so they are part of the ETag.
    response = cached(request, build.version, doc.model_dump_json(), "application/json", extra=url)
    response.headers["Vary"] = "Accept-Encoding, X-Forwarded-Prefix"
    return response


TILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {PNG: {}},
        "description": "A PNG tile (transparent where no data, wholly transparent outside "
        "the layer's bounds)",
    },
    304: {"description": "Not modified: the client's copy (If-None-Match) is current"},
    **openapi.errors(404, 422),
}
TILEJSON_RESPONSES: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified"},
    **openapi.errors(404, 422),
}


@router.get(
    "/layers/{layer_id}/tiles/{z}/{x}/{y}.png",
    name="layer_tile",
    response_class=PNGResponse,
    summary="A map tile of one layer",
    responses=TILE_RESPONSES,
)
async def layer_tile(
    request: Request,
    layer_id: LayerId,
    z: TileZ,
    x: TileX,
    y: TileY,
    params: LayerTileQuery,
    build: Annotated[BuildResult, Depends(current_build)],
) -> Response:
    """A Web Mercator tile of a layer, coloured by class as its legend says.

    `?values=raw` (default) draws the layer's values in its four level colours (very
    low .. high, cut at its thresholds); `?values=score` its 0-10 score in the five
    INFORM classes. `composite`, `vulnerability` and `lack_of_coping` are the build's
    0-10 surfaces; `exposed` is people per km2 living where a hazard reaches its
    exposure threshold, in its own classes (transparent where nobody is exposed).
    Transparent outside the data.
    """
    source = tile_source(build, layer_id, params.values)
    info = await _raster_info(request, build, source.path)
    tile = _check_tile(info, z, x, y, "layer", layer_id)
    if tile is None:
        return _empty_tile(request, build, params.tilesize)
    return await _serve_tile(
        request,
        build,
        (source.raster, params.tilesize),
        lambda: render.layer_tile(build, source, tile, params.tilesize),
    )


@router.get(
    "/layers/{layer_id}/tilejson.json",
    name="layer_tilejson",
    response_model=TileJSON,
    summary="TileJSON of one layer",
    responses=TILEJSON_RESPONSES,
)
async def layer_tilejson(
    request: Request,
    layer_id: LayerId,
    params: LayerTileQuery,
    build: Annotated[BuildResult, Depends(current_build)],
) -> Response:
    """TileJSON 3.0.0 of a layer's tiles (same `values` and `tilesize` as given here)."""
    source = tile_source(build, layer_id, params.values)
    info = await _raster_info(request, build, source.path)
    template = _public_url(request, "layer_tile", layer_id=layer_id, z="{z}", x="{x}", y="{y}")
    url = template + _same_query(request)
    return _tilejson(request, build, info, url, source.title, source.colors.name)


def _composite_source(build: BuildResult) -> FilePath:
    """A raster on the build grid that gives the composite tiles their extent and zooms."""
    if "composite" in build.manifest.get("rasters", {}):
        return build.raster("composite")
    layer = next(s.id for s in build.registry.hazard_layers if s.spatial)
    return build.raster(f"{layer}_score")


@router.get(
    "/composite/tiles/{z}/{x}/{y}.png",
    name="composite_tile",
    response_class=PNGResponse,
    summary="A composite hazard tile with your weights",
    responses=TILE_RESPONSES,
)
async def composite_tile(
    request: Request,
    z: TileZ,
    x: TileX,
    y: TileY,
    weights: WeightQuery,
    params: CompositeQuery,
    build: Annotated[BuildResult, Depends(current_build)],
) -> Response:
    """The multi-hazard composite computed on the fly from the hazards' layers.

    Each hazard layer's 0-10 score tile is read and combined with the given profile,
    weights (per hazard, or per layer within its hazard) and method exactly as the
    build combines them. Coloured in the INFORM classes. `target=risk` is a 422: risk
    rests on the people exposed across a district, so it is a district index
    (`/districts`); the `exposed` layer shows where the people exposed live.
    """
    params.check()
    weighting = weights.weighting(build)
    info = await _raster_info(request, build, _composite_source(build))
    tile = _check_tile(info, z, x, y, "composite")
    if tile is None:
        return _empty_tile(request, build, params.tilesize)
    shares = render.layer_shares(build.registry, weighting)
    positive = tuple(sorted((k, round(w, 9)) for k, w in shares.items() if w > 0))
    key = ("hazard", weighting.method, positive, params.tilesize)
    return await _serve_tile(
        request,
        build,
        key,
        lambda: render.composite_tile(build, weighting, tile, params.tilesize),
    )


@router.get(
    "/composite/tilejson.json",
    name="composite_tilejson",
    response_model=TileJSON,
    summary="TileJSON of the composite hazard with your weights",
    responses=TILEJSON_RESPONSES,
)
async def composite_tilejson(
    request: Request,
    weights: WeightQuery,
    params: CompositeQuery,
    build: Annotated[BuildResult, Depends(current_build)],
) -> Response:
    """TileJSON 3.0.0 of composite hazard tiles with the weights given here."""
    params.check()
    weighting = weights.weighting(build)
    info = await _raster_info(request, build, _composite_source(build))
    template = _public_url(request, "composite_tile", z="{z}", x="{x}", y="{y}")
    what = "Composite hazard"
    classes = weighting.classes.name
    description = (
        f"{what}, profile {weighting.profile}, method {weighting.method}, {classes} classes"
    )
    url = template + _same_query(request)
    return _tilejson(request, build, info, url, what, description)


@router.get(
    "/basemap/tiles/{z}/{x}/{y}.png",
    name="basemap_tile",
    response_class=PNGResponse,
    summary="A tile of the offline basemap (hillshade)",
    responses=TILE_RESPONSES,
)
async def basemap_tile(
    request: Request,
    z: TileZ,
    x: TileX,
    y: TileY,
    params: TileQuery,
    build: Annotated[BuildResult, Depends(current_build)],
) -> Response:
    """The build's own hillshade in greys, transparent outside: a map without internet."""
    info = await _raster_info(request, build, basemap_source(build))
    tile = _check_tile(info, z, x, y, "basemap")
    if tile is None:
        return _empty_tile(request, build, params.tilesize)
    return await _serve_tile(
        request,
        build,
        ("basemap", params.tilesize),
        lambda: render.basemap_tile(build, tile, params.tilesize),
    )


@router.get(
    "/basemap/tilejson.json",
    name="basemap_tilejson",
    response_model=TileJSON,
    summary="TileJSON of the offline basemap",
    responses=TILEJSON_RESPONSES,
)
async def basemap_tilejson(
    request: Request,
    params: TileQuery,
    build: Annotated[BuildResult, Depends(current_build)],
) -> Response:
    """TileJSON 3.0.0 of the hillshade basemap."""
    info = await _raster_info(request, build, basemap_source(build))
    url = _public_url(request, "basemap_tile", z="{z}", x="{x}", y="{y}") + _same_query(request)
    return _tilejson(request, build, info, url, "Hillshade", "offline basemap (hillshade)")


_hydrography: dict[str, bytes] = {}


def _read_hydrography(build: BuildResult) -> bytes:
    body = _hydrography.get(build.version)
    if body is None:
        body = hydrography_path(build).read_bytes()
        _hydrography.clear()  # one build is served at a time
        _hydrography[build.version] = body
    return body


@router.get(
    "/basemap/hydrography.geojson",
    name="hydrography",
    response_class=openapi.GeoJSONResponse,
    summary="Rivers, the sea and the dried seabed of the basemap",
    responses={304: {"description": "Not modified"}, **openapi.errors(404)},
)
def hydrography(
    request: Request, build: Annotated[BuildResult, Depends(current_build)]
) -> Response:
    """The build's hydrography as a GeoJSON FeatureCollection (EPSG:4326) for the map."""
    if (unchanged := not_modified(request, build.version)) is not None:
        return unchanged
    return cached(request, build.version, _read_hydrography(build), GEOJSON)
