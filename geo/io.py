"""All file access of the geospatial engine: readers that check inputs, writers that publish.

Readers return lazy :class:`xarray.DataArray` objects (dask chunks aligned to the file's
own blocks) or validated :class:`geopandas.GeoDataFrame` objects; every problem a user
can fix raises :class:`~geo.errors.InputError` with one sentence on how to fix it, and
every problem that was repaired or assumed emits :class:`~geo.errors.InputWarning`.

The vector reader/writer live in :mod:`geo.vectors` and the COG writer in
:mod:`geo.cog`; they are re-exported here so callers import everything from one place.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import dask
import dask.array
import dask.base
import numpy as np
import rasterio
import rioxarray
import xarray as xr
from affine import Affine
from rasterio.crs import CRS
from rasterio.errors import RasterioError
from rasterio.windows import Window

from aralrisk.geo._files import (
    PathLike,
    atomic_path,  # noqa: F401 - the pipeline's writers import it here
    base_name,
    require_file,
)
from aralrisk.geo.cog import write_cog
from aralrisk.geo.errors import InputError, warn_input
from aralrisk.geo.grid import GridSpec
from aralrisk.geo.vectors import read_districts, write_vectors

__all__ = [
    "raster_grid",
    "read_districts",
    "read_raster",
    "read_timeseries",
    "write_cog",
    "write_vectors",
]

# Dask chunks of about 16 MiB of float32: large enough to amortise task overhead,
# small enough that a few per thread fit comfortably in memory.
CHUNK_CELLS = 4 * 1024 * 1024

_X_NAMES = ("x", "lon", "longitude", "rlon")
_Y_NAMES = ("y", "lat", "latitude", "rlat")
_GEOGRAPHIC_NAMES = ("lon", "longitude", "lat", "latitude")
_TIME_NAMES = ("time", "t", "date")


def raster_grid(path: PathLike) -> tuple[CRS, Affine, tuple[int, int]]:
    """Return the CRS, affine transform and (rows, cols) shape of a raster file.

    Only the header is read, so this is cheap for any raster size.

    Raises:
        InputError: The file is missing, not a raster, or has no CRS.

    Examples:
        The tiny world's dust raster: 12 rows, 22 columns of 0.1 degree from 59.9 E, 45.1 N:

        >>> crs, transform, shape = raster_grid(world_dir / "dust.tif")
        >>> crs.to_epsg(), shape, (transform.a, transform.c, transform.f)
        (4326, (12, 22), (0.1, 59.9, 45.1))
    """
    with _open_raster(path) as ds:
        return ds.crs, ds.transform, (ds.height, ds.width)


def read_raster(
    path: PathLike,
    *,
    chunks: bool | dict[str, int] | None = True,
    band: int | None = None,
) -> xr.DataArray:
    """Read one band of a GeoTIFF/COG as a float DataArray with NaN for nodata.

    Args:
        path: The raster file (any single-file format GDAL reads; GeoTIFF/COG expected).
        chunks: ``True`` for dask chunks of about 4 M cells aligned to the file's
            internal blocks, a dict such as ``{"y": 1024, "x": 1024}`` for given chunks,
            or ``None``/``False`` for xarray's lazily loaded (non-dask) array.
        band: 1-based band to read; required when the file has several bands.

    Returns:
        A DataArray of dims ``(y, x)`` in the file's CRS (written with rioxarray), of a
        float dtype (float32 for 8/16-bit and float32 files, float64 otherwise), with
        nodata cells as NaN. ``attrs`` keep ``units`` and ``description`` when the file
        declares them (band unit/description or dataset tags).

    Raises:
        InputError: The file is missing, not a raster, truncated or corrupt, has no CRS,
            or has several bands and ``band`` is not given.

    Warns:
        InputWarning: The file declares no nodata value.

    Examples:
        >>> dust = read_raster(world_dir / "dust.tif")
        >>> dust.dims, dust.shape, dust.dtype, dust.attrs["units"], dust.rio.crs.to_epsg()
        (('y', 'x'), (12, 22), dtype('float32'), 'd/yr', 4326)
        >>> float(dust.mean())  # lazy until asked: this reads the file
        45.0
    """
    name = base_name(path)
    with _open_raster(path) as ds:
        if band is None:
            if ds.count > 1:
                raise InputError(f"{name} has {ds.count} bands: choose one with band=1..{ds.count}")
            band = 1
        if not 1 <= band <= ds.count:
            raise InputError(f"{name} has no band {band}: choose band=1..{ds.count}")
        _check_blocks(ds, band, name)
        nodata = ds.nodatavals[band - 1]
        units = ds.units[band - 1] or ds.tags().get("units") or ds.tags(band).get("units")
        description = (
            ds.descriptions[band - 1]
            or ds.tags().get("description")
            or ds.tags(band).get("description")
        )
        block_shape = ds.block_shapes[band - 1]
        shape = (ds.height, ds.width)
        file_dtype = np.dtype(ds.dtypes[band - 1])
        crs, transform = ds.crs, ds.transform
    if nodata is None:
        warn_input(
            f"{name} has no nodata value; all cells are treated as valid — set one with "
            "`rio edit-info --nodata`",
            stacklevel=2,
        )
    dask_chunks = _dask_chunks(chunks, block_shape, shape)
    north_up = transform.b == 0 and transform.d == 0 and transform.a > 0 and transform.e < 0
    if dask_chunks is not None and north_up:
        da = _lazy_band(
            path, band, dask_chunks, file_dtype, nodata, GridSpec(crs, transform, shape)
        )
        return _with_metadata(da, units, description)
    try:
        # lock=False gives each dask thread its own file handle: parallel reads.
        opened = rioxarray.open_rasterio(path, masked=True, chunks=dask_chunks, lock=False)
    except RasterioError as err:
        raise InputError(f"{name} cannot be read as a raster: check that it is a GeoTIFF") from err
    assert isinstance(opened, xr.DataArray)  # noqa: S101 - a single-file raster gives one array
    da = opened.sel(band=band, drop=True)
    if da.dtype.kind != "f":
        da = da.astype(_float_dtype(da.dtype))
    return _with_metadata(da, units, description)


def _with_metadata(da: xr.DataArray, units: str | None, description: str | None) -> xr.DataArray:
    if units:
        da.attrs["units"] = units
    if description:
        da.attrs["description"] = description
    return da


def _float_dtype(dtype: np.dtype[Any]) -> np.dtype[Any]:
    if dtype.kind == "f":
        return dtype
    return np.dtype(np.float32 if dtype.itemsize <= 2 else np.float64)


def _lazy_band(
    path: PathLike,
    band: int,
    chunks: dict[str, int],
    file_dtype: np.dtype[Any],
    nodata: float | None,
    grid: GridSpec,
) -> xr.DataArray:
    """A dask-backed band: one task per chunk opens the file and reads its window.

    Reading directly with rasterio (rather than through rioxarray's masked reader)
    costs about a quarter less CPU: the nodata mask is one comparison on the chunk,
    and none at all for float files whose nodata is NaN. The file is opened per task,
    never cached, so a rewritten file is never served from a stale handle; its size
    and modification time are part of the task names for the same reason.
    """
    rows, cols = grid.shape
    row_chunks = _split(rows, chunks["y"])
    col_chunks = _split(cols, chunks["x"])
    out_dtype = _float_dtype(file_dtype)
    # Absolute: dask workers need not share the caller's working directory.
    absolute = os.path.abspath(path)
    stat = os.stat(absolute)
    token = dask.base.tokenize(absolute, stat.st_size, stat.st_mtime_ns, band, nodata, chunks)
    data = dask.array.map_blocks(
        _read_window,
        chunks=(row_chunks, col_chunks),
        dtype=out_dtype,
        meta=np.empty((0, 0), out_dtype),
        name=f"read-raster-{token}",
        path=absolute,
        band=band,
        nodata=nodata,
        out_dtype=out_dtype,
    )
    return grid.write_georeference(xr.DataArray(data, dims=("y", "x")))


def _split(size: int, step: int) -> tuple[int, ...]:
    return tuple(min(step, size - start) for start in range(0, size, step))


def _read_window(
    *,
    path: str,
    band: int,
    nodata: float | None,
    out_dtype: np.dtype[Any],
    block_info: dict[Any, Any] | None = None,
) -> np.ndarray:
    assert block_info is not None  # noqa: S101 - dask always passes it
    (row0, row1), (col0, col1) = block_info[None]["array-location"]
    # GDAL decodes the window's blocks on all cores: faster than one thread per task.
    with rasterio.Env(GDAL_NUM_THREADS="ALL_CPUS"), rasterio.open(path) as ds:
        raw = ds.read(band, window=Window(col0, row0, col1 - col0, row1 - row0))
    data = raw.astype(out_dtype, copy=False)
    if nodata is not None and not math.isnan(nodata):
        data[raw == nodata] = np.nan
    return data


def _open_raster(path: PathLike) -> rasterio.DatasetReader:
    name = base_name(path)
    require_file(path, "raster")
    try:
        ds = rasterio.open(path)
    except RasterioError as err:
        raise InputError(
            f"{name} is not a readable raster (or is truncated): provide a GeoTIFF or COG"
        ) from err
    if ds.crs is None:
        ds.close()
        raise InputError(
            f"{name} has no CRS: set one with `rio edit-info --crs EPSG:4326` (or the "
            "correct EPSG code) or `gdal_edit.py -a_srs`"
        )
    return ds


def _check_blocks(ds: rasterio.DatasetReader, band: int, name: str) -> None:
    """Cheap validation that the pixel blocks are all present and one decodes.

    A truncated GeoTIFF whose header survived opens fine and only fails when a block is
    read, possibly deep inside a later dask computation. The TIFF directory gives each
    block's byte offset and size: any block ending past the end of the file means the
    file is truncated. Decoding the block stored last in the file then catches most
    other damage for the cost of one block.
    """
    message = f"{name} is truncated or corrupt: copy or download it again"
    size = os.path.getsize(ds.name) if os.path.isfile(ds.name) else None
    last: Window | None = None
    last_end = -1
    for (row, col), window in ds.block_windows(band):
        offset = ds.get_tag_item(f"BLOCK_OFFSET_{col}_{row}", "TIFF", bidx=band)
        length = ds.get_tag_item(f"BLOCK_SIZE_{col}_{row}", "TIFF", bidx=band)
        if offset is None or length is None:  # not a TIFF: fall back to the last block
            last = window
            continue
        end = int(offset) + int(length)
        if size is not None and end > size:
            raise InputError(message)
        if end > last_end:
            last, last_end = window, end
    try:
        if last is not None:
            ds.read(band, window=last)
    except RasterioError as err:
        raise InputError(message) from err


def _dask_chunks(
    chunks: bool | dict[str, int] | None, block: tuple[int, int], shape: tuple[int, int]
) -> dict[str, int] | None:
    if chunks is None or chunks is False:
        return None
    if isinstance(chunks, dict):
        return {"band": 1, **chunks}
    # Whole multiples of the file's blocks, so that a chunk never decodes a block twice.
    block_rows, block_cols = block
    rows, cols = shape
    side = math.isqrt(CHUNK_CELLS)
    chunk_cols = min(cols, block_cols * max(1, side // block_cols))
    chunk_rows = min(rows, block_rows * max(1, CHUNK_CELLS // chunk_cols // block_rows))
    return {"band": 1, "y": chunk_rows, "x": chunk_cols}


def read_timeseries(
    path: PathLike, variable: str, *, aliases: Sequence[str] = (), in_memory_bytes: int = 0
) -> xr.DataArray:
    """Read a gridded time series from NetCDF (netCDF4/h5netcdf) or a Zarr store.

    Args:
        path: A NetCDF file, or a Zarr store (a directory, usually ``*.zarr``).
        variable: The variable to read, e.g. ``"tasmax"``.
        aliases: Other names the same variable may have, tried in order when
            ``variable`` is absent (e.g. ``("tmax", "t2m_max")``).
        in_memory_bytes: A variable this size or smaller (decoded, in bytes) is read
            into memory at once, without dask: a small file then reads several times
            faster than through one dask task per stored chunk.

    Returns:
        A lazily chunked DataArray (NumPy-backed when read into memory) of dims
        ``(time, y, x)`` with 1-D ``x``/``y``
        coordinates (renamed from ``lon``/``lat`` or ``longitude``/``latitude``), a
        decoded ``time`` coordinate, and a CRS: the file's grid mapping, or EPSG:4326
        when the grid is in longitude/latitude without one. ``attrs`` are kept, with
        ``units`` guaranteed to parse as a CF unit.

    Raises:
        InputError: The file is missing or unreadable, no candidate variable exists
            (the message lists those present), the variable has no time axis, other
            non-singleton dimensions or an undecodable time, its ``units`` are missing
            or cannot be parsed, or it has a projected grid without a CRS.

    Examples:
        Thirty years of daily maximum temperature on the tiny world's climate grid:

        >>> tasmax = read_timeseries(world_dir / "climate.nc", "tasmax", aliases=("tmax",))
        >>> tasmax.dims, tasmax.shape, tasmax.attrs["units"], tasmax.rio.crs.to_epsg()
        (('time', 'y', 'x'), (10958, 4, 6), 'K', 4326)
        >>> str(tasmax.time[0].values)[:10], str(tasmax.time[-1].values)[:10]
        ('1991-01-01', '2020-12-31')
    """
    name = base_name(path)
    require_file(path, "time-series file")
    # Opened without dask first: the decoded size decides how the values are read.
    ds = _open_dataset(Path(path), name, chunks=None)
    found = find_variable(ds, name, [variable, *aliases])
    in_memory = ds[found].nbytes <= in_memory_bytes
    if not in_memory:
        ds.close()
        ds = _open_dataset(Path(path), name)
    da = ds[found]
    da, geographic = _standard_dims(da, name, found)
    _check_units(da, name, found)
    crs = da.rio.crs
    if crs is None:
        if not geographic:
            raise InputError(
                f"{name}: variable {found!r} has projected x/y coordinates but no grid "
                "mapping: add a CF grid_mapping variable or write one with "
                "`ds.rio.write_crs(...)`"
            )
        crs = "EPSG:4326"
    da = da.rio.set_spatial_dims(x_dim="x", y_dim="y").rio.write_crs(crs)
    return da.load() if in_memory else da


def find_variable(ds: xr.Dataset, name: str, candidates: Sequence[str]) -> str:
    """The first of ``candidates`` that ``ds`` (read from file ``name``) holds.

    Raises:
        InputError: None of them is there; the message lists the variables present.
    """
    found = next((c for c in candidates if c in ds.data_vars), None)
    if found is None:
        present = ", ".join(str(v) for v in ds.data_vars) or "(none)"
        raise InputError(
            f"{name} has no variable {' or '.join(repr(c) for c in candidates)}: "
            f"choose one of {present}"
        )
    return found


def _open_dataset(path: Path, name: str, chunks: Literal["auto"] | None = "auto") -> xr.Dataset:
    """Open a NetCDF file or Zarr store: chunked as stored, or lazily without dask (None)."""
    try:
        if path.is_dir() or path.suffix == ".zarr":
            try:
                return xr.open_zarr(path, chunks=chunks, consolidated=True, decode_coords="all")
            except (KeyError, ValueError, FileNotFoundError):
                # Zarr v3 stores usually carry no consolidated metadata.
                return xr.open_zarr(path, chunks=chunks, consolidated=False, decode_coords="all")
        return xr.open_dataset(path, chunks=chunks, decode_coords="all")
    except ValueError as err:
        if "time" in str(err):
            raise InputError(
                f"{name} has a time axis that cannot be decoded: give it CF units such as "
                "'days since 2000-01-01' and a known calendar"
            ) from err
        raise InputError(f"{name} is not a readable NetCDF file or Zarr store") from err
    except OSError as err:
        raise InputError(f"{name} is not a readable NetCDF file or Zarr store") from err


def _standard_dims(da: xr.DataArray, name: str, var: str) -> tuple[xr.DataArray, bool]:
    """Rename dims to (time, y, x); also say whether x/y were longitude/latitude."""
    renames: dict[Any, str] = {}
    geographic = False
    for dim in da.dims:
        key = str(dim).lower()
        if key in _X_NAMES:
            renames[dim] = "x"
        elif key in _Y_NAMES:
            renames[dim] = "y"
        elif key in _TIME_NAMES or _is_time(da[dim] if dim in da.coords else None):
            renames[dim] = "time"
        geographic |= key in _GEOGRAPHIC_NAMES
    da = da.rename({k: v for k, v in renames.items() if k != v})
    if "time" not in da.dims:
        raise InputError(
            f"{name}: variable {var!r} has no time axis (dims {', '.join(map(str, da.dims))}): "
            "provide a series with a CF 'time' dimension"
        )
    if not _is_time(da["time"] if "time" in da.coords else None):
        raise InputError(
            f"{name}: the time axis of {var!r} is not decoded as dates: give it CF units "
            "such as 'days since 2000-01-01'"
        )
    for axis in ("x", "y"):
        if axis not in da.dims:
            raise InputError(
                f"{name}: variable {var!r} has no {axis} axis (dims "
                f"{', '.join(map(str, da.dims))}): name them lon/lat or x/y"
            )
    extra = [d for d in da.dims if d not in ("time", "y", "x")]
    if any(da.sizes[d] > 1 for d in extra):
        raise InputError(
            f"{name}: variable {var!r} has extra dimensions ({', '.join(map(str, extra))}): "
            "select one level before reading it, e.g. with `ds.isel(...)`"
        )
    return da.squeeze(extra, drop=True).transpose("time", "y", "x"), geographic


def _is_time(coord: xr.DataArray | None) -> bool:
    if coord is None:
        return False
    if np.issubdtype(coord.dtype, np.datetime64):
        return True
    # cftime dates (non-standard calendars) decode to objects with a calendar.
    return coord.dtype == object and coord.size > 0 and hasattr(coord.values.flat[0], "calendar")


def _check_units(da: xr.DataArray, name: str, var: str) -> None:
    units = da.attrs.get("units")
    if not isinstance(units, str) or not units.strip():
        raise InputError(
            f"{name}: variable {var!r} has no units attribute: set one, e.g. "
            f"`ds[{var!r}].attrs['units'] = 'K'`"
        )
    # xclim takes seconds to import; only pay for it when a series is read.
    from xclim.core.units import units2pint

    try:
        units2pint(units)
    except Exception as err:  # pint raises several unrelated types for bad strings
        raise InputError(
            f"{name}: units {units!r} of variable {var!r} cannot be parsed: use a CF/UDUNITS "
            "unit such as 'K', 'degC', 'mm/day' or 'kg m-2 s-1'"
        ) from err
