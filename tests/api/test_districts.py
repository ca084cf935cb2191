"""``/districts``, ``/districts/{code}`` and ``/districts.csv`` against the build."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pandas as pd
import pytest
import shapely
from fastapi.testclient import TestClient
from shapely.geometry import shape

from aralrisk.geo import index
from aralrisk.layers import scoring
from aralrisk.layers.result import BuildResult
from tests import world

HAZARDS = world.WEIGHTED_HAZARDS
#: River flood alone: every other hazard weighs zero.
FLOOD_ONLY = ",".join(f"{h}:{1 if h == 'river_flood' else 0}" for h in HAZARDS)


def _props(body: dict) -> dict[str, dict]:
    return {f["id"]: f["properties"] for f in body["features"]}


def test_collection_equals_the_build_table(client: TestClient, built: BuildResult) -> None:
    response = client.get("/districts")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert body["build"] == built.version
    assert body["profile"] == "equal" and body["method"] == "geometric"
    assert body["classes"] == "INFORM Risk 2025 (v0.7.0)"
    assert body["weights"] == pytest.approx(built.manifest["scoring"]["weights"])
    assert body["layer_weights"] == pytest.approx(built.manifest["scoring"]["layer_weights"])
    assert body["overrides"] == {}
    table = built.table()
    assert [f["id"] for f in body["features"]] == list(table.index)  # rank order
    for feature in body["features"]:
        row = table.loc[feature["id"]]
        props = feature["properties"]
        assert props["code"] == feature["id"]
        for column in (
            "risk",
            "hazard",
            "hazard_exposure",
            "vulnerability",
            "lack_of_coping",
            "people_exposed",
            "people_exposed_share",
            "area_km2",
        ):
            assert props[column] == pytest.approx(row[column]), column
        for column in ("risk_class", "confidence", "name", "name_kk", "method", "classes"):
            assert props[column] == row[column], column
        for column in ("hazard_level", "hazard_level_hazards", "note", "rank_by"):
            assert props[column] == row[column], column
        for h in world.HAZARDS:
            assert props[f"{h}_score"] == pytest.approx(row[f"{h}_score"])
            assert props[f"{h}_level"] == row[f"{h}_level"]
        for h in HAZARDS:
            assert props[f"{h}_exposed"] == pytest.approx(row[f"{h}_exposed"])
            assert props[f"{h}_exposure"] == pytest.approx(row[f"{h}_exposure"])
        for layer in world.HAZARD_LAYERS:
            for kind in ("value", "mean", "pop_mean", "score"):
                assert props[f"{layer}_{kind}"] == pytest.approx(row[f"{layer}_{kind}"])
        assert props["drivers"] == row["drivers"]
        assert "weights" not in props and "geometry" not in props
        assert "coping" not in props and "exposure" not in props  # the old columns


def test_ranks_are_integers(client: TestClient, built: BuildResult) -> None:
    props = _props(client.get("/districts").json())
    for code, row in built.table().iterrows():
        for column in ("rank", "rank_hazard", "rank_exposed"):
            assert type(props[code][column]) is int, column
            assert props[code][column] == int(row[column])
    assert {code: p["rank"] for code, p in props.items()} == {"A": 1, "B": 2, "C": 3, "D": 4}
    # A, with its river and town, has the most people exposed and the highest hazard.
    assert props["A"]["rank_exposed"] == props["A"]["rank_hazard"] == 1
    assert '"rank":1.0' not in client.get("/districts").text


def test_a_district_without_risk_has_no_rank(client: TestClient, unranked: BuildResult) -> None:
    from aralrisk.api.state import current_build

    client.app.dependency_overrides[current_build] = lambda: unranked  # type: ignore[attr-defined]
    try:
        props = _props(client.get("/districts").json())
        detail = client.get("/districts/B").json()["properties"]
        reweighted = _props(client.get("/districts?method=max").json())
    finally:
        client.app.dependency_overrides.clear()  # type: ignore[attr-defined]
    assert props["B"]["risk"] is None and props["B"]["risk_class"] == "no data"
    assert props["B"]["rank"] is None and reweighted["B"]["rank"] is None
    assert props["B"]["confidence"] == "low"
    note = props["B"]["confidence_note"]
    assert "vulnerability" in note and "lack of coping" in note
    assert detail["rank"] is None and detail["confidence_note"] == note
    # The others are ranked among themselves, and B still has its hazard and exposure.
    assert sorted(p["rank"] for c, p in props.items() if c != "B") == [1, 2, 3]
    assert props["B"]["hazard_level"] == index.MEDIUM
    assert props["B"]["people_exposed"] == pytest.approx(10_000, rel=1e-3)


def test_geometry_is_geojson_in_degrees(client: TestClient) -> None:
    features = {f["id"]: f for f in client.get("/districts").json()["features"]}
    for code, expected in zip(world.IDS, world.districts().geometry, strict=True):
        got = shape(features[code]["geometry"])
        assert got.symmetric_difference(expected).area < 1e-9, code
    assert features["C"]["geometry"]["type"] == "Polygon"
    assert len(features["C"]["geometry"]["coordinates"]) == 2  # outer ring + D's hole


def test_simplify_lightens_geometry_within_tolerance(client: TestClient) -> None:
    exact = client.get("/districts").json()
    simple = client.get("/districts?simplify=0.05").json()
    for a, b in zip(exact["features"], simple["features"], strict=True):
        ga, gb = shape(a["geometry"]), shape(b["geometry"])
        assert shapely.hausdorff_distance(ga, gb) <= 0.05 + 1e-9
        assert len(shapely.get_coordinates(gb)) <= len(shapely.get_coordinates(ga))
        assert a["properties"] == b["properties"]


def test_hazard_weights_recompute_composite_and_rank(
    client: TestClient, built: BuildResult
) -> None:
    body = client.get(f"/districts?weights={FLOOD_ONLY}").json()
    assert body["weights"]["river_flood"] == pytest.approx(1.0)
    assert body["weights"]["dust"] == 0.0
    assert body["overrides"] == {h: float(h == "river_flood") for h in HAZARDS}
    props = _props(body)
    # Only A has a river: its composite is the flood score, everyone else's is 0.
    for code, p in props.items():
        assert p["hazard"] == pytest.approx(p["river_flood_score"]), code
        assert [d["hazard"] for d in p["drivers"]] == (["river_flood"] if code == "A" else [])
    assert props["A"]["river_flood_score"] == pytest.approx(
        (props["A"]["flood_rp10_score"] + props["A"]["flood_rp100_score"]) / 2
    )
    assert {code: p["rank"] for code, p in props.items()} == {"A": 1, "B": 2, "C": 2, "D": 2}
    assert built.table()["rank"].to_dict() == {"A": 1, "B": 2, "C": 3, "D": 4}


def test_a_layer_weight_weighs_within_its_hazard(client: TestClient, built: BuildResult) -> None:
    body = client.get("/districts?weights=flood_rp10:2").json()
    # The hazards keep their (equal) weights; within river flood, rp10 counts twice.
    assert body["weights"] == pytest.approx(built.manifest["scoring"]["weights"])
    assert body["layer_weights"]["flood_rp10"] == pytest.approx(2 / 3)
    assert body["layer_weights"]["flood_rp100"] == pytest.approx(1 / 3)
    a = _props(body)["A"]
    expected = (2 * a["flood_rp10_score"] + a["flood_rp100_score"]) / 3
    assert a["river_flood_score"] == pytest.approx(expected)
    assert a["river_flood_score"] != pytest.approx(built.table().loc["A", "river_flood_score"])


def test_unknown_weight_names_the_hazards(client: TestClient) -> None:
    response = client.get("/districts?weights=lava:1")
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "'lava'" in detail
    assert "hazards: " + ", ".join(world.HAZARDS) in detail


@pytest.mark.parametrize(
    ("query", "profile", "weights", "method"),
    [
        ("weights=dust:2,river_flood:1", None, {"dust": 2.0, "river_flood": 1.0}, None),
        ("method=max", None, None, "max"),
        ("profile=public_health", "public_health", None, None),
        (
            "profile=agriculture&weights=heat:5,flood_rp100:3&method=max",
            "agriculture",
            {"heat": 5.0, "flood_rp100": 3.0},
            "max",
        ),
    ],
)
def test_rescoring_matches_layers_scoring(
    client: TestClient,
    built: BuildResult,
    query: str,
    profile: str | None,
    weights: dict[str, float] | None,
    method: str | None,
) -> None:
    body = client.get(f"/districts?{query}").json()
    chosen = scoring.weighting(built.registry, profile, weights, method or "geometric")
    expected = scoring.combine(built.table(), built.registry, chosen)
    assert body["profile"] == chosen.profile and body["method"] == chosen.method
    assert body["weights"] == pytest.approx(chosen.weights, abs=1e-6)
    props = _props(body)
    for code, row in expected.iterrows():
        for column in ("hazard", "hazard_geometric", "hazard_max", "hazard_exposure", "risk"):
            assert props[code][column] == pytest.approx(row[column]), (code, column)
        assert props[code]["rank"] == row["rank"]
        assert props[code]["risk_class"] == row["risk_class"]
        assert props[code]["method"] == chosen.method
        assert props[code]["drivers"] == row["drivers"]
    # Features come in the new rank order; layer scores do not change with weights.
    ranks = [f["properties"]["rank"] for f in body["features"]]
    assert ranks == sorted(ranks)
    table = built.table()
    for code, p in props.items():
        assert p["dust_days_score"] == pytest.approx(table.loc[code, "dust_days_score"])
        assert p["hazard_level"] == table.loc[code, "hazard_level"]


def test_method_max_takes_the_highest_hazard(client: TestClient) -> None:
    props = _props(client.get("/districts?method=max").json())
    for p in props.values():
        hazards = [p[f"{h}_score"] for h in HAZARDS]
        assert p["hazard"] == pytest.approx(max(hazards))
        assert p["hazard"] == pytest.approx(p["hazard_max"])


def test_district_detail_explains_every_layer(client: TestClient, built: BuildResult) -> None:
    response = client.get("/districts/A")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    body = response.json()
    assert body["type"] == "Feature" and body["id"] == "A"
    assert body["build"] == built.version
    assert body["weights"] == pytest.approx(built.manifest["scoring"]["weights"])
    row = built.table().loc["A"]
    props = body["properties"]
    assert props["risk"] == pytest.approx(row["risk"])
    layers = {layer["id"]: layer for layer in props["layers"]}
    assert set(layers) == set(built.registry)
    flood = layers["flood_rp10"]
    assert flood["hazard"] == "river_flood"
    assert flood["value"] == pytest.approx(row["flood_rp10_value"])
    assert flood["mean"] == pytest.approx(row["flood_rp10_mean"])
    assert flood["pop_mean"] == pytest.approx(row["flood_rp10_pop_mean"])
    assert flood["statistic"] == "weighted_mean"
    assert flood["statistic_label"] == "mean where people live (population-weighted)"
    assert flood["score"] == pytest.approx(row["flood_rp10_score"])
    assert flood["coverage"] == pytest.approx(1.0)
    assert flood["people_high"] == pytest.approx(row["flood_rp10_people_high"])
    assert (flood["level"], flood["level_label"]) == (index.HIGH, "high")
    assert flood["threshold"] == 1.0 and flood["thresholds"] == [0.1, 0.5, 1.0]
    assert flood["area_fraction"] == 0.01 and flood["units"] == "m"
    people = layers["population"]
    assert (people["units"], people["cell_units"]) == ("people", "people/km²")
    assert people["statistic"] == "people" and people["hazard"] is None
    assert people["value"] == pytest.approx(world.TOWN_PEOPLE * 2, rel=1e-3)
    heat = layers["heat_days"]
    assert heat["completeness"] == pytest.approx(1.0)
    poverty = layers["poverty"]
    assert poverty["level_label"] == "not applicable" and poverty["threshold"] is None
    assert poverty["value"] == pytest.approx(14.0) and poverty["statistic"] == "table"


def test_district_detail_explains_every_hazard(client: TestClient, built: BuildResult) -> None:
    props = client.get("/districts/A").json()["properties"]
    row = built.table().loc["A"]
    hazards = {h["id"]: h for h in props["hazards"]}
    assert list(hazards) == list(world.HAZARDS)
    flood = hazards["river_flood"]
    assert (flood["level"], flood["level_label"]) == (index.HIGH, "high")
    assert flood["title"] == "River flood" and flood["group"] == "water"
    assert flood["context"] is False
    assert flood["reached"] == (
        "River flood depth, 10-year return period above 0.5 m on ≥ 1% of the area"
    )
    assert flood["rule"] == built.registry.hazard("river_flood").rule
    assert [
        (c["level"], c["layer"], c["threshold"], c["area_fraction"]) for c in flood["criteria"]
    ] == [
        (1, "flood_rp100", 0.5, 0.0),
        (2, "flood_rp100", 0.5, 0.01),
        (3, "flood_rp10", 0.5, 0.01),
    ]
    assert {c["units"] for c in flood["criteria"]} == {"m"}
    assert flood["exposure_rule"]["layer"] == "flood_rp100"
    assert flood["people_exposed"] == pytest.approx(row["river_flood_exposed"])
    assert flood["people_exposed"] == pytest.approx(8_000, rel=1e-3)  # a fifth of A's town
    assert flood["exposed_share"] == pytest.approx(0.2, rel=1e-3)
    assert flood["exposure"] == pytest.approx(row["river_flood_exposure"])
    assert flood["score"] == pytest.approx(row["river_flood_score"])
    assert flood["coverage"] == pytest.approx(1.0)
    warming = hazards["warming"]
    assert warming["context"] is True and warming["people_exposed"] is None
    assert warming["exposure_rule"] is None
    drought = hazards["drought"]
    assert drought["level_label"] == "very low"
    assert drought["reached"].startswith("below low: Dry years above 5 % of years")


def test_district_detail_with_weights(client: TestClient) -> None:
    body = client.get(f"/districts/C?weights={FLOOD_ONLY}").json()
    assert body["properties"]["hazard"] == pytest.approx(0.0)
    assert body["properties"]["rank"] == 2
    assert body["weights"]["river_flood"] == pytest.approx(1.0)
    assert {h["id"] for h in body["properties"]["hazards"]} == set(world.HAZARDS)


def test_very_low_level_has_no_threshold(client: TestClient) -> None:
    layers = {x["id"]: x for x in client.get("/districts/B").json()["properties"]["layers"]}
    assert layers["flood_rp10"]["level_label"] == "very low"
    assert layers["flood_rp10"]["threshold"] is None


def test_unknown_district_is_404(client: TestClient) -> None:
    response = client.get("/districts/ZZ")
    assert response.status_code == 404
    assert response.json()["detail"] == (
        "unknown district 'ZZ'; the districts are listed at /districts"
    )


def test_csv_equals_the_build_csv(client: TestClient, built: BuildResult) -> None:
    response = client.get("/districts.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "districts.csv" in response.headers["content-disposition"]
    got = pd.read_csv(io.StringIO(response.text))
    expected = pd.read_csv(built.path / "districts.csv")
    pd.testing.assert_frame_equal(got, expected)
    assert list(got["code"]) == ["A", "B", "C", "D"]
    assert {
        "centroid_lon",
        "centroid_lat",
        "risk",
        "hazard_level",
        "people_exposed",
        "drivers",
    } <= set(got.columns)


def test_csv_opens_in_excel_and_gdal(client: TestClient, built: BuildResult) -> None:
    """UTF-8 with BOM (Excel reads Cyrillic), and GDAL's column types beside the build's."""
    body = client.get("/districts.csv").content
    assert body.startswith(b"\xef\xbb\xbf")
    assert body == (built.path / "districts.csv").read_bytes()
    header = body.decode("utf-8-sig").splitlines()[0].split(",")
    assert header[0] == "code"
    for name in ("districts", "district_layers"):
        table = pd.read_csv(built.path / f"{name}.csv", encoding="utf-8-sig")
        types = (built.path / f"{name}.csvt").read_text().strip().split(",")
        assert len(types) == len(table.columns), name
        assert types[list(table.columns).index("code")] == '"String"'


def test_csv_follows_weights(client: TestClient) -> None:
    table = pd.read_csv(io.StringIO(client.get(f"/districts.csv?weights={FLOOD_ONLY}").text))
    assert table.set_index("code")["rank"].to_dict() == {"A": 1, "B": 2, "C": 2, "D": 2}
    assert json.loads(table["weights"][0])["river_flood"] == pytest.approx(1.0)


def test_no_nan_in_json(client: TestClient) -> None:
    text = client.get("/districts").text
    assert "NaN" not in text and "Infinity" not in text
    # Strict parsing: a NaN would raise here.
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    values = [v for f in json.loads(text)["features"] for v in f["properties"].values()]
    assert all(not (isinstance(v, float) and math.isnan(v)) for v in values)
    assert np.isfinite([v for v in values if isinstance(v, float)]).all()
