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

from geo import index
from layers import scoring
from layers.result import BuildResult
from tests import world

HAZARDS = world.HAZARDS
FLOOD_ONLY = ",".join(f"{h}:{1 if h == 'flood_rp10' else 0}" for h in HAZARDS)


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
    assert body["weights"] == pytest.approx(built.manifest["scoring"]["weights"])
    assert body["overrides"] == {}
    table = built.table()
    assert [f["id"] for f in body["features"]] == list(table.index)  # rank order
    for feature in body["features"]:
        row = table.loc[feature["id"]]
        props = feature["properties"]
        assert props["code"] == feature["id"]
        for column in ("risk", "hazard", "exposure", "vulnerability", "coping", "area_km2"):
            assert props[column] == pytest.approx(row[column]), column
        for column in ("rank", "risk_class", "confidence", "name", "name_kk", "method"):
            assert props[column] == row[column], column
        for h in HAZARDS:
            assert props[f"{h}_score"] == pytest.approx(row[f"{h}_score"])
            assert props[f"{h}_level"] == row[f"{h}_level"]
        assert props["drivers"] == row["drivers"]
        assert "weights" not in props and "geometry" not in props


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


def test_weights_recompute_composite_and_rank(client: TestClient, built: BuildResult) -> None:
    body = client.get(f"/districts?weights={FLOOD_ONLY}").json()
    assert body["weights"]["flood_rp10"] == pytest.approx(1.0)
    assert body["overrides"]["flood_rp10"] == 1.0
    props = _props(body)
    # Only A has a river: its composite is the flood score, everyone else's is 0.
    for code, p in props.items():
        assert p["hazard"] == pytest.approx(p["flood_rp10_score"]), code
    assert {code: p["rank"] for code, p in props.items()} == {"A": 1, "B": 2, "C": 2, "D": 2}
    default_ranks = built.table()["rank"].to_dict()
    assert default_ranks == {"A": 1, "B": 2, "C": 3, "D": 4}


@pytest.mark.parametrize(
    ("query", "profile", "weights", "method"),
    [
        ("weights=dust_days:2,flood_rp100:1", None, {"dust_days": 2.0, "flood_rp100": 1.0}, None),
        ("method=max", None, None, "max"),
        ("profile=public_health", "public_health", None, None),
        (
            "profile=agriculture&weights=heat_days:5&method=max",
            "agriculture",
            {"heat_days": 5.0},
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
        for column in ("hazard", "hazard_geometric", "hazard_max", "risk"):
            assert props[code][column] == pytest.approx(row[column]), (code, column)
        assert props[code]["rank"] == row["rank"]
        assert props[code]["risk_class"] == row["risk_class"]
        assert props[code]["method"] == chosen.method
        assert [d["layer"] for d in props[code]["drivers"]] == [d["layer"] for d in row["drivers"]]
    # Features come in the new rank order; layer scores do not change with weights.
    ranks = [f["properties"]["rank"] for f in body["features"]]
    assert ranks == sorted(ranks)
    table = built.table()
    for code, p in props.items():
        assert p["dust_days_score"] == pytest.approx(table.loc[code, "dust_days_score"])


def test_method_max_takes_the_highest_group(client: TestClient) -> None:
    props = _props(client.get("/districts?method=max").json())
    for p in props.values():
        groups = [p[f"hazard_{g}"] for g in ("water", "dust", "climate")]
        assert p["hazard"] == pytest.approx(max(groups))
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
    assert flood["value"] == pytest.approx(row["flood_rp10_value"])
    assert flood["score"] == pytest.approx(row["flood_rp10_score"])
    assert flood["coverage"] == pytest.approx(1.0)
    assert flood["people_high"] == pytest.approx(row["flood_rp10_people_high"])
    assert (flood["level"], flood["level_label"]) == (index.HIGH, "high")
    assert flood["threshold"] == 0.5 and flood["thresholds"] == [0.1, 0.25, 0.5]
    assert flood["area_fraction"] == 0.01 and flood["units"] == "m"
    poverty = layers["poverty"]
    assert poverty["level_label"] == "not applicable" and poverty["threshold"] is None
    assert poverty["value"] == pytest.approx(14.0)


def test_district_detail_with_weights(client: TestClient) -> None:
    body = client.get(f"/districts/C?weights={FLOOD_ONLY}").json()
    assert body["properties"]["hazard"] == pytest.approx(0.0)
    assert body["properties"]["rank"] == 2
    assert body["weights"]["flood_rp10"] == pytest.approx(1.0)


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
    assert {"centroid_lon", "centroid_lat", "risk", "drivers"} <= set(got.columns)


def test_csv_follows_weights(client: TestClient) -> None:
    table = pd.read_csv(io.StringIO(client.get(f"/districts.csv?weights={FLOOD_ONLY}").text))
    assert table.set_index("code")["rank"].to_dict() == {"A": 1, "B": 2, "C": 2, "D": 2}
    assert json.loads(table["weights"][0])["flood_rp10"] == pytest.approx(1.0)


def test_no_nan_in_json(client: TestClient) -> None:
    text = client.get("/districts").text
    assert "NaN" not in text and "Infinity" not in text
    # Strict parsing: a NaN would raise here.
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    values = [v for f in json.loads(text)["features"] for v in f["properties"].values()]
    assert all(not (isinstance(v, float) and math.isnan(v)) for v in values)
    assert np.isfinite([v for v in values if isinstance(v, float)]).all()
