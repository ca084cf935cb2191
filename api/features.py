"""District results as GeoJSON features, per-layer explanations and CSV.

Pure functions of a district table (a :class:`~layers.result.BuildResult` table or a
rescored one) and the registry. The ``*_json`` variants assemble the same JSON from
already serialised parts, which :mod:`api.district_cache` keeps per build.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import mapping

from api.encoding import dumps, join_object, members, number, plain
from geo import index
from geo.vectors import csv_table, json_encode_nested
from layers.registry import LayerSpec, Registry
from layers.scoring import Weighting

#: Decimals of output coordinates: 1e-6 degree is about 0.1 m.
COORDINATE_DECIMALS = 6
#: Table columns that are not district properties (geometry; weights go top level).
_NOT_PROPERTIES = ("geometry", "weights")


def level_label(level: Any) -> str:
    """The label of a level code (``"no data"`` when it is missing)."""
    try:
        return index.LEVEL_LABELS[int(level)]
    except (TypeError, ValueError, KeyError):
        return index.LEVEL_LABELS[index.NO_DATA]


def level_threshold(spec: LayerSpec, level: int) -> float | None:
    """The value threshold behind a level (low, medium, high); ``None`` below or n/a."""
    if spec.levels is None or level < index.LOW:
        return None
    return float(spec.levels[min(level, index.HIGH) - 1])


def layer_result(spec: LayerSpec, row: Mapping[str, Any]) -> dict[str, Any]:
    """One layer's value, score, level (with its threshold) and coverage in ``row``."""
    raw_level = number(row.get(f"{spec.id}_level"))
    level = int(raw_level) if raw_level is not None else index.NO_DATA
    return {
        "id": spec.id,
        "title": spec.title,
        "role": spec.role,
        "group": spec.group,
        "units": spec.units_label,
        "value": number(row.get(f"{spec.id}_value")),
        "score": number(row.get(f"{spec.id}_score")),
        "level": level,
        "level_label": level_label(level),
        "threshold": level_threshold(spec, level),
        "thresholds": list(spec.levels) if spec.levels is not None else None,
        "area_fraction": spec.area_fraction if spec.levels is not None else None,
        "coverage": number(row.get(f"{spec.id}_coverage")),
        "people_high": number(row.get(f"{spec.id}_people_high")),
    }


def layer_results(registry: Registry, row: Mapping[str, Any]) -> list[dict[str, Any]]:
    """:func:`layer_result` of every layer of ``registry`` present in ``row``."""
    return [layer_result(s, row) for s in registry.values() if f"{s.id}_score" in row]


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
    return {k: plain(v) for k, v in row.items() if k not in _NOT_PROPERTIES}


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
        "weights": realised["weights"],
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
    """One district as a Feature with every layer explained and the weights used."""
    out = feature(row, simplify)
    out["properties"]["layers"] = layer_results(registry, row)
    members = weights_members(build_version, weighting)
    members.pop("overrides")
    return {**out, **members}


def csv_bytes(districts: gpd.GeoDataFrame) -> bytes:
    """The district table as UTF-8 CSV, written exactly as the build writes its CSV."""
    buffer = io.StringIO()
    csv_table(json_encode_nested(districts)).to_csv(buffer, index=False)
    return buffer.getvalue().encode("utf-8")
