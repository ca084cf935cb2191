"""Open COGs once per thread and build; read Web Mercator tiles from them.

Opening a COG costs a file open and a header parse, and GDAL's block cache belongs to
the open dataset: a server that reopens the file for every tile (as TiTiler does)
decompresses the same 512 px blocks again and again for neighbouring tiles. Here each
worker thread keeps its own open datasets per raster (GDAL datasets must not be shared
between threads) and drops them all when the served build changes, so a reader never
outlives its build version and never reads a replaced file.

Rasters on a lon/lat grid (every build of the sample and the tests) are read by the
separable lookup of :mod:`api.tiles.lonlat`; any other grid by rio-tiler's
:class:`~rio_tiler.io.Reader` (a GDAL warp per tile). Zoom ranges and bounds always
come from rio-tiler.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import morecantile
import numpy as np
import numpy.typing as npt
import rasterio
from rasterio.windows import Window
from rio_tiler.io import Reader

from aralrisk.api.tiles.blocks import BlockCache
from aralrisk.api.tiles.lonlat import LonLatCOG, Sampling, is_lonlat_grid
from aralrisk.geo.gdal_settings import cache_max

#: GDAL's block cache during tile reads, in MB (decoded blocks of lon/lat COGs are also
#: shared in :data:`BLOCKS`).
TILE_GDAL_CACHE_MB = 64
#: GDAL settings of tile reads: a modest block cache, no directory listing on open.
GDAL_ENV: dict[str, str | int] = {
    "GDAL_CACHEMAX": cache_max(TILE_GDAL_CACHE_MB),
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    "GDAL_NUM_THREADS": 1,
}
#: Tiles are served this many zoom levels past a raster's native resolution (its
#: pixels then show as blocks), so a planner can zoom in to a village.
OVERZOOM = 4
#: Decoded blocks kept for all threads: the blocks of a few hundred neighbouring tiles.
BLOCK_CACHE_BYTES = 256 * 2**20
BLOCKS = BlockCache(BLOCK_CACHE_BYTES)
WEB_MERCATOR = morecantile.tms.get("WebMercatorQuad")

Tile = tuple[npt.NDArray[np.generic], npt.NDArray[np.bool_]]


@dataclass(frozen=True)
class RasterInfo:
    """What a tile client needs to know about one raster.

    Attributes:
        minzoom: Lowest zoom served: the zoom of the raster's coarsest overview.
        maxzoom: Highest zoom served: the native resolution's zoom plus :data:`OVERZOOM`.
        native_maxzoom: Zoom whose resolution matches the raster's.
        bounds: ``(west, south, east, north)`` in degrees (EPSG:4326).
    """

    minzoom: int
    maxzoom: int
    native_maxzoom: int
    bounds: tuple[float, float, float, float]

    def covers(self, tile: morecantile.Tile) -> bool:
        """True when ``tile`` overlaps the raster's bounds (by more than an edge)."""
        west, south, east, north = WEB_MERCATOR.bounds(tile)
        b_west, b_south, b_east, b_north = self.bounds
        return west < b_east and east > b_west and south < b_north and north > b_south


class TileReader(Protocol):
    """An open raster that reads Web Mercator tiles (used by one thread only)."""

    def read_tile(self, tile: morecantile.Tile, tilesize: int) -> Tile:
        """Values and validity of one tile."""

    def close(self) -> None:
        """Release the raster."""


class WarpedReader:
    """Any single-band raster, warped per tile by rio-tiler (nearest neighbour)."""

    def __init__(self, path: Path) -> None:
        self.reader = Reader(str(path), tms=WEB_MERCATOR)

    def read_tile(self, tile: morecantile.Tile, tilesize: int) -> Tile:
        """Values and validity of one tile (see :func:`read_tile`)."""
        # Reader.part rather than Reader.tile: the router has already checked that the
        # tile overlaps the raster; rio-tiler's own check reprojects the bounds again.
        west, south, east, north = WEB_MERCATOR.xy_bounds(tile)
        image = self.reader.part(
            (west, south, east, north),
            dst_crs=WEB_MERCATOR.rasterio_crs,
            bounds_crs=WEB_MERCATOR.rasterio_crs,
            height=tilesize,
            width=tilesize,
            max_size=None,
        )
        band = image.array[0]
        valid = ~np.ma.getmaskarray(band)
        values = np.ma.getdata(band)
        if values.dtype.kind == "f":
            valid &= np.isfinite(values)
        return values, valid

    def close(self) -> None:
        """Close the dataset."""
        self.reader.close()


def open_reader(path: Path, version: str = "") -> TileReader:
    """The fastest correct reader for ``path``: the lon/lat lookup or a GDAL warp."""
    with rasterio.open(path) as dataset:
        lonlat = is_lonlat_grid(dataset) and dataset.count == 1
    if lonlat:
        return LonLatCOG(path, BLOCKS, (version, str(path)))
    return WarpedReader(path)


class _ThreadReaders(threading.local):
    version: str | None = None
    readers: dict[Path, TileReader]

    def __init__(self) -> None:
        self.version = None
        self.readers = {}


_local = _ThreadReaders()
_info_lock = threading.Lock()
_info: dict[tuple[str, Path], RasterInfo] = {}


def _reader(version: str, path: Path) -> TileReader:
    """This thread's open reader of ``path`` for build ``version``."""
    if _local.version != version:
        close_thread_readers()
        _local.version = version
    reader = _local.readers.get(path)
    if reader is None:
        reader = _local.readers[path] = open_reader(path, version)
    return reader


def close_thread_readers() -> None:
    """Close the readers the calling thread holds (they reopen on demand)."""
    for reader in _local.readers.values():
        reader.close()
    _local.readers = {}
    _local.version = None


@contextmanager
def gdal_env() -> Iterator[None]:
    """The GDAL configuration of tile work (:data:`GDAL_ENV`), for the calling thread."""
    with rasterio.Env(**GDAL_ENV):
        yield


def known_raster_info(version: str, path: Path) -> RasterInfo | None:
    """The zoom range and bounds of a raster if already known (no file access)."""
    return _info.get((version, path))


def raster_info(version: str, path: Path) -> RasterInfo:
    """Zoom range and bounds of one raster of build ``version`` (computed once)."""
    key = (version, path)
    info = _info.get(key)
    if info is not None:
        return info
    with gdal_env(), Reader(str(path), tms=WEB_MERCATOR) as reader:
        west, south, east, north = reader.get_geographic_bounds(WEB_MERCATOR.geographic_crs)
        native = int(reader.maxzoom)
        info = RasterInfo(
            minzoom=min(int(reader.minzoom), native),
            maxzoom=native + OVERZOOM,
            native_maxzoom=native,
            bounds=(float(west), float(south), float(east), float(north)),
        )
    with _info_lock:
        # Infos of replaced builds are dropped with the first info of a new one.
        for old in [k for k in _info if k[0] != version]:
            del _info[old]
        _info[key] = info
    return info


def read_tile(version: str, path: Path, tile: morecantile.Tile, tilesize: int) -> Tile:
    """Values and validity of one Web Mercator tile of a single-band raster.

    Nearest-neighbour resampling from the overview GDAL's warper would pick, so class
    boundaries stay sharp. Call inside :func:`gdal_env`.

    Returns:
        ``(values, valid)``, both ``(tilesize, tilesize)``; ``valid`` is False outside
        the raster and where it has no data.
    """
    return _reader(version, path).read_tile(tile, tilesize)


def identity_sampling(tilesize: int) -> Sampling:
    """The sampling of cells that already are the tile's pixels."""
    index = np.arange(tilesize, dtype=np.int64)
    inside = np.ones((tilesize, tilesize), bool)
    return Sampling(0, Window(0, 0, tilesize, tilesize), index, index, inside)


def read_cells(
    version: str, paths: Sequence[Path], tile: morecantile.Tile, tilesize: int
) -> tuple[list[npt.NDArray[np.float32]], Sampling]:
    """The cells of several rasters under one tile, float32 with NaN where no data.

    Pointwise work (classes, composite, risk) runs on these cells and
    :meth:`Sampling.take` then draws the tile. For rasters on one lon/lat grid the
    cells are the window read from the COG level, when it has fewer cells than the
    tile has pixels (zoomed in past the raster's resolution, a tile shows a few dozen
    cells: those are computed once, not once per pixel); otherwise they are the
    tile's pixels. Call inside :func:`gdal_env`.
    """
    readers = [_reader(version, path) for path in paths]
    first = readers[0]
    if all(isinstance(r, LonLatCOG) for r in readers) and isinstance(first, LonLatCOG):
        sampling = first.sampling(tile, tilesize)
        level = sampling.level
        grid = first.grid(level)
        same_grid = all(
            r.level_for(tile, tilesize) == level and r.grid(level) == grid
            for r in readers
            if isinstance(r, LonLatCOG)
        )
        if same_grid:
            cells = [as_float(*r.read_cells(sampling)) for r in readers if isinstance(r, LonLatCOG)]
            if sampling.cells <= tilesize * tilesize:
                return cells, sampling
            return [sampling.take(c, math.nan) for c in cells], identity_sampling(tilesize)
    tiles = [as_float(*r.read_tile(tile, tilesize)) for r in readers]
    return tiles, identity_sampling(tilesize)


def as_float(
    values: npt.NDArray[np.generic], valid: npt.NDArray[np.bool_]
) -> npt.NDArray[np.float32]:
    """Values as float32 with NaN where not valid (the pipeline's no-data convention)."""
    out = values.astype(np.float32)
    out[~valid] = math.nan
    return out
