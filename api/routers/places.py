"""Settlements: ``GET /places`` (GeoJSON) and ``GET /places.csv``, filtered on request.

The build's settlements (``[inputs.places]``, :mod:`layers.places`): each one's
district, every hazard's value and level at its cell and its highest level within the
build's radius, its people, people exposed, children under 5 and people over 65.
``?district=`` keeps one district, ``?hazard=`` and ``?level=`` keep the settlements
where a hazard (or, without ``hazard``, any weighted hazard) reaches at least that
level within the radius. Unknown values are a 422 problem naming the known ones.
"""

from __future__ import annotations

import json
import math
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from aralrisk.api import openapi
from aralrisk.api.caching import cached, not_modified
from aralrisk.api.i18n import N_
from aralrisk.api.map.cache import VersionedCache
from aralrisk.api.params import UNKNOWN_FILTER
from aralrisk.api.problems import ApiError
from aralrisk.api.state import current_build
from aralrisk.geo import index
from aralrisk.geo.csvfiles import csv_bytes
from aralrisk.layers import places
from aralrisk.layers.result import BuildResult

router = APIRouter(tags=["places"])
GEOJSON = "application/geo+json"
CSV = "text/csv; charset=utf-8"

#: Levels a filter may name, lowest first, with their codes.
LEVELS: dict[str, int] = {"very_low": index.VERY_LOW, "low": index.LOW, "medium": 2, "high": 3}
LevelName = Literal["very_low", "low", "medium", "high"]

_tables: VersionedCache[pd.DataFrame | None] = VersionedCache(size=2)


class PlaceProperties(BaseModel):
    """One settlement; per hazard ``<id>_value``, ``_level``, ``_level_around``, ``_exposed``."""

    model_config = ConfigDict(extra="allow")

    id: str = Field(description="OpenStreetMap node id", examples=["1516439224"])
    name: str = Field(examples=["Түгіскен"])
    name_kk: str = Field(description="Kazakh name (empty when untagged)")
    name_ru: str = Field(description="Russian name (empty when untagged)")
    name_en: str = Field(description="English name (empty when untagged)")
    place: str = Field(description="OSM place kind", examples=["village"])
    district: str = Field(description="code of the district holding it", examples=["KZ434000"])
    district_name: str = Field(examples=["Zhanakorgan"])
    lon: float = Field(description="longitude, degrees (EPSG:4326)")
    lat: float = Field(description="latitude, degrees (EPSG:4326)")
    people: float | None = Field(
        description="people in the cells within the radius nearest to this settlement"
    )
    people_exposed: float | None = Field(
        description="of them, people in cells above a hazard's exposure threshold"
    )
    children_under5: float | None = Field(description="people x the district's share under 5")
    elderly_over65: float | None = Field(description="people x the district's share over 65")
    hazard_level: int = Field(description="highest weighted hazard level at the point")
    hazard_level_around: int = Field(description="highest weighted hazard level within radius")
    high_hazards: list[str] = Field(description="hazards high within the radius")


class PlaceFeature(BaseModel):
    """A settlement as a GeoJSON point feature."""

    type: Literal["Feature"] = "Feature"
    id: str
    geometry: dict[str, Any]
    properties: PlaceProperties


class PlaceCollection(BaseModel):
    """The settlements of a build (after the filters)."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    build: str
    radius_km: float = Field(description="radius of a settlement's people and surroundings")
    values: dict[str, dict[str, str]] = Field(
        description="per hazard, the layer its `<id>_value` is read from and its units"
    )
    count: int
    attribution: str
    features: list[PlaceFeature]


def table_of(build: BuildResult) -> pd.DataFrame:
    """The build's settlements (read once per build).

    Raises:
        ApiError: 404 when the build has no settlements.
    """
    table = _tables.get_or_make(
        build.version, "places", lambda: places.built_places(build.path, build.manifest)
    )
    if table is None:
        raise ApiError(
            404,
            N_(
                "this build has no settlements: add [inputs.places] to its build "
                "configuration and build again"
            ),
        )
    return table


def _choice(value: str, known: list[str], what: str) -> str:
    if value not in known:
        raise ApiError(422, UNKNOWN_FILTER[what], value=repr(value[:64]), known=", ".join(known))
    return value


def select(
    build: BuildResult,
    table: pd.DataFrame,
    district: str | None,
    hazard: str | None,
    level: str | None,
) -> pd.DataFrame:
    """The rows the filters keep (validated against the build).

    Raises:
        ApiError: 422 for an unknown district, hazard or level.
    """
    out = table
    if district is not None:
        codes = [str(c) for c in build.districts["code"]]
        out = out[out["district"] == _choice(district, codes, "district")]
    if hazard is not None:
        built = [h.id for h in build.registry.hazards if f"{h.id}_level_around" in table]
        column = f"{_choice(hazard, built, 'hazard')}_level_around"
    else:
        column = "hazard_level_around"
    if level is not None or hazard is not None:
        minimum = LEVELS[_choice(level or "low", list(LEVELS), "level")]
        out = out[out[column] >= minimum]
    return out


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return _clean(value.item())
    return value


def collection(build: BuildResult, rows: pd.DataFrame) -> dict[str, Any]:
    """The settlements as a GeoJSON FeatureCollection (RFC 7946, EPSG:4326)."""
    features = []
    for record in rows.to_dict("records"):
        props = {k: _clean(v) for k, v in record.items()}
        features.append(
            {
                "type": "Feature",
                "id": props["id"],
                "geometry": {"type": "Point", "coordinates": [props["lon"], props["lat"]]},
                "properties": props,
            }
        )
    meta = build.manifest.get("places", {})
    registry = build.registry
    shown = {
        h.id: h.exposure.layer if h.exposure is not None else next(iter(h.layers))
        for h in registry.hazards
    }
    return {
        "type": "FeatureCollection",
        "build": build.version,
        "radius_km": meta.get("radius_km"),
        # What each hazard's `<id>_value` is: the layer it is read from, and its units.
        "values": {
            hazard: {"layer": layer, "units": registry[layer].units_label}
            for hazard, layer in shown.items()
            if layer in registry and f"{hazard}_value" in rows
        },
        "count": len(features),
        "attribution": str(build.manifest.get("attribution") or ""),
        "features": features,
    }


def to_csv(rows: pd.DataFrame) -> bytes:
    """The settlements as CSV (``high_hazards`` comma-separated in one cell).

    UTF-8 with BOM and formula-like text escaped, as every CSV (:mod:`geo.csvfiles`).
    """
    flat = rows.assign(high_hazards=[",".join(h) for h in rows["high_hazards"]])
    return csv_bytes(flat)


District = Annotated[
    str | None,
    Query(
        max_length=64,
        description="Keep one district (its code, see `/districts`)",
        examples=["KZ434000"],
    ),
]
Hazard = Annotated[
    str | None,
    Query(
        max_length=64,
        description="Keep settlements this hazard reaches (at least `level`, default low) "
        "within the radius; hazard ids at `/hazards`",
        examples=["river_flood"],
    ),
]
Level = Annotated[
    LevelName | None,
    Query(
        description="Lowest level kept within the radius: of `hazard`, or without it of "
        "the highest weighted hazard",
    ),
]


@router.get(
    "/places",
    response_model=PlaceCollection,
    response_class=openapi.GeoJSONResponse,
    responses=openapi.errors(404, 422),
    summary="Settlements with their district, hazards and people (GeoJSON)",
)
def places_geojson(
    request: Request,
    build: Annotated[BuildResult, Depends(current_build)],
    district: District = None,
    hazard: Hazard = None,
    level: Level = None,
) -> Response:
    """The build's settlements (OpenStreetMap places) as GeoJSON points.

    Each with its district, every hazard's value and level at its cell and its highest
    level within the build's radius (`radius_km`), its people, people exposed to a
    hazard, and children under 5 and people over 65 (its district's shares applied).
    """
    table = table_of(build)
    rows = select(build, table, district, hazard, level)
    if (unchanged := not_modified(request, build.version)) is not None:
        return unchanged
    body = json.dumps(collection(build, rows), ensure_ascii=False, separators=(",", ":"))
    return cached(request, build.version, body.encode("utf-8"), GEOJSON)


@router.get(
    "/places.csv",
    response_class=openapi.CSVResponse,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        **openapi.errors(404, 422),
    },
    summary="Settlements with their district, hazards and people (CSV)",
)
def places_csv(
    request: Request,
    build: Annotated[BuildResult, Depends(current_build)],
    district: District = None,
    hazard: Hazard = None,
    level: Level = None,
) -> Response:
    """The same settlements and filters as `/places`, as CSV with `lon`/`lat` in degrees."""
    table = table_of(build)
    rows = select(build, table, district, hazard, level)
    if (unchanged := not_modified(request, build.version)) is not None:
        return unchanged
    response = cached(request, build.version, to_csv(rows), CSV)
    response.headers["Content-Disposition"] = 'attachment; filename="places.csv"'
    return response
