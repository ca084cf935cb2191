"""``api.district_cache``: cached district bodies equal the uncached ones, per build.

The uncached bodies are made the way the routes made them before the caches: the whole
table (the build's own, or :meth:`BuildResult.rescore`) through :mod:`api.features`
and :func:`api.encoding.dumps`. Every check compares bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import geopandas as gpd
import pytest
import shapely
from fastapi.testclient import TestClient

from aralrisk.api import district_cache, encoding, features
from aralrisk.api.map.cache import VersionedCache
from aralrisk.layers.result import BuildResult
from aralrisk.layers.scoring import Weighting
from tests import world

HAZARDS = world.WEIGHTED_HAZARDS
#: (profile, overrides, method) of other weights than the build's; the first drops
#: every hazard but river flood, so ranks tie and drivers empty; the last weighs a layer
#: within its hazard, so a hazard's intensity changes too.
OTHER_WEIGHTS = [
    (None, {h: (1.0 if h == "river_flood" else 0.0) for h in HAZARDS}, None),
    (None, None, "max"),
    ("public_health", None, None),
    ("agriculture", {"heat": 5.0, "flood_rp10": 3.0}, "max"),
]


def _table(build: BuildResult, weighting: Weighting, own: bool) -> gpd.GeoDataFrame:
    if own:
        return build.districts
    return build.rescore(weighting.profile, weighting.overrides, weighting.method)


def uncached_collection(
    build: BuildResult, weighting: Weighting, simplify: float, own: bool
) -> bytes:
    table = _table(build, weighting, own)
    return encoding.dumps(features.collection(table, build.version, weighting, simplify))


def uncached_detail(
    build: BuildResult, code: str, weighting: Weighting, simplify: float, own: bool
) -> bytes:
    table = _table(build, weighting, own)
    row = table.loc[table["code"].astype(str) == code].iloc[0].to_dict()
    body = features.detail(row, build.registry, build.version, weighting, simplify)
    return encoding.dumps(body)


def uncached_csv(build: BuildResult, weighting: Weighting, own: bool) -> bytes:
    return features.csv_bytes(_table(build, weighting, own))


def _weightings(build: BuildResult) -> Iterator[tuple[Weighting, bool]]:
    yield build.weighting(), True
    for profile, overrides, method in OTHER_WEIGHTS:
        yield build.weighting(profile, overrides, method), False


@pytest.fixture
def other(built: BuildResult) -> BuildResult:
    """Another build (version, names, outlines and a hazard's scores all differ)."""
    districts = built.districts.copy()
    districts["name"] = districts["name"] + " (rebuilt)"
    districts["geometry"] = districts.geometry.translate(0.25, 0.0)
    districts["dust_days_score"] = 10.0 - districts["dust_days_score"]
    manifest = {**built.manifest, "version": f"{built.version}-other"}
    return BuildResult(built.path, manifest, built.registry, districts)


@pytest.mark.parametrize("simplify", [0.0, 0.05])
def test_collection_equals_the_uncached_body(built: BuildResult, simplify: float) -> None:
    for weighting, own in _weightings(built):
        expected = uncached_collection(built, weighting, simplify, own)
        # Twice: the first call fills the caches, the second is answered from them.
        for _ in range(2):
            assert district_cache.collection(built, weighting, simplify, own=own) == expected


def test_detail_equals_the_uncached_body(built: BuildResult) -> None:
    for weighting, own in _weightings(built):
        for code in world.IDS:
            for simplify in (0.0, 0.05):
                expected = uncached_detail(built, code, weighting, simplify, own)
                for _ in range(2):
                    got = district_cache.detail(built, code, weighting, simplify, own=own)
                    assert got == expected, (code, weighting, simplify)


def test_csv_equals_the_uncached_body(built: BuildResult) -> None:
    for weighting, own in _weightings(built):
        expected = uncached_csv(built, weighting, own)
        for _ in range(2):
            assert district_cache.csv(built, weighting, own=own) == expected


def test_simplify_and_weights_each_get_their_own_body(built: BuildResult) -> None:
    # Round outlines, so that every tolerance gives other coordinates (the tiny world's
    # rectangles simplify to themselves).
    districts = built.districts.copy()
    centres = shapely.centroid(districts.geometry.to_numpy())
    districts["geometry"] = gpd.GeoSeries(
        shapely.buffer(centres, 0.3), index=districts.index, crs=districts.crs
    )
    manifest = {**built.manifest, "version": f"{built.version}-round"}
    round_build = BuildResult(built.path, manifest, built.registry, districts)
    weightings = {
        "own": round_build.weighting(),
        "flood": round_build.weighting(*OTHER_WEIGHTS[0]),
        "max": round_build.weighting(*OTHER_WEIGHTS[1]),
    }
    bodies = {
        (name, simplify): district_cache.collection(round_build, w, simplify, own=name == "own")
        for name, w in weightings.items()
        for simplify in (0.0, 0.01, 0.05)
    }
    assert len(set(bodies.values())) == len(bodies)
    # Asked again in another order, each is still its own.
    for (name, simplify), body in reversed(bodies.items()):
        w = weightings[name]
        assert district_cache.collection(round_build, w, simplify, own=name == "own") == body
        assert body == uncached_collection(round_build, w, simplify, own=name == "own")


def test_another_build_never_gets_this_builds_body(built: BuildResult, other: BuildResult) -> None:
    for weighting, own in _weightings(built):
        mine = district_cache.collection(built, weighting, 0.0, own=own)
        theirs = district_cache.collection(other, weighting, 0.0, own=own)
        assert theirs == uncached_collection(other, weighting, 0.0, own)
        assert theirs != mine
        body = json.loads(theirs)
        assert body["build"] == other.version
        assert all(f["properties"]["name"].endswith(" (rebuilt)") for f in body["features"])
        # And back: the first build's answers are its own again.
        assert district_cache.collection(built, weighting, 0.0, own=own) == mine
        for code in world.IDS:
            assert district_cache.detail(other, code, weighting, 0.0, own=own) == (
                uncached_detail(other, code, weighting, 0.0, own)
            )
        assert district_cache.csv(other, weighting, own=own) == uncached_csv(other, weighting, own)
        assert district_cache.csv(built, weighting, own=own) == uncached_csv(built, weighting, own)


def test_has_district(built: BuildResult, other: BuildResult) -> None:
    assert all(district_cache.has_district(built, code) for code in world.IDS)
    assert not district_cache.has_district(built, "ZZ")
    manifest = {**other.manifest, "version": f"{other.version}-shorter"}
    shorter = BuildResult(other.path, manifest, other.registry, other.districts.iloc[1:].copy())
    assert not district_cache.has_district(shorter, world.IDS[0])
    assert district_cache.has_district(built, world.IDS[0])


def test_routes_serve_the_uncached_bodies(client: TestClient, built: BuildResult) -> None:
    flood = built.weighting(*OTHER_WEIGHTS[0])
    query = "weights=" + ",".join(f"{h}:{w:g}" for h, w in flood.overrides.items())
    own = built.weighting()
    assert client.get("/districts").content == uncached_collection(built, own, 0.0, True)
    assert client.get(f"/districts?{query}&simplify=0.05").content == (
        uncached_collection(built, flood, 0.05, False)
    )
    assert client.get(f"/districts/C?{query}").content == (
        uncached_detail(built, "C", flood, 0.0, False)
    )
    assert client.get("/districts/C").content == uncached_detail(built, "C", own, 0.0, True)
    assert client.get(f"/districts.csv?{query}").content == uncached_csv(built, flood, False)


def test_versioned_cache_is_a_bounded_lru_per_version() -> None:
    cache: VersionedCache[str] = VersionedCache(size=2)
    made: list[tuple[str, str]] = []

    def get(version: str, key: str) -> str:
        def make() -> str:
            made.append((version, key))
            return f"{version}:{key}"

        return cache.get_or_make(version, key, make)

    for key in ("a", "b", "a", "c"):  # "c" evicts "b", the least recently used
        get("v1", key)
    assert made == [("v1", "a"), ("v1", "b"), ("v1", "c")]
    assert get("v1", "a") == "v1:a" and len(made) == 3
    assert get("v1", "b") == "v1:b" and len(made) == 4
    # Another build version is made anew, never taken from the old one's entries.
    assert get("v2", "a") == "v2:a" and made[-1] == ("v2", "a")
    assert get("v1", "a") == "v1:a" and made[-1] == ("v1", "a")


def test_a_build_with_an_unranked_district(unranked: BuildResult) -> None:
    # B has no risk: its rank is null in every body, cached or not, and it comes last.
    for weighting, own in _weightings(unranked):
        body = district_cache.collection(unranked, weighting, 0.0, own=own)
        assert body == uncached_collection(unranked, weighting, 0.0, own)
        features = json.loads(body)["features"]
        assert features[-1]["id"] == "B" and features[-1]["properties"]["rank"] is None
        assert all(type(f["properties"]["rank"]) is int for f in features[:-1])
        detail = district_cache.detail(unranked, "B", weighting, 0.0, own=own)
        assert detail == uncached_detail(unranked, "B", weighting, 0.0, own)
