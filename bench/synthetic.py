"""Large synthetic rasters over Kyzylorda oblast, written as COGs like a build writes them.

The benchmarks need inputs of real size (16,000 x 8,800 cells over the oblast, about
60 x 65 m per cell) without shipping data: :func:`synthetic_cog` writes one, streaming
512-row bands so that memory stays at a few tens of MB, then lets GDAL's COG driver
add the overviews (512 px blocks, DEFLATE, average overviews, NaN no data). Files are
made once and reused from ``bench/.data/`` (git-ignored).
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt
import rasterio
import rasterio.shutil
from rasterio.transform import from_bounds
from rasterio.windows import Window

DATA_DIR = Path(__file__).resolve().parent / ".data"
#: lon/lat bounds of Kyzylorda oblast with a margin (west, south, east, north).
OBLAST_BOUNDS = (58.9, 42.25, 68.3, 48.0)
#: Columns and rows of the large benchmark rasters.
FULL_SIZE = (16_000, 8_800)
_BAND_ROWS = 512


def _field(
    lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64], seed: int
) -> npt.NDArray[np.float32]:
    """A 0-10 score-like field: broad gradients, fronts and fine texture; NaN outside.

    The no-data ring (an ellipse inscribed in the bounds) makes tiles along the edge
    partly transparent, as the oblast's outline does.
    """
    west, south, east, north = OBLAST_BOUNDS
    u = (lon - west) / (east - west)
    v = (lat - south) / (north - south)
    phase = seed * 1.7
    broad = 5.0 + 3.5 * np.sin(2 * math.pi * (1.3 * u + 0.4 * v) + phase) * np.cos(
        2 * math.pi * 0.8 * v - phase
    )
    fronts = 1.5 * np.sin(2 * math.pi * (9.0 * u - 5.0 * v) + phase)
    texture = 0.6 * np.sin(2 * math.pi * 140.0 * u) * np.sin(2 * math.pi * 90.0 * v + phase)
    values = np.clip(broad + fronts + texture, 0.0, 10.0)
    outside = ((u - 0.5) / 0.5) ** 2 + ((v - 0.5) / 0.5) ** 2 > 1.0
    return np.where(outside, np.nan, values).astype(np.float32)


def synthetic_cog(
    path: Path,
    size: tuple[int, int] = FULL_SIZE,
    *,
    seed: int = 0,
    bounds: tuple[float, float, float, float] = OBLAST_BOUNDS,
) -> Path:
    """Write (once) a float32 EPSG:4326 COG of ``size`` = (columns, rows) over ``bounds``.

    Values are a 0-10 score-like field (see :func:`_field`); an existing file of that
    name is reused as it is.

    Returns:
        ``path``.
    """
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    width, height = size
    transform = from_bounds(*bounds, width, height)
    scratch = path.with_name(f".{path.stem}.scratch.tif")
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": 1,
        "dtype": "float32",
        "crs": "EPSG:4326",
        "transform": transform,
        "nodata": float("nan"),
        "tiled": True,
        "blockxsize": 512,
        "blockysize": 512,
        "compress": "DEFLATE",
        "zlevel": 1,
        "bigtiff": "IF_SAFER",
    }
    start = time.perf_counter()
    lon = bounds[0] + (np.arange(width) + 0.5) * transform.a
    with rasterio.open(scratch, "w", **profile) as dst:
        for row in range(0, height, _BAND_ROWS):
            rows = min(_BAND_ROWS, height - row)
            lat = bounds[3] + (np.arange(row, row + rows) + 0.5) * transform.e
            grid_lon, grid_lat = np.meshgrid(lon, lat)
            dst.write(_field(grid_lon, grid_lat, seed), 1, window=Window(0, row, width, rows))
    tmp = path.with_name(f".{path.name}.tmp")
    with rasterio.Env(GDAL_NUM_THREADS="ALL_CPUS"):
        rasterio.shutil.copy(
            scratch,
            tmp,
            driver="COG",
            BLOCKSIZE=512,
            COMPRESS="DEFLATE",
            OVERVIEW_RESAMPLING="AVERAGE",
            BIGTIFF="IF_SAFER",
            NUM_THREADS="ALL_CPUS",
        )
    tmp.replace(path)
    scratch.unlink()
    print(f"wrote {path.name}: {width} x {height} in {time.perf_counter() - start:.0f} s")
    return path
