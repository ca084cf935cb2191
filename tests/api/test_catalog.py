"""``/layers``, ``/layers/{id}``, ``/hazards`` and ``/profiles`` against the tiny world."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from aralrisk.geo import index
from aralrisk.layers.registry import score_legend
from aralrisk.layers.result import BuildResult
from tests import world


def test_catalog_lists_every_layer_of_the_build(client: TestClient, built: BuildResult) -> None:
    response = client.get("/layers")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["build"] == built.version
    assert [layer["id"] for layer in body["layers"]] == list(built.registry)
    assert body["level_labels"] == {str(k): v for k, v in index.LEVEL_LABELS.items()}
    assert body["classes"] == "INFORM Risk 2025 (v0.7.0)"
    for layer in body["layers"]:
        spec = built.registry[layer["id"]]
        assert layer["title"] == spec.title
        assert layer["role"] == spec.role
        assert layer["group"] == spec.group
        assert layer["category"] == spec.category
        assert layer["units"] == spec.units_label
        assert layer["district_units"] == (spec.district_units_label or spec.units_label)
        assert layer["description"] == spec.description
        assert layer["source"] == spec.source
        assert layer["legend"] == [c.model_dump() for c in spec.legend()]
        assert layer["score_legend"] == [c.model_dump() for c in score_legend(index.INFORM_2025)]
    by_id = {layer["id"]: layer for layer in body["layers"]}
    # Every hazard layer names its hazard; other layers have none.
    assert {i: by_id[i]["hazard"] for i in world.HAZARD_LAYERS} == {
        "flood_rp10": "river_flood",
        "flood_rp100": "river_flood",
        "groundwater_salinity": "salinity",
        "dust_days": "dust",
        "heat_days": "heat",
        "dry_years": "drought",
        "warming_trend": "warming",
        "spi_recent": "drought_status",
    }
    assert by_id["population"]["hazard"] is None and by_id["poverty"]["hazard"] is None
    assert (by_id["population"]["units"], by_id["population"]["district_units"]) == (
        "people/km²",
        "people",
    )
    assert by_id["groundwater_salinity"]["statistic"] == "weighted_mean"
    assert by_id["dry_years"]["statistic"] == "mean"
    assert by_id["poverty"]["category"] == "socio_economic"


def test_catalog_lists_the_derived_surfaces(client: TestClient) -> None:
    surfaces = {s["id"]: s for s in client.get("/layers").json()["surfaces"]}
    assert list(surfaces) == ["composite", "exposed", "vulnerability", "lack_of_coping"]
    assert "risk" not in surfaces and "coping" not in surfaces
    exposed = surfaces["exposed"]
    assert exposed["title"] == "People exposed to a hazard (per km²)"
    assert exposed["units"] == "people/km²"
    # Its own legend: people per km2, not the risk classes.
    assert [c["label"] for c in exposed["legend"]] == [
        "below 1 people/km²",
        "1–10 people/km²",
        "10–100 people/km²",
        "100–1000 people/km²",
        "1000 people/km² and above",
    ]
    assert exposed["tiles"] == "http://testserver/layers/exposed/tiles/{z}/{x}/{y}.png"
    coping = surfaces["lack_of_coping"]
    assert coping["title"] == "Lack of coping capacity (score 0-10)"
    assert [c["label"].split(":")[0] for c in coping["legend"]] == list(index.RISK_CLASS_LABELS)


def test_legend_has_colors_labels_and_thresholds(client: TestClient) -> None:
    layers = {layer["id"]: layer for layer in client.get("/layers").json()["layers"]}
    flood = layers["flood_rp10"]
    assert flood["thresholds"] == [0.1, 0.5, 1.0]
    assert flood["area_fraction"] == 0.01
    assert [c["min"] for c in flood["legend"]] == [None, 0.1, 0.5, 1.0]
    assert [c["max"] for c in flood["legend"]] == [0.1, 0.5, 1.0, None]
    assert flood["legend"][-1]["label"] == "high: 1 m and above"
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
    from aralrisk.api.app import create_app

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
        assert entry["mean"] == pytest.approx(row["flood_rp10_mean"])
        assert entry["pop_mean"] == pytest.approx(row["flood_rp10_pop_mean"])
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
    for pid, profile in profiles.items():
        assert list(profile["weights"]) == list(world.HAZARDS)
        assert sum(profile["weights"].values()) == pytest.approx(1.0)
        realised = built.registry.resolve_weights(pid)
        assert profile["weights"] == pytest.approx(realised.hazards)
        assert profile["layer_weights"] == pytest.approx(realised.layers)
        assert profile["title"] == built.registry.profiles[pid].title
        # Context hazards weigh nothing unless weighted.
        assert profile["weights"]["warming"] == profile["weights"]["drought_status"] == 0.0
    equal = profiles["equal"]["weights"]
    assert [equal[h] for h in world.WEIGHTED_HAZARDS] == pytest.approx([0.2] * 5)
    assert profiles["equal"]["layer_weights"]["flood_rp10"] == pytest.approx(0.5)
    health = profiles["public_health"]["weights"]
    assert health["dust"] > health["river_flood"]


def test_hazards_list_rules_criteria_and_exposure(client: TestClient, built: BuildResult) -> None:
    response = client.get("/hazards")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["build"] == built.version
    hazards = {h["id"]: h for h in body["hazards"]}
    assert list(hazards) == list(world.HAZARDS)
    flood = hazards["river_flood"]
    spec = built.registry.hazard("river_flood")
    assert (flood["title"], flood["group"]) == ("River flood", "water")
    assert flood["description"] == spec.description and flood["rule"] == spec.rule
    assert flood["context"] is False
    assert flood["weight"] == pytest.approx(0.2)
    assert flood["layers"] == [
        {"id": "flood_rp10", "title": built.registry["flood_rp10"].title, "weight": 1.0},
        {"id": "flood_rp100", "title": built.registry["flood_rp100"].title, "weight": 1.0},
    ]
    assert flood["missing_layers"] == []
    assert [
        (c["level_label"], c["layer"], c["threshold"], c["units"], c["area_fraction"])
        for c in flood["criteria"]
    ] == [
        ("low", "flood_rp100", 0.5, "m", 0.0),
        ("medium", "flood_rp100", 0.5, "m", 0.01),
        ("high", "flood_rp10", 0.5, "m", 0.01),
    ]
    assert flood["criteria"][0]["text"].endswith("above 0.5 m anywhere in the district")
    assert flood["exposure"]["layer"] == "flood_rp100"
    assert flood["exposure"]["threshold"] == 0.5 and flood["exposure"]["units"] == "m"
    # A single-layer hazard takes its layer's thresholds and area fraction.
    salinity = hazards["salinity"]
    assert [c["threshold"] for c in salinity["criteria"]] == [1.0, 2.0, 10.0]
    assert {c["area_fraction"] for c in salinity["criteria"]} == {0.1}
    assert salinity["exposure"]["threshold"] == 2.0 and salinity["exposure"]["units"] == "g/L"
    for context in ("warming", "drought_status"):
        assert hazards[context]["context"] is True
        assert hazards[context]["exposure"] is None
        assert hazards[context]["weight"] == 0.0
    assert (
        client.get("/hazards", headers={"If-None-Match": response.headers["etag"]}).status_code
        == 304
    )


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


def test_version_names_the_hazards_and_the_inform_release(
    client: TestClient, built: BuildResult
) -> None:
    body = client.get("/version").json()
    assert body["version"] == built.version
    assert body["hazards"] == list(world.HAZARDS)
    assert body["classes"] == "INFORM Risk 2025 (v0.7.0)"
    assert body["scoring"]["classes"]["breaks"] == [2.2, 3.2, 5.1, 6.9]
