"""GDAL configuration values written the way rasterio passes them on.

GDAL documents ``GDAL_CACHEMAX`` in megabytes when it is set as a configuration option
(environment, ``--config``). :class:`rasterio.Env` does not set it as an option: it hands
an integer straight to ``GDALSetCacheMax64``, which counts **bytes**. So
``rasterio.Env(GDAL_CACHEMAX=64)`` gives a block cache of 64 bytes, which is no cache at
all, and every block read is decompressed again. :func:`cache_max` converts.
"""

from __future__ import annotations

MIB = 2**20


def cache_max(megabytes: int) -> int:
    """``GDAL_CACHEMAX`` for :class:`rasterio.Env`: ``megabytes`` MiB, in bytes.

    >>> import rasterio
    >>> from rasterio.env import get_gdal_config
    >>> with rasterio.Env(GDAL_CACHEMAX=cache_max(64)):
    ...     get_gdal_config("GDAL_CACHEMAX") // MIB
    64
    """
    if megabytes < 1:
        raise ValueError(f"a GDAL block cache of {megabytes} MB holds nothing; give 1 or more")
    return megabytes * MIB
