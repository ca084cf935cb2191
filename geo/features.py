"""Read auxiliary vector features (rivers, lakes, shorelines) for maps."""

from __future__ import annotations

import geopandas as gpd
import pyogrio

from aralrisk.geo._files import PathLike, base_name, require_file
from aralrisk.geo.errors import InputError

#: The CRS of every vector the engine returns.
LONLAT = "EPSG:4326"


def read_features(path: PathLike) -> gpd.GeoDataFrame:
    """Read any vector file GDAL reads and return it in EPSG:4326.

    Unlike :func:`geo.io.read_districts` nothing is required of the attributes; empty
    geometries are dropped.

    Raises:
        InputError: The file is missing, unreadable or has no CRS.
    """
    name = base_name(path)
    require_file(path, "vector file")
    try:
        gdf = gpd.read_file(path, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as err:
        raise InputError(f"{name} is not a readable vector file") from err
    if gdf.crs is None:
        raise InputError(f"{name} has no CRS: set one, e.g. with `ogr2ogr -a_srs EPSG:4326`")
    gdf = gdf[~(gdf.geometry.is_empty | gdf.geometry.isna())]
    return gdf.to_crs(LONLAT).reset_index(drop=True)
