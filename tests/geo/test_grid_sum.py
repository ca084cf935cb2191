"""geo.grid: the sum-preserving alignment of a dask source, one task per output chunk.

The task builds the float64 density and validity of its own source window instead of
whole source chunks (geo._warp.reproject_counts_chunked); these tests hold it to the
graph-level recipe it replaced, byte for byte, on small rasters built here.
"""

from __future__ import annotations

import dask.array
import numpy as np
import pyproj
import pytest
import xarray as xr
from rasterio.enums import Resampling

from aralrisk.geo._warp import reproject_chunked
from aralrisk.geo.grid import GridSpec, align, row_areas_km2

LONLAT = "EPSG:4326"
UTM = "EPSG:32641"
# lon 60.0-60.5, lat 45.0-45.3 on a 0.01-degree grid (50 x 30 cells).
TARGET = GridSpec.from_bounds((60.0, 45.0, 60.5, 45.3), 0.01, LONLAT)


def people(crs: str, res: float, bounds: tuple[float, float, float, float]) -> xr.DataArray:
    """People per cell over ``bounds`` (lon/lat), with a town, no-data cells and an edge."""
    if crs != LONLAT:
        bounds = pyproj.Transformer.from_crs(LONLAT, crs, always_xy=True).transform_bounds(*bounds)
    grid = GridSpec.from_bounds(bounds, res, crs)
    rng = np.random.default_rng(7)
    data = rng.gamma(2.0, 3.0, grid.shape).astype(np.float32)
    data[10:14, 12:18] += 4000.0
    data[::11, ::7] = np.nan
    rows, cols = grid.shape
    # A lake of no data: grid cells without any valid source cell become NaN.
    data[rows // 3 : rows // 2, cols // 3 : cols // 2] = np.nan
    return grid.write_georeference(xr.DataArray(data, dims=("y", "x")))


def graph_recipe(da: xr.DataArray, grid: GridSpec, chunks: tuple[int, int] | None) -> np.ndarray:
    """The alignment as it was built on the dask graph: the reference, (bands, rows, cols)."""
    src = da.transpose(..., "y", "x")
    data = src.data if src.ndim == 3 else src.data[None]
    transform = GridSpec.from_raster(src.isel(dict.fromkeys(src.dims[:-2], 0))).transform
    src_area = row_areas_km2(src.rio.crs, transform, data.shape[1])[None, :, None]
    valid = ~dask.array.isnan(data)
    density = dask.array.where(valid, data.astype(np.float64) / src_area, 0.0)
    stacked = dask.array.concatenate([density, valid.astype(np.float64)], axis=0)
    warped = reproject_chunked(
        stacked,
        transform,
        src.rio.crs,
        grid.transform,
        grid.crs,
        grid.shape,
        Resampling.average,
        chunks,
    )
    bands = data.shape[0]
    dst_area = grid.cell_area_km2()[None, :, None]
    mean, share = warped[:bands], warped[bands:]
    return np.asarray(dask.array.where(share > 0, mean * dst_area, np.nan).compute())


@pytest.mark.parametrize(
    ("crs", "res", "bounds"),
    [
        (UTM, 130.0, (59.95, 44.95, 60.55, 45.35)),  # finer, reprojected
        (UTM, 900.0, (59.9, 44.9, 60.6, 45.4)),  # coarser than the grid
        (LONLAT, 0.0037, (60.2, 45.1, 60.7, 45.5)),  # same CRS, covering part of the grid
    ],
)
@pytest.mark.parametrize("chunks", [None, (16, 16), (7, 33)])
def test_dask_sum_equals_the_graph_recipe_bit_for_bit(
    crs: str, res: float, bounds: tuple[float, float, float, float], chunks: tuple[int, int]
) -> None:
    source = people(crs, res, bounds)
    lazy = source.chunk({"y": 37, "x": 29})
    aligned = align(lazy, TARGET, "sum", chunks=chunks)
    assert isinstance(aligned.data, dask.array.Array) and aligned.dtype == np.float64
    expected = graph_recipe(lazy, TARGET, chunks)[0]
    assert aligned.to_numpy().tobytes() == expected.tobytes()
    assert np.isnan(expected).any() and np.isfinite(expected).any()
    # The in-memory path (the recipe itself, untouched) agrees as well.
    eager = align(source, TARGET, "sum", chunks=chunks).to_numpy()
    assert eager.tobytes() == expected.tobytes()


@pytest.mark.parametrize("time_chunk", [1, 2, 3])
def test_dask_sum_of_a_series_equals_the_graph_recipe(time_chunk: int) -> None:
    frame = people(UTM, 250.0, (59.95, 44.95, 60.55, 45.35))
    series = xr.concat([frame, frame * 2, frame + 1], dim="time").assign_coords(time=[0, 1, 2])
    series = series.rio.write_crs(frame.rio.crs)
    lazy = series.chunk({"time": time_chunk, "y": 40, "x": 40})
    aligned = align(lazy, TARGET, "sum", chunks=(16, 16))
    assert aligned.dims == ("time", "y", "x")
    expected = graph_recipe(lazy, TARGET, (16, 16))
    assert aligned.to_numpy().tobytes() == expected.tobytes()
