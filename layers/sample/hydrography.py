"""The sample Aral Sea: the present Small Aral, the late-1950s sea and the Aralkum.

Each water body is drawn from a handful of hand-placed outline points inside its
published bounding box (facts.json ``north_aral_sea`` and
``historic_aral_late_1950s``), rounded by Chaikin corner cutting, roughened by
smooth random wiggles, then scaled (the factor found by bisection) to its
published area and clipped to its box: the Small Aral about the Syr Darya mouth,
which it must hold, the 1950s sea about its centroid. The western basin of the Large Aral,
which still holds water outside the oblast, has no area in the fact sheet; its
outline is illustrative only. The Aralkum is the 1950s sea minus all present
water, as in the fact sheet's derivation. All outputs are EPSG:4326 polygons
with coordinates rounded to 5 decimals (about 1 m).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import shapely
import shapely.affinity
from shapely import Point, Polygon

from aralrisk.layers.sample.districts import geodesic_area_km2
from aralrisk.layers.sample.facts import (
    ARAL_1950S_AREA_KM2,
    ARAL_1950S_BBOX,
    NORTH_ARAL_AREA_KM2,
    NORTH_ARAL_BBOX,
    SYR_DARYA_WAYPOINTS,
    Bbox,
    LonLat,
)
from aralrisk.layers.sample.grids import FloatArray, to_lonlat, to_utm_km

#: Outline of the present Small (North) Aral Sea, clockwise from the north-west:
#: the main basin, the long Saryshyganak bay reaching towards Aralsk in the
#: north-east, and the southern tip at the Kokaral dike.
SMALL_ARAL_OUTLINE: tuple[LonLat, ...] = (
    (60.08, 46.52), (60.30, 46.64), (60.60, 46.68), (60.95, 46.58), (61.20, 46.66),
    (61.50, 46.77), (61.52, 46.71), (61.22, 46.55), (60.98, 46.40), (61.00, 46.22),
    (60.90, 46.12), (60.80, 46.10), (60.50, 46.20), (60.18, 46.27), (60.02, 46.40),
)  # fmt: skip

#: Outline of the Aral Sea in the late 1950s (level about 53 m), clockwise from the
#: north: the Small Aral basin with the bay at Aralsk, the eastern shore along the
#: Kyzylkum, the Amu Darya delta in the south and the Ustyurt cliffs in the west.
ARAL_1950S_OUTLINE: tuple[LonLat, ...] = (
    (59.95, 46.60), (60.35, 46.82), (60.95, 46.87), (61.45, 46.80), (61.60, 46.74),
    (61.62, 46.55), (61.94, 46.38), (61.85, 46.15), (61.55, 46.02), (61.42, 45.75),
    (61.22, 45.40), (61.08, 45.00), (60.95, 44.62), (60.72, 44.12), (60.30, 43.70),
    (59.80, 43.45), (59.30, 43.40), (58.80, 43.55), (58.40, 43.95), (58.20, 44.50),
    (58.16, 45.20), (58.25, 45.80), (58.60, 46.20), (59.10, 46.42), (59.50, 46.45),
)  # fmt: skip

#: Outline of the western basin of the Large (South) Aral Sea today, outside the
#: oblast. Illustrative: the fact sheet gives neither its area nor its box.
LARGE_ARAL_WEST_OUTLINE: tuple[LonLat, ...] = (
    (58.26, 45.62), (58.42, 45.50), (58.55, 45.05), (58.52, 44.55), (58.38, 44.18),
    (58.26, 44.30), (58.21, 44.80), (58.20, 45.25),
)  # fmt: skip

#: Wiggle of the shorelines: amplitude (km) and number of random harmonics.
SHORE_WIGGLE_KM = 2.5
SHORE_HARMONICS = 12
#: The 1950s sea holds the present Small Aral with at least this margin, km.
SMALL_ARAL_MARGIN_KM = 3.0


@dataclass(frozen=True)
class AralSea:
    """The sample Aral Sea water bodies, EPSG:4326 polygons.

    Attributes:
        small_aral: The present Small (North) Aral Sea, about 3,416 km2.
        large_aral_west: The western basin of the Large Aral Sea (illustrative).
        sea_1950s: The sea before the crisis, about 67,644 km2.
        aralkum: The dried seabed: ``sea_1950s`` minus the present water.
    """

    small_aral: Polygon
    large_aral_west: Polygon
    sea_1950s: Polygon
    aralkum: shapely.Geometry


def _chaikin(points: FloatArray, rounds: int = 4) -> FloatArray:
    """Round the corners of a closed ring (n, 2) by Chaikin corner cutting."""
    ring = points
    for _ in range(rounds):
        following = np.roll(ring, -1, axis=0)
        ring = np.column_stack([0.75 * ring + 0.25 * following, 0.25 * ring + 0.75 * following])
        ring = ring.reshape(-1, 2)
    return ring


def _outline_km(rng: np.random.Generator, outline: tuple[LonLat, ...]) -> Polygon:
    """A rounded, wiggled polygon through ``outline``, in UTM 41N km."""
    lon, lat = np.asarray(outline).T
    ring = _chaikin(np.column_stack(to_utm_km(lon, lat)))
    # Smooth random wiggles along the normal: a few harmonics of the ring's perimeter.
    step = np.hypot(*np.diff(np.vstack([ring, ring[:1]]), axis=0).T)
    phase = 2 * np.pi * np.concatenate([[0.0], np.cumsum(step)[:-1]]) / step.sum()
    wiggle = np.zeros(len(ring))
    for k in range(2, 2 + SHORE_HARMONICS):
        wiggle += rng.normal(0.0, 1.0 / k**0.5) * np.sin(k * phase + rng.uniform(0, 2 * np.pi))
    wiggle *= SHORE_WIGGLE_KM / max(float(np.abs(wiggle).max()), 1e-9)
    tangent = np.roll(ring, -1, axis=0) - np.roll(ring, 1, axis=0)
    tangent /= np.hypot(*tangent.T)[:, None]
    normal = np.column_stack([tangent[:, 1], -tangent[:, 0]])
    polygon = shapely.make_valid(Polygon(ring + wiggle[:, None] * normal))
    return _largest_polygon(polygon)


def _largest_polygon(geom: shapely.Geometry) -> Polygon:
    """The largest polygon part of ``geom`` (buffers and clips may leave crumbs)."""
    parts = [g for g in shapely.get_parts(geom) if isinstance(g, Polygon)]
    return max(parts, key=lambda g: g.area)


def _to_lonlat(polygon_km: Polygon) -> Polygon:
    """Project a UTM 41N km polygon to lon/lat, rounded to 5 decimals."""

    def project(coords: FloatArray) -> FloatArray:
        lon, lat = to_lonlat(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat]).round(5)

    return _largest_polygon(shapely.make_valid(shapely.transform(polygon_km, project)))


def _fit_area(make: Callable[[float], Polygon], area_km2: float) -> Polygon:
    """Bisect the scale factor given to ``make`` until its area is ``area_km2``."""
    low, high = 0.5, 1.5
    polygon = make(1.0)
    for _ in range(40):
        middle = 0.5 * (low + high)
        polygon = make(middle)
        if geodesic_area_km2(polygon) < area_km2:
            low = middle
        else:
            high = middle
    return polygon


def _scaled(polygon: Polygon, factor: float, origin: Point | None = None) -> Polygon:
    """``polygon`` scaled by ``factor`` about ``origin`` (default: its centroid)."""
    return shapely.affinity.scale(polygon, factor, factor, origin=origin or "centroid")


def _to_km(geom: shapely.Geometry) -> shapely.Geometry:
    """Project a lon/lat geometry to UTM 41N km (vertex by vertex)."""
    return shapely.transform(geom, lambda c: np.column_stack(to_utm_km(c[:, 0], c[:, 1])))


def _box_km(bbox: Bbox) -> Polygon:
    """The lon/lat box ``bbox`` as a UTM 41N km polygon (edges densified)."""
    return _to_km(shapely.segmentize(shapely.box(*bbox), 0.01))


def make_aral_sea(rng: np.random.Generator) -> AralSea:
    """Draw the Small Aral, the 1950s sea, the Large Aral's western basin and the Aralkum.

    Args:
        rng: Random generator for the shoreline wiggles.

    Returns:
        The water bodies in EPSG:4326. The Small Aral holds the Syr Darya mouth
        (the last published waypoint); the 1950s sea holds all present water.
    """
    small_km = _outline_km(rng, SMALL_ARAL_OUTLINE)
    small_box = _box_km(NORTH_ARAL_BBOX)
    mouth = _to_km(Point(SYR_DARYA_WAYPOINTS[-1]))
    small = _fit_area(
        lambda f: _to_lonlat(
            shapely.intersection(
                shapely.union(_scaled(small_km, f, mouth), mouth.buffer(2.0)), small_box
            )
        ),
        NORTH_ARAL_AREA_KM2,
    )
    west = _to_lonlat(_outline_km(rng, LARGE_ARAL_WEST_OUTLINE))
    old_km = _outline_km(rng, ARAL_1950S_OUTLINE)
    old_box = _box_km(ARAL_1950S_BBOX)
    present_km = _to_km(shapely.union(small, west)).buffer(SMALL_ARAL_MARGIN_KM)
    old = _fit_area(
        lambda f: _to_lonlat(
            shapely.intersection(shapely.union(_scaled(old_km, f), present_km), old_box)
        ),
        ARAL_1950S_AREA_KM2,
    )
    aralkum = shapely.difference(old, shapely.union(small, west))
    return AralSea(small, west, old, shapely.normalize(aralkum))
