"""Forecast-based district alerts: ``GET /alerts``, ``/alerts/feed.xml``, ``/alerts/{id}.xml``.

The alerts published by ``aralrisk alerts`` under ``<root>/alerts/current``
(:mod:`layers.alerts`): one GeoJSON feature per district, hazard and forecast day, the
Atom feed of the current CAP messages and every CAP 1.2 message by its identifier.
"""

from __future__ import annotations

import json
import re
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Query, Request, Response
from fastapi import Path as Path_
from morecantile import Tile

from aralrisk.api import openapi
from aralrisk.api.i18n import N_
from aralrisk.api.params import UNKNOWN_FILTER
from aralrisk.api.problem_text import Text
from aralrisk.api.problems import ApiError
from aralrisk.api.tiles.png import Palette
from aralrisk.api.tiles.readers import gdal_env, read_tile
from aralrisk.layers import alerts as engine
from aralrisk.layers.forecasts import LEVELS
from aralrisk.layers.publish import BUILDS

router = APIRouter(tags=["alerts"])
GEOJSON = "application/geo+json"
ATOM = "application/atom+xml"
CAP = "application/cap+xml"
PNG = "image/png"
#: CAP identifiers aralrisk writes (letters, digits, dots, hyphens, underscores).
_IDENTIFIER = re.compile(r"^[A-Za-z0-9._-]{1,200}$")


def _run_dir(request: Request) -> Path:
    root: Path = request.app.state.builds.root
    run = engine.current_alerts(root)
    if run is None:
        raise ApiError(
            404,
            N_("no alerts are published: run `aralrisk alerts --forecast FILE` for this build"),
        )
    return run


@lru_cache(maxsize=4)
def _collection(run: Path) -> dict[str, Any]:
    """The run's alerts.geojson, parsed once per run (a run never changes)."""
    data: dict[str, Any] = json.loads((run / "alerts.geojson").read_text(encoding="utf-8"))
    data["state"] = engine.read_state(run)
    return data


def _known(value: str | None, known: set[str], what: str) -> None:
    if value is not None and value not in known:
        choices = ", ".join(sorted(known)) or Text(N_("(none)"))
        raise ApiError(422, UNKNOWN_FILTER[what], value=repr(value[:64]), known=choices)


@router.get(
    "/alerts",
    summary="District alerts by hazard and forecast day (GeoJSON)",
    response_class=Response,
    responses={
        200: {"content": {GEOJSON: {}}, "description": "a FeatureCollection"},
        **openapi.errors(404, 422),
    },
)
def list_alerts(
    request: Request,
    hazard: Annotated[str | None, Query(description="dust, river_flood or heat")] = None,
    level: Annotated[
        str | None, Query(description="at least this level: none, yellow, orange, red")
    ] = None,
    district: Annotated[str | None, Query(description="district code", max_length=64)] = None,
    day: Annotated[date | None, Query(description="forecast day (UTC), YYYY-MM-DD")] = None,
) -> Response:
    """One feature per district, hazard and day: level, share, probability, people exposed.

    Each feature carries the district outline (simplified) and ``level``, ``share``,
    ``probability`` (ensembles), ``value_max``, ``people_exposed``, ``children_under5``,
    ``elderly_over65``, ``settlements``, ``notes``, ``lead_days``, ``issued``, ``source``
    and ``licence``. ``level`` keeps that level and above. Unknown values are a 422.
    """
    run = _run_dir(request)
    data = _collection(run)
    features = data["features"]
    props = [f["properties"] for f in features]
    _known(hazard, {p["hazard"] for p in props}, "hazard")
    _known(level, set(LEVELS), "level")
    _known(district, {p["code"] for p in props}, "district")
    days = {p["day"] for p in props}
    if day is not None and day.isoformat() not in days:
        raise ApiError(
            422,
            N_("day {day} is not forecast; forecast days: {days}"),
            day=day,
            days=", ".join(sorted(days)),
        )
    minimum = LEVELS.index(level) if level else 0
    kept = [
        f
        for f in features
        if (hazard is None or f["properties"]["hazard"] == hazard)
        and f["properties"]["level_rank"] >= minimum
        and (district is None or f["properties"]["code"] == district)
        and (day is None or f["properties"]["day"] == day.isoformat())
    ]
    state = data["state"]
    body = {
        "type": "FeatureCollection",
        "alerts": state.get("version"),
        "build": state.get("build"),
        "created": state.get("created"),
        "forecasts": state.get("forecasts", {}),
        "count": len(kept),
        "features": kept,
    }
    return Response(json.dumps(body), media_type=GEOJSON)


@router.get(
    "/alerts/feed.xml",
    summary="Atom feed of the current CAP messages",
    response_class=Response,
    responses={
        200: {"content": {ATOM: {}}, "description": "an Atom 1.0 feed"},
        **openapi.errors(404),
    },
)
def feed(request: Request) -> Response:
    """The Atom feed; each entry links its CAP 1.2 message (``/alerts/{id}.xml``)."""
    run = _run_dir(request)
    return Response((run / "feed.xml").read_bytes(), media_type=ATOM)


@router.get(
    "/alerts/{identifier}.xml",
    summary="One CAP 1.2 message",
    response_class=Response,
    responses={
        200: {"content": {CAP: {}}, "description": "a CAP 1.2 alert"},
        **openapi.errors(404, 422),
    },
)
def cap_message(request: Request, identifier: str) -> Response:
    """A CAP message by identifier (current, updated and cancelled ones alike)."""
    if not _IDENTIFIER.match(identifier):
        raise ApiError(
            422,
            N_("{identifier} is not a CAP identifier aralrisk issues"),
            identifier=repr(identifier[:64]),
        )
    path = _run_dir(request) / "cap" / f"{identifier}.xml"
    if not path.is_file():
        raise ApiError(
            404, N_("no CAP message {identifier} is published"), identifier=repr(identifier)
        )
    return Response(path.read_bytes(), media_type=CAP)


#: Palette of the forecast layer: no data and "none" transparent, then the levels.
_LEVEL_PALETTE = Palette(
    [(0, 0, 0, 0), (0, 0, 0, 0), (255, 214, 0, 170), (255, 143, 0, 190), (213, 0, 0, 200)]
)


@router.get(
    "/alerts/tiles/{forecast}/{day}/{z}/{x}/{y}.png",
    summary="Forecast layer: each cell's alert level on a forecast day (XYZ PNG tiles)",
    response_class=Response,
    responses={
        200: {"content": {PNG: {}}, "description": "a 256-px Web Mercator tile"},
        **openapi.errors(404, 422),
    },
)
def level_tile(
    request: Request,
    forecast: str,
    day: date,
    z: Annotated[int, Path_(ge=0, le=18)],
    x: Annotated[int, Path_(ge=0)],
    y: Annotated[int, Path_(ge=0)],
) -> Response:
    """Each cell's alert level on a forecast day, in yellow, orange and red.

    A cell reaches a level when the share of members above its threshold is at least
    the forecast's minimum probability; transparent elsewhere. A cell's level, not the
    district's: districts also need the share of their people or area (see `/alerts`).
    """
    run = _run_dir(request)
    forecasts = _collection(run)["state"].get("forecasts", {})
    _known(forecast, set(forecasts), "forecast")
    rasters = forecasts[forecast].get("rasters", {})
    if day.isoformat() not in rasters:
        raise ApiError(
            422,
            N_("day {day} is not forecast by {forecast}; forecast days: {days}"),
            day=day,
            forecast=forecast,
            days=", ".join(sorted(rasters)) or Text(N_("(none)")),
        )
    if x >= 2**z or y >= 2**z:
        raise ApiError(
            422,
            N_("tile {z}/{x}/{y} does not exist: x and y must be below 2**z"),
            z=z,
            x=x,
            y=y,
        )
    with gdal_env():
        values, valid = read_tile(run.name, run / rasters[day.isoformat()], Tile(x, y, z), 256)
    indices = np.where(valid, np.clip(values, 0, 3).astype(np.uint8) + 1, 0).astype(np.uint8)
    return Response(
        _LEVEL_PALETTE.encode(indices),
        media_type=PNG,
        headers={"Cache-Control": "public, max-age=3600", "X-Alerts-Version": run.name},
    )


def summary(build_dir: Path) -> dict[str, Any] | None:
    """The ``alerts`` section of ``/version``: the published run and its forecasts.

    ``build_dir`` is the served build; its alerts live in its output root's ``alerts``
    folder (or in its own, for a build served directly).
    """
    root = build_dir.parent.parent if build_dir.parent.name == BUILDS else build_dir
    run = engine.current_alerts(root)
    if run is None:
        return None
    state = engine.read_state(run)
    return {
        "version": state.get("version"),
        "created": state.get("created"),
        "build": state.get("build"),
        "forecasts": state.get("forecasts", {}),
        "messages": len(state.get("messages", [])),
    }
