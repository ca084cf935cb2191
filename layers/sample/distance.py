"""Distances from every cell of a grid to lines and polygons, in kilometres.

A k-d tree query for every cell of a 1 km grid against a long river is slow
(seconds per grid), so distances are taken from a Euclidean distance transform
of the rasterized feature, with the grid's cell size in km as sampling, and
replaced by exact k-d tree distances (from UTM 41N cell centres) where the
feature is near: there the rasters change fastest (flood plains, shores). Far
from the feature the transform's error is below a cell and a few percent (the
east-west size of a degree varies by 5 % across the oblast), which the smooth
fields built from it do not notice.
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.ndimage import distance_transform_edt
from scipy.spatial import cKDTree

from aralrisk.layers.sample.grids import CRS_GEO, FloatArray, Grid, to_lonlat, to_utm_km

#: Cells closer than this to the feature get exact distances, km.
EXACT_WITHIN_KM = 25.0
#: Spacing of the points that stand for lines and polygon boundaries, km.
POINT_STEP_KM = 0.25

_KM_PER_DEGREE_LAT = 111.13


def _cell_size_km(grid: Grid) -> tuple[float, float]:
    """(row, col) cell size in km: nominal for UTM, at the mid-latitude for lon/lat."""
    if grid.crs != CRS_GEO:
        return grid.res / 1000.0, grid.res / 1000.0
    mid_lat = grid.north - grid.res * grid.height / 2
    return (
        grid.res * _KM_PER_DEGREE_LAT,
        grid.res * _KM_PER_DEGREE_LAT * float(np.cos(np.radians(mid_lat))),
    )


def _cells_of(grid: Grid, x_km: FloatArray, y_km: FloatArray) -> tuple[NDArray[np.intp], ...]:
    """(rows, cols) of the cells holding UTM 41N km points, and which points are on the grid."""
    if grid.crs == CRS_GEO:
        x, y = to_lonlat(x_km, y_km)
    else:
        x, y = x_km * 1000.0, y_km * 1000.0
    cols = np.floor((x - grid.west) / grid.res).astype(np.intp)
    rows = np.floor((grid.north - y) / grid.res).astype(np.intp)
    on_grid = (rows >= 0) & (rows < grid.height) & (cols >= 0) & (cols < grid.width)
    return rows, cols, np.flatnonzero(on_grid)


def nearest_points(grid: Grid, points_km: FloatArray) -> tuple[FloatArray, NDArray[np.intp]]:
    """Distance (km) from every cell to the nearest of ``points_km``, and its index.

    Args:
        grid: The grid (any sample CRS).
        points_km: Points in UTM 41N km, shape (n, 2), closely spaced along the
            feature (a few per cell).

    Returns:
        Distances, shape (rows, cols), float64, and the index into ``points_km``
        of the nearest point (exact within :data:`EXACT_WITHIN_KM`, the point
        in the nearest marked cell beyond).
    """
    rows, cols, on_grid = _cells_of(grid, points_km[:, 0], points_km[:, 1])
    owner = np.full(grid.shape, -1, dtype=np.intp)
    owner[rows[on_grid], cols[on_grid]] = on_grid
    dist, (near_r, near_c) = distance_transform_edt(
        owner < 0, sampling=_cell_size_km(grid), return_indices=True
    )
    index = owner[near_r, near_c]
    # Exact distances from the UTM cell centres where the feature is close.
    close = np.flatnonzero(dist < EXACT_WITHIN_KM + 2 * max(_cell_size_km(grid)))
    x_km, y_km = grid.km
    exact, exact_index = cKDTree(points_km).query(
        np.column_stack([x_km.flat[close], y_km.flat[close]]),
        distance_upper_bound=2 * EXACT_WITHIN_KM,
    )
    found = np.isfinite(exact)
    dist.flat[close[found]] = exact[found]
    index.flat[close[found]] = exact_index[found]
    return dist, index


def _points_along(geom_lonlat: shapely.Geometry) -> FloatArray:
    """Points every :data:`POINT_STEP_KM` along a lon/lat line or polygon boundary, UTM km."""
    geom_km = shapely.transform(geom_lonlat, lambda c: np.column_stack(to_utm_km(c[:, 0], c[:, 1])))
    lines = shapely.boundary(geom_km) if _polygonal(geom_km) else geom_km
    return np.asarray(shapely.get_coordinates(shapely.segmentize(lines, POINT_STEP_KM)))


def _polygonal(geom: shapely.Geometry) -> bool:
    return geom.geom_type in ("Polygon", "MultiPolygon")


def distance_km(grid: Grid, geom_lonlat: shapely.Geometry) -> FloatArray:
    """Distance (km) from every cell centre of ``grid`` to a lon/lat geometry.

    Polygons count as filled: cells whose centre is inside get 0.

    Returns:
        float64 array of shape (rows, cols).
    """
    dist, _ = nearest_points(grid, _points_along(geom_lonlat))
    if _polygonal(geom_lonlat):
        lon, lat = grid.lonlat
        dist[shapely.contains_xy(geom_lonlat, lon, lat)] = 0.0
    return dist
