"""District results: ``/districts`` (GeoJSON), ``/districts/{code}``, ``/districts.csv``.

Without weight parameters the build's own table is served; with ``profile``,
``weights`` or ``method`` the composite hazard, risk, class, rank and drivers are
recomputed by :meth:`layers.result.BuildResult.rescore` (the same code as the build).
The bodies come from :mod:`api.district_cache`, which makes each part once per build.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from aralrisk.api import district_cache, openapi
from aralrisk.api.caching import cached, not_modified
from aralrisk.api.i18n import N_
from aralrisk.api.params import SimplifyParam, WeightQuery
from aralrisk.api.problems import ApiError
from aralrisk.api.schemas import DistrictCollection, DistrictDetail
from aralrisk.api.state import current_build
from aralrisk.geo.errors import ConfigError
from aralrisk.geo.vectors import DISTRICT_CODE_PATTERN
from aralrisk.layers.result import BuildResult

router = APIRouter(tags=["districts"])
GEOJSON = "application/geo+json"
CSV = "text/csv; charset=utf-8"

DistrictCode = Annotated[
    str,
    Path(
        pattern=DISTRICT_CODE_PATTERN,  # what a build accepts as a code
        description="District code (the build's id field, e.g. ADM2_PCODE)",
        examples=["KZ433200"],
    ),
]


def _body(make: Callable[[], bytes]) -> bytes:
    """``make()``, with a weighting that rescoring rejects answered as a 422 problem."""
    try:
        return make()
    except ConfigError as exc:
        raise ApiError(422, str(exc)) from None


@router.get(
    "/districts",
    response_model=DistrictCollection,
    response_class=openapi.GeoJSONResponse,
    responses=openapi.errors(404, 422),
    summary="Every district with its results (GeoJSON)",
)
def districts(
    request: Request,
    build: Annotated[BuildResult, Depends(current_build)],
    params: WeightQuery,
    simplify: SimplifyParam = 0.0,
) -> Response:
    """Every district with its results, in rank order (1 = highest risk).

    Per-layer values, scores, levels and coverage, the composite hazard, exposure,
    vulnerability, lack of coping capacity, risk, class, rank, drivers and confidence.
    `profile`, `weights` and `method` recompute composite, risk and rank; the realised
    weights are returned with them.
    """
    if (unchanged := not_modified(request, build.version)) is not None:
        return unchanged
    weighting = params.weighting(build)
    own = not params.given
    body = _body(lambda: district_cache.collection(build, weighting, simplify, own=own))
    return cached(request, build.version, body, GEOJSON)


@router.get(
    "/districts.csv",
    response_class=openapi.CSVResponse,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        **openapi.errors(404, 422),
    },
    summary="The district table (CSV)",
)
def districts_csv(
    request: Request,
    build: Annotated[BuildResult, Depends(current_build)],
    params: WeightQuery,
) -> Response:
    """The district results as CSV.

    UTF-8, with district centroids in degrees: the same columns as the build's
    `districts.csv`. Weight parameters as for `/districts`.
    """
    if (unchanged := not_modified(request, build.version)) is not None:
        return unchanged
    weighting = params.weighting(build)
    body = _body(lambda: district_cache.csv(build, weighting, own=not params.given))
    response = cached(request, build.version, body, CSV)
    response.headers["Content-Disposition"] = 'attachment; filename="districts.csv"'
    return response


@router.get(
    "/districts/{code}",
    response_model=DistrictDetail,
    response_class=openapi.GeoJSONResponse,
    responses=openapi.errors(404, 422),
    summary="One district with full detail (GeoJSON)",
)
def district(
    request: Request,
    code: DistrictCode,
    build: Annotated[BuildResult, Depends(current_build)],
    params: WeightQuery,
    simplify: SimplifyParam = 0.0,
) -> Response:
    """One district with full detail.

    Every result of `/districts` plus, per layer, its value, score,
    level with its label and the threshold behind it, data coverage and people in
    high-hazard cells.
    """
    if not district_cache.has_district(build, code):
        raise ApiError(
            404,
            N_("unknown district {code}; the districts are listed at /districts"),
            code=repr(code),
        )
    if (unchanged := not_modified(request, build.version)) is not None:
        return unchanged
    weighting = params.weighting(build)
    own = not params.given
    body = _body(lambda: district_cache.detail(build, code, weighting, simplify, own=own))
    return cached(request, build.version, body, GEOJSON)
