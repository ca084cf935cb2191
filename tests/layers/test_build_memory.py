"""The build's memory: layers masked in their own chunks, glibc's threshold for large grids,
GDAL's block cache."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
from rasterio.env import get_gdal_config

from aralrisk.layers import pipeline, scheduler


def test_within_keeps_the_layer_chunks_and_equals_where() -> None:
    rng = np.random.default_rng(3)
    layer = xr.DataArray(rng.random((50, 70)), dims=("y", "x")).chunk(20)
    inside = xr.DataArray(rng.random((50, 70)) > 0.4, dims=("y", "x")).chunk(8)
    masked = pipeline._within(layer, inside)
    assert masked.chunks == layer.chunks
    expected = layer.where(inside)
    assert expected.chunks != layer.chunks  # what xarray alone does: the finer chunks
    np.testing.assert_array_equal(masked.to_numpy(), expected.to_numpy())
    # An in-memory layer is masked as before.
    plain = pipeline._within(layer.compute(), inside)
    np.testing.assert_array_equal(plain.to_numpy(), expected.to_numpy())


class _FakeLibc:
    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []

    def mallopt(self, param: int, value: int) -> int:
        self.calls.append((param, value))
        return 1


@pytest.fixture
def libc(monkeypatch: pytest.MonkeyPatch) -> _FakeLibc:
    fake = _FakeLibc()
    monkeypatch.setattr(scheduler.ctypes, "CDLL", lambda name: fake)
    monkeypatch.setattr(scheduler.os, "confstr", lambda name: "glibc 2.36")
    for name in scheduler._MALLOC_ENV:
        monkeypatch.delenv(name, raising=False)
    return fake


def test_large_grids_get_a_fixed_mmap_threshold(libc: _FakeLibc) -> None:
    assert scheduler.release_freed_memory(16_000 * 8_800)
    assert libc.calls == [(-3, scheduler.MMAP_THRESHOLD)]  # M_MMAP_THRESHOLD


@pytest.mark.parametrize(
    ("cells", "env", "libc_version"),
    [
        (scheduler.LARGE_GRID_CELLS - 1, {}, "glibc 2.36"),  # small: nothing to gain
        (10**9, {"MALLOC_MMAP_THRESHOLD_": "65536"}, "glibc 2.36"),  # the user's wins
        (10**9, {"MALLOC_TRIM_THRESHOLD_": "0"}, "glibc 2.36"),
        (10**9, {}, None),  # another C library (musl, macOS): no such name
    ],
)
def test_the_allocator_is_left_alone(
    libc: _FakeLibc,
    monkeypatch: pytest.MonkeyPatch,
    cells: int,
    env: dict[str, str],
    libc_version: str | None,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    def confstr(name: str) -> str:
        if libc_version is None:
            raise ValueError("unrecognized configuration name")
        return libc_version

    monkeypatch.setattr(scheduler.os, "confstr", confstr)
    assert not scheduler.release_freed_memory(cells)
    assert libc.calls == []


def test_a_build_runs_with_a_gdal_block_cache_of_its_size_in_megabytes(
    world_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # rasterio passes an integer GDAL_CACHEMAX to GDALSetCacheMax64, in bytes: the build's
    # 256 (MB) once gave a cache of 256 bytes, so every block read was decompressed again.
    monkeypatch.delenv("GDAL_CACHEMAX", raising=False)
    seen: list[int] = []
    run = pipeline._run

    def spying(*args: Any, **kwargs: Any) -> None:
        seen.append(int(get_gdal_config("GDAL_CACHEMAX")))
        run(*args, **kwargs)

    monkeypatch.setattr(pipeline, "_run", spying)
    pipeline.build(world_dir / "build.toml", out=tmp_path, progress=False)
    assert seen == [pipeline.BUILD_GDAL_CACHE_MB * 2**20]


def test_a_gdal_cachemax_in_the_environment_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GDAL_CACHEMAX", "512")
    assert pipeline._gdal() == {}
    monkeypatch.delenv("GDAL_CACHEMAX")
    assert pipeline._gdal() == {"GDAL_CACHEMAX": pipeline.BUILD_GDAL_CACHE_MB * 2**20}
