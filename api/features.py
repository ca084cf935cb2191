"""District results as GeoJSON features, per-layer and per-hazard explanations, CSV.

Pure functions of a district table (a :class:`~layers.result.BuildResult` table or a
rescored one) and the registry. The ``*_json`` variants assemble the same JSON from
already serialised parts, which :mod:`api.district_cache` keeps per build.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import mapping

from aralrisk.api import hazards
from aralrisk.api.encoding import dumps, join_object, members, number, plain
from aralrisk.api.hazards import level_code, level_label
from aralrisk.geo import index
from aralrisk.geo.csvfiles import csv_bytes as table_csv_bytes
from aralrisk.geo.errors import NotFoundError
from aralrisk.geo.vectors import csv_table, json_encode_nested
from aralrisk.layers.registry import LayerSpec, Registry
from aralrisk.layers.scoring import Weighting

#: Decimals of output coordinates: 1e-6 degree is about 0.1 m.
COORDINATE_DECIMALS = 6
#: Table columns that are not district properties (geometry; weights go top level).
_NOT_PROPERTIES = ("geometry", "weights")


#: What each district statistic is, in words (the map, the report and the API say it).
STATISTIC_LABELS = {
    "mean": "mean over the district",
    "weighted_mean": "mean where people live (population-weighted)",
    "p90": "90th percentile over the district",
    "max": "highest value in the district",
    "sum": "total over the district",
    "people": "people living in the district",
    "table": "district statistics",
}
#: Ranks: floats with NaN (no rank) in a table, integers or ``null`` in JSON.
RANKS = ("rank", "rank_hazard", "rank_exposed")


def level_threshold(spec: LayerSpec, level: int) -> float | None:
    """The value threshold behind a level (low, medium, high); ``None`` below or n/a."""
    if spec.levels is None or level < index.LOW:
        return None
    return float(spec.levels[min(level, index.HIGH) - 1])


def statistic(spec: LayerSpec) -> str:
    """The district statistic a layer's ``value`` is (a key of :data:`STATISTIC_LABELS`)."""
    if not spec.spatial:
        return "table"
    if spec.indicator == "population_density":
        return "people"
    return spec.district_statistic


def _hazard_of(registry: Registry, spec: LayerSpec) -> str | None:
    if spec.role != "hazard":
        return None
    try:
        return registry.hazard_of(spec.id).id
    except NotFoundError:
        return None


def layer_result(registry: Registry, spec: LayerSpec, row: Mapping[str, Any]) -> dict[str, Any]:
    """One layer's district value (its statistic named), means, score, level and coverage.

    ``value`` is the statistic the layer is scored on, in ``units``; ``mean`` (over the
    district's cells) and ``pop_mean`` (weighted by the people in each cell) are in
    ``cell_units`` and are given whichever statistic is scored.
    """
    level = level_code(row.get(f"{spec.id}_level"))
    kind = statistic(spec)
    return {
        "id": spec.id,
        "title": spec.title,
        "role": spec.role,
        "group": spec.group,
        "hazard": _hazard_of(registry, spec),
        "units": spec.district_units_label or spec.units_label,
        "cell_units": spec.units_label,
        "statistic": kind,
        "statistic_label": STATISTIC_LABELS[kind],
        "value": number(row.get(f"{spec.id}_value")),
        "mean": number(row.get(f"{spec.id}_mean")),
        "pop_mean": number(row.get(f"{spec.id}_pop_mean")),
        "score": number(row.get(f"{spec.id}_score")),
        "level": level,
        "level_label": level_label(level),
        "threshold": level_threshold(spec, level),
        "thresholds": list(spec.levels) if spec.levels is not None else None,
        "area_fraction": spec.area_fraction if spec.levels is not None else None,
        "coverage": number(row.get(f"{spec.id}_coverage")),
        "completeness": number(row.get(f"{spec.id}_completeness")),
        "people_high": number(row.get(f"{spec.id}_people_high")),
    }


def layer_results(registry: Registry, row: Mapping[str, Any]) -> list[dict[str, Any]]:
    """:func:`layer_result` of every layer of ``registry`` with a value in ``row``."""
    return [layer_result(registry, s, row) for s in registry.values() if f"{s.id}_value" in row]


def property_value(key: str, value: Any) -> Any:
    """A table value as a JSON property: ranks become integers (``None`` = not ranked)."""
    if key in RANKS:
        found = number(value)
        return int(found) if found is not None else None
    return plain(value)


def geometry(geom: shapely.Geometry | None, simplify: float = 0.0) -> dict[str, Any] | None:
    """GeoJSON geometry, simplified (topology kept) and rounded to 6 decimals."""
    if geom is None or geom.is_empty:
        return None
    if simplify > 0:
        geom = geom.simplify(simplify, preserve_topology=True)
    geom = shapely.transform(geom, lambda xy: np.round(xy, COORDINATE_DECIMALS))
    return plain(mapping(geom))


def properties(row: Mapping[str, Any]) -> dict[str, Any]:
    """The flat properties of a district: every table column but geometry and weights."""
    return {k: property_value(k, v) for k, v in row.items() if k not in _NOT_PROPERTIES}


def feature(row: Mapping[str, Any], simplify: float = 0.0) -> dict[str, Any]:
    """One district as a GeoJSON Feature with flat properties."""
    return {
        "type": "Feature",
        "id": str(row["code"]),
        "geometry": geometry(row.get("geometry"), simplify),
        "properties": properties(row),
    }


def weights_members(build_version: str, weighting: Weighting) -> dict[str, Any]:
    """Top-level members saying which build and weights a result comes from."""
    realised = weighting.to_dict()
    return {
        "build": build_version,
        "profile": realised["profile"],
        "method": realised["method"],
        "classes": realised["classes"]["name"],
        "weights": realised["weights"],
        "layer_weights": realised["layer_weights"],
        "overrides": plain(realised["overrides"]),
    }


def collection(
    districts: gpd.GeoDataFrame, build_version: str, weighting: Weighting, simplify: float = 0.0
) -> dict[str, Any]:
    """Every district as a FeatureCollection in table order, with the weights used."""
    records = districts.to_dict("records")
    return {
        "type": "FeatureCollection",
        "features": [feature(row, simplify) for row in records],
        **weights_members(build_version, weighting),
    }


def geometry_json(geom: shapely.Geometry | None, simplify: float = 0.0) -> bytes:
    """:func:`geometry` as JSON (``null`` for no geometry), to be cached and spliced."""
    return dumps(geometry(geom, simplify))


def feature_json(code: str, geometry_part: bytes, properties_part: bytes) -> bytes:
    """:func:`feature` as JSON from JSON parts, byte for byte as :func:`dumps` writes it.

    Args:
        code: The district code (the feature id).
        geometry_part: :func:`geometry_json` of the district.
        properties_part: The JSON object of its properties (:func:`join_object`).
    """
    return join_object(
        b'"type":"Feature","id":' + dumps(code),
        b'"geometry":' + geometry_part,
        b'"properties":' + properties_part,
    )


def collection_json(
    features_json: Iterable[bytes], build_version: str, weighting: Weighting
) -> bytes:
    """:func:`collection` as JSON from its features' JSON (:func:`feature_json`).

    Byte for byte what :func:`dumps` writes for :func:`collection`; the routes use it
    so that cached geometry and property JSON is not parsed and written again.
    """
    return join_object(
        b'"type":"FeatureCollection","features":[' + b",".join(features_json) + b"]",
        members(weights_members(build_version, weighting)),
    )


def detail(
    row: Mapping[str, Any],
    registry: Registry,
    build_version: str,
    weighting: Weighting,
    simplify: float = 0.0,
) -> dict[str, Any]:
    """One district as a Feature with every layer and hazard explained, and the weights."""
    out = feature(row, simplify)
    out["properties"]["layers"] = layer_results(registry, row)
    out["properties"]["hazards"] = hazards.results(registry, row)
    members = weights_members(build_version, weighting)
    members.pop("overrides")
    return {**out, **members}


def csv_bytes(districts: gpd.GeoDataFrame) -> bytes:
    """The district table as CSV, written exactly as the build writes its CSV.

    UTF-8 with BOM and formula-like text escaped (:func:`geo.csvfiles.csv_bytes`).
    """
    return table_csv_bytes(csv_table(json_encode_nested(districts)))
