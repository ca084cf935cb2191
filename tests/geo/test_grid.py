"""geo.grid: one analysis grid, exact coordinates, alignment of any input onto it."""

from __future__ import annotations

import threading

import dask
import dask.array
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
import xarray as xr
from affine import Affine
from shapely.geometry import box

from aralrisk.geo.errors import InputError
from aralrisk.geo.grid import GridSpec, align

LONLAT = "EPSG:4326"
UTM = "EPSG:32641"
# The test area: lon 60.0-60.5, lat 45.0-45.3, on a 0.01-degree grid (50 x 30 cells).
TARGET = GridSpec.from_bounds((60.0, 45.0, 60.5, 45.3), 0.01, LONLAT)


def utm_raster(res: float = 250.0, values: str = "easting") -> xr.DataArray:
    """A UTM 41N raster covering the test area with margin, as a georeferenced DataArray."""
    to_utm = pyproj.Transformer.from_crs(LONLAT, UTM, always_xy=True)
    left, bottom, right, top = to_utm.transform_bounds(59.9, 44.9, 60.6, 45.4)
    grid = GridSpec.from_bounds((left, bottom, right, top), res, UTM)
    x, _ = np.meshgrid(grid.x, grid.y)
    if values == "easting":
        data = (x / 1000.0).astype(np.float64)
    elif values == "classes":
        data = (np.floor(x / 7000) % 5 + 1).astype(np.float64)
    else:  # people per cell, with a town and some no-data cells
        rng = np.random.default_rng(0)
        data = rng.gamma(2.0, 3.0, x.shape)
        data[100:110, 120:130] += 5000.0
        data[::17, ::13] = np.nan
    da = xr.DataArray(data, dims=("y", "x"), name=values, attrs={"units": "u"})
    return grid.write_georeference(da)


def ellipsoidal_area_km2(cell: shapely.Polygon) -> float:
    geod = pyproj.Geod(ellps="WGS84")
    # Densified edges follow the parallels, as the cell's edges do.
    return abs(geod.geometry_area_perimeter(shapely.segmentize(cell, 1e-3))[0]) / 1e6


def test_from_bounds_snaps_outward_to_whole_cells() -> None:
    grid = GridSpec.from_bounds((60.004, 44.996, 60.5, 45.3000000001), 0.01, LONLAT)
    assert grid.shape == (31, 50)
    np.testing.assert_allclose(grid.bounds, (60.0, 44.99, 60.5, 45.3), atol=1e-12)
    # Bounds differing by rounding noise give the same grid, bit for bit.
    noisy = GridSpec.from_bounds((60.0 + 1e-12, 45.0 - 1e-12, 60.5, 45.3), 0.01, LONLAT)
    assert noisy == TARGET
    # Overlapping grids share their cell centres exactly.
    wider = GridSpec.from_bounds((59.0, 44.0, 61.0, 46.0), 0.01, LONLAT)
    assert np.isin(TARGET.x, wider.x).all() and np.isin(TARGET.y, wider.y).all()
    assert TARGET.x[0] == pytest.approx(60.005) and TARGET.y[0] == pytest.approx(45.295)
    assert TARGET.res == (0.01, 0.01)


def test_invalid_grids_are_refused() -> None:
    with pytest.raises(InputError, match="bounds"):
        GridSpec.from_bounds((1, 0, 0, 1), 0.1, LONLAT)
    with pytest.raises(InputError, match="rotated or not north-up"):
        GridSpec(pyproj.CRS(LONLAT), Affine(0.1, 0.0, 0, 0.0, 0.1, 0), (3, 3))
    with pytest.raises(InputError, match="incomplete"):
        GridSpec.from_dict({"crs": LONLAT})


def test_round_trips_through_a_dict_and_a_dataarray() -> None:
    assert GridSpec.from_dict(TARGET.to_dict()) == TARGET
    assert TARGET.to_dict()["crs"] == "EPSG:4326"
    template = TARGET.template(chunks=16)
    assert isinstance(template.data, dask.array.Array) and template.shape == TARGET.shape
    assert GridSpec.from_raster(template) == TARGET
    south_up = template.isel(y=slice(None, None, -1))
    assert GridSpec.from_raster(south_up) == TARGET


def test_window_for_bounds() -> None:
    window = TARGET.window_for_bounds((60.105, 45.0, 60.2, 45.1))
    assert window is not None
    assert (window.col_off, window.row_off, window.width, window.height) == (10, 20, 10, 10)
    assert TARGET.window_for_bounds((70.0, 10.0, 71.0, 11.0)) is None


def test_cell_area_of_a_one_degree_cell_is_the_ellipsoidal_area() -> None:
    grid = GridSpec.from_bounds((60, 40, 61, 50), 1.0, LONLAT)
    expected = [ellipsoidal_area_km2(box(60, 49 - r, 61, 50 - r)) for r in range(10)]
    np.testing.assert_allclose(grid.cell_area_km2(), expected, rtol=1e-8)
    # A 1 x 1 degree cell at 45 N is about 8,700 km2; smaller towards the pole.
    assert 8_000 < grid.cell_area_km2()[5] < 9_000
    assert np.all(np.diff(grid.cell_area_km2()) > 0)
    utm = GridSpec.from_bounds((500_000, 4_800_000, 501_000, 4_801_000), 250, UTM)
    np.testing.assert_allclose(utm.cell_area_km2(), 0.0625)


def test_bilinear_alignment_of_a_utm_raster_onto_a_lonlat_grid() -> None:
    source = utm_raster()
    aligned = align(source, TARGET, "bilinear")
    assert aligned.dims == ("y", "x") and aligned.shape == TARGET.shape
    assert aligned.rio.crs == LONLAT and aligned.attrs["units"] == "u"
    np.testing.assert_array_equal(aligned.x, TARGET.x)
    np.testing.assert_array_equal(aligned.y, TARGET.y)
    # The field is the easting in km: each output cell holds its centre's easting.
    lon, lat = np.meshgrid(TARGET.x, TARGET.y)
    easting, _ = pyproj.Transformer.from_crs(LONLAT, UTM, always_xy=True).transform(lon, lat)
    np.testing.assert_allclose(aligned.to_numpy(), easting / 1000.0, atol=0.01)


def test_time_series_on_a_coarse_grid_aligns_and_joins_exactly() -> None:
    time = pd.date_range("2000-01-01", periods=3, freq="D")
    lat = np.arange(46.0, 44.0, -0.25) - 0.125
    lon = np.arange(59.5, 61.5, 0.25) + 0.125
    data = np.arange(3 * lat.size * lon.size, dtype=np.float32).reshape(3, lat.size, lon.size)
    series = xr.DataArray(
        data, dims=("time", "y", "x"), coords={"time": time, "y": lat, "x": lon}
    ).rio.write_crs(LONLAT)
    aligned = align(series.chunk({"time": 1}), TARGET, "nearest")
    assert aligned.dims == ("time", "y", "x") and aligned.sizes["time"] == 3
    np.testing.assert_array_equal(aligned.time, time)
    raster = align(utm_raster(), TARGET, "bilinear")
    # Layers aligned separately share coordinates bit for bit: exact joins work.
    a, b = xr.align(aligned.isel(time=0, drop=True), raster, join="exact")
    assert a.shape == b.shape == TARGET.shape
    # Nearest on a 0.25-degree grid: each output cell copies the enclosing input cell.
    values = aligned.isel(time=2).to_numpy()
    i = np.floor((46.0 - TARGET.y) / 0.25).astype(int)
    j = np.floor((TARGET.x - 59.5) / 0.25).astype(int)
    np.testing.assert_array_equal(values, data[2][np.ix_(i, j)])


def test_sum_preserving_regridding_keeps_the_population_total() -> None:
    people = utm_raster(res=100.0, values="people")
    # Count only the source cells inside the target grid's footprint.
    lon, lat = pyproj.Transformer.from_crs(UTM, LONLAT, always_xy=True).transform(
        *np.meshgrid(people.x, people.y)
    )
    left, bottom, right, top = TARGET.bounds
    inside = (lon >= left) & (lon < right) & (lat >= bottom) & (lat < top)
    total = np.nansum(people.to_numpy()[inside])
    aligned = align(people, TARGET, "sum")
    assert aligned.dtype == np.float64
    assert np.nansum(aligned.to_numpy()) == pytest.approx(total, rel=0.005)
    assert np.isfinite(aligned.to_numpy()).all()


def test_nearest_keeps_classes() -> None:
    classes = utm_raster(values="classes")
    aligned = align(classes, TARGET, "nearest").to_numpy()
    assert set(np.unique(aligned)) <= {1.0, 2.0, 3.0, 4.0, 5.0}
    assert len(np.unique(aligned)) == 5


def test_dask_alignment_is_lazy_and_equals_numpy() -> None:
    source = utm_raster()
    calls: list[int] = []
    lock = threading.Lock()
    data = source.to_numpy()

    def load(block: np.ndarray) -> np.ndarray:
        if block.size:  # dask calls it on an empty array to learn the output type
            with lock:
                calls.append(block.size)
        return block

    lazy_data = dask.array.from_array(data, chunks=64).map_blocks(load, dtype=data.dtype)
    lazy = align(source.copy(data=lazy_data), TARGET, "bilinear", chunks=(16, 16))
    assert isinstance(lazy.data, dask.array.Array)
    assert not calls  # nothing read or warped until asked
    eager = align(source, TARGET, "bilinear", chunks=(16, 16))
    np.testing.assert_array_equal(lazy.to_numpy(), eager.to_numpy())
    assert calls
    # Other chunks differ only within GDAL's approximate transformer (1/8 of a cell,
    # here about 0.1 km of easting).
    default = align(source, TARGET, "bilinear").to_numpy()
    np.testing.assert_allclose(default, eager.to_numpy(), atol=0.1)


def test_alignment_refuses_unusable_arrays() -> None:
    with pytest.raises(InputError, match="unknown resampling"):
        align(utm_raster(), TARGET, "spline")  # type: ignore[arg-type]
    no_crs = xr.DataArray(np.ones((3, 3)), dims=("y", "x"), coords={"y": [3, 2, 1], "x": [1, 2, 3]})
    with pytest.raises(InputError, match="no CRS"):
        align(no_crs, TARGET, "nearest")
    cube = xr.DataArray(np.ones((2, 2, 3, 3)), dims=("a", "b", "y", "x"))
    cube = cube.assign_coords(y=[3.0, 2.0, 1.0], x=[1.0, 2.0, 3.0]).rio.write_crs(UTM)
    with pytest.raises(InputError, match="one extra dimension"):
        align(cube, TARGET, "nearest")
