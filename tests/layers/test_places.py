"""Settlements of the tiny world checked against a hand computation (layers/places.py).

The world (tests/world.py) has a 0.05-degree build grid from lon 60, lat 45; its people
are 2 per 0.01-degree cell (50 per build cell) plus a town of 20,000 in four build cells
around (60.25, 44.55). Its settlements sit on build-cell centres with a 10 km radius.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from aralrisk.geo import index
from aralrisk.layers import places
from aralrisk.layers.result import BuildResult
from tests import world

CELL = 0.05  # degrees, the world's build grid
RURAL_PER_CELL = world.RURAL_PEOPLE_PER_CELL * (CELL / 0.01) ** 2  # 50 people


def haversine_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance on the 6,371 km sphere, written out independently."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * places.EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def cells_within(lon: float, lat: float, radius_km: float) -> list[tuple[float, float]]:
    """Centres of the build cells within ``radius_km`` of a point, by brute force."""
    lons = 60 + CELL / 2 + CELL * np.arange(40)
    lats = 45 - CELL / 2 - CELL * np.arange(20)
    return [(x, y) for x in lons for y in lats if haversine_km(lon, lat, x, y) <= radius_km + 1e-9]


@pytest.fixture(scope="module")
def table(built: BuildResult) -> pd.DataFrame:
    return pd.read_csv(built.path / "places.csv", dtype={"id": str}).set_index("id")


def test_the_manifest_lists_the_places_and_the_one_left_outside(built: BuildResult) -> None:
    meta = built.manifest["places"]
    assert meta["count"] == 3 and meta["outside_districts"] == 1  # "Far away", lon 59.5
    assert meta["radius_km"] == world.PLACES_RADIUS_KM
    assert {"places.geojson", "places.csv"} <= set(built.manifest["outputs"])
    geojson = gpd.read_file(built.path / "places.geojson")
    assert sorted(geojson["id"]) == ["101", "102", "103"]
    # As every CSV: UTF-8 with BOM (Excel), GDAL's column types beside it.
    assert (built.path / "places.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    types = (built.path / "places.csvt").read_text().strip().split(",")
    header = (built.path / "places.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert len(types) == len(header.split(","))


def test_people_are_the_cells_within_the_radius_nearest_to_each_settlement(
    table: pd.DataFrame,
) -> None:
    village = cells_within(60.525, 44.725, world.PLACES_RADIUS_KM)
    # 3 rows x 5 columns: a cell is 3.97 km wide and 5.56 km tall here.
    assert len(village) == 15
    assert table.loc["101", "people"] == pytest.approx(15 * RURAL_PER_CELL)  # 750
    town = cells_within(60.225, 44.575, world.PLACES_RADIUS_KM)
    assert len(town) == 15
    # The town's four build cells (lon 60.20-60.30, lat 44.50-44.60) are all in the disc.
    assert {(round(x, 3), round(y, 3)) for x, y in town} >= {
        (60.225, 44.575),
        (60.275, 44.575),
        (60.225, 44.525),
        (60.275, 44.525),
    }
    assert table.loc["102", "people"] == pytest.approx(15 * RURAL_PER_CELL + world.TOWN_PEOPLE)
    assert table.loc["103", "people"] == pytest.approx(15 * RURAL_PER_CELL)


def test_children_and_elderly_are_the_district_shares_applied(table: pd.DataFrame) -> None:
    # District A: 12 % under 5, 8 % over 65; B: 10 % and 6 % (tests/world.py's table).
    assert table.loc["102", "children_under5"] == pytest.approx(20_750 * 0.12)
    assert table.loc["102", "elderly_over65"] == pytest.approx(20_750 * 0.08)
    assert table.loc["103", "children_under5"] == pytest.approx(750 * 0.10)
    assert table.loc["103", "elderly_over65"] == pytest.approx(750 * 0.06)


def test_district_and_names(table: pd.DataFrame) -> None:
    assert table.loc["101", "district"] == "A" and table.loc["101", "district_name"] == "Alpha"
    assert table.loc["101", "name_kk"] == "Өзенбойы" and table.loc["101", "name_ru"] == "Озенбойы"
    assert table.loc["103", "district"] == "B"


def test_hazard_at_the_point_and_around_it(table: pd.DataFrame) -> None:
    village, town, steppe = table.loc["101"], table.loc["102"], table.loc["103"]
    # The village is in the 10-year flood strip (1.2 m > 0.5 m): high; its value is the
    # exposure layer's (the 100-year depth, 2 m), and it is exposed.
    assert village["river_flood_level"] == index.HIGH
    assert village["river_flood_value"] == pytest.approx(2.0)
    assert village["river_flood_exposed"] == 1
    # The town's own cell is dry (very low), but the 100-year flood (lon 60.30-60.70)
    # reaches cells 7.9 km east of it: medium within the radius.
    assert town["river_flood_level"] == index.VERY_LOW
    assert town["river_flood_level_around"] == index.MEDIUM
    assert town["river_flood_exposed"] == 0
    # Dust: 60 storm days west of lon 61 (high, above 50), 30 east of it (low, above 20).
    assert village["dust_level"] == index.HIGH and village["dust_value"] == pytest.approx(60.0)
    assert steppe["dust_level"] == index.LOW and steppe["dust_exposed"] == 0
    assert "river_flood" in village["high_hazards"].split(",")
    assert village["hazard_level"] == index.HIGH


def test_people_never_exceed_their_district(built: BuildResult, table: pd.DataFrame) -> None:
    population = built.table()["population"]
    for district, people in table.groupby("district")["people"].sum().items():
        assert people <= population[district] + 1e-6
    assert (table["people_exposed"] <= table["people"] + 1e-9).all()


def test_cell_levels_follow_the_criteria_above_their_thresholds(built: BuildResult) -> None:
    flood = built.registry.hazard("river_flood")
    values = {
        "flood_rp100": np.array([np.nan, 0.0, 0.5, 0.6, 0.6]),
        "flood_rp10": np.array([np.nan, 0.0, 0.0, 0.0, 0.7]),
    }
    levels = places.cell_levels(built.registry, flood, values)
    # 0.5 is not above 0.5 (the district rule counts cells above a threshold too).
    assert levels.tolist() == [index.NO_DATA, 0, 0, index.MEDIUM, index.HIGH]
