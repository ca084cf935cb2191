"""``GET /places`` and ``GET /places.csv``: the build's settlements, filtered."""

from __future__ import annotations

import csv
import dataclasses
import io

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from aralrisk.layers.result import BuildResult


@pytest.fixture(scope="module")
def built_table(built: BuildResult) -> pd.DataFrame:
    return pd.read_csv(built.path / "places.csv", dtype={"id": str})


def test_places_geojson_matches_the_build_files(
    client: TestClient, built: BuildResult, built_table: pd.DataFrame
) -> None:
    response = client.get("/places")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert body["count"] == len(body["features"]) == len(built_table)
    assert body["count"] == built.manifest["places"]["count"] == 3
    assert body["radius_km"] == built.manifest["places"]["radius_km"]
    assert body["values"]["river_flood"] == {"layer": "flood_rp100", "units": "m"}
    assert body["values"]["dust"] == {"layer": "dust_days", "units": "days/yr"}
    by_id = {f["id"]: f for f in body["features"]}
    village = by_id["101"]
    assert village["geometry"] == {"type": "Point", "coordinates": [60.525, 44.725]}
    props = village["properties"]
    assert props["district"] == "A" and props["district_name"] == "Alpha"
    assert props["name_kk"] == "Өзенбойы" and props["name_ru"] == "Озенбойы"
    assert props["name_en"] == ""  # untagged: empty, not null
    assert props["people"] == pytest.approx(750.0)
    assert props["river_flood_level"] == 3 and "river_flood" in props["high_hazards"]
    assert isinstance(props["high_hazards"], list)


def test_places_csv_has_the_same_rows(client: TestClient, built_table: pd.DataFrame) -> None:
    response = client.get("/places.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads Cyrillic
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert sorted(r["id"] for r in rows) == sorted(built_table["id"])
    town = next(r for r in rows if r["id"] == "102")
    assert float(town["people"]) == pytest.approx(20_750.0)
    assert town["lon"] == "60.225" and town["lat"] == "44.575"


def test_filters(client: TestClient) -> None:
    def ids(query: str) -> list[str]:
        response = client.get("/places" + query)
        assert response.status_code == 200, response.text
        return sorted(f["id"] for f in response.json()["features"])

    assert ids("?district=A") == ["101", "102"]
    assert ids("?district=B") == ["103"]
    assert ids("?district=D") == []
    # The village is in the 10-year flood (high), the town has the 100-year flood within
    # 10 km (medium), the steppe hamlet none.
    assert ids("?hazard=river_flood&level=high") == ["101"]
    assert ids("?hazard=river_flood&level=medium") == ["101", "102"]
    assert ids("?hazard=river_flood") == ["101", "102"]  # at least low by default
    assert ids("?hazard=dust&level=high&district=A") == ["101", "102"]
    assert ids("?level=high") == ["101", "102"]  # any weighted hazard high nearby
    csv_rows = client.get("/places.csv?hazard=river_flood&level=high").text.splitlines()
    assert len(csv_rows) == 2 and csv_rows[1].startswith("101,")


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("?district=Z", "unknown district 'Z'; known: A, B, C, D"),
        ("?hazard=tsunami", "unknown hazard 'tsunami'"),
        ("?level=extreme", "level"),
    ],
)
def test_bad_filters_are_422_problems(client: TestClient, query: str, words: str) -> None:
    for path in ("/places", "/places.csv"):
        response = client.get(path + query)
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")
        assert words in response.json()["detail"]


def test_places_are_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/places", "/places.csv"} <= set(paths)
    parameters = {p["name"] for p in paths["/places"]["get"]["parameters"]}
    assert {"district", "hazard", "level"} <= parameters


def test_a_build_without_places_says_so(built: BuildResult) -> None:
    from aralrisk.api.problems import ApiError
    from aralrisk.api.routers.places import table_of

    manifest = {k: v for k, v in built.manifest.items() if k != "places"}
    manifest["version"] = built.version + "-without-places"
    with pytest.raises(ApiError) as caught:
        table_of(dataclasses.replace(built, manifest=manifest))
    assert caught.value.status == 404
    assert "[inputs.places]" in caught.value.detail


def test_known_villages_of_the_sample_lie_in_their_districts(sample_build_root: object) -> None:
    """Real OSM places on the sample: Zhosaly is Karmakshy's centre, Aiteke Bi Kazaly's."""
    from aralrisk.api.app import create_app
    from aralrisk.api.settings import Settings

    with TestClient(create_app(Settings(build_dir=sample_build_root))) as sample:  # type: ignore[arg-type]
        body = sample.get("/places").json()
        karmakshy = sample.get("/places?district=KZ434600").json()
    by_ru = {f["properties"]["name_ru"]: f["properties"] for f in body["features"]}
    assert by_ru["Жосалы"]["district"] == "KZ434600"
    assert by_ru["Айтеке би"]["district"] == "KZ434400"
    assert by_ru["Арал"]["district"] == "KZ433200"
    assert "Жосалы" in {f["properties"]["name_ru"] for f in karmakshy["features"]}
    from aralrisk.layers.result import open_build

    meta = open_build(sample_build_root).manifest["places"]  # type: ignore[arg-type]
    assert body["count"] == len(body["features"]) == meta["count"]
    # Every OSM point is accounted for: a settlement, outside the districts, or unnamed.
    assert meta["count"] + meta["outside_districts"] + meta["unnamed"] == 449
    assert meta["unnamed"] == 7
    # Aral town: salty water and dust storms high around it, thousands of people.
    assert {"salinity", "dust"} <= set(by_ru["Арал"]["high_hazards"])
    assert by_ru["Арал"]["people"] > 10_000
