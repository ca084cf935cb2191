"""Terrain rendering: a hillshade for the offline basemap."""

from __future__ import annotations

import math

import dask.array
import numpy as np
import xarray as xr

from aralrisk.geo.grid import GridSpec

#: Metres per degree of latitude (mean, WGS 84) for slopes on geographic grids.
METRES_PER_DEGREE = 111_195.0


def _shade(
    dem: np.ndarray, dx: np.ndarray, dy: float, azimuth: float, altitude: float
) -> np.ndarray:
    # Horn-like central differences; dx varies per row on geographic grids.
    dz_dy, dz_dx = np.gradient(dem)
    dz_dx = dz_dx / dx[:, None]
    dz_dy = -dz_dy / dy  # rows go south: flip so +y is north
    slope = np.arctan(np.hypot(dz_dx, dz_dy))
    aspect = np.arctan2(dz_dy, -dz_dx)
    az = math.radians(360.0 - azimuth + 90.0)
    alt = math.radians(altitude)
    shade = np.sin(alt) * np.cos(slope) + np.cos(alt) * np.sin(slope) * np.cos(az - aspect)
    return np.clip(shade, 0.0, 1.0)


def hillshade(
    dem: xr.DataArray,
    grid: GridSpec,
    *,
    azimuth: float = 315.0,
    altitude: float = 45.0,
    exaggeration: float = 10.0,
) -> xr.DataArray:
    """Hillshade (0-255, 0 = no data) of an elevation model aligned on ``grid``.

    Args:
        dem: Elevation in metres, dims (y, x), exactly on ``grid`` (numpy or dask; dask
            arrays are processed chunk by chunk with a one-cell overlap).
        grid: The grid of ``dem``; on a geographic CRS the cell width in metres shrinks
            with the cosine of the latitude, which the slope accounts for.
        azimuth: Direction of the light, degrees clockwise from north.
        altitude: Height of the light above the horizon, degrees.
        exaggeration: Vertical exaggeration; the Turan lowland is very flat, so relief
            needs it to be visible at all.

    Returns:
        uint8 DataArray on ``grid`` (1-255 shade, 0 where the elevation is missing).
    """
    xres, yres = grid.res
    if grid.crs.is_geographic:
        lat = np.radians(grid.y)
        dx_rows = xres * METRES_PER_DEGREE * np.cos(lat)
        dy = yres * METRES_PER_DEGREE
    else:
        dx_rows = np.full(grid.height, xres)
        dy = yres

    def block(values: np.ndarray, dx: np.ndarray) -> np.ndarray:
        valid = np.isfinite(values)
        fill = float(np.nanmean(values)) if valid.any() else 0.0
        shade = _shade(
            np.where(valid, values, fill) * exaggeration, dx[:, 0], dy, azimuth, altitude
        )
        out = (1 + shade * 254).astype(np.uint8)
        out[~valid] = 0
        return out

    data = dem.data
    if isinstance(data, dask.array.Array):
        dx = dask.array.from_array(
            np.broadcast_to(dx_rows[:, None], data.shape), chunks=data.chunks
        )
        shaded = dask.array.map_overlap(
            block, data, dx, depth=1, boundary="nearest", dtype=np.uint8
        )
    else:
        dx_full = np.broadcast_to(dx_rows[:, None], data.shape)
        shaded = block(np.asarray(data, dtype=np.float64), dx_full)
    out = xr.DataArray(shaded, dims=("y", "x"), name="hillshade")
    return grid.write_georeference(out)
