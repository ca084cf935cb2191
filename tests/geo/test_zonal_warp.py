"""Zone means of many coarse fields as one matrix product (geo/zonal_warp.py).

Each result is compared with the direct way it stands for: every field aligned onto the
grid with ``align`` and reduced with ``ZoneIndex.stats``.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import xarray as xr
from shapely.geometry import Polygon, box

from aralrisk.geo import zonal_warp
from aralrisk.geo.grid import GridSpec, align
from aralrisk.geo.zonal import ZoneIndex
from aralrisk.geo.zonal_warp import zone_means, zone_operator

#: The fine grid: 0.05 degrees over 60-64 E, 43-46 N.
GRID = GridSpec.from_bounds((60.0, 43.0, 64.0, 46.0), 0.05, "EPSG:4326")


def _zones(grid: GridSpec = GRID) -> ZoneIndex:
    shapes = [
        box(60.0, 43.0, 62.3, 46.0),
        Polygon([(62.3, 43.0), (64.0, 43.0), (64.0, 45.1), (62.3, 44.2)]),
        Polygon([(62.3, 44.2), (64.0, 45.1), (64.0, 46.0), (62.3, 46.0)]),
        box(61.001, 44.001, 61.02, 44.02),  # smaller than a cell: the small-zone rule
    ]
    frame = gpd.GeoDataFrame({"code": ["W", "SE", "NE", "tiny"]}, geometry=shapes, crs=4326)
    return ZoneIndex(frame, grid, "code")


def _fields(n: int, res: float = 0.5, crs: str = "EPSG:4326", seed: int = 1) -> xr.DataArray:
    """n random fields on a coarse grid covering the fine one with a margin."""
    rng = np.random.default_rng(seed)
    x = np.arange(59.25, 64.9, res) if crs == "EPSG:4326" else np.arange(0, 0)
    y = np.arange(46.75, 42.2, -res) if crs == "EPSG:4326" else np.arange(0, 0)
    data = rng.gamma(2.0, 10.0, size=(n, len(y), len(x)))
    field = xr.DataArray(
        data, dims=("time", "y", "x"), coords={"time": np.arange(n), "y": y, "x": x}
    )
    return field.rio.write_crs(crs)


def _direct(
    fields: xr.DataArray, zones: ZoneIndex, resampling: Any = "bilinear", weights: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    means, weighted = [], []
    for k in range(fields.sizes["time"]):
        stats = zones.stats(np.asarray(align(fields[k], zones.grid, resampling)), weights=weights)
        means.append(stats.mean)
        weighted.append(stats.weighted_mean)
    return np.stack(means), np.stack(weighted)


def _people(grid: GridSpec = GRID) -> np.ndarray:
    rng = np.random.default_rng(7)
    people = rng.uniform(0.0, 50.0, grid.shape)
    people[:5, :] = np.nan  # no data: left out of the weights
    people[-10:, -10:] = 0.0
    return people


def _count_warps(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []

    def counted(da: xr.DataArray, *args: Any, **kwargs: Any) -> xr.DataArray:
        calls.append(1)
        return align(da, *args, **kwargs)

    monkeypatch.setattr(zonal_warp, "align", counted)
    return calls


def test_bilinear_zone_means_equal_the_direct_way_with_two_warps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    zones = _zones()
    fields = _fields(30)
    expected, _ = _direct(fields, zones)
    calls = _count_warps(monkeypatch)
    mean, weighted = zone_means(fields, GRID, zones, "bilinear")
    assert weighted is None
    np.testing.assert_allclose(mean, expected, rtol=1e-12)
    # The tiny zone owns no cell centre: it reads its one assigned cell, both ways.
    assert np.isfinite(mean[:, 3]).all()
    # One warp of the probes and one of the first field (the check), not thirty.
    assert len(calls) == 2


def test_weighted_means_count_only_cells_with_people(monkeypatch: pytest.MonkeyPatch) -> None:
    zones = _zones()
    fields = _fields(12, seed=3)
    people = _people()
    expected_mean, expected_weighted = _direct(fields, zones, weights=people)
    calls = _count_warps(monkeypatch)
    mean, weighted = zone_means(fields, GRID, zones, "bilinear", people)
    assert weighted is not None
    np.testing.assert_allclose(mean, expected_mean, rtol=1e-12)
    np.testing.assert_allclose(weighted, expected_weighted, rtol=1e-12)
    # Weighting changes the answer (the check would pass trivially otherwise).
    assert np.abs(weighted[:, :3] - mean[:, :3]).max() > 0.01
    assert len(calls) == 2


def test_a_field_with_a_gap_where_it_is_read_goes_the_direct_way() -> None:
    zones = _zones()
    fields = _fields(6, seed=5)
    fields[2, 5, 4] = np.nan  # inside the grid's footprint: the warp renormalises around it
    fields[4, 0, 0] = np.nan  # in the margin no grid cell reads: the shortcut stands
    expected, _ = _direct(fields, zones)
    mean, _ = zone_means(fields, GRID, zones, "bilinear")
    np.testing.assert_allclose(mean, expected, rtol=1e-12)
    operator = zone_operator(fields[0], GRID, zones, "bilinear")
    assert operator is not None
    assert operator.reads[5 * fields.sizes["x"] + 4]
    assert not operator.reads[0]


def test_a_source_in_another_crs_and_cubic_kernels_are_read_off_the_warp() -> None:
    zones = _zones()
    geographic = _fields(4, seed=9)
    projected = geographic.rio.reproject("EPSG:32641", resolution=40_000.0)
    projected = projected.where(np.isfinite(projected), 10.0)
    for fields, resampling in ((projected, "bilinear"), (geographic, "cubic")):
        expected, _ = _direct(fields, zones, resampling)
        assert zone_operator(fields[0], GRID, zones, resampling) is not None
        mean, _ = zone_means(fields, GRID, zones, resampling)
        np.testing.assert_allclose(mean, expected, rtol=1e-10)


def test_a_source_finer_than_the_grid_has_no_operator_but_the_same_answer() -> None:
    coarse = GridSpec.from_bounds((60.0, 43.0, 64.0, 46.0), 0.5, "EPSG:4326")
    zones = _zones(coarse)
    fields = _fields(3, res=0.05, seed=11)
    # Averaging many source cells into one: no colouring separates the kernel.
    assert zone_operator(fields[0], coarse, zones, "average") is None
    expected, _ = _direct(fields, zones, "average")
    mean, _ = zone_means(fields, coarse, zones, "average")
    np.testing.assert_allclose(mean, expected, rtol=1e-12)


def test_operators_are_kept_between_calls_on_the_same_source_grid(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    zones = _zones()
    cache: zonal_warp.OperatorCache = {}
    zone_means(_fields(5, seed=1), GRID, zones, "bilinear", operators=cache)
    calls = _count_warps(monkeypatch)
    mean, _ = zone_means(_fields(5, seed=2), GRID, zones, "bilinear", operators=cache)
    assert len(cache) == 1
    assert len(calls) == 1  # the check of the first field only
    np.testing.assert_allclose(mean, _direct(_fields(5, seed=2), zones)[0], rtol=1e-12)


def test_an_operator_read_with_weights_serves_the_plain_means_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    zones = _zones()
    people = _people()
    cache: zonal_warp.OperatorCache = {}
    zone_means(_fields(5, seed=1), GRID, zones, "bilinear", people, operators=cache)
    calls = _count_warps(monkeypatch)
    plain = _fields(5, seed=2)
    mean, weighted = zone_means(plain, GRID, zones, "bilinear", operators=cache)
    assert weighted is None
    assert len(cache) == 1
    assert len(calls) == 1  # no probe warps again: the check of the first field only
    np.testing.assert_allclose(mean, _direct(plain, zones)[0], rtol=1e-12)
    # The other way round the plain operator cannot give weighted means: read again.
    cache.clear()
    zone_means(plain, GRID, zones, "bilinear", operators=cache)
    calls.clear()
    mean, weighted = zone_means(plain, GRID, zones, "bilinear", people, operators=cache)
    assert len(calls) == 2 and len(cache) == 1
    assert weighted is not None
    np.testing.assert_allclose(weighted, _direct(plain, zones, weights=people)[1], rtol=1e-12)


def test_lazy_weights_are_read_a_strip_at_a_time_and_give_the_same_means(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import dask.array

    zones = _zones()
    fields = _fields(4, seed=13)
    people = _people()
    expected = zone_means(fields, GRID, zones, "bilinear", people)[1]
    # Strips of a few rows: the dask grid is sliced before anything is computed.
    monkeypatch.setattr(zonal_warp, "_PROBE_VALUES", 12 * GRID.shape[1] * 7)
    lazy = dask.array.from_array(people, chunks=(16, 40))
    got = zone_means(fields, GRID, zones, "bilinear", lazy)[1]
    assert got is not None and expected is not None
    np.testing.assert_allclose(got, expected, rtol=1e-12)
