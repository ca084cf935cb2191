"""geo.io: district, raster and time-series readers check what users get wrong."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import dask.array
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import xarray as xr
from affine import Affine
from shapely.geometry import Polygon, box

from aralrisk.geo.errors import InputError, InputWarning
from aralrisk.geo.io import raster_grid, read_districts, read_raster, read_timeseries, write_vectors
from tests.geo.conftest import MakeRaster

TRANSFORM = Affine(1000.0, 0.0, 500_000.0, 0.0, -1000.0, 4_820_000.0)


def districts(**columns: list[object]) -> gpd.GeoDataFrame:
    data = {"code": ["KZ1", "KZ2", "KZ3"], "name": ["Aral", "Kazaly", "Baikonur"], **columns}
    aral = shapely.MultiPolygon([box(60, 45, 61, 46), box(61.5, 45, 62, 45.5)])
    return gpd.GeoDataFrame(
        data,
        geometry=[aral, box(62, 45, 63, 46), box(63.1, 45.1, 63.2, 45.2)],
        crs="EPSG:4326",
    )


# -- read_districts ------------------------------------------------------------------


def test_reads_a_valid_geojson_as_is(tmp_path: Path) -> None:
    path = tmp_path / "d.geojson"
    districts().to_file(path)
    gdf = read_districts(path, "code", "name")
    assert gdf.crs == "EPSG:4326" and list(gdf["code"]) == ["KZ1", "KZ2", "KZ3"]
    assert list(gdf["name"]) == ["Aral", "Kazaly", "Baikonur"]
    assert gdf.geometry[0].geom_type == "MultiPolygon"
    assert isinstance(gdf.index, pd.RangeIndex)


def test_missing_empty_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nowhere\.geojson does not exist"):
        read_districts(tmp_path / "nowhere.geojson", "code")
    empty = tmp_path / "empty.geojson"
    empty.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    with pytest.raises(InputError, match="has no features"):
        read_districts(empty, "code")
    garbage = tmp_path / "garbage.geojson"
    garbage.write_text("this is not a vector file")
    with pytest.raises(InputError, match="not a readable vector file") as err:
        read_districts(garbage, "code")
    assert str(tmp_path) not in str(err.value)  # base names only: safe to show clients
    bad_parquet = tmp_path / "bad.parquet"
    bad_parquet.write_bytes(b"PAR1 not really")
    with pytest.raises(InputError, match="not a readable GeoParquet"):
        read_districts(bad_parquet, "code")


def test_no_crs(tmp_path: Path) -> None:
    path = tmp_path / "nocrs.shp"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pyogrio warns when writing it
        districts().set_crs(None, allow_override=True).to_file(path)
    with pytest.raises(InputError, match=r"has no CRS.*set_crs"):
        read_districts(path, "code")


def test_id_field_problems(tmp_path: Path) -> None:
    path = tmp_path / "d.gpkg"
    districts().to_file(path)
    with pytest.raises(InputError, match=r"no field 'ADM2_PCODE'.*code, name"):
        read_districts(path, "ADM2_PCODE")
    with pytest.raises(InputError, match="no field 'title'"):
        read_districts(path, "code", "title")
    dup = tmp_path / "dup.gpkg"
    districts(code=["KZ1", "KZ1", "KZ3"]).to_file(dup)
    with pytest.raises(InputError, match=r"duplicate code values \(KZ1\)"):
        read_districts(dup, "code")
    missing = tmp_path / "missing.gpkg"
    districts(code=["KZ1", None, " "]).to_file(missing)
    with pytest.raises(InputError, match=r"without code \(feature 2, 3\)"):
        read_districts(missing, "code")


def test_float_codes_read_back_as_integers(tmp_path: Path) -> None:
    path = tmp_path / "d.gpkg"
    districts(num=[12.0, 13.0, 14.0]).to_file(path)
    assert list(read_districts(path, "num")["num"]) == ["12", "13", "14"]


def test_invalid_geometry_is_repaired_with_a_warning_naming_the_district(tmp_path: Path) -> None:
    bowtie = Polygon([(62, 45), (63, 46), (63, 45), (62, 46)])  # self-intersecting
    frame = districts()
    frame.loc[1, "geometry"] = bowtie
    path = tmp_path / "d.gpkg"
    frame.to_file(path)
    with pytest.warns(InputWarning, match=r"Kazaly \(KZ2\) had an invalid geometry"):
        gdf = read_districts(path, "code", "name")
    repaired = gdf.geometry[1]
    assert repaired.is_valid and repaired.geom_type in ("Polygon", "MultiPolygon")
    assert repaired.area == pytest.approx(0.5)  # both triangles of the bow tie are kept


def test_non_polygons_and_empty_geometries_are_refused(tmp_path: Path) -> None:
    frame = districts()
    frame.loc[2, "geometry"] = shapely.Point(63, 45)
    path = tmp_path / "points.gpkg"
    frame.to_file(path)
    with pytest.raises(InputError, match=r"non-polygon geometries \(Point\) for KZ3"):
        read_districts(path, "code")


def test_reprojects_to_lonlat_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "utm.gpkg"
    districts().to_crs("EPSG:32641").to_file(path)
    with pytest.warns(InputWarning, match="EPSG:32641; it was reprojected to EPSG:4326"):
        gdf = read_districts(path, "code")
    assert gdf.crs == "EPSG:4326"
    np.testing.assert_allclose(gdf.total_bounds, districts().total_bounds, atol=1e-6)


def test_overlapping_districts_warn(tmp_path: Path) -> None:
    frame = districts()
    frame.loc[1, "geometry"] = box(60.5, 45, 63, 46)  # covers half of Aral's first part
    path = tmp_path / "d.geojson"
    frame.to_file(path)
    with pytest.warns(InputWarning, match="KZ1 and KZ2 overlap"):
        read_districts(path, "code")


def test_several_layers_need_a_choice(tmp_path: Path) -> None:
    path = tmp_path / "two.gpkg"
    districts().to_file(path, layer="adm2")
    districts().iloc[:1].to_file(path, layer="adm1")
    with pytest.raises(InputError, match="several layers"):
        read_districts(path, "code")
    assert len(read_districts(path, "code", layer="adm1")) == 1
    with pytest.raises(InputError, match="no layer 'adm3'"):
        read_districts(path, "code", layer="adm3")


def test_round_trip_through_every_vector_format(tmp_path: Path) -> None:
    frame = districts(score=[1.5, np.nan, 7.25], drivers=[["flood", "dust"], [], ["heat"]])
    written = write_vectors(frame, tmp_path / "out" / "districts")
    assert [p.name for p in written] == [
        "districts.gpkg", "districts.geojson", "districts.parquet", "districts.csv",
    ]  # fmt: skip
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]
    for path in written[:3]:
        gdf = read_districts(path, "code", "name")
        assert list(gdf["code"]) == ["KZ1", "KZ2", "KZ3"]
        assert gdf["score"].iloc[0] == 1.5 and np.isnan(gdf["score"].iloc[1])
        for ours, theirs in zip(gdf.geometry, frame.geometry, strict=True):
            # GeoPackage may promote polygons to multipolygons; shapes stay the same.
            assert shapely.hausdorff_distance(ours, theirs) < 1e-6
        drivers = gdf["drivers"].iloc[0]
        assert list(json.loads(drivers) if isinstance(drivers, str) else drivers) == [
            "flood",
            "dust",
        ]
    table = pd.read_csv(written[3])
    assert "geometry" not in table.columns
    assert table["centroid_lon"].iloc[1] == pytest.approx(62.5, abs=1e-3)
    # A Shapefile (read-only format here) reads the same way.
    shp = tmp_path / "d.shp"
    frame.drop(columns="drivers").to_file(shp)
    assert list(read_districts(shp, "code")["code"]) == ["KZ1", "KZ2", "KZ3"]


def test_write_vectors_refuses_unknown_formats_and_missing_crs(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown vector format kml"):
        write_vectors(districts(), tmp_path / "d", formats=["kml"])
    with pytest.raises(InputError, match="no CRS"):
        write_vectors(districts().set_crs(None, allow_override=True), tmp_path / "d")


# -- read_raster ---------------------------------------------------------------------


def test_nodata_becomes_nan_and_metadata_is_kept(make_raster: MakeRaster) -> None:
    data = np.arange(12, dtype=np.int16).reshape(3, 4)
    data[1, 2] = -9999
    path = make_raster(data, TRANSFORM, nodata=-9999, tags={"units": "m"})
    da = read_raster(path)
    assert isinstance(da.data, dask.array.Array)  # lazy
    assert da.dtype == np.float32 and da.dims == ("y", "x")
    values = da.to_numpy()
    assert np.isnan(values[1, 2]) and values[2, 3] == 11
    assert da.attrs["units"] == "m"
    assert da.rio.crs == "EPSG:32641"
    assert da.rio.transform() == TRANSFORM
    np.testing.assert_allclose(da.x, 500_500 + 1000 * np.arange(4))
    assert raster_grid(path) == (da.rio.crs, TRANSFORM, (3, 4))
    eager = read_raster(path, chunks=None)
    assert not isinstance(eager.data, dask.array.Array)
    np.testing.assert_array_equal(eager.to_numpy(), values)


def test_raster_without_nodata_warns(make_raster: MakeRaster) -> None:
    path = make_raster(np.ones((3, 4), np.float32), TRANSFORM)
    with pytest.warns(InputWarning, match=r"no nodata value.*rio edit-info"):
        da = read_raster(path)
    assert np.isfinite(da.to_numpy()).all()


def test_raster_without_crs_is_refused(make_raster: MakeRaster) -> None:
    path = make_raster(np.ones((3, 4), np.float32), TRANSFORM, crs=None, nodata=0)
    with pytest.raises(InputError, match=r"has no CRS.*EPSG"):
        read_raster(path)


def test_multi_band_raster_needs_a_band(make_raster: MakeRaster) -> None:
    stack = np.stack([np.full((3, 4), 1.0), np.full((3, 4), 2.0)]).astype(np.float32)
    path = make_raster(stack, TRANSFORM, nodata=-1)
    with pytest.raises(InputError, match=r"has 2 bands: choose one with band=1..2"):
        read_raster(path)
    assert float(read_raster(path, band=2).max()) == 2.0
    with pytest.raises(InputError, match="no band 3"):
        read_raster(path, band=3)


def test_truncated_and_garbage_rasters_are_refused(make_raster: MakeRaster, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    path = make_raster(rng.random((64, 64)).astype(np.float32), TRANSFORM, nodata=-1, tiled=True)
    truncated = tmp_path / "truncated.tif"
    truncated.write_bytes(path.read_bytes()[: path.stat().st_size * 2 // 3])
    with pytest.raises(InputError, match="truncated or corrupt"):
        read_raster(truncated)
    garbage = tmp_path / "garbage.tif"
    garbage.write_bytes(b"II*\x00 definitely not a tiff")
    with pytest.raises(InputError, match="not a readable raster"):
        read_raster(garbage)
    with pytest.raises(InputError, match="does not exist"):
        read_raster(tmp_path / "missing.tif")


def test_raster_chunks_follow_the_file_blocks(make_raster: MakeRaster) -> None:
    path = make_raster(np.ones((40, 50), np.float32), TRANSFORM, nodata=-1, tiled=True)
    da = read_raster(path, chunks={"y": 16, "x": 32})
    assert da.data.chunks == ((16, 16, 8), (32, 18))


# -- read_timeseries -----------------------------------------------------------------


def climate(units: str = "K", name: str = "tasmax") -> xr.Dataset:
    time = pd.date_range("2000-01-01", periods=4, freq="D")
    lat = np.array([45.5, 45.25, 45.0])
    lon = np.array([60.0, 60.25, 60.5, 60.75])
    data = 290 + np.arange(4 * 3 * 4, dtype=np.float32).reshape(4, 3, 4)
    var = xr.DataArray(
        data,
        dims=("time", "lat", "lon"),
        coords={"time": time, "lat": lat, "lon": lon},
        attrs={"units": units, "long_name": "daily maximum temperature"},
    )
    return xr.Dataset({name: var})


@pytest.mark.parametrize("store", ["nc", "zarr"])
def test_reads_netcdf_and_zarr_with_standard_dims(tmp_path: Path, store: str) -> None:
    path = tmp_path / f"climate.{store}"
    if store == "nc":
        climate().to_netcdf(path)
    else:
        climate().to_zarr(path, consolidated=False)
    da = read_timeseries(path, "tasmax")
    assert da.dims == ("time", "y", "x")
    assert isinstance(da.data, dask.array.Array)
    assert da.rio.crs == "EPSG:4326"
    np.testing.assert_array_equal(da.x, [60.0, 60.25, 60.5, 60.75])
    assert da.attrs["units"] == "K" and da.sizes["time"] == 4
    assert float(da.isel(time=1, y=0, x=0)) == 302.0


@pytest.mark.parametrize("store", ["nc", "zarr"])
def test_a_small_series_is_read_into_memory_with_the_same_values(
    tmp_path: Path, store: str
) -> None:
    # Packed int16 with a scale, an offset and a fill value, as the sample's climate.nc.
    path = tmp_path / f"packed.{store}"
    data = climate()
    data["tasmax"][1, 0, 0] = np.nan
    encoding = {"tasmax": {"dtype": "int16", "scale_factor": 0.1, "add_offset": 273.15}}
    encoding["tasmax"]["_FillValue"] = -32767
    if store == "nc":
        data.to_netcdf(path, encoding=encoding)
    else:
        data.to_zarr(path, consolidated=False, encoding=encoding)
    lazy = read_timeseries(path, "tasmax")
    nbytes = lazy.nbytes
    eager = read_timeseries(path, "tasmax", in_memory_bytes=nbytes)
    # In memory at the limit, without dask; one byte under it, chunked as before.
    assert isinstance(eager.data, np.ndarray) and eager.dtype == np.float64
    assert isinstance(
        read_timeseries(path, "tasmax", in_memory_bytes=nbytes - 1).data, dask.array.Array
    )
    np.testing.assert_array_equal(eager.values, lazy.values)  # decoding unchanged, NaN kept
    assert (
        np.isnan(eager.values[1, 0, 0]) and abs(eager.values[0, 0, 1] - 291.0) <= 0.05 + 1e-9
    )  # packed to 0.1 K
    assert eager.dims == ("time", "y", "x") and eager.rio.crs == "EPSG:4326"
    assert eager.attrs["units"] == "K"
    xr.testing.assert_identical(eager.x, lazy.x)


def test_variable_aliases_and_missing_variables(tmp_path: Path) -> None:
    path = tmp_path / "c.nc"
    climate(name="tmax").to_netcdf(path)
    assert read_timeseries(path, "tasmax", aliases=("t2m_max", "tmax")).name == "tmax"
    with pytest.raises(InputError, match=r"no variable 'pr': choose one of tmax"):
        read_timeseries(path, "pr")


def test_time_axis_and_units_problems(tmp_path: Path) -> None:
    no_time = tmp_path / "no_time.nc"
    climate().isel(time=0, drop=True).to_netcdf(no_time)
    with pytest.raises(InputError, match="no time axis"):
        read_timeseries(no_time, "tasmax")
    bad_units = tmp_path / "bad_units.nc"
    climate(units="degrees of hotness").to_netcdf(bad_units)
    with pytest.raises(InputError, match="cannot be parsed"):
        read_timeseries(bad_units, "tasmax")
    no_units = tmp_path / "no_units.nc"
    ds = climate()
    del ds["tasmax"].attrs["units"]
    ds.to_netcdf(no_units)
    with pytest.raises(InputError, match="no units attribute"):
        read_timeseries(no_units, "tasmax")
    levels = tmp_path / "levels.nc"
    climate().expand_dims(level=[850, 500], axis=1).to_netcdf(levels)
    with pytest.raises(InputError, match=r"extra dimensions \(level\)"):
        read_timeseries(levels, "tasmax")
    garbage = tmp_path / "garbage.nc"
    garbage.write_text("not netcdf")
    with pytest.raises(InputError, match="not a readable NetCDF"):
        read_timeseries(garbage, "tasmax")
    with pytest.raises(InputError, match="does not exist"):
        read_timeseries(tmp_path / "missing.nc", "tasmax")


def test_a_rewritten_raster_gets_new_task_names(make_raster: MakeRaster) -> None:
    path = make_raster(np.ones((3, 4), np.float32), TRANSFORM, nodata=-1)
    first = read_raster(path)
    make_raster(np.full((3, 4), 2.0, np.float32), TRANSFORM, nodata=-1)
    second = read_raster(path)
    assert first.data.name != second.data.name
    assert float(second.max()) == 2.0


def test_geodesic_area_on_the_wgs84_ellipsoid() -> None:
    from aralrisk.geo.vectors import geodesic_area_km2

    # One degree square at the equator: 111.32 km of longitude by 110.57 km of latitude.
    assert geodesic_area_km2(box(0, 0, 1, 1)) == pytest.approx(12_308.78, abs=0.01)
    # The same square at 45 N is smaller by about cos(45 deg); holes are subtracted.
    assert geodesic_area_km2(box(60, 44.5, 61, 45.5)) == pytest.approx(8_762.2, abs=0.1)
    ring = box(0, 0, 2, 2).difference(box(0.5, 0.5, 1.5, 1.5))
    assert geodesic_area_km2(ring) == pytest.approx(
        geodesic_area_km2(box(0, 0, 2, 2)) - geodesic_area_km2(box(0.5, 0.5, 1.5, 1.5))
    )
