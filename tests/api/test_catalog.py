"""``/layers``, ``/layers/{id}`` and ``/profiles`` against the tiny-world build."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from geo import index
from layers.registry import score_legend
from layers.result import BuildResult


def test_catalog_lists_every_layer_of_the_build(client: TestClient, built: BuildResult) -> None:
    response = client.get("/layers")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["build"] == built.version
    assert [layer["id"] for layer in body["layers"]] == list(built.registry)
    assert body["level_labels"] == {str(k): v for k, v in index.LEVEL_LABELS.items()}
    for layer in body["layers"]:
        spec = built.registry[layer["id"]]
        assert layer["title"] == spec.title
        assert layer["role"] == spec.role
        assert layer["group"] == spec.group
        assert layer["units"] == spec.units_label
        assert layer["description"] == spec.description
        assert layer["source"] == spec.source
        assert layer["legend"] == [c.model_dump() for c in spec.legend()]
        assert layer["score_legend"] == [c.model_dump() for c in score_legend()]


def test_legend_has_colors_labels_and_thresholds(client: TestClient) -> None:
    layers = {layer["id"]: layer for layer in client.get("/layers").json()["layers"]}
    flood = layers["flood_rp10"]
    assert flood["thresholds"] == [0.1, 0.25, 0.5]
    assert flood["area_fraction"] == 0.01
    assert [c["min"] for c in flood["legend"]] == [None, 0.1, 0.25, 0.5]
    assert [c["max"] for c in flood["legend"]] == [0.1, 0.25, 0.5, None]
    assert flood["legend"][-1]["label"] == "high: 0.5 m and above"
    assert all(c["color"].startswith("#") and len(c["color"]) == 7 for c in flood["legend"])
    assert [c["label"].split(":")[0] for c in flood["score_legend"]] == list(
        index.RISK_CLASS_LABELS
    )


def test_tile_urls_are_absolute_for_raster_layers_only(client: TestClient) -> None:
    layers = {layer["id"]: layer for layer in client.get("/layers").json()["layers"]}
    flood = layers["flood_rp10"]
    assert flood["spatial"] is True
    assert flood["tiles"] == "http://testserver/layers/flood_rp10/tiles/{z}/{x}/{y}.png"
    assert flood["tilejson"] == "http://testserver/layers/flood_rp10/tilejson.json"
    # Vulnerability indicators are district-table columns: no raster, no tiles.
    poverty = layers["poverty"]
    assert poverty["spatial"] is False
    assert poverty["tiles"] is None and poverty["tilejson"] is None
    assert poverty["thresholds"] is None and poverty["legend"] == []


def test_tile_urls_follow_the_root_path(settings: object, built: BuildResult) -> None:
    from api.app import create_app

    with TestClient(create_app(settings), root_path="/aral") as prefixed:  # type: ignore[arg-type]
        layers = prefixed.get("/layers").json()["layers"]
    flood = next(layer for layer in layers if layer["id"] == "flood_rp10")
    assert flood["tiles"] == "http://testserver/aral/layers/flood_rp10/tiles/{z}/{x}/{y}.png"
    assert flood["tilejson"] == "http://testserver/aral/layers/flood_rp10/tilejson.json"


def test_tile_urls_follow_the_host_header(client: TestClient) -> None:
    layers = client.get("/layers", headers={"Host": "risk.example.kz"}).json()["layers"]
    assert layers[0]["tiles"].startswith("http://risk.example.kz/layers/")


def test_layer_detail_has_statistics_and_district_values(
    client: TestClient, built: BuildResult
) -> None:
    response = client.get("/layers/flood_rp10")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == "flood_rp10"
    assert body["build"] == built.version
    meta = built.manifest["layers"]["flood_rp10"]
    assert body["statistics"] == {
        "min": meta["min"],
        "max": meta["max"],
        "mean_of_districts": meta["mean_of_districts"],
    }
    table = built.table()
    by_code = {d["code"]: d for d in body["districts"]}
    assert list(by_code) == list(table.index)  # rank order
    for code, row in table.iterrows():
        entry = by_code[code]
        assert entry["name"] == row["name"]
        assert entry["value"] == pytest.approx(row["flood_rp10_value"])
        assert entry["score"] == pytest.approx(row["flood_rp10_score"])
        assert entry["level"] == row["flood_rp10_level"]
        assert entry["level_label"] == index.LEVEL_LABELS[int(row["flood_rp10_level"])]
        assert entry["coverage"] == pytest.approx(row["flood_rp10_coverage"])
        assert entry["people_high"] == pytest.approx(row["flood_rp10_people_high"])
    assert by_code["A"]["level_label"] == "high"
    assert by_code["B"]["level_label"] == "very low"


def test_table_layer_detail_has_no_raster_statistics(client: TestClient) -> None:
    body = client.get("/layers/poverty").json()
    assert body["statistics"] is None
    assert {d["level_label"] for d in body["districts"]} == {"not applicable"}
    assert all(d["people_high"] is None for d in body["districts"])


def test_unknown_layer_is_404_problem(client: TestClient) -> None:
    response = client.get("/layers/lava")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "unknown layer 'lava'; the layers are listed at /layers"


def test_profiles_are_realised_over_the_build_hazards(
    client: TestClient, built: BuildResult
) -> None:
    body = client.get("/profiles").json()
    assert body["build"] == built.version
    assert body["default"] == "equal" and body["method"] == "geometric"
    profiles = {p["id"]: p for p in body["profiles"]}
    assert set(profiles) == set(built.registry.profiles)
    hazards = {spec.id for spec in built.registry.hazards}
    for pid, profile in profiles.items():
        assert set(profile["weights"]) == hazards
        assert sum(profile["weights"].values()) == pytest.approx(1.0)
        assert profile["weights"] == pytest.approx(built.registry.resolve_weights(pid))
        assert profile["title"] == built.registry.profiles[pid].title
    assert len(set(profiles["equal"]["weights"].values())) == 1
    health = profiles["public_health"]["weights"]
    assert health["dust_days"] > health["flood_rp10"]


def test_catalog_urls_work_when_fetched(client: TestClient) -> None:
    import morecantile

    layers = {layer["id"]: layer for layer in client.get("/layers").json()["layers"]}
    flood = layers["flood_rp10"]
    tilejson = client.get(flood["tilejson"])
    assert tilejson.status_code == 200
    assert tilejson.json()["tilejson"] == "3.0.0"
    assert tilejson.json()["tiles"][0].startswith(flood["tiles"].split("{z}")[0])
    tile = morecantile.tms.get("WebMercatorQuad").tile(60.51, 44.52, 7)
    png = client.get(flood["tiles"].format(z=tile.z, x=tile.x, y=tile.y))
    assert png.status_code == 200
    assert png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
