"""``GET /point`` and ``POST /zonal`` against the rasters and the district table."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from fastapi.testclient import TestClient
from shapely.geometry import mapping

from geo import index
from layers.result import BuildResult
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
    assert body["district"] == {"code": "A", "name": "Alpha"}
    layers = _layers(body)
    flood = layers["flood_rp10"]
    assert flood["value"] == pytest.approx(world.FLOOD_RP10_DEPTH, rel=1e-6)
    assert flood["score"] == pytest.approx(built.registry["flood_rp10"].score(1.2), rel=1e-6)
    assert (flood["level"], flood["level_label"]) == (index.HIGH, "high")
    assert flood["units"] == "m"
    assert layers["dust_days"]["value"] == pytest.approx(60.0, abs=1e-4)


def test_point_away_from_the_river(client: TestClient) -> None:
    west = _layers(client.get("/point", params={"lon": DRY_WEST[0], "lat": DRY_WEST[1]}).json())
    assert west["flood_rp10"]["value"] == pytest.approx(0.0)
    assert west["flood_rp10"]["level_label"] == "very low"
    assert west["dust_days"]["value"] == pytest.approx(60.0, abs=1e-4)
    east = client.get("/point", params={"lon": EAST[0], "lat": EAST[1]}).json()
    assert east["district"]["code"] == "B"
    assert _layers(east)["dust_days"]["value"] == pytest.approx(30.0, abs=1e-4)
    assert _layers(east)["dust_days"]["level_label"] == "low"


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
    assert body["risk"] == pytest.approx(_raster_value(built, "risk", lon, lat))
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
    assert body["district"] == {"code": "D", "name": "Delta"}


@pytest.mark.parametrize(("lon", "lat"), [(10.0, 10.0), (62.5, 44.5), (61.0, 45.3)])
def test_point_outside_the_region_is_422(client: TestClient, lon: float, lat: float) -> None:
    response = client.get("/point", params={"lon": lon, "lat": lat})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "outside the region of this build" in response.json()["detail"]


def _district_polygon(code: str) -> dict:
    districts = world.districts().set_index("code")
    return mapping(districts.loc[code, "geometry"])


LAYER_FIELDS = ("value", "score", "coverage", "people_high")


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
            if np.isnan(expected):
                assert got[field] is None, (layer_id, field)
            else:
                assert got[field] == pytest.approx(expected, rel=1e-6, abs=1e-9), (layer_id, field)
        assert got["level"] == row[f"{layer_id}_level"], layer_id
    assert body["area_km2"] == pytest.approx(row["area_km2"], abs=1e-3)
    assert body["population"] == pytest.approx(row["population"], abs=0.1)
    for column in ("hazard", "hazard_geometric", "hazard_max", "exposure"):
        assert body[column] == pytest.approx(row[column], rel=1e-6), column
    assert [d["layer"] for d in body["drivers"]] == [d["layer"] for d in row["drivers"]]
    assert body["confidence"] == row["confidence"]


@pytest.mark.parametrize("code", ["A", "B", "C"])
def test_zonal_risk_equals_the_district_risk(
    client: TestClient, built: BuildResult, code: str
) -> None:
    # D is smaller than a cell: its one cell is painted with C's vulnerability, so only
    # districts owning their cells give back their own vulnerability, coping and risk.
    body = client.post("/zonal", json=_district_polygon(code)).json()
    row = built.table().loc[code]
    for column in ("vulnerability", "coping", "hazard_exposure", "risk"):
        assert body[column] == pytest.approx(row[column], rel=1e-6), column
    assert body["risk_class"] == row["risk_class"]


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
    # 0.1 x 0.6 degrees at latitude 44.5: 7.94 km x 66.6 km.
    assert body["area_km2"] == pytest.approx(0.1 * 111.32 * 0.7133 * 0.6 * 111.1, rel=0.01)


def test_zonal_weights_change_the_composite(client: TestClient) -> None:
    polygon = _district_polygon("A")
    flood_only = "flood_rp10:1," + ",".join(
        f"{h}:0"
        for h in ("flood_rp100", "groundwater_salinity", "dust_days", "heat_days", "drought")
    )
    flood_only += ",warming_trend:0"
    body = client.post(f"/zonal?weights={flood_only}", json=polygon).json()
    assert body["hazard"] == pytest.approx(_layers(body)["flood_rp10"]["score"])
    assert body["weights"]["flood_rp10"] == pytest.approx(1.0)
    maxed = client.post("/zonal?method=max", json=polygon).json()
    assert maxed["method"] == "max"
    assert maxed["hazard"] == pytest.approx(maxed["hazard_max"])
