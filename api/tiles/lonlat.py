"""Web Mercator tiles from lon/lat COGs by a separable nearest-neighbour lookup.

Every build grid of the sample and of the tests is EPSG:4326 with square-ish cells.
From such a grid to Web Mercator, longitude maps to tile columns linearly and latitude
to tile rows through one function of the row alone: the nearest source cell of output
pixel ``(row, col)`` is ``(source_row[row], source_col[col])``. So a tile is one
windowed read of the right COG overview plus one NumPy ``take`` along each axis,
instead of setting up a GDAL warper per tile (a WarpedVRT costs about ten
milliseconds before it decodes a single block, more than the rest of a tile).

The result is the same nearest-neighbour resampling GDAL's warper does, from the
same overview, as the benchmark checks pixel by pixel against TiTiler.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import morecantile
import numpy as np
import numpy.typing as npt
import rasterio
from rasterio.crs import CRS
from rasterio.io import DatasetReader
from rasterio.windows import Window

from aralrisk.api.tiles.blocks import BlockCache, read_window

#: Radius of the Web Mercator sphere (EPSG:3857), metres.
EARTH_RADIUS = 6378137.0
WGS84 = CRS.from_epsg(4326)
WEB_MERCATOR = morecantile.tms.get("WebMercatorQuad")
#: Smallest block edge worth sharing: striped files are read directly instead.
MIN_SHARED_BLOCK = 64


def is_lonlat_grid(dataset: DatasetReader) -> bool:
    """True for a north-up, unrotated EPSG:4326 raster (lon/lat axis order)."""
    t = dataset.transform
    return bool(dataset.crs == WGS84 and t.b == 0 and t.d == 0 and t.a > 0 and t.e < 0)


def pixel_centres(
    tile: morecantile.Tile, tilesize: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Longitudes of the tile's pixel columns and latitudes of its rows (degrees)."""
    west, south, east, north = WEB_MERCATOR.xy_bounds(tile)
    steps = (np.arange(tilesize) + 0.5) / tilesize
    x = west + steps * (east - west)
    y = north - steps * (north - south)
    lon = np.degrees(x / EARTH_RADIUS)
    lat = np.degrees(np.arctan(np.sinh(y / EARTH_RADIUS)))
    return lon, lat


@dataclass(frozen=True)
class Sampling:
    """How the pixels of a tile pick cells of a window: nearest neighbour, separably.

    Attributes:
        level: Index of the raster level (0 = full resolution) the window is read from.
        window: The cells read, or ``None`` when the tile misses the raster.
        rows: Window row of every tile row, shape ``(tilesize,)``.
        cols: Window column of every tile column, shape ``(tilesize,)``.
        inside: Tile pixels that fall on the raster, shape ``(tilesize, tilesize)``.
    """

    level: int
    window: Window | None
    rows: npt.NDArray[np.int64]
    cols: npt.NDArray[np.int64]
    inside: npt.NDArray[np.bool_]

    @property
    def cells(self) -> int:
        """Number of cells in the window."""
        return 0 if self.window is None else int(self.window.width * self.window.height)

    def take(self, cells: npt.NDArray[Any], fill: Any) -> npt.NDArray[Any]:
        """The tile drawn from window-shaped ``cells`` (``fill`` outside the raster)."""
        if self.window is None:
            return np.full(self.inside.shape, fill, dtype=cells.dtype)
        out = cells.take(self.rows, axis=0).take(self.cols, axis=1)
        out[~self.inside] = fill
        return out


class LonLatCOG:
    """One lon/lat COG open at full resolution and at each overview level (one thread).

    Args:
        path: The COG (see :func:`is_lonlat_grid`).
        blocks: Decoded blocks shared with the other threads (``None``: GDAL's only).
        key: Names this raster in ``blocks`` (include the build version).
    """

    def __init__(self, path: Path, blocks: BlockCache | None = None, key: Hashable = None) -> None:
        self.blocks = blocks
        self.key = key if key is not None else str(path)
        full = rasterio.open(path)
        self.levels: list[DatasetReader] = [full]
        self.levels += [
            rasterio.open(path, overview_level=i) for i in range(len(full.overviews(1)))
        ]
        # GDAL's warper picks the source overview from the ratio of the output pixel
        # size to the size a whole-raster warp to Web Mercator would suggest (same
        # number of pixels along the diagonal); doing the same gives identical pixels.
        west, south, east, north = full.bounds
        diagonal_m = math.hypot(
            math.radians(east - west) * EARTH_RADIUS, _mercator_y(north) - _mercator_y(south)
        )
        self.suggested_res = diagonal_m / math.hypot(full.width, full.height)
        self.factors = [full.width / level.width for level in self.levels]

    def close(self) -> None:
        """Close every level."""
        for level in self.levels:
            level.close()

    def grid(self, level: int) -> tuple[Any, int, int]:
        """Transform, width and height of one level (rasters on one grid share them)."""
        dataset = self.levels[level]
        return dataset.transform, dataset.width, dataset.height

    def level_for(self, tile: morecantile.Tile, tilesize: int) -> int:
        """The coarsest level that is still at least as fine as GDAL would read."""
        west, _, east, _ = WEB_MERCATOR.xy_bounds(tile)
        ratio = (east - west) / tilesize / self.suggested_res
        chosen = 0
        for k, factor in enumerate(self.factors):
            if factor <= ratio * (1 + 1e-9):
                chosen = k
        return chosen

    def sampling(self, tile: morecantile.Tile, tilesize: int) -> Sampling:
        """Which cells of which level the pixels of ``tile`` show."""
        level = self.level_for(tile, tilesize)
        t, width, height = self.grid(level)
        lon, lat = pixel_centres(tile, tilesize)
        cols = np.floor((lon - t.c) / t.a).astype(np.int64)
        rows = np.floor((lat - t.f) / t.e).astype(np.int64)
        col_ok = (cols >= 0) & (cols < width)
        row_ok = (rows >= 0) & (rows < height)
        inside = np.outer(row_ok, col_ok)
        if not col_ok.any() or not row_ok.any():
            return Sampling(level, None, rows, cols, inside)
        c0, c1 = int(cols[col_ok].min()), int(cols[col_ok].max())
        r0, r1 = int(rows[row_ok].min()), int(rows[row_ok].max())
        # Pixels outside the raster pick any window cell; `inside` masks them.
        return Sampling(
            level,
            Window(c0, r0, c1 - c0 + 1, r1 - r0 + 1),
            np.clip(rows, r0, r1) - r0,
            np.clip(cols, c0, c1) - c0,
            inside,
        )

    def read_cells(self, sampling: Sampling) -> tuple[npt.NDArray[Any], npt.NDArray[np.bool_]]:
        """Values and validity of the window of ``sampling`` (False where no data)."""
        level = self.levels[sampling.level]
        if sampling.window is None:
            return np.zeros((0, 0), level.dtypes[0]), np.zeros((0, 0), bool)
        block_h, block_w = level.block_shapes[0]
        if self.blocks is not None and min(block_h, block_w) >= MIN_SHARED_BLOCK:
            key = (self.key, sampling.level)
            values = read_window(level, sampling.window, self.blocks, key)
        else:
            values = level.read(1, window=sampling.window)
        valid = np.ones(values.shape, bool)
        if values.dtype.kind == "f":
            valid &= np.isfinite(values)
        nodata = level.nodata
        if nodata is not None and not math.isnan(nodata):
            valid &= values != nodata
        return values, valid

    def read_tile(
        self, tile: morecantile.Tile, tilesize: int
    ) -> tuple[npt.NDArray[np.generic], npt.NDArray[np.bool_]]:
        """Values and validity of one Web Mercator tile.

        Returns:
            ``(values, valid)``, both ``(tilesize, tilesize)``; ``valid`` is False
            outside the raster and where it holds its no-data value (or NaN).
        """
        sampling = self.sampling(tile, tilesize)
        values, valid = self.read_cells(sampling)
        return sampling.take(values, 0), sampling.take(valid, False)


def _mercator_y(lat: float) -> float:
    return EARTH_RADIUS * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))
