"""``GET /point`` and ``POST /zonal`` against the rasters and the district table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from fastapi.testclient import TestClient
from shapely.geometry import mapping

from aralrisk.api.app import create_app
from aralrisk.api.settings import Settings
from aralrisk.geo import index
from aralrisk.layers.result import BuildResult, open_build
from tests import world

# Inside cells, not on cell edges (the build grid has 0.05-degree cells from 60, 45).
RIVER = (60.51, 44.52)  # in A's flood strip
DRY_WEST = (60.21, 44.81)  # in A, away from the river and the town
EAST = (61.81, 44.21)  # in B


def _layers(body: dict) -> dict[str, dict]:
    return {layer["id"]: layer for layer in body["layers"]}


def _raster_value(built: BuildResult, name: str, lon: float, lat: float) -> float:
    with rasterio.open(built.raster(name)) as ds:
        row, col = ds.index(lon, lat)
        return float(ds.read(1)[row, col])


def test_point_in_the_river_strip(client: TestClient, built: BuildResult) -> None:
    response = client.get("/point", params={"lon": RIVER[0], "lat": RIVER[1]})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["build"] == built.version
    row = built.table().loc["A"]
    # The district, with its results: risk is a district index, a cell has none.
    assert body["district"] == {
        "code": "A",
        "name": "Alpha",
        "note": "",
        "risk": pytest.approx(row["risk"]),
        "risk_class": row["risk_class"],
        "rank": 1,
        "hazard_level": index.HIGH,
        "hazard_level_label": "high",
        "hazard_level_hazards": ["river_flood", "salinity", "dust"],
        "people_exposed": pytest.approx(row["people_exposed"]),
    }
    assert "risk" not in body
    layers = _layers(body)
    flood = layers["flood_rp10"]
    assert flood["value"] == pytest.approx(world.FLOOD_RP10_DEPTH, rel=1e-6)
    assert flood["score"] == pytest.approx(built.registry["flood_rp10"].score(1.2), rel=1e-6)
    assert (flood["level"], flood["level_label"]) == (index.HIGH, "high")
    assert flood["units"] == "m" and flood["hazard"] == "river_flood"
    assert layers["dust_days"]["value"] == pytest.approx(60.0, abs=1e-4)
    # 2 m of water in the 100-year flood, 60 dust days and salty water: exposed to all three.
    assert body["exposed"] is True
    exposed = {e["hazard"]: e for e in body["exposed_to"]}
    assert {"river_flood", "dust", "salinity"} <= set(exposed)
    assert exposed["river_flood"]["layer"] == "flood_rp100"
    assert exposed["river_flood"]["value"] == pytest.approx(2.0, rel=1e-6)
    assert (exposed["river_flood"]["threshold"], exposed["river_flood"]["units"]) == (0.5, "m")
    assert body["people_exposed_density"] == pytest.approx(
        _raster_value(built, "exposed", *RIVER), rel=1e-6
    )
    assert body["people_exposed_density"] > 0


def test_point_away_from_the_river(client: TestClient, built: BuildResult) -> None:
    west_body = client.get("/point", params={"lon": DRY_WEST[0], "lat": DRY_WEST[1]}).json()
    west = _layers(west_body)
    assert west["flood_rp10"]["value"] == pytest.approx(0.0)
    assert west["flood_rp10"]["level_label"] == "very low"
    assert west["dust_days"]["value"] == pytest.approx(60.0, abs=1e-4)
    assert "river_flood" not in {e["hazard"] for e in west_body["exposed_to"]}
    assert "dust" in {e["hazard"] for e in west_body["exposed_to"]}
    east = client.get("/point", params={"lon": EAST[0], "lat": EAST[1]}).json()
    assert east["district"]["code"] == "B"
    assert east["district"]["risk_class"] == built.table().loc["B", "risk_class"]
    assert _layers(east)["dust_days"]["value"] == pytest.approx(30.0, abs=1e-4)
    assert _layers(east)["dust_days"]["level_label"] == "low"
    # 30 dust days are below dust's exposure threshold (35); the water is salty (> 2 g/L).
    assert [e["hazard"] for e in east["exposed_to"]] == ["salinity"]


@pytest.mark.parametrize("where", [RIVER, DRY_WEST, EAST, (61.33, 44.91), (60.99, 44.01)])
def test_point_equals_the_raster_cell(
    client: TestClient, built: BuildResult, where: tuple[float, float]
) -> None:
    lon, lat = where
    body = client.get("/point", params={"lon": lon, "lat": lat}).json()
    for layer in body["layers"]:
        expected = _raster_value(built, layer["id"], lon, lat)
        assert layer["value"] == pytest.approx(expected, rel=1e-6), layer["id"]
        score = _raster_value(built, f"{layer['id']}_score", lon, lat)
        assert layer["score"] == pytest.approx(score, rel=1e-5, abs=1e-5), layer["id"]
    assert body["composite"] == pytest.approx(_raster_value(built, "composite", lon, lat))
    density = _raster_value(built, "exposed", lon, lat)
    assert body["people_exposed_density"] == pytest.approx(density, rel=1e-6)
    # The cell is exposed exactly where a hazard exceeds its exposure threshold.
    values = {layer["id"]: layer["value"] for layer in body["layers"]}
    expected_hazards = [
        h.id
        for h in built.registry.hazards
        if h.exposure is not None and values[h.exposure.layer] > h.exposure.threshold
    ]
    assert [e["hazard"] for e in body["exposed_to"]] == expected_hazards
    assert body["exposed"] is bool(expected_hazards)
    with rasterio.open(built.raster("composite")) as ds:
        assert body["cell"] == list(ds.index(lon, lat))


def test_point_on_a_cell_edge_takes_the_cell_east_and_south(client: TestClient) -> None:
    # Cells are half-open: [west, east) x (south, north]; 60.5 is the west edge of col 10.
    assert client.get("/point", params={"lon": 60.5, "lat": 44.5}).json()["cell"] == [10, 10]
    assert client.get("/point", params={"lon": 60.0, "lat": 45.0}).json()["cell"] == [0, 0]


def test_point_lists_spatial_layers_only(client: TestClient, built: BuildResult) -> None:
    layers = _layers(client.get("/point", params={"lon": 60.5, "lat": 44.5}).json())
    assert set(layers) == {s.id for s in built.registry.values() if s.spatial}
    assert layers["population"]["level_label"] == "not applicable"


def test_point_in_the_small_enclave(client: TestClient) -> None:
    body = client.get("/point", params={"lon": 61.5, "lat": 44.75}).json()
    assert (body["district"]["code"], body["district"]["name"]) == ("D", "Delta")
    assert body["district"]["rank"] == 4


@pytest.mark.parametrize(("lon", "lat"), [(10.0, 10.0), (62.5, 44.5), (61.0, 45.3)])
def test_point_outside_the_region_is_422(client: TestClient, lon: float, lat: float) -> None:
    response = client.get("/point", params={"lon": lon, "lat": lat})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "outside the region of this build" in response.json()["detail"]


def _district_polygon(code: str) -> dict:
    districts = world.districts().set_index("code")
    return mapping(districts.loc[code, "geometry"])


LAYER_FIELDS = ("value", "mean", "pop_mean", "score", "coverage", "people_high")
HAZARD_FIELDS = {
    "people_exposed": "exposed",
    "exposed_share": "exposed_share",
    "exposure": "exposure",
    "score": "score",
    "coverage": "coverage",
}


def _equal(got: float | None, expected: float) -> bool:
    if np.isnan(expected):
        return got is None
    return got == pytest.approx(expected, rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("code", ["A", "B", "C", "D"])
def test_zonal_on_a_district_equals_its_statistics(
    client: TestClient, built: BuildResult, code: str
) -> None:
    response = client.post("/zonal", json=_district_polygon(code))
    assert response.status_code == 200, response.text
    assert response.headers["x-build-version"] == built.version
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    row = built.table().loc[code]
    layers = _layers(body)
    spatial = [s.id for s in built.registry.values() if s.spatial]
    assert set(layers) == set(spatial)
    for layer_id in spatial:
        got = layers[layer_id]
        for field in LAYER_FIELDS:
            expected = row.get(f"{layer_id}_{field}", np.nan)
            assert _equal(got[field], expected), (layer_id, field)
        assert got["level"] == row[f"{layer_id}_level"], layer_id
    hazards = {h["id"]: h for h in body["hazards"]}
    assert list(hazards) == list(world.HAZARDS)
    for hazard_id, got in hazards.items():
        assert got["level"] == row[f"{hazard_id}_level"], hazard_id
        for field, column in HAZARD_FIELDS.items():
            expected = row.get(f"{hazard_id}_{column}", np.nan)
            assert _equal(got[field], expected), (hazard_id, field)
    assert body["area_km2"] == pytest.approx(row["area_km2"], abs=1e-3)
    assert body["population"] == pytest.approx(row["population"], abs=0.1)
    for column in (
        "hazard",
        "hazard_geometric",
        "hazard_max",
        "hazard_exposure",
        "people_exposed",
        "people_exposed_share",
    ):
        assert body[column] == pytest.approx(row[column], rel=1e-6), column
    assert body["hazard_level"] == row["hazard_level"]
    assert body["hazard_level_hazards"] == row["hazard_level_hazards"]
    assert body["drivers"] == row["drivers"]
    assert body["confidence"] == row["confidence"]
    assert body["classes"] == "INFORM Risk 2025 (v0.7.0)"


@pytest.mark.parametrize("code", ["A", "B", "C"])
def test_zonal_risk_equals_the_district_risk(
    client: TestClient, built: BuildResult, code: str
) -> None:
    # D is smaller than a cell: its one cell is painted with C's vulnerability, so only
    # districts owning their cells give back their own vulnerability, coping and risk.
    body = client.post("/zonal", json=_district_polygon(code)).json()
    row = built.table().loc[code]
    for column in ("vulnerability", "lack_of_coping", "hazard_exposure", "risk"):
        assert body[column] == pytest.approx(row[column], rel=1e-6), column
    assert body["risk_class"] == row["risk_class"]
    assert body["confidence_note"] == row["confidence_note"] == ""
    assert "coping" not in body and "exposure" not in body


def test_zonal_without_vulnerability_says_so(client: TestClient, unranked: BuildResult) -> None:
    from aralrisk.api.state import current_build

    client.app.dependency_overrides[current_build] = lambda: unranked  # type: ignore[attr-defined]
    try:
        body = client.post("/zonal", json=_district_polygon("B")).json()
    finally:
        client.app.dependency_overrides.clear()  # type: ignore[attr-defined]
    assert body["risk"] is None and body["risk_class"] == "no data"
    assert body["vulnerability"] is None and body["lack_of_coping"] is None
    assert body["hazard_exposure"] is not None and body["hazard_level"] == index.MEDIUM
    assert body["confidence"] == "low"
    assert body["confidence_note"] == "no data for vulnerability, lack of coping"


def test_zonal_accepts_a_feature_and_a_multipolygon(client: TestClient) -> None:
    polygon = _district_polygon("B")
    as_feature = client.post(
        "/zonal", json={"type": "Feature", "geometry": polygon, "properties": {"name": "x"}}
    )
    multi = client.post(
        "/zonal", json={"type": "MultiPolygon", "coordinates": [polygon["coordinates"]]}
    )
    plain = client.post("/zonal", json=polygon)
    assert as_feature.status_code == multi.status_code == plain.status_code == 200
    assert as_feature.json() == plain.json() == multi.json()


def test_zonal_of_a_river_box(client: TestClient) -> None:
    # A box inside the flood strip (two columns of cells): every cell is 1.2 m deep.
    ring = [[60.45, 44.2], [60.55, 44.2], [60.55, 44.8], [60.45, 44.8], [60.45, 44.2]]
    box = {"type": "Polygon", "coordinates": [ring]}
    body = client.post("/zonal", json=box).json()
    flood = _layers(body)["flood_rp10"]
    assert flood["value"] == pytest.approx(world.FLOOD_RP10_DEPTH, rel=1e-5)
    assert flood["level_label"] == "high"
    assert flood["coverage"] == pytest.approx(1.0)
    river = {h["id"]: h for h in body["hazards"]}["river_flood"]
    assert river["level_label"] == "high"
    # Everyone in the box lives in the 100-year flood: all of them are exposed.
    assert river["exposed_share"] == pytest.approx(1.0)
    assert body["people_exposed"] == pytest.approx(body["population"])
    # 0.1 x 0.6 degrees at latitude 44.5: 7.94 km x 66.6 km.
    assert body["area_km2"] == pytest.approx(0.1 * 111.32 * 0.7133 * 0.6 * 111.1, rel=0.01)


def test_zonal_weights_change_the_composite(client: TestClient) -> None:
    polygon = _district_polygon("A")
    flood_only = ",".join(f"{h}:{int(h == 'river_flood')}" for h in world.WEIGHTED_HAZARDS)
    body = client.post(f"/zonal?weights={flood_only}", json=polygon).json()
    river = {h["id"]: h for h in body["hazards"]}["river_flood"]
    assert body["hazard"] == pytest.approx(river["score"])
    assert body["weights"]["river_flood"] == pytest.approx(1.0)
    assert [d["hazard"] for d in body["drivers"]] == ["river_flood"]
    # A layer's weight within its hazard changes the hazard's intensity, not its level.
    layered = client.post("/zonal?weights=flood_rp10:3", json=polygon).json()
    layers = _layers(layered)
    river = {h["id"]: h for h in layered["hazards"]}["river_flood"]
    expected = (3 * layers["flood_rp10"]["score"] + layers["flood_rp100"]["score"]) / 4
    assert river["score"] == pytest.approx(expected)
    assert river["level"] == index.HIGH
    maxed = client.post("/zonal?method=max", json=polygon).json()
    assert maxed["method"] == "max"
    assert maxed["hazard"] == pytest.approx(maxed["hazard_max"])


def test_zonal_on_kyzylorda_city_gives_its_high_river_flood(
    sample_build_root: Path,
) -> None:
    """The sample's Kyzylorda city (KZ431000): its own polygon gives back its numbers."""
    sample = open_build(sample_build_root)
    row = sample.table().loc["KZ431000"]
    polygon = mapping(sample.districts.set_index("code").loc["KZ431000", "geometry"])
    with TestClient(create_app(Settings(build_dir=sample_build_root))) as client:
        body = client.post("/zonal", json=polygon).json()
    hazards = {h["id"]: h for h in body["hazards"]}
    assert hazards["river_flood"]["level"] == index.HIGH == row["river_flood_level"]
    assert body["hazard_level"] == index.HIGH
    assert "river_flood" in body["hazard_level_hazards"]
    for hazard_id, got in hazards.items():
        assert got["level"] == row[f"{hazard_id}_level"], hazard_id
        assert _equal(got["people_exposed"], row.get(f"{hazard_id}_exposed", np.nan)), hazard_id
    for column in ("people_exposed", "hazard_exposure", "vulnerability", "lack_of_coping", "risk"):
        assert body[column] == pytest.approx(row[column], rel=1e-5), column
    assert body["risk_class"] == row["risk_class"]
