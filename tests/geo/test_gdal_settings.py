"""GDAL_CACHEMAX through rasterio.Env: megabytes converted to the bytes rasterio passes on."""

from __future__ import annotations

import pytest
import rasterio
from rasterio.env import get_gdal_config

from aralrisk.geo.gdal_settings import MIB, cache_max


def test_rasterio_reads_an_integer_cachemax_as_bytes() -> None:
    # The trap itself, kept visible: should rasterio ever read MB, cache_max must change.
    with rasterio.Env(GDAL_CACHEMAX=64):
        assert get_gdal_config("GDAL_CACHEMAX") == 64


@pytest.mark.parametrize("megabytes", [1, 64, 256])
def test_cache_max_gives_gdal_that_many_megabytes(megabytes: int) -> None:
    with rasterio.Env(GDAL_CACHEMAX=cache_max(megabytes)):
        assert get_gdal_config("GDAL_CACHEMAX") == megabytes * MIB


def test_no_cache_is_refused() -> None:
    with pytest.raises(ValueError, match="holds nothing"):
        cache_max(0)
