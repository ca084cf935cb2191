"""Windowed reprojection of (bands, rows, cols) arrays between north-up affine grids.

The destination grid is cut into chunks. For each chunk, its footprint is transformed
into the source CRS (densified edges), widened by a margin for the resampling kernel,
and only that source window is handed to :func:`rasterio.warp.reproject`. A dask
source therefore stays lazy: each destination chunk becomes one task that depends on
a slice of the source, so only the source chunks it needs are read when computed,
and the whole source is never loaded at once. A numpy source goes through exactly the
same windows, so both give bit-identical results.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import dask
import dask.array
import numpy as np
from affine import Affine
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.errors import NotGeoreferencedWarning
from rasterio.warp import reproject, transform_bounds

# MEM -> MEM warps under concurrent (dask) threads emit this at random although every
# warp gets explicit transforms (odc-geo#131); it is noise, not a georeferencing problem.
warnings.filterwarnings("ignore", "Dataset has no geotransform", NotGeoreferencedWarning)

# Upper bound on source cells one destination chunk may pull in (~128 MiB of float32):
# the chunk size is lowered when the source is much finer than the destination.
SOURCE_CELLS_PER_TASK = 32 * 1024 * 1024
MAX_CHUNK = 2048
MIN_CHUNK = 128

Window2D = tuple[int, int, int, int]  # row_start, row_stop, col_start, col_stop


def reproject_chunked(
    source: np.ndarray | dask.array.Array,
    src_transform: Affine,
    src_crs: CRS,
    dst_transform: Affine,
    dst_crs: CRS,
    dst_shape: tuple[int, int],
    resampling: Resampling,
    chunks: tuple[int, int] | None = None,
) -> np.ndarray | dask.array.Array:
    """Reproject a (bands, rows, cols) array onto a destination grid, chunk by chunk.

    Args:
        source: Float array of shape (bands, rows, cols); NaN is no data. Bands are
            warped independently (each band's own NaN mask is honoured).
        src_transform: North-up affine transform of the source (CRS units per cell).
        src_crs: Source CRS.
        dst_transform: North-up affine transform of the destination grid.
        dst_crs: Destination CRS.
        dst_shape: Destination (rows, cols).
        resampling: GDAL resampling method.
        chunks: Destination chunk (rows, cols); chosen from the resolution ratio when
            ``None`` so that one task reads at most about 32 M source cells.

    Returns:
        Array of shape (bands, *dst_shape) and the source's dtype: dask if ``source``
        is dask (lazy, nothing computed), numpy otherwise. Destination cells that no
        valid source cell reaches are NaN.
    """
    dtype = source.dtype
    lazy = isinstance(source, dask.array.Array)
    lead = source.chunks[0] if isinstance(source, dask.array.Array) else (source.shape[0],)
    windows = _windows(
        lead, source.shape[1:], src_transform, src_crs, dst_transform, dst_crs, dst_shape, chunks
    )

    def warp(window: _Window, s0: int, s1: int, t0: int, t1: int) -> Any:
        sub = source[window.bands, s0:s1, t0:t1]
        sub_transform = src_transform @ Affine.translation(t0, s0)
        args = (sub_transform, src_crs, window.transform, dst_crs, window.shape, resampling)
        if lazy:
            return dask.delayed(warp_window, pure=True)(sub, *args)
        return warp_window(sub, *args)

    if lazy:
        return _assemble(windows, dtype, warp)
    out = np.full((source.shape[0], *dst_shape), np.nan, dtype=dtype)
    for window in windows:
        if window.source is not None:
            out[window.bands, window.rows, window.cols] = warp(window, *window.source)
    return out


def reproject_counts_chunked(
    source: dask.array.Array,
    src_area: np.ndarray,
    src_transform: Affine,
    src_crs: CRS,
    dst_area: np.ndarray,
    dst_transform: Affine,
    dst_crs: CRS,
    dst_shape: tuple[int, int],
    chunks: tuple[int, int] | None = None,
) -> dask.array.Array:
    """Regrid counts (e.g. people per cell) lazily, preserving totals; one task per chunk.

    Bit for bit the graph-level recipe it replaces (kept for numpy sources in
    :func:`geo.grid.align`): density = count / source cell area (0 where no data),
    validity = 1 where there is data; both warped by area-weighted ``average`` as
    separate bands over the same windows as :func:`reproject_chunked` (the density bands
    of a chunk of ``source``'s leading axis in one warp, their validity in another);
    count = mean density * destination cell area where any valid source cell
    contributes, else NaN. One task does all of this for its window only, so the float64
    density and validity exist for one window at a time, never for whole source chunks.

    Args:
        source: Dask float array (bands, rows, cols) of counts per source cell; NaN is
            no data.
        src_area: (rows,) area of the source cells of each row, km2.
        src_transform: North-up affine transform of the source.
        src_crs: Source CRS.
        dst_area: (dst rows,) area of the destination cells of each row, km2.
        dst_transform: North-up affine transform of the destination grid.
        dst_crs: Destination CRS.
        dst_shape: Destination (rows, cols).
        chunks: Destination chunk (rows, cols), as for :func:`reproject_chunked` with a
            source of twice as many bands (density and validity).

    Returns:
        A lazy float64 dask array (bands, *dst_shape) of counts per destination cell.
    """
    # The recipe's stacked (density, validity) source has the band groups of ``source``
    # twice: the same chunk size (from the largest group) and the same windows.
    windows = _windows(
        source.chunks[0],
        source.shape[1:],
        src_transform,
        src_crs,
        dst_transform,
        dst_crs,
        dst_shape,
        chunks,
    )

    def count(window: _Window, s0: int, s1: int, t0: int, t1: int) -> Any:
        return dask.delayed(warp_counts, pure=True)(
            source[window.bands, s0:s1, t0:t1],
            src_area[s0:s1],
            src_transform @ Affine.translation(t0, s0),
            src_crs,
            dst_area[window.rows],
            window.transform,
            dst_crs,
            window.shape,
        )

    return _assemble(windows, np.dtype(np.float64), count)


def warp_counts(
    sub: np.ndarray,
    sub_area: np.ndarray,
    sub_transform: Affine,
    src_crs: CRS,
    dst_area: np.ndarray,
    dst_transform: Affine,
    dst_crs: CRS,
    shape: tuple[int, int, int],
) -> np.ndarray:
    """One window of :func:`reproject_counts_chunked`: counts in, counts out (float64).

    ``sub`` (bands, rows, cols) holds counts (NaN = no data), ``sub_area`` the area of
    its rows' cells and ``dst_area`` that of the destination rows', in km2. In-place
    steps give the same bits as the recipe's ``where(valid, count / area, 0)`` and
    ``where(share > 0, mean * area, nan)``; the validity is warped first and kept as a
    mask, so at most two float64 windows are alive at a time.
    """
    valid = ~np.isnan(sub)
    share = warp_window(
        valid.astype(np.float64),
        sub_transform,
        src_crs,
        dst_transform,
        dst_crs,
        shape,
        Resampling.average,
    )
    reached = share > 0
    del share
    density = sub.astype(np.float64)
    density /= sub_area[:, None]
    density[~valid] = 0.0
    del valid
    mean = warp_window(
        density, sub_transform, src_crs, dst_transform, dst_crs, shape, Resampling.average
    )
    del density
    mean *= dst_area[:, None]
    mean[~reached] = np.nan
    return mean


@dataclass(frozen=True)
class _Window:
    """One destination chunk of one group of bands, and the source window it needs."""

    bands: slice
    rows: slice
    cols: slice
    shape: tuple[int, int, int]
    transform: Affine  # of the destination chunk
    source: Window2D | None  # None: no source cell reaches the chunk


def _assemble(
    windows: Iterable[_Window],
    dtype: np.dtype[Any],
    task: Callable[[_Window, int, int, int, int], Any],
) -> dask.array.Array:
    """One lazy block per window (:func:`_windows` order), joined into one dask array.

    ``task(window, *window.source)`` gives the delayed block of a window that a source
    cell reaches; the others are NaN.
    """
    lead_blocks: list[list[list[dask.array.Array]]] = []
    for window in windows:
        if window.rows.start == 0 and window.cols.start == 0:  # a new group of bands
            lead_blocks.append([])
        if window.cols.start == 0:  # a new row of chunks
            lead_blocks[-1].append([])
        if window.source is None:
            block = dask.array.full(window.shape, np.nan, dtype=dtype)
        else:
            delayed = task(window, *window.source)
            block = dask.array.from_delayed(delayed, window.shape, dtype=dtype)
        lead_blocks[-1][-1].append(block)
    return dask.array.block(lead_blocks)


def _windows(
    lead: tuple[int, ...],
    src_shape: tuple[int, ...],
    src_transform: Affine,
    src_crs: CRS,
    dst_transform: Affine,
    dst_crs: CRS,
    dst_shape: tuple[int, int],
    chunks: tuple[int, int] | None,
) -> Iterator[_Window]:
    """The chunks of a chunked reprojection: per group of bands, row-major.

    ``lead`` gives the bands of each group (a dask source's chunks along its leading
    axis; one group of all bands for numpy), ``src_shape`` the source's (rows, cols);
    ``chunks`` defaults to :func:`_auto_chunks` for the largest group.
    """
    if chunks is None:
        chunks = _auto_chunks(src_transform, src_crs, dst_transform, dst_crs, dst_shape, max(lead))
    row_edges = _edges(dst_shape[0], chunks[0])
    col_edges = _edges(dst_shape[1], chunks[1])
    ratio = _resolution_ratio(src_transform, src_crs, dst_transform, dst_crs, dst_shape)
    pad = 2 + 2 * math.ceil(ratio)
    band_start = 0
    for band_count in lead:
        band_stop = band_start + band_count
        for r0, r1 in itertools.pairwise(row_edges):
            for c0, c1 in itertools.pairwise(col_edges):
                chunk_transform = dst_transform @ Affine.translation(c0, r0)
                shape = (band_count, r1 - r0, c1 - c0)
                window = source_window(
                    chunk_transform,
                    shape[1:],
                    dst_crs,
                    src_transform,
                    src_crs,
                    (src_shape[0], src_shape[1]),
                    pad,
                )
                yield _Window(
                    slice(band_start, band_stop),
                    slice(r0, r1),
                    slice(c0, c1),
                    shape,
                    chunk_transform,
                    window,
                )
        band_start = band_stop


def warp_window(
    sub: np.ndarray,
    sub_transform: Affine,
    src_crs: CRS,
    dst_transform: Affine,
    dst_crs: CRS,
    shape: tuple[int, int, int],
    resampling: Resampling,
) -> np.ndarray:
    """Warp one source window into one destination chunk (NaN = no data both sides)."""
    sub = np.ascontiguousarray(sub)
    dest = np.full(shape, np.nan, dtype=sub.dtype)
    reproject(
        source=sub,
        destination=dest,
        src_transform=sub_transform,
        src_crs=src_crs,
        src_nodata=np.nan,
        dst_transform=dst_transform,
        dst_crs=dst_crs,
        dst_nodata=np.nan,
        resampling=resampling,
        init_dest_nodata=True,
        num_threads=1,
        # Each band keeps its own no-data mask (GDAL may otherwise unify them).
        UNIFIED_SRC_NODATA="NO",
    )
    return dest


def source_window(
    dst_transform: Affine,
    dst_shape: tuple[int, int],
    dst_crs: CRS,
    src_transform: Affine,
    src_crs: CRS,
    src_shape: tuple[int, int],
    pad: int,
) -> Window2D | None:
    """Return the source rows/cols that a destination block needs, or None if none.

    The block's footprint is transformed with 21 points per edge (curved edges after
    reprojection), converted to source cells, widened by ``pad`` cells for the
    resampling kernel and clipped to the source.
    """
    rows, cols = dst_shape
    left, top = dst_transform.c, dst_transform.f
    right, bottom = left + cols * dst_transform.a, top + rows * dst_transform.e
    if src_crs != dst_crs:
        try:
            left, bottom, right, top = transform_bounds(
                dst_crs, src_crs, left, bottom, right, top, densify_pts=21
            )
        except Exception:  # the block lies outside the source projection's domain
            return None
        if not all(map(math.isfinite, (left, bottom, right, top))):
            return None
    col0 = math.floor((left - src_transform.c) / src_transform.a) - pad
    col1 = math.ceil((right - src_transform.c) / src_transform.a) + pad
    row0 = math.floor((top - src_transform.f) / src_transform.e) - pad
    row1 = math.ceil((bottom - src_transform.f) / src_transform.e) + pad
    row0, row1 = max(row0, 0), min(row1, src_shape[0])
    col0, col1 = max(col0, 0), min(col1, src_shape[1])
    if row0 >= row1 or col0 >= col1:
        return None
    return row0, row1, col0, col1


def _resolution_ratio(
    src_transform: Affine,
    src_crs: CRS,
    dst_transform: Affine,
    dst_crs: CRS,
    dst_shape: tuple[int, int],
) -> float:
    """Source cells per destination cell along one axis, at the destination's centre."""
    cell = dst_transform @ Affine.translation(dst_shape[1] // 2, dst_shape[0] // 2)
    left, top = cell.c, cell.f
    right, bottom = left + cell.a, top + cell.e
    if src_crs != dst_crs:
        try:
            left, bottom, right, top = transform_bounds(
                dst_crs, src_crs, left, bottom, right, top, densify_pts=5
            )
        except Exception:  # centre outside the source projection's domain
            return 1.0
    width = abs(right - left) / abs(src_transform.a)
    height = abs(top - bottom) / abs(src_transform.e)
    ratio = math.sqrt(width * height)
    return ratio if math.isfinite(ratio) else 1.0


def _auto_chunks(
    src_transform: Affine,
    src_crs: CRS,
    dst_transform: Affine,
    dst_crs: CRS,
    dst_shape: tuple[int, int],
    bands_per_task: int,
) -> tuple[int, int]:
    ratio = _resolution_ratio(src_transform, src_crs, dst_transform, dst_crs, dst_shape)
    side = math.sqrt(SOURCE_CELLS_PER_TASK / max(bands_per_task, 1)) / max(ratio, 1.0)
    side_int = int(min(MAX_CHUNK, max(MIN_CHUNK, side)))
    return min(side_int, dst_shape[0]), min(side_int, dst_shape[1])


def _edges(size: int, step: int) -> list[int]:
    return [*range(0, size, step), size]
