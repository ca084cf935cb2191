"""The real Kyzylorda district boundaries through read_districts and ZoneIndex."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

from aralrisk.geo.grid import GridSpec
from aralrisk.geo.io import read_districts
from aralrisk.geo.zonal import ZoneIndex

# The official boundaries, kept in the repository with their licence (data/reference).
BOUNDARIES = (
    Path(__file__).resolve().parents[2]
    / "data"
    / "reference"
    / "boundaries"
    / "kyzylorda_adm2.geojson"
)
BAIKONUR = "KZ431900"
ARAL = "KZ433200"

pytestmark = [pytest.mark.real_data]


@pytest.fixture(scope="module")
def districts() -> gpd.GeoDataFrame:
    return read_districts(BOUNDARIES, "ADM2_PCODE", "ADM2_EN")


def test_reads_the_nine_units(districts: gpd.GeoDataFrame) -> None:
    assert len(districts) == 9
    assert districts.crs == "EPSG:4326"
    assert districts["ADM2_PCODE"].is_unique
    aral = districts.set_index("ADM2_PCODE").geometry[ARAL]
    assert aral.geom_type == "MultiPolygon" and len(aral.geoms) == 2
    area = districts.to_crs("+proj=laea +lat_0=45 +lon_0=64 +datum=WGS84").area / 1e6
    baikonur_km2 = float(area[districts["ADM2_PCODE"] == BAIKONUR].iloc[0])
    assert 30 < baikonur_km2 < 45


@pytest.mark.parametrize("resolution", [0.01, 0.1])
def test_every_unit_gets_a_finite_mean(districts: gpd.GeoDataFrame, resolution: float) -> None:
    grid = GridSpec.from_bounds(tuple(districts.total_bounds), resolution, "EPSG:4326")
    index = ZoneIndex(districts, grid, "ADM2_PCODE")
    lon, lat = np.meshgrid(grid.x, grid.y)
    layer = (lon - 59.0) * 10 + (lat - 42.0)  # a smooth synthetic field
    stats = index.stats(layer.astype(np.float32), thresholds=(50.0,))
    assert np.isfinite(stats.mean).all() and np.isfinite(stats.p90).all()
    assert (stats.coverage == 1.0).all()
    # Cell areas add up to the oblast's area (about 226,000 km2) on both grids.
    assert index.area_km2().sum() == pytest.approx(226_000, rel=0.02)
    baikonur = list(stats.ids).index(BAIKONUR)
    if resolution == 0.1:
        # A 0.1-degree cell (about 86 km2) is larger than Baikonur: the small-zone rule.
        assert BAIKONUR in index.small_zones and stats.cells[baikonur] == 1
    else:
        assert BAIKONUR not in index.small_zones and stats.cells[baikonur] > 20
    # Baikonur's value is that of a cell at Baikonur (about 63.3 E, 45.6 N).
    assert stats.mean[baikonur] == pytest.approx((63.3 - 59.0) * 10 + (45.6 - 42.0), abs=1.5)
    assert index.zone_of(63.3, 45.62) == BAIKONUR
