"""Tiny rasters and zones made in code for the tests of the generic engine (geo/)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from affine import Affine

MakeRaster = Callable[..., Path]


def write_raster(
    path: Path,
    data: np.ndarray,
    transform: Affine,
    crs: Any = "EPSG:32641",
    *,
    nodata: float | None = None,
    dtype: str | None = None,
    tags: dict[str, str] | None = None,
    tiled: bool = False,
) -> Path:
    """Write a 2-D array (or a (bands, rows, cols) stack) as a GeoTIFF; return its path."""
    stack = data if data.ndim == 3 else data[None]
    profile: dict[str, Any] = {
        "driver": "GTiff",
        "height": stack.shape[1],
        "width": stack.shape[2],
        "count": stack.shape[0],
        "dtype": dtype or str(stack.dtype),
        "crs": crs,
        "transform": transform,
        "nodata": nodata,
    }
    if tiled:
        profile.update(tiled=True, blockxsize=16, blockysize=16)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(stack.astype(profile["dtype"]))
        if tags:
            dst.update_tags(**tags)
    return path


@pytest.fixture
def make_raster(tmp_path: Path) -> MakeRaster:
    """``make_raster(data, transform, crs=..., nodata=..., name=...)`` writes into tmp_path."""

    def make(data: np.ndarray, transform: Affine, crs: Any = "EPSG:32641", **kwargs: Any) -> Path:
        name = kwargs.pop("name", "raster.tif")
        return write_raster(tmp_path / name, data, transform, crs, **kwargs)

    return make
