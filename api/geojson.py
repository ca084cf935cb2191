"""The ``POST /zonal`` body: a GeoJSON (Multi)Polygon, a Feature or a one-Feature collection.

A FeatureCollection of one polygonal Feature is what QGIS and geojson.io export.

The models check the GeoJSON structure (types, closed rings of at least four finite
positions); :func:`to_polygon` checks what a structure cannot say — vertex count,
longitude/latitude ranges, antimeridian crossings, validity and area — each failure
one sentence with the fix, raised as a 422 problem.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
import shapely
from pydantic import BaseModel, ConfigDict, Field, FiniteFloat, field_validator

from aralrisk.api.i18n import N_
from aralrisk.api.problem_text import Quantity, Text
from aralrisk.api.problems import ApiError
from aralrisk.geo.vectors import geodesic_area_km2

Position = Annotated[list[FiniteFloat], Field(min_length=2, max_length=3)]
Ring = Annotated[list[Position], Field(min_length=4)]

POLYGON_EXAMPLE: dict[str, Any] = {
    "type": "Polygon",
    "coordinates": [[[60.2, 44.2], [60.8, 44.2], [60.8, 44.8], [60.2, 44.8], [60.2, 44.2]]],
}


def _closed(rings: list[list[list[float]]]) -> list[list[list[float]]]:
    for ring in rings:
        if ring[0][:2] != ring[-1][:2]:
            # Marked: the 422 quotes it in the request's language (api.problem_text).
            raise ValueError(N_("every ring must end at its first position (a closed ring)"))
    return rings


class PolygonGeometry(BaseModel):
    """A GeoJSON Polygon: an outer ring, then holes (EPSG:4326 lon/lat)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [POLYGON_EXAMPLE]})

    type: Literal["Polygon"]
    coordinates: Annotated[list[Ring], Field(min_length=1)]

    @field_validator("coordinates")
    @classmethod
    def _rings_closed(cls, value: list[list[list[float]]]) -> list[list[list[float]]]:
        return _closed(value)


class MultiPolygonGeometry(BaseModel):
    """A GeoJSON MultiPolygon (EPSG:4326 lon/lat)."""

    model_config = ConfigDict(extra="allow")

    type: Literal["MultiPolygon"]
    coordinates: Annotated[list[Annotated[list[Ring], Field(min_length=1)]], Field(min_length=1)]

    @field_validator("coordinates")
    @classmethod
    def _rings_closed(cls, value: list[list[list[list[float]]]]) -> list[list[list[list[float]]]]:
        for polygon in value:
            _closed(polygon)
        return value


PolygonalGeometry = Annotated[PolygonGeometry | MultiPolygonGeometry, Field(discriminator="type")]


class PolygonFeature(BaseModel):
    """A GeoJSON Feature whose geometry is a Polygon or MultiPolygon."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [{"type": "Feature", "geometry": POLYGON_EXAMPLE, "properties": {}}]
        },
    )

    type: Literal["Feature"]
    geometry: PolygonalGeometry
    properties: dict[str, Any] | None = None


class PolygonFeatureCollection(BaseModel):
    """A GeoJSON FeatureCollection of exactly one polygonal Feature.

    QGIS ("Export > Save Features As > GeoJSON") and geojson.io save a drawn polygon
    this way; a collection of several features is refused by :func:`to_polygon` with
    the fix (one statistic per request: merge them into one MultiPolygon first).
    """

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "FeatureCollection",
                    "features": [
                        {"type": "Feature", "geometry": POLYGON_EXAMPLE, "properties": {}}
                    ],
                }
            ]
        },
    )

    type: Literal["FeatureCollection"]
    features: list[PolygonFeature]


ZonalGeometry = PolygonGeometry | MultiPolygonGeometry | PolygonFeature | PolygonFeatureCollection
ZonalBody = Annotated[ZonalGeometry, Field(discriminator="type")]


def _polygons(body: ZonalGeometry) -> list[Any]:
    if isinstance(body, PolygonFeatureCollection):
        count = len(body.features)
        if count != 1:
            held = (
                Text(N_("no feature"))
                if count == 0
                else Text(N_("{count} features"), {"count": Quantity(count)})
            )
            raise ApiError(
                422,
                N_(
                    "the FeatureCollection holds {held} and /zonal takes exactly one: send one "
                    "Feature, or merge the polygons into one MultiPolygon first (QGIS: Dissolve)"
                ),
                held=held,
            )
        body = body.features[0]
    geometry = body.geometry if isinstance(body, PolygonFeature) else body
    if isinstance(geometry, PolygonGeometry):
        return [geometry.coordinates]
    return list(geometry.coordinates)


def _check_rings(polygons: list[Any], max_vertices: int) -> None:
    vertices = sum(len(ring) for polygon in polygons for ring in polygon)
    if vertices > max_vertices:
        raise ApiError(
            422,
            N_(
                "the polygon has {vertices} vertices and at most {most} are accepted; "
                "simplify it first"
            ),
            vertices=vertices,
            most=max_vertices,
        )
    for polygon in polygons:
        for ring in polygon:
            xy = np.asarray([p[:2] for p in ring], dtype=np.float64)
            if (np.abs(xy[:, 0]) > 180).any() or (np.abs(xy[:, 1]) > 90).any():
                raise ApiError(
                    422,
                    N_(
                        "coordinates must be longitude -180..180 and latitude -90..90 "
                        "(EPSG:4326, longitude first)"
                    ),
                )
            if (np.abs(np.diff(xy[:, 0])) > 180).any():
                raise ApiError(
                    422,
                    N_(
                        "the polygon crosses the antimeridian (180 degrees longitude); "
                        "split it there into a MultiPolygon as RFC 7946 section 3.1.9 asks"
                    ),
                )


def to_polygon(
    body: ZonalGeometry,
    max_vertices: int,
    max_area_km2: float,
) -> shapely.Geometry:
    """The body as a valid shapely (Multi)Polygon in EPSG:4326 within the limits.

    Raises:
        ApiError: 422 with one sentence for a FeatureCollection of other than one
            feature, too many vertices, coordinates out of
            range, an antimeridian crossing, an invalid (e.g. self-intersecting)
            polygon, or an area over ``max_area_km2``.
    """
    polygons = _polygons(body)
    _check_rings(polygons, max_vertices)
    parts = [
        shapely.Polygon([p[:2] for p in rings[0]], [[p[:2] for p in hole] for hole in rings[1:]])
        for rings in polygons
    ]
    geom = parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        raise ApiError(
            422,
            N_(
                "the polygon is invalid ({reason}); fix it, e.g. with shapely.make_valid "
                "or QGIS 'Fix geometries'"
            ),
            reason=reason,
        )
    if geom.area == 0:
        raise ApiError(422, N_("the polygon has no area; give at least three distinct corners"))
    area_km2 = geodesic_area_km2(geom)
    if area_km2 > max_area_km2:
        raise ApiError(
            422,
            N_(
                "the polygon covers {area} km2 and at most {most} km2 are accepted; "
                "query a smaller area"
            ),
            area=Quantity(area_km2),
            most=Quantity(max_area_km2),
        )
    return geom
