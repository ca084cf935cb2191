"""Write a DataArray as a Cloud-Optimized GeoTIFF, streaming dask arrays block by block.

:func:`write_cog` is re-exported by :mod:`geo.io`; import it from there.

Two steps, both out of core: (1) the array is written, a few dask chunks at a
time, into a temporary tiled GeoTIFF next to the target; (2) GDAL's COG driver copies
that file into the final layout (512 px tiles, DEFLATE, overviews placed before the
full-resolution tiles), reading it block by block. The COG itself is written under a
temporary name and renamed onto the target, so readers never see half a file.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import sys
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Literal

import dask
import numpy as np
import rasterio
import rasterio.shutil
import rioxarray  # noqa: F401 - registers the `.rio` accessor used below
import xarray as xr
from rasterio.windows import Window

from aralrisk.geo._files import PathLike, atomic_path
from aralrisk.geo.errors import InputError
from aralrisk.geo.grid import GridSpec

COG_BLOCK = 512
# Rows of a numpy-backed array converted and written at once (one tile row).
_NUMPY_BAND_ROWS = COG_BLOCK

OverviewResampling = Literal["average", "nearest", "mode", "bilinear"]


def write_cog(
    da: xr.DataArray,
    path: PathLike,
    *,
    nodata: float,
    dtype: str = "float32",
    overview_resampling: OverviewResampling = "average",
    tags: Mapping[str, str] | None = None,
) -> Path:
    """Write a 2-D georeferenced DataArray as a Cloud-Optimized GeoTIFF.

    Memory: a dask-backed ``da`` is computed a few chunks at a time (about one chunk
    per core, whatever the width of the grid, plus GDAL's block cache); a numpy-backed
    one is converted one 512-row band at a time.

    Args:
        da: Array of dims ``(y, x)`` (a leading singleton ``band`` is dropped) with a
            CRS and regular coordinates (rioxarray conventions); NaN marks no data.
            A south-up array (ascending ``y``) is written north-up.
        path: Target file, usually ``*.tif``; its folder is created if needed.
        nodata: Value that replaces NaN and is declared as the nodata value (may be
            NaN for float dtypes).
        dtype: Output data type, e.g. ``"float32"`` or ``"uint8"`` for classes.
        overview_resampling: ``"average"`` for continuous fields, ``"nearest"`` or
            ``"mode"`` for classes.
        tags: Dataset tags to write. ``units`` (from ``tags`` or ``da.attrs``) is also
            set as the band unit, and ``description`` as the band description.

    Returns:
        The path written.

    Raises:
        InputError: ``da`` is not 2-D, has no CRS, or ``nodata`` cannot be represented
            in ``dtype``.

    Examples:
        A half-degree field written as a COG and read back (NaN became the nodata value):

        >>> import numpy as np, xarray as xr
        >>> from aralrisk.geo.grid import GridSpec
        >>> from aralrisk.geo.io import read_raster
        >>> grid = GridSpec.from_bounds((60.0, 44.0, 62.0, 45.0), 0.5, "EPSG:4326")
        >>> field = grid.write_georeference(
        ...     xr.DataArray([[1.0, 2.0, np.nan, 4.0], [5, 6, 7, 8]], dims=("y", "x")))
        >>> path = write_cog(field, tmp / "field.tif", nodata=-9999, tags={"units": "mm"})
        >>> back = read_raster(path)
        >>> path.name, back.attrs["units"], back.values[0]
        ('field.tif', 'mm', array([ 1.,  2., nan,  4.], dtype=float32))
    """
    da = _north_up_2d(da)
    out_dtype = np.dtype(dtype)
    if out_dtype.kind in "iu":
        info = np.iinfo(out_dtype)
        if not (np.isfinite(nodata) and nodata == int(nodata) and info.min <= nodata <= info.max):
            raise InputError(
                f"nodata {nodata} cannot be stored as {dtype}: pick an integer in "
                f"{info.min}..{info.max}"
            )
    all_tags = {k: str(v) for k, v in (tags or {}).items()}
    units = all_tags.get("units") or da.attrs.get("units")
    if units:
        all_tags["units"] = str(units)
    description = all_tags.get("description") or da.attrs.get("description")
    target = Path(path)
    profile = {
        "driver": "GTiff",
        "height": da.sizes["y"],
        "width": da.sizes["x"],
        "count": 1,
        "dtype": out_dtype.name,
        "crs": da.rio.crs,
        # Not rio.transform(recalc=True): a cell size recomputed from float coordinates
        # drifts (0.0009999999999999983 for 0.001), and so would every reader's grid.
        "transform": GridSpec.from_raster(da).transform,
        "nodata": nodata,
        "tiled": True,
        "blockxsize": COG_BLOCK,
        "blockysize": COG_BLOCK,
        # The intermediate file is read once: favour speed over size.
        "compress": "DEFLATE",
        "zlevel": 1,
        "bigtiff": "IF_SAFER",
    }
    with _scratch(target) as scratch, atomic_path(target) as tmp:
        with rasterio.open(scratch, "w", **profile) as dst:
            for window, block in _blocks(da):
                filled = np.where(np.isnan(block), nodata, block).astype(out_dtype)
                dst.write(filled, 1, window=window)
            if all_tags:
                dst.update_tags(**all_tags)
            if units:
                dst.set_band_unit(1, str(units))
            if description:
                dst.set_band_description(1, str(description))
        rasterio.shutil.copy(
            scratch,
            tmp,
            driver="COG",
            BLOCKSIZE=COG_BLOCK,
            COMPRESS="DEFLATE",
            PREDICTOR="YES",
            OVERVIEWS="AUTO",
            OVERVIEW_RESAMPLING=overview_resampling.upper(),
            NUM_THREADS="ALL_CPUS",
            BIGTIFF="IF_SAFER",
        )
    return target


def _north_up_2d(da: xr.DataArray) -> xr.DataArray:
    if "band" in da.dims and da.sizes["band"] == 1:
        da = da.squeeze("band", drop=True)
    if da.ndim != 2 or set(da.dims) != {"y", "x"}:
        raise InputError(
            f"write_cog needs a 2-D (y, x) array, got dims {da.dims}: select one band/time first"
        )
    if da.rio.crs is None:
        raise InputError("the array has no CRS: write one with `da.rio.write_crs(...)`")
    da = da.transpose("y", "x")
    if da.sizes["y"] > 1 and float(da["y"][1]) > float(da["y"][0]):
        da = da.isel(y=slice(None, None, -1))
    return da


def _blocks(da: xr.DataArray) -> Iterator[tuple[Window, np.ndarray]]:
    """Yield (window, numpy block) pairs covering ``da``, top to bottom.

    A dask-backed array is computed a few chunks at a time (one per thread of the
    scheduler, :func:`_chunks_at_once`, in row-major order), not a whole row of chunks:
    on a wide grid a row of chunks of a derived layer (several inputs, float64
    temporaries) is gigabytes, a few chunks are tens of megabytes, and every thread
    still has a chunk to work on. The blocks come back to this process, so this works
    the same on a distributed cluster.
    """
    width = da.sizes["x"]
    if da.chunks is None:
        height = da.sizes["y"]
        for top in range(0, height, _NUMPY_BAND_ROWS):
            bottom = min(height, top + _NUMPY_BAND_ROWS)
            yield Window(0, top, width, bottom - top), np.asarray(da[top:bottom].values)
        return
    row_edges = np.cumsum((0, *da.chunks[0]))
    col_edges = np.cumsum((0, *da.chunks[1]))
    windows = [
        Window(int(left), int(top), int(right - left), int(bottom - top))
        for top, bottom in itertools.pairwise(row_edges)
        for left, right in itertools.pairwise(col_edges)
    ]
    at_once = _chunks_at_once()
    for start in range(0, len(windows), at_once):
        batch = windows[start : start + at_once]
        lazy = [
            da.data[w.row_off : w.row_off + w.height, w.col_off : w.col_off + w.width]
            for w in batch
        ]
        for window, block in zip(batch, dask.compute(*lazy), strict=True):
            yield window, np.asarray(block)


def _chunks_at_once() -> int:
    """Threads of the active scheduler: a distributed client's workers, else the cores."""
    threads = os.cpu_count() or 1
    # Only look for a client if distributed is already imported (importing it is slow).
    if "distributed" in sys.modules:
        with contextlib.suppress(ValueError):  # no client: the local threaded scheduler
            threads = sum(sys.modules["distributed"].get_client().nthreads().values())
    return max(2, threads)


@contextlib.contextmanager
def _scratch(target: Path) -> Iterator[Path]:
    """A scratch tiled GeoTIFF next to the target (same disk), removed afterwards."""
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.with_name(f".{target.stem}.{uuid.uuid4().hex[:12]}.scratch.tif")
    try:
        yield scratch
    finally:
        with contextlib.suppress(FileNotFoundError):
            scratch.unlink()
