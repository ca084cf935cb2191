"""ZoneIndex.lazy_labels: the label raster as dask chunks that share its memory."""

from __future__ import annotations

import dask.array
import geopandas as gpd
import numpy as np
from shapely.geometry import box

from aralrisk.geo.grid import GridSpec
from aralrisk.geo.zonal import ZoneIndex

# 20 rows x 30 cols of quarter-degree cells.
GRID = GridSpec.from_bounds((60.0, 44.0, 67.5, 49.0), 0.25, "EPSG:4326")


def index() -> ZoneIndex:
    zones = gpd.GeoDataFrame(
        {"code": ["W", "E", "S"]},
        geometry=[
            box(60.1, 46.0, 63.9, 48.9),
            box(63.9, 44.2, 67.4, 48.0),
            box(61, 44.1, 63, 45.5),
        ],
        crs="EPSG:4326",
    )
    return ZoneIndex(zones, GRID, "code")


def test_lazy_labels_are_the_labels_on_the_grid() -> None:
    zones = index()
    lazy = zones.lazy_labels(8)
    assert isinstance(lazy.data, dask.array.Array)
    assert lazy.chunks == ((8, 8, 4), (8, 8, 8, 6))
    assert lazy.dtype == zones.labels.dtype
    np.testing.assert_array_equal(lazy.to_numpy(), zones.labels)
    np.testing.assert_array_equal(lazy.y, GRID.y)
    np.testing.assert_array_equal(lazy.x, GRID.x)
    assert lazy.rio.crs == GRID.crs and lazy.rio.transform() == GRID.transform
    # Two chunkings of one index do not share graph keys.
    both = zones.lazy_labels(8).data + zones.lazy_labels(5).data.rechunk(8)
    np.testing.assert_array_equal(both.compute(), 2 * zones.labels.astype(np.int64))


def test_lazy_label_chunks_are_read_only_views_of_the_labels() -> None:
    zones = index()
    labels = zones.labels

    def shares(block: np.ndarray) -> np.ndarray:
        return np.full(block.shape, np.shares_memory(block, labels) and not block.flags.writeable)

    views = zones.lazy_labels(8).data.map_blocks(shares, dtype=bool)
    assert views.compute().all()
