"""ZoneIndex: brute force per polygon, exactextract, the small-zone rule, NaN, dask vs numpy."""

from __future__ import annotations

import math
import threading
from collections import Counter
from pathlib import Path

import dask
import dask.array
import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
import xarray as xr
from shapely.geometry import Polygon, box

from aralrisk.geo import _quantile
from aralrisk.geo.errors import InputError, InputWarning
from aralrisk.geo.grid import GridSpec
from aralrisk.geo.io import read_raster, write_cog
from aralrisk.geo.zonal import ZonalStats, ZoneIndex
from tests.geo.conftest import write_raster

UTM = "EPSG:32641"
# 20 rows x 30 cols of 1 km cells in UTM 41N.
GRID = GridSpec.from_bounds((500_000, 4_800_000, 530_000, 4_820_000), 1000, UTM)
THRESHOLDS = (0.3, 0.75)


def km(x: float, y: float) -> tuple[float, float]:
    """Grid coordinates from km east/north of the grid's south-west corner."""
    return 500_000 + x * 1000, 4_800_000 + y * 1000


def poly(*points: tuple[float, float]) -> Polygon:
    return Polygon([km(x, y) for x, y in points])


# A 0.3 x 0.3 km enclave away from every cell centre, cut out of "north" like Baikonur.
ENCLAVE = poly((6.1, 15.1), (6.4, 15.1), (6.4, 15.4), (6.1, 15.4))


def zones_frame() -> gpd.GeoDataFrame:
    north = poly((0.3, 10.2), (17.7, 10.6), (19.2, 19.4), (8.2, 18.8), (0.6, 19.6))
    south = shapely.MultiPolygon(
        [
            poly((1.2, 0.4), (9.6, 1.3), (8.7, 8.1), (2.3, 7.4)),
            poly((12.4, 2.2), (16.6, 2.6), (14.1, 6.9)),
        ]
    )
    east = poly((20.3, 0.7), (29.6, 3.3), (28.8, 17.9), (21.4, 12.2))
    gap_tiny = poly((18.1, 7.1), (18.35, 7.15), (18.2, 7.4))  # in no other zone
    outside = box(*km(40, 40), *km(41, 41))
    return gpd.GeoDataFrame(
        {"code": ["N", "S", "E", "T", "G", "X"]},
        geometry=[north.difference(ENCLAVE), south, east, ENCLAVE, gap_tiny, outside],
        crs=UTM,
    )


def layer(seed: int = 0, shape: tuple[int, int] = GRID.shape) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    values = rng.random(shape).astype(np.float32)
    values[rng.random(shape) < 0.1] = np.nan
    values[3, 4] = np.inf  # non-finite values are no data too
    weights = rng.integers(0, 50, shape).astype(np.float64)
    weights[rng.random(shape) < 0.05] = np.nan
    return values, weights


@pytest.fixture(scope="module")
def index() -> ZoneIndex:
    with pytest.warns(InputWarning, match="X"):
        return ZoneIndex(zones_frame(), GRID, "code")


def centres(grid: GridSpec) -> tuple[np.ndarray, np.ndarray]:
    return np.meshgrid(grid.x, grid.y)


def ellipsoidal_cell_areas(west: float, north: float, size: float, rows: int) -> np.ndarray:
    """Areas (km2) of a column of lon/lat cells, by pyproj's geodesic polygon area.

    Edges are densified so that the geodesics follow the parallels of the cell edges.
    """
    geod = pyproj.Geod(ellps="WGS84")
    cells = [box(west, north - (r + 1) * size, west + size, north - r * size) for r in range(rows)]
    dense = [shapely.segmentize(c, size / 1000) for c in cells]
    return np.array([abs(geod.geometry_area_perimeter(c)[0]) for c in dense]) / 1e6


def brute_force(
    zones: gpd.GeoDataFrame,
    grid: GridSpec,
    values: np.ndarray,
    weights: np.ndarray,
    thresholds: tuple[float, ...],
    q: float,
) -> dict[str, np.ndarray]:
    """Per-polygon masks with shapely (cell centre inside, later zone wins), then numpy."""
    x, y = centres(grid)
    geoms = zones.to_crs(grid.crs).geometry.to_numpy()
    owner = np.full(grid.shape, -1)
    for k, geom in enumerate(geoms):
        owner[shapely.contains_xy(geom, x, y)] = k
    area = np.broadcast_to(grid.cell_area_km2()[:, None], grid.shape)
    n = len(geoms)
    out = {
        name: np.full(n, np.nan)
        for name in ("count", "cells", "coverage", "mean", "min", "max", "sum", "p", "wmean")
    }
    out["frac"] = np.full((n, len(thresholds)), np.nan)
    out["wabove"] = np.full((n, len(thresholds)), np.nan)
    out["area"] = np.zeros(n)
    for k, geom in enumerate(geoms):
        mask = owner == k
        if not mask.any():
            point = shapely.point_on_surface(geom)
            col, row = ~grid.transform @ (point.x, point.y)
            mask = np.zeros(grid.shape, bool)
            if 0 <= row < grid.height and 0 <= col < grid.width:
                mask[math.floor(row), math.floor(col)] = True
        v, w, a = values[mask].astype(np.float64), weights[mask], area[mask]
        ok = np.isfinite(v)
        out["cells"][k] = mask.sum()
        out["count"][k] = ok.sum()
        out["area"][k] = a.sum()
        if mask.any():
            out["coverage"][k] = a[ok].sum() / a.sum()
        if not ok.any():
            continue
        out["mean"][k] = v[ok].mean()
        out["min"][k], out["max"][k] = v[ok].min(), v[ok].max()
        out["sum"][k] = v[ok].sum()
        out["p"][k] = np.percentile(v[ok], q)
        both = ok & np.isfinite(w)
        if w[both].sum() != 0:
            out["wmean"][k] = (w[both] * v[both]).sum() / w[both].sum()
        for t, threshold in enumerate(thresholds):
            above = ok & (v > threshold)
            out["frac"][k, t] = a[above].sum() / a[ok].sum()
            out["wabove"][k, t] = np.nansum(w[above])
    return out


def assert_matches(stats: ZonalStats, expected: dict[str, np.ndarray], rtol: float = 1e-12) -> None:
    def close(actual: np.ndarray, wanted: np.ndarray) -> None:
        np.testing.assert_allclose(actual, wanted, rtol=rtol, atol=1e-12, equal_nan=True)

    close(stats.count, expected["count"])
    close(stats.cells, expected["cells"])
    close(stats.coverage, expected["coverage"])
    for name in ("mean", "min", "max", "sum"):
        close(getattr(stats, name), expected[name])
    close(stats.p90, expected["p"])
    close(stats.weighted_mean, expected["wmean"])
    close(stats.frac_above, expected["frac"])
    close(stats.weight_above, expected["wabove"])


def test_stats_match_brute_force_per_polygon(index: ZoneIndex) -> None:
    values, weights = layer()
    stats = index.stats(values, weights=weights, thresholds=THRESHOLDS)
    expected = brute_force(zones_frame(), GRID, values, weights, THRESHOLDS, 90.0)
    assert_matches(stats, expected)
    np.testing.assert_allclose(index.area_km2(), expected["area"], rtol=1e-12)
    assert list(stats.ids) == ["N", "S", "E", "T", "G", "X"]
    # Every real zone has data; the zone outside the grid has none.
    assert np.isfinite(stats.mean[:5]).all() and np.isnan(stats.mean[5])


def test_other_percentile_and_no_weights(index: ZoneIndex) -> None:
    values, weights = layer(seed=3)
    stats = index.stats(values, percentile=25.0, thresholds=(0.5,))
    expected = brute_force(zones_frame(), GRID, values, weights, (0.5,), 25.0)
    np.testing.assert_allclose(stats.p90, expected["p"], rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(stats.frac_above, expected["frac"], rtol=1e-12, equal_nan=True)
    assert np.isnan(stats.weighted_mean).all() and np.isnan(stats.weight_above).all()
    frame = stats.to_frame()
    assert list(frame.columns) == [
        "count", "cells", "coverage", "mean", "min", "max", "sum", "p25", "weighted_mean",
        "frac_above_0.5", "weight_above_0.5",
    ]  # fmt: skip
    assert frame.index.name == "id" and frame.loc["S", "count"] == stats.count[1]


def test_labels_follow_the_cell_centre_rule(index: ZoneIndex) -> None:
    x, y = centres(GRID)
    north = zones_frame().geometry[0]
    assert index.labels.dtype == np.uint8
    np.testing.assert_array_equal(index.labels == 1, shapely.contains_xy(north, x, y))
    # The multipolygon gets cells in both parts.
    _, cols = np.nonzero(index.labels == 2)
    assert cols.min() < 10 and cols.max() > 11


def test_small_zone_gets_the_cell_of_its_representative_point(index: ZoneIndex) -> None:
    values, weights = layer()
    # The enclave T contains no cell centre: it gets the cell under its point on surface.
    point = shapely.point_on_surface(ENCLAVE)
    col, row = ~GRID.transform @ (point.x, point.y)
    cell = (math.floor(row), math.floor(col))
    assert dict(index.small_zones) == {"T": cell, "G": index.small_zones["G"]}
    assert not (index.labels == 4).any()
    stats = index.stats(values, weights=weights, thresholds=THRESHOLDS)
    t = 3
    value = float(values[cell])
    assert stats.cells[t] == 1 and stats.count[t] == 1
    assert stats.mean[t] == stats.min[t] == stats.max[t] == stats.p90[t] == value
    assert stats.weighted_mean[t] == value
    np.testing.assert_array_equal(stats.frac_above[t], [value > 0.3, value > 0.75])
    np.testing.assert_allclose(index.area_km2()[t], 1.0)
    # That cell still counts for "north", which owns its centre: N loses nothing.
    assert index.labels[cell] == 1
    north_mask = shapely.contains_xy(zones_frame().geometry[0], *centres(GRID))
    assert stats.cells[0] == north_mask.sum()


def test_small_zone_values_come_from_the_same_single_pass(index: ZoneIndex) -> None:
    values, _ = layer()
    reads: Counter[tuple[int, int]] = Counter()
    lock = threading.Lock()

    def load(r0: int, c0: int) -> np.ndarray:
        with lock:
            reads[(r0, c0)] += 1
        return values[r0 : r0 + 8, c0 : c0 + 8]

    blocks = [
        [
            dask.array.from_delayed(
                dask.delayed(load)(r0, c0), values[r0 : r0 + 8, c0 : c0 + 8].shape, np.float32
            )
            for c0 in range(0, GRID.width, 8)
        ]
        for r0 in range(0, GRID.height, 8)
    ]
    lazy = dask.array.block(blocks)
    assert not reads  # building the array reads nothing
    stats = index.stats(lazy, thresholds=THRESHOLDS)
    assert set(reads.values()) == {1} and len(reads) == 3 * 4  # every chunk read once
    np.testing.assert_allclose(stats.mean, index.stats(values).mean, rtol=1e-12, equal_nan=True)


def test_dask_and_numpy_give_identical_results(index: ZoneIndex) -> None:
    values, weights = layer(seed=7)
    eager = index.stats(values, weights=weights, thresholds=THRESHOLDS)
    for chunks in ((7, 11), (20, 30), (3, 30)):
        lazy_values = xr.DataArray(dask.array.from_array(values, chunks=chunks), dims=("y", "x"))
        lazy = index.stats(
            GRID.write_georeference(lazy_values),
            weights=dask.array.from_array(weights, chunks=(5, 5)),
            thresholds=THRESHOLDS,
        )
        for name in ("count", "cells", "min", "max", "p90", "coverage"):
            np.testing.assert_array_equal(getattr(lazy, name), getattr(eager, name))
        for name in ("mean", "sum", "weighted_mean", "frac_above", "weight_above"):
            np.testing.assert_allclose(
                getattr(lazy, name), getattr(eager, name), rtol=1e-13, equal_nan=True
            )
    # A dask layer with numpy weights, and numpy values with dask weights.
    mixed = index.stats(values, weights=dask.array.from_array(weights, chunks=9))
    np.testing.assert_allclose(mixed.weighted_mean, eager.weighted_mean, rtol=1e-13)


def test_nan_cells_and_coverage_on_a_geographic_grid() -> None:
    # Rows of a 1-degree grid from 40 to 60 N: northern cells are much smaller.
    grid = GridSpec.from_bounds((60, 40, 62, 60), 1.0, "EPSG:4326")
    zone = gpd.GeoDataFrame(
        {"id": ["all", "empty"]},
        geometry=[box(60, 40, 61, 60), box(61, 40, 62, 60)],
        crs="EPSG:4326",
    )
    index = ZoneIndex(zone, grid, "id")
    values = np.zeros(grid.shape, np.float32)
    values[:10, :] = 5.0  # the northern half (rows 0-9: 50-60 N) is above 1
    values[:, 1] = np.nan  # the second zone has no data at all
    values[15:, 0] = np.nan  # the southern quarter of the first zone is no data
    stats = index.stats(values, thresholds=(1.0,))
    area = ellipsoidal_cell_areas(60, 60, 1.0, 20)
    # Plain statistics count cells; area fractions weight them by their ellipsoidal area.
    assert stats.count[0] == 15 and stats.cells[0] == 20
    assert stats.mean[0] == pytest.approx(10 * 5.0 / 15)
    assert stats.coverage[0] == pytest.approx(area[:15].sum() / area.sum(), rel=1e-9)
    assert stats.frac_above[0, 0] == pytest.approx(area[:10].sum() / area[:15].sum(), rel=1e-9)
    assert stats.frac_above[0, 0] < 10 / 15  # smaller northern cells weigh less
    np.testing.assert_allclose(index.area_km2()[0], area.sum(), rtol=1e-9)
    # No valid cell: count and coverage 0, everything else NaN.
    assert stats.count[1] == 0 and stats.coverage[1] == 0 and stats.cells[1] == 20
    for name in ("mean", "min", "max", "sum", "p90", "weighted_mean"):
        assert np.isnan(getattr(stats, name)[1])
    assert np.isnan(stats.frac_above[1]).all()


def test_overlapping_zones_later_wins() -> None:
    grid = GridSpec.from_bounds((0, 0, 10, 10), 1.0, UTM)
    zones = gpd.GeoDataFrame(
        {"id": ["a", "b"]}, geometry=[box(0, 0, 6, 10), box(4, 0, 10, 10)], crs=UTM
    )
    index = ZoneIndex(zones, grid, "id")
    assert (index.labels[:, 4:] == 2).all() and (index.labels[:, :4] == 1).all()
    assert index.stats(np.ones(grid.shape)).cells.tolist() == [40.0, 60.0]


def test_zones_in_another_crs_are_reprojected(index: ZoneIndex) -> None:
    values, _ = layer()
    lonlat = zones_frame().iloc[:3].to_crs("EPSG:4326")
    other = ZoneIndex(lonlat, GRID, "code")
    np.testing.assert_allclose(other.stats(values).mean, index.stats(values).mean[:3], rtol=1e-12)


def test_integer_layers_and_default_ids() -> None:
    grid = GridSpec.from_bounds((0, 0, 4, 4), 1.0, UTM)
    zones = gpd.GeoDataFrame(geometry=[box(0, 0, 2, 4), box(2, 0, 4, 4)], crs=UTM)
    index = ZoneIndex(zones, grid)
    classes = np.arange(16, dtype=np.uint8).reshape(4, 4)
    stats = index.stats(classes)
    assert list(stats.ids) == ["0", "1"]
    assert stats.min.tolist() == [0.0, 2.0] and stats.max.tolist() == [13.0, 15.0]
    assert stats.count.tolist() == [8.0, 8.0]


def test_many_zones_get_wider_labels() -> None:
    grid = GridSpec.from_bounds((0, 0, 30, 10), 1.0, UTM)
    cells = [box(c, r, c + 1, r + 1) for r in range(10) for c in range(30)]
    index = ZoneIndex(gpd.GeoDataFrame(geometry=cells, crs=UTM), grid)
    assert index.labels.dtype == np.uint16 and index.labels.max() == 300
    values = np.arange(300, dtype=np.float64).reshape(10, 30)[::-1]
    np.testing.assert_array_equal(index.stats(values).mean, np.arange(300.0))


def test_zone_of_a_point(index: ZoneIndex) -> None:
    enclave_point = shapely.point_on_surface(ENCLAVE)
    assert index.zone_of(enclave_point.x, enclave_point.y) == "T"
    assert index.zone_of(*km(3.0, 15.0)) == "N"
    assert index.zone_of(*km(25.0, 5.0)) == "E"
    assert index.zone_of(*km(29.9, 19.9)) is None  # in no polygon and no zone's cell
    assert index.zone_of(0.0, 0.0) is None  # far outside the grid
    # In a gap between polygons, thinner than a cell: the cell's zone.
    gap = box(*km(0, 0), *km(30, 20)).difference(shapely.union_all(zones_frame().geometry))
    x, y = centres(GRID)
    rows, cols = np.nonzero(index.labels == 1)
    for r, c in zip(rows, cols, strict=True):
        near = shapely.box(x[r, c] - 500, y[r, c] - 500, x[r, c] + 500, y[r, c] + 500)
        spot = near.intersection(gap)
        if not spot.is_empty and spot.area > 1:
            p = shapely.point_on_surface(spot)
            assert index.zone_of(p.x, p.y) == "N"
            break
    else:
        pytest.fail("the fixture has no gap next to a cell of N")


def test_histogram_percentiles_for_large_zones(
    index: ZoneIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Zones above the exact limit: lazy layers estimate within one bin, in-memory is exact."""
    monkeypatch.setattr(_quantile, "EXACT_LIMIT", 10)
    values, _ = layer(seed=11)
    values = values * 1000.0 - 200.0
    expected = brute_force(zones_frame(), GRID, values, values, (), 90.0)
    eager = index.stats(values)
    np.testing.assert_allclose(eager.p90, expected["p"], rtol=1e-12, equal_nan=True)
    estimates = [
        index.stats(dask.array.from_array(values, chunks=chunks)).p90
        for chunks in ((4, 4), (20, 7), (9, 30))
    ]
    for other in estimates[1:]:  # the estimate does not depend on the chunks
        np.testing.assert_array_equal(other, estimates[0])
    bound = 2 * (eager.max - eager.min) / (_quantile.HIST_BINS - 1)
    large = eager.count > 10
    assert large.sum() >= 3
    error = np.abs(estimates[0] - expected["p"])
    assert (error[large] <= bound[large]).all()
    np.testing.assert_array_equal(estimates[0][~large], expected["p"][~large])


def test_exactextract_agrees_on_cell_aligned_zones(tmp_path: Path) -> None:
    exactextract = pytest.importorskip("exactextract")
    grid = GridSpec.from_bounds((0, 0, 40_000, 30_000), 1000, UTM)
    values, weights = layer(seed=5, shape=grid.shape)
    values[3, 4] = np.nan
    weights = np.nan_to_num(weights, nan=1.0) + 1.0
    value_path = write_raster(tmp_path / "v.tif", values, grid.transform, UTM, nodata=np.nan)
    weight_path = write_raster(tmp_path / "w.tif", weights, grid.transform, UTM, nodata=-1.0)
    # Polygons along cell edges: every cell is fully in or fully out, so exactextract's
    # coverage-weighted statistics are the cell-centre ones.
    zones = gpd.GeoDataFrame(
        {"code": ["a", "b", "c"]},
        geometry=[
            box(1000, 1000, 17_000, 22_000).union(box(17_000, 5000, 23_000, 9000)),
            box(25_000, 3000, 39_000, 29_000).difference(box(30_000, 10_000, 33_000, 14_000)),
            shapely.MultiPolygon(
                [box(2000, 24_000, 9000, 29_000), box(19_000, 12_000, 22_000, 27_000)]
            ),
        ],
        crs=UTM,
    )
    ops = ["count", "mean", "min", "max", "sum", "quantile(q=0.9)", "weighted_mean"]
    reference = exactextract.exact_extract(
        str(value_path),
        zones,
        ops,
        weights=str(weight_path),
        output="pandas",
        include_cols=["code"],
    )
    stats = ZoneIndex(zones, grid, "code").stats(values, weights=weights)
    for ours, theirs in (
        (stats.count, "count"), (stats.mean, "mean"), (stats.min, "min"), (stats.max, "max"),
        (stats.sum, "sum"), (stats.p90, "quantile_90"), (stats.weighted_mean, "weighted_mean"),
    ):  # fmt: skip
        np.testing.assert_allclose(ours, reference[theirs].to_numpy(), rtol=1e-6)


def test_exactextract_cells_with_centres_inside_agree_on_any_polygon(tmp_path: Path) -> None:
    """exactextract lists each touched cell's value and centre: keep centres inside."""
    exactextract = pytest.importorskip("exactextract")
    values, _ = layer(seed=2)
    path = write_raster(tmp_path / "v.tif", values, GRID.transform, UTM, nodata=np.nan)
    zones = zones_frame().iloc[:3]
    cells = exactextract.exact_extract(
        str(path), zones, ["values", "center_x", "center_y"], output="pandas", include_cols=["code"]
    )
    stats = ZoneIndex(zones, GRID, "code").stats(values)
    for k, (geom, row) in enumerate(zip(zones.geometry, cells.itertuples(), strict=True)):
        inside = shapely.contains_xy(geom, row.center_x, row.center_y)
        v = np.asarray(row.values, dtype=np.float64)[inside]
        v = v[np.isfinite(v)]
        assert stats.count[k] == v.size
        np.testing.assert_allclose(
            [stats.mean[k], stats.min[k], stats.max[k], stats.sum[k], stats.p90[k]],
            [v.mean(), v.min(), v.max(), v.sum(), np.quantile(v, 0.9)],
            rtol=1e-6,
        )


def test_bad_inputs_raise_clear_errors(index: ZoneIndex) -> None:
    values, _ = layer()
    with pytest.raises(InputError, match="shape"):
        index.stats(values[:-1])
    with pytest.raises(InputError, match="select one time step"):
        index.stats(xr.DataArray(values[None], dims=("time", "y", "x")))
    shifted = GRID.write_georeference(xr.DataArray(values, dims=("y", "x")))
    shifted = shifted.assign_coords(x=shifted.x + 500)
    with pytest.raises(InputError, match="not on the zones' grid"):
        index.stats(shifted)
    with pytest.raises(InputError, match="percentile"):
        index.stats(values, percentile=120)
    with pytest.raises(InputError, match="finite"):
        index.stats(values, thresholds=(np.nan,))
    frame = zones_frame()
    with pytest.raises(InputError, match="no field 'name'"):
        ZoneIndex(frame, GRID, "name")
    with pytest.raises(InputError, match="duplicated"):
        ZoneIndex(frame.assign(code=["a", "a", "b", "c", "d", "e"]), GRID, "code")
    with pytest.raises(InputError, match="no CRS"):
        ZoneIndex(frame.set_crs(None, allow_override=True), GRID, "code")
    with pytest.raises(InputError, match="no zones"):
        ZoneIndex(frame.iloc[:0], GRID, "code")
    with pytest.raises(InputError, match="no geometry"):
        ZoneIndex(frame.assign(geometry=[*frame.geometry[:5], Polygon()]), GRID, "code")
    # Coordinates that differ only by rounding noise are the grid's.
    noisy = GRID.write_georeference(xr.DataArray(values, dims=("y", "x")))
    noisy = noisy.assign_coords(x=noisy.x * (1 + 1e-15))
    np.testing.assert_array_equal(index.stats(noisy).count, index.stats(values).count)


def test_float16_and_big_endian_layers(index: ZoneIndex) -> None:
    values, _ = layer()
    reference = index.stats(values.astype(np.float32))
    for other in (values.astype(">f4"), values.astype(">f8")):
        np.testing.assert_allclose(index.stats(other).mean, reference.mean, rtol=1e-12)
    half = index.stats(values.astype(np.float16))
    np.testing.assert_allclose(half.mean, reference.mean, rtol=1e-3)


def test_a_layer_read_back_from_a_cog(index: ZoneIndex, tmp_path: Path) -> None:
    """The pipeline's way: write a COG, read it lazily, take its statistics."""
    values, weights = layer(seed=4)
    da = GRID.write_georeference(xr.DataArray(values, dims=("y", "x")))
    path = write_cog(da, tmp_path / "layer.tif", nodata=-9999.0)
    lazy = read_raster(path, chunks={"y": 7, "x": 9})
    xr.align(lazy, GRID.template(), join="exact")  # the grid's coordinates, bit for bit
    read = index.stats(lazy, weights=weights, thresholds=THRESHOLDS)
    eager = index.stats(values, weights=weights, thresholds=THRESHOLDS)
    for name in ("count", "min", "max", "p90", "coverage"):
        np.testing.assert_array_equal(getattr(read, name), getattr(eager, name))
    np.testing.assert_allclose(read.mean, eager.mean, rtol=1e-13, equal_nan=True)


@pytest.mark.parametrize("chunked", [False, True])
def test_a_zone_of_zeros_too_large_to_keep_exact(chunked: bool) -> None:
    # More cells than EXACT_LIMIT, all zero: the zone's histogram once asked for a scale of
    # 2**1074 and the pass died with OverflowError (a 0.005-degree sample build's series).
    # In chunks, each chunk's histogram is merged: the second zone's chunk of zeros joins
    # its chunk of larger values across 1,000 binary orders of magnitude.
    side = 740  # four chunks of 740 x 185 = 136,900 cells, each more than EXACT_LIMIT
    grid = GridSpec.from_bounds((0, 0, side, side), 1.0, UTM)
    zones = gpd.GeoDataFrame(
        {"id": ["zeros", "spread"]},
        geometry=[box(0, 0, side / 2, side), box(side / 2, 0, side, side)],
        crs=UTM,
    )
    index = ZoneIndex(zones, grid, "id")
    values = np.zeros(grid.shape)
    values[:, 3 * side // 4 :] = np.linspace(0.0, 5.0, side // 4)
    assert side * side // 4 > _quantile.EXACT_LIMIT
    data = dask.array.from_array(values, chunks=(side, side // 4)) if chunked else values
    stats = index.stats(data)
    assert stats.count.tolist() == [side * side / 2] * 2
    assert stats.p90[0] == 0.0 and stats.max[0] == 0.0
    expected = np.percentile(values[:, side // 2 :], 90)
    assert abs(stats.p90[1] - expected) < 2 * 5.0 / (_quantile.HIST_BINS - 1)
