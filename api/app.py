"""The FastAPI application: :func:`create_app` assembles the routers of :mod:`api.routers`."""

from __future__ import annotations

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware

from aralrisk.api import apidocs, openapi, problems
from aralrisk.api.fastpath import TileFastPath
from aralrisk.api.middleware import (
    BodyLimit,
    HeadAsGet,
    RootPath,
    SecurityHeaders,
    VariantHeaders,
)
from aralrisk.api.params import single_valued_query
from aralrisk.api.routers import alerts as forecast_alerts
from aralrisk.api.routers import builds, catalog, districts, health, places, query, tiles
from aralrisk.api.routers import map as risk_map
from aralrisk.api.routers import series as district_series
from aralrisk.api.settings import Settings
from aralrisk.api.state import BuildStore

DESCRIPTION = """
Hazard and risk indices for the districts of Kyzylorda oblast (Kazakhstan): river and
ice-jam floods, dust and salt storms from the dried Aral seabed, heat, drought and
groundwater salinity, combined INFORM-style with exposure, vulnerability and lack of
coping capacity. Read-only: every response comes from one published build, named in
the `X-Build-Version` header. Errors are RFC 9457 problem details.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application for ``settings`` (default: from ``ARALRISK_*`` variables)."""
    settings = settings or Settings()
    app = FastAPI(
        title="aralrisk",
        summary="Environmental hazard and risk indices for Kyzylorda oblast",
        description=DESCRIPTION,
        version="1.0",
        responses=problems.PROBLEM_RESPONSES,
        dependencies=[Depends(single_valued_query)],
        # Swagger UI and ReDoc are served from installed packages (api.apidocs), not
        # from FastAPI's CDN defaults, so /docs and /redoc work offline.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.builds = BuildStore(settings.build_dir)
    problems.install(app)
    app.include_router(health.router)
    app.include_router(catalog.router)
    app.include_router(districts.router)
    app.include_router(query.router)
    app.include_router(query.zonal_router(settings))
    app.include_router(tiles.router)
    app.include_router(risk_map.router)
    app.include_router(places.router)
    app.include_router(district_series.router)
    app.include_router(forecast_alerts.router)
    if settings.api_key is not None:
        # The one state-changing route exists only when a key is configured.
        app.include_router(builds.router)
    openapi.install(app)
    apidocs.install(app)
    # Outermost last: size limit, then security headers on every answer (errors too).
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(VariantHeaders)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "HEAD", "POST"],
            allow_headers=["Content-Type", "If-None-Match", "X-API-Key"],
            expose_headers=["ETag", "X-Build-Version"],
        )
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(HeadAsGet)
    if settings.root_path:
        app.add_middleware(RootPath, root_path=settings.root_path)
    # Outermost: a tile served once is answered from memory, before all of the above.
    store = app.state.builds
    app.add_middleware(
        TileFastPath,
        version=lambda: store.get().version,
        maxsize=settings.tile_cache_size,
        cors=bool(settings.cors_origins),
    )
    return app
