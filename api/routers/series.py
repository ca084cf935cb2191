"""``GET /districts/{code}/series``: the yearly series behind a district's climate layers.

Served from the build's ``district_series.parquet`` (:mod:`layers.series`): heat days
per year, precipitation per hydrological year, the SPI drought status per year and the
yearly mean daily maximum. JSON groups the years per variable; ``?format=csv`` returns
the build file's rows for the district. An unknown code is a 404 problem.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import pandas as pd
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, Field

from aralrisk.api import openapi
from aralrisk.api.caching import cached, not_modified
from aralrisk.api.i18n import N_
from aralrisk.api.map.cache import VersionedCache
from aralrisk.api.problems import ApiError
from aralrisk.api.state import current_build
from aralrisk.geo.vectors import DISTRICT_CODE_PATTERN
from aralrisk.layers import series
from aralrisk.layers.result import BuildResult

router = APIRouter(tags=["districts"])
CSV = "text/csv; charset=utf-8"

_tables: VersionedCache[pd.DataFrame] = VersionedCache(size=2)


class Series(BaseModel):
    """One yearly series of one district."""

    layer: str = Field(description="the climate layer it lies behind", examples=["heat_days"])
    variable: str = Field(examples=["heat_days"])
    units: str = Field(examples=["d"])
    years: list[int] = Field(description="year of each value (hydrological: the year it ends)")
    period_start: list[str] = Field(description="first day of each period, YYYY-MM-DD")
    values: list[float | None] = Field(description="null where the year failed its checks")


class DistrictSeries(BaseModel):
    """Every yearly series of one district."""

    code: str = Field(examples=["KZ433200"])
    name: str = Field(examples=["Aral"])
    build: str = Field(description="the build version the series come from")
    series: list[Series]


def _table(build: BuildResult) -> pd.DataFrame:
    return _tables.get_or_make(build.version, "series", lambda: series.read(build.path))


def _number(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


@router.get(
    "/districts/{code}/series",
    response_model=DistrictSeries,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        **openapi.errors(404, 422),
    },
    summary="The yearly series behind a district's climate layers",
)
def district_series(
    request: Request,
    code: Annotated[
        str,
        Path(
            pattern=DISTRICT_CODE_PATTERN,
            description="District code (the build's id field, e.g. ADM2_PCODE)",
            examples=["KZ433200"],
        ),
    ],
    build: Annotated[BuildResult, Depends(current_build)],
    format: Annotated[
        Literal["json", "csv"], Query(description="json (grouped by variable) or csv (rows)")
    ] = "json",
) -> Response:
    """Per climate layer, the district's yearly series (see `layers/series.py`).

    `heat_days` (days per calendar year above the layer's threshold), `precipitation`
    (mm per hydrological year, named by the year it ends in), `spi_severe_months` (% of
    the year's months with SPI-12 below the threshold) and `spi` (the year's mean SPI-12),
    `tasmax_mean` (°C). Each value is the district statistic of the layer it lies
    behind, computed as the build computes the layer.
    """
    codes = [str(c) for c in build.districts["code"]]
    if code not in codes:
        raise ApiError(
            404,
            N_("unknown district {code}; the districts are listed at /districts"),
            code=repr(code),
        )
    if (unchanged := not_modified(request, build.version, format)) is not None:
        return unchanged
    rows = _table(build)
    rows = rows[rows["code"] == code]
    if format == "csv":
        response = cached(request, build.version, rows.to_csv(index=False), CSV, extra=format)
        response.headers["Content-Disposition"] = f'attachment; filename="{code}_series.csv"'
        return response
    name = str(build.districts.loc[build.districts["code"] == code, "name"].iloc[0])
    groups = [
        Series(
            layer=str(layer),
            variable=str(variable),
            units=str(part["units"].iloc[0]),
            years=[int(y) for y in part["year"]],
            period_start=[str(p) for p in part["period_start"]],
            values=[_number(float(v)) for v in part["value"]],
        )
        for (layer, variable), part in rows.groupby(["layer", "variable"], sort=False)
    ]
    body = DistrictSeries(code=code, name=name, build=build.version, series=groups)
    return cached(request, build.version, body.model_dump_json(), "application/json", extra=format)
