"""geo.cog: valid COGs with overviews, metadata kept, written atomically."""

from __future__ import annotations

from pathlib import Path

import dask.array
import numpy as np
import pytest
import rasterio
import rasterio.shutil
import xarray as xr
from rio_cogeo.cogeo import cog_validate

from aralrisk.geo.errors import InputError
from aralrisk.geo.grid import GridSpec
from aralrisk.geo.io import read_raster, write_cog

GRID = GridSpec.from_bounds((60.0, 44.0, 61.2, 45.0), 0.001, "EPSG:4326")  # 1000 x 1200


def field(lazy: bool) -> xr.DataArray:
    y, x = np.mgrid[0 : GRID.height, 0 : GRID.width].astype(np.float32)
    data = np.sin(x / 50) * np.cos(y / 70) * 10 + 20
    data[100:200, 300:400] = np.nan
    array = dask.array.from_array(data, chunks=(300, 500)) if lazy else data
    da = xr.DataArray(array, dims=("y", "x"), attrs={"units": "m", "description": "depth"})
    return GRID.write_georeference(da)


@pytest.mark.parametrize("lazy", [False, True])
def test_writes_a_valid_cog_with_overviews_and_metadata(tmp_path: Path, lazy: bool) -> None:
    da = field(lazy)
    path = write_cog(da, tmp_path / "out" / "depth.tif", nodata=-9999.0, tags={"layer": "flood"})
    is_valid, errors, _ = cog_validate(str(path))
    assert is_valid, errors
    with rasterio.open(path) as ds:
        assert ds.overviews(1) == [2, 4]
        assert ds.block_shapes[0] == (512, 512)
        assert ds.nodata == -9999.0 and ds.dtypes[0] == "float32"
        assert ds.crs == "EPSG:4326" and ds.transform == GRID.transform
        assert ds.units[0] == "m" and ds.descriptions[0] == "depth"
        assert ds.tags()["layer"] == "flood" and ds.tags()["units"] == "m"
        assert ds.compression.name.lower() == "deflate"
    back = read_raster(path)
    np.testing.assert_array_equal(back.to_numpy(), da.to_numpy())
    assert back.attrs["units"] == "m"
    assert sorted(p.name for p in path.parent.iterdir()) == ["depth.tif"]  # no leftovers


def test_classes_nan_nodata_and_south_up_arrays(tmp_path: Path) -> None:
    classes = field(lazy=False).fillna(0).astype(np.float32) // 10
    path = write_cog(
        classes, tmp_path / "classes.tif", nodata=255, dtype="uint8", overview_resampling="nearest"
    )
    with rasterio.open(path) as ds:
        assert ds.dtypes[0] == "uint8" and ds.nodata == 255
        assert set(np.unique(ds.read(1, out_shape=(250, 300)))) <= {0, 1, 2, 3}
    south_up = field(lazy=True).isel(y=slice(None, None, -1))
    path = write_cog(south_up, tmp_path / "nan.tif", nodata=float("nan"))
    with rasterio.open(path) as ds:
        assert np.isnan(ds.nodata) and ds.transform == GRID.transform
        np.testing.assert_array_equal(ds.read(1), field(lazy=False).to_numpy())


def test_refuses_what_it_cannot_write(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot be stored as uint8"):
        write_cog(field(False), tmp_path / "x.tif", nodata=-1, dtype="uint8")
    cube = field(False).expand_dims(time=2)
    with pytest.raises(InputError, match="2-D"):
        write_cog(cube, tmp_path / "x.tif", nodata=0)
    no_crs = xr.DataArray(np.ones((3, 3)), dims=("y", "x"))
    with pytest.raises(InputError, match="no CRS"):
        write_cog(no_crs, tmp_path / "x.tif", nodata=0)


def test_a_failed_write_leaves_the_old_file_and_no_temporary_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "layer.tif"
    write_cog(field(False), target, nodata=-9999.0)
    before = target.read_bytes()

    def broken_copy(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(rasterio.shutil, "copy", broken_copy)
    with pytest.raises(OSError, match="disk full"):
        write_cog(field(False) + 1, target, nodata=-9999.0)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["layer.tif"]

    def failing_chunk(block: np.ndarray) -> np.ndarray:
        raise RuntimeError("source went away")

    monkeypatch.undo()
    lazy = field(True).copy(
        data=field(True).data.map_blocks(failing_chunk, meta=np.array((), np.float32))
    )
    with pytest.raises(RuntimeError, match="source went away"):
        write_cog(lazy, target, nodata=-9999.0)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["layer.tif"]


def test_streams_one_chunk_per_thread_of_a_distributed_cluster(tmp_path: Path) -> None:
    from distributed import Client, LocalCluster

    from aralrisk.geo.cog import _chunks_at_once

    lazy = field(lazy=True)
    with (
        LocalCluster(
            n_workers=3, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster),
    ):
        assert _chunks_at_once() == 3
        path = write_cog(lazy, tmp_path / "cluster.tif", nodata=-9999.0)
    np.testing.assert_array_equal(read_raster(path).to_numpy(), lazy.to_numpy())
