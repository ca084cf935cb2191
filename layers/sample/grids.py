"""The sample's raster grids and the small numeric helpers they share.

All sample rasters cover the oblast's bounding box plus a margin of about
0.05-0.15 degree, with edges on multiples of 0.05 degree. The extents are chosen
so that every grid's transform survives the trip through
:func:`geo.io.write_cog` bit for bit (it recomputes the transform from the
first and last cell centres; for some extents no float coordinates give the
exact cell size back). Distances are computed in UTM zone 41N kilometres, whose
scale error over the oblast (at most 5 degrees from the central meridian 63 E)
is below 0.2 %.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from affine import Affine
from numpy.typing import NDArray
from pyproj import Transformer
from scipy.ndimage import gaussian_filter, zoom

FloatArray = NDArray[np.float64]

#: Geographic CRS of vectors, the 0.01-degree rasters and the climate grid.
CRS_GEO = "EPSG:4326"
#: Projected CRS of the elevation and groundwater rasters (UTM zone 41N, WGS 84).
CRS_UTM = "EPSG:32641"

#: Outer edges (west, south, east, north) of the 0.01-degree grid, degrees.
GEO_BOUNDS = (58.90, 42.35, 68.30, 48.00)
#: Outer edges (west, south, east, north) of the 30-arc-second grid, degrees.
POP_BOUNDS = (58.90, 42.25, 68.30, 48.00)

#: Radius of the sphere with the WGS 84 ellipsoid's area, km (authalic radius).
AUTHALIC_RADIUS_KM = 6371.0072

_TO_UTM = Transformer.from_crs(CRS_GEO, CRS_UTM, always_xy=True)
_TO_GEO = Transformer.from_crs(CRS_UTM, CRS_GEO, always_xy=True)


@dataclass(frozen=True)
class Grid:
    """A north-up raster grid.

    Attributes:
        crs: CRS as an ``EPSG:`` string.
        west: Western edge in CRS units.
        north: Northern edge in CRS units.
        res: Cell size in CRS units (square cells).
        width: Number of columns.
        height: Number of rows.
    """

    crs: str
    west: float
    north: float
    res: float
    width: int
    height: int

    @property
    def transform(self) -> Affine:
        """Affine transform from (col, row) to (x, y) of the cell corner."""
        return Affine(self.res, 0.0, self.west, 0.0, -self.res, self.north)

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols)."""
        return (self.height, self.width)

    @cached_property
    def centres(self) -> tuple[FloatArray, FloatArray]:
        """X and y of every cell centre, each of shape (rows, cols), CRS units."""
        cols = self.west + (np.arange(self.width) + 0.5) * self.res
        rows = self.north - (np.arange(self.height) + 0.5) * self.res
        x, y = np.meshgrid(cols, rows)
        return x, y

    @cached_property
    def lonlat(self) -> tuple[FloatArray, FloatArray]:
        """Longitude and latitude of every cell centre, degrees, shape (rows, cols)."""
        if self.crs == CRS_GEO:
            return self.centres
        lon, lat = _TO_GEO.transform(*self.centres)
        return np.asarray(lon), np.asarray(lat)

    @cached_property
    def km(self) -> tuple[FloatArray, FloatArray]:
        """UTM 41N easting and northing of every cell centre, km, shape (rows, cols)."""
        if self.crs == CRS_UTM:
            x, y = self.centres
            return x / 1000.0, y / 1000.0
        return to_utm_km(*self.centres)

    @cached_property
    def cell_area_km2(self) -> FloatArray:
        """Area of every cell in km2, shape (rows, cols).

        Geographic cells use the exact area of a latitude band on the authalic
        sphere; UTM cells use the nominal area (scale error below 0.4 %).
        """
        if self.crs == CRS_UTM:
            return np.full(self.shape, (self.res / 1000.0) ** 2)
        edges = np.radians(self.north - np.arange(self.height + 1) * self.res)
        band = (
            AUTHALIC_RADIUS_KM**2 * np.radians(self.res) * (np.sin(edges[:-1]) - np.sin(edges[1:]))
        )
        return np.repeat(band[:, None], self.width, axis=1)


def _geo_grid(bounds: tuple[float, float, float, float], res: float) -> Grid:
    west, south, east, north = bounds
    return Grid(
        CRS_GEO,
        west,
        north,
        res,
        round((east - west) / res),
        round((north - south) / res),
    )


#: 0.01-degree grid of the hazard rasters (940 x 575 cells).
GEO_GRID = _geo_grid(GEO_BOUNDS, 0.01)
#: 30-arc-second grid of the population raster, like WorldPop/GHS (1128 x 690 cells).
POP_GRID = _geo_grid(POP_BOUNDS, 1.0 / 120.0)
#: 0.25-degree climate grid (38 x 22 cells): centres on multiples of 0.25 degree
#: (ERA5-like), from 59.0 to 68.25 E and 47.75 to 42.5 N.
CLIMATE_GRID = Grid(CRS_GEO, 58.875, 47.875, 0.25, 38, 22)
#: Cell-centre longitudes of the climate grid, west to east, degrees.
CLIMATE_LON: FloatArray = CLIMATE_GRID.centres[0][0]
#: Cell-centre latitudes of the climate grid, north to south, degrees.
CLIMATE_LAT: FloatArray = CLIMATE_GRID.centres[1][:, 0]
#: UTM 41N grid with 1000 m cells covering POP_BOUNDS (edges on whole kilometres).
UTM_GRID = Grid(CRS_UTM, 161_000.0, 5_330_000.0, 1000.0, 777, 653)


def to_utm_km(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Project lon/lat degrees (EPSG:4326) to UTM 41N easting/northing in km."""
    x, y = _TO_UTM.transform(lon, lat)
    return np.asarray(x) / 1000.0, np.asarray(y) / 1000.0


def to_lonlat(x_km: FloatArray, y_km: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Inverse of :func:`to_utm_km`: UTM 41N km to lon/lat degrees."""
    lon, lat = _TO_GEO.transform(x_km * 1000.0, y_km * 1000.0)
    return np.asarray(lon), np.asarray(lat)


def smooth_noise(rng: np.random.Generator, shape: tuple[int, int], sigma: float) -> FloatArray:
    """Spatially smooth Gaussian noise with zero mean and unit standard deviation.

    Args:
        rng: Random generator (the caller owns the seed).
        shape: (rows, cols) of the result.
        sigma: Correlation length in cells (Gaussian kernel standard deviation).

    Returns:
        Array of ``shape``, float64.
    """
    field = gaussian_filter(rng.standard_normal(shape), sigma, mode="reflect")
    return np.asarray((field - field.mean()) / field.std())


def broad_noise(rng: np.random.Generator, shape: tuple[int, int], sigma: float) -> FloatArray:
    """Like :func:`smooth_noise`, faster for wide kernels on large grids.

    The noise is smoothed on a grid coarser by ``sigma / 2`` (where the kernel is
    2 cells wide) and brought back by cubic spline interpolation: the same kind
    of field at a fraction of the cost. Below 4 cells it is :func:`smooth_noise`.
    """
    if sigma <= 4:
        return smooth_noise(rng, shape, sigma)
    factor = int(sigma // 2)
    coarse_shape = (shape[0] // factor + 2, shape[1] // factor + 2)
    field = gaussian_filter(rng.standard_normal(coarse_shape), sigma / factor, mode="reflect")
    field = zoom(field, factor, order=3, mode="reflect", grid_mode=True)[: shape[0], : shape[1]]
    return np.asarray((field - field.mean()) / field.std())
