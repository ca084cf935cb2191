"""The API's bad-input matrix (issue 8, point 1): every case a 4xx problem, one sentence.

Each row is a request that a hurried or hostile client might send. The answer must be
a 4xx ``application/problem+json`` body whose ``detail`` is one sentence naming what
was wrong — no traceback, no server file path, no ``NaN`` — and the service must keep
answering afterwards. The same list is in the README's troubleshooting section.
"""

from __future__ import annotations

import gzip
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests import world

HAZARDS = world.HAZARDS
SQUARE = [[60.2, 44.2], [60.8, 44.2], [60.8, 44.8], [60.2, 44.8], [60.2, 44.2]]
FEATURE = {
    "type": "Feature",
    "properties": {},
    "geometry": {"type": "Polygon", "coordinates": [SQUARE]},
}
#: The one sentence of a weight out of range, whatever the route (issue 13, finding 7).
WEIGHT_SENTENCE = (
    "the weight of '{}' must be a finite number >= 0 and at most 1000000 (weights are "
    "relative: dust:2,river_flood:1 weighs dust twice)"
)
#: Every route that takes ``weights=``: method, URL with ``weights=`` last, JSON body.
WEIGHTED_ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/districts?weights=", None),
    ("GET", "/districts.csv?weights=", None),
    ("GET", "/districts/A?weights=", None),
    ("GET", "/composite/tiles/7/85/46.png?weights=", None),
    ("GET", "/composite/tilejson.json?weights=", None),
    ("POST", "/zonal?weights=", {"type": "Polygon", "coordinates": [SQUARE]}),
]


def _ring(n: int) -> list[list[float]]:
    """A closed ring of ``n`` vertices, written as compactly as JSON allows."""
    return [[60, 44]] * (n - 1) + [[60, 44]]


def _circle_body(n: int) -> bytes:
    """A valid circle of ``n`` distinct vertices (about 2 MB of JSON)."""
    angles = [2 * math.pi * k / n for k in range(n)]
    ring = [
        [round(60.5 + 0.3 * math.cos(a), 6), round(44.5 + 0.3 * math.sin(a), 6)] for a in angles
    ]
    ring.append(ring[0])
    return json.dumps({"type": "Polygon", "coordinates": [ring]}).encode()


@dataclass(frozen=True)
class Case:
    """One bad request and what the answer must say."""

    name: str
    method: str
    url: str
    status: int
    says: str
    json_body: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


CASES = [
    # Layers and districts: ids never reach the file system.
    Case("unknown layer", "GET", "/layers/lava", 404, "unknown layer 'lava'"),
    Case("layer id traversal", "GET", "/layers/..%2F..%2Fetc%2Fpasswd", 404, "no such resource"),
    Case("layer id dots", "GET", "/layers/%2e%2e", 422, "layer_id"),
    Case("layer id too long", "GET", "/layers/" + "a" * 200, 422, "layer_id"),
    Case("unknown district", "GET", "/districts/ZZ", 404, "unknown district 'ZZ'"),
    Case(
        "district code traversal",
        "GET",
        "/districts/..%2F..%2Fetc%2Fpasswd",
        404,
        "no such resource",
    ),
    Case("district code with quote", "GET", "/districts/A'%3B--", 422, "code"),
    # Weights, profiles and methods.
    Case("unknown profile", "GET", "/districts?profile=lava", 422, "unknown weight profile 'lava'"),
    Case("profile traversal", "GET", "/districts?profile=../../etc/passwd", 422, "profile"),
    Case("negative weight", "GET", "/districts?weights=dust:-1", 422, "finite number >= 0"),
    Case("NaN weight", "GET", "/districts?weights=dust:nan", 422, "finite number >= 0"),
    Case("infinite weight", "GET", "/districts?weights=dust:inf", 422, "finite number >= 0"),
    Case(
        "all weights zero",
        "GET",
        "/districts?weights=" + ",".join(f"{h}:0" for h in HAZARDS),
        422,
        "all weights are zero",
    ),
    Case(
        "weight of unknown hazard",
        "GET",
        "/districts?weights=lava:1",
        422,
        "unknown hazard or layer 'lava' in weights; hazards: river_flood, salinity, dust",
    ),
    Case(
        "weight path as layer",
        "GET",
        "/districts?weights=../../etc/passwd:1",
        422,
        "unknown hazard or layer '../../etc/passwd'",
    ),
    Case("weight of non-hazard", "GET", "/districts?weights=poverty:1", 422, "is not a hazard"),
    Case("unreadable weights", "GET", "/districts?weights=garbage", 422, "write hazard:number"),
    Case("non-numeric weight", "GET", "/districts?weights=dust:lots", 422, "hazard:number"),
    Case("empty weights", "GET", "/districts?weights=", 422, "no weights given"),
    Case("unknown method", "GET", "/districts?method=median", 422, "method"),
    Case(
        "risk tiles",
        "GET",
        "/composite/tiles/7/85/46.png?target=risk",
        422,
        "risk is a district index",
    ),
    Case("csv with bad weights", "GET", "/districts.csv?weights=dust_days:-2", 422, ">= 0"),
    Case("detail with bad method", "GET", "/districts/A?method=mean", 422, "method"),
    Case("simplify too large", "GET", "/districts?simplify=5", 422, "simplify"),
    Case("negative simplify", "GET", "/districts?simplify=-0.1", 422, "simplify"),
    Case("non-numeric simplify", "GET", "/districts?simplify=lots", 422, "simplify"),
    Case("NaN simplify", "GET", "/districts?simplify=nan", 422, "simplify"),
    # Points.
    Case("point outside the region", "GET", "/point?lon=10&lat=10", 422, "outside the region"),
    Case("point just east of it", "GET", "/point?lon=62.2&lat=44.5", 422, "outside the region"),
    Case("non-numeric lon", "GET", "/point?lon=abc&lat=44.5", 422, "lon"),
    Case("lon out of range", "GET", "/point?lon=200&lat=44.5", 422, "lon"),
    Case("lat out of range", "GET", "/point?lon=60.5&lat=-91", 422, "lat"),
    Case("NaN lat", "GET", "/point?lon=60.5&lat=nan", 422, "lat"),
    Case("infinite lon", "GET", "/point?lon=inf&lat=44.5", 422, "lon"),
    Case("missing lat", "GET", "/point?lon=60.5", 422, "lat"),
    # Zonal bodies.
    Case("missing body", "POST", "/zonal", 422, "body"),
    Case(
        "invalid JSON",
        "POST",
        "/zonal",
        422,
        "not valid JSON",
        content=b'{"type": "Polygon", ',
        headers={"Content-Type": "application/json"},
    ),
    Case(
        "not JSON at all",
        "POST",
        "/zonal",
        415,
        "came as 'text/plain'",
        content=b"hello",
        headers={"Content-Type": "text/plain"},
    ),
    Case(
        "a form (curl -d without -H)",
        "POST",
        "/zonal",
        415,
        "Content-Type: application/json",
        content=b"type=Polygon",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    ),
    Case(
        "JSON without a content type",
        "POST",
        "/zonal",
        415,
        "without a Content-Type",
        content=json.dumps({"type": "Polygon", "coordinates": [SQUARE]}).encode(),
    ),
    Case(
        "a gzipped body",
        "POST",
        "/zonal",
        415,
        "Content-Encoding 'gzip'",
        content=gzip.compress(json.dumps({"type": "Polygon", "coordinates": [SQUARE]}).encode()),
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
    ),
    Case(
        "a FeatureCollection of two features",
        "POST",
        "/zonal",
        422,
        "the FeatureCollection holds 2 features and /zonal takes exactly one",
        json_body={"type": "FeatureCollection", "features": [FEATURE, FEATURE]},
    ),
    Case(
        "an empty FeatureCollection",
        "POST",
        "/zonal",
        422,
        "the FeatureCollection holds no feature",
        json_body={"type": "FeatureCollection", "features": []},
    ),
    Case(
        "a FeatureCollection of a line",
        "POST",
        "/zonal",
        422,
        "'LineString'",
        json_body={
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {},
                    "geometry": {"type": "LineString", "coordinates": [[60, 44], [61, 45]]},
                }
            ],
        },
    ),
    Case("JSON array", "POST", "/zonal", 422, "body", json_body=[1, 2]),
    Case(
        "a point",
        "POST",
        "/zonal",
        422,
        "'Point'",
        json_body={"type": "Point", "coordinates": [60.5, 44.5]},
    ),
    Case(
        "a line in a feature",
        "POST",
        "/zonal",
        422,
        "'LineString'",
        json_body={
            "type": "Feature",
            "properties": {},
            "geometry": {"type": "LineString", "coordinates": [[60, 44], [61, 45]]},
        },
    ),
    Case(
        "feature without geometry",
        "POST",
        "/zonal",
        422,
        "geometry",
        json_body={"type": "Feature", "properties": {}, "geometry": None},
    ),
    Case(
        "ring not closed",
        "POST",
        "/zonal",
        422,
        "closed ring",
        json_body={"type": "Polygon", "coordinates": [[*SQUARE[:-1], [60.3, 44.3]]]},
    ),
    Case(
        "ring of three positions",
        "POST",
        "/zonal",
        422,
        "at least 4",
        json_body={"type": "Polygon", "coordinates": [[[60, 44], [61, 44], [60, 44]]]},
    ),
    Case(
        "NaN coordinate",
        "POST",
        "/zonal",
        422,
        "finite number",
        content=b'{"type":"Polygon","coordinates":[[[60,NaN],[61,44],[61,45],[60,45],[60,NaN]]]}',
        headers={"Content-Type": "application/json"},
    ),
    Case(
        "text coordinate",
        "POST",
        "/zonal",
        422,
        "number",
        json_body={"type": "Polygon", "coordinates": [[["a", 44]] * 5]},
    ),
    Case(
        "self-intersecting polygon",
        "POST",
        "/zonal",
        422,
        "Self-intersection",
        json_body={
            "type": "Polygon",
            "coordinates": [[[60, 44], [61, 45], [61, 44], [60, 45], [60, 44]]],
        },
    ),
    Case(
        "zero-area polygon",
        "POST",
        "/zonal",
        422,
        "polygon",
        json_body={
            "type": "Polygon",
            "coordinates": [[[60, 44], [61, 44], [62, 44], [61, 44], [60, 44]]],
        },
    ),
    Case(
        "100,000 vertices",
        "POST",
        "/zonal",
        422,
        "100000 vertices and at most 20000",
        json_body={"type": "Polygon", "coordinates": [_ring(100_000)]},
    ),
    Case(
        "body over the size limit",
        "POST",
        "/zonal",
        413,
        "larger than 1000000 bytes",
        content=_circle_body(100_000),
        headers={"Content-Type": "application/json"},
    ),
    Case(
        "antimeridian crossing",
        "POST",
        "/zonal",
        422,
        "crosses the antimeridian",
        json_body={
            "type": "Polygon",
            "coordinates": [[[179, 60], [-179, 60], [-179, 61], [179, 61], [179, 60]]],
        },
    ),
    Case(
        "longitude beyond 180",
        "POST",
        "/zonal",
        422,
        "longitude -180..180",
        json_body={
            "type": "Polygon",
            "coordinates": [[[179, 60], [181, 60], [181, 61], [179, 61], [179, 60]]],
        },
    ),
    Case(
        "polygon outside the region",
        "POST",
        "/zonal",
        422,
        "outside the region",
        json_body={
            "type": "Polygon",
            "coordinates": [[[10, 10], [11, 10], [11, 11], [10, 11], [10, 10]]],
        },
    ),
    Case(
        "polygon over the area limit",
        "POST",
        "/zonal",
        422,
        "km2 are accepted",
        json_body={
            "type": "Polygon",
            "coordinates": [[[40, 30], [80, 30], [80, 55], [40, 55], [40, 30]]],
        },
    ),
    Case(
        "zonal with a bad weight",
        "POST",
        "/zonal?weights=dust_days:-1",
        422,
        ">= 0",
        json_body={"type": "Polygon", "coordinates": [SQUARE]},
    ),
    # Weights that overflow a sum, or repeat: one sentence, the same on every route.
    *[
        Case(f"{what} weight on {url.split('?')[0]}", method, url + weights, 422, says, body)
        for what, weights, says in (
            ("huge", "dust_days:1e308,flood_rp10:1e308", WEIGHT_SENTENCE.format("dust_days")),
            ("huge hazard", "dust:1e308,river_flood:1e308", WEIGHT_SENTENCE.format("dust")),
            ("overflowing", "dust:1e309", WEIGHT_SENTENCE.format("dust")),
            ("negative", "river_flood:-1e308", WEIGHT_SENTENCE.format("river_flood")),
            ("NaN", "dust:nan", WEIGHT_SENTENCE.format("dust")),
            ("duplicate", "dust:1,river_flood:1,dust:2", "'dust' is given twice in weights"),
            (
                "repeated parameter",
                "dust:1&weights=river_flood:2",
                "query parameter 'weights' is given twice",
            ),
        )
        for method, url, body in WEIGHTED_ROUTES
    ],
    Case("repeated profile", "GET", "/districts?profile=equal&profile=x", 422, "'profile'"),
    # Documentation assets: a fixed list, never a path.
    Case("unknown docs asset", "GET", "/docs/assets/leaflet.js", 404, "no documentation asset"),
    Case("docs asset traversal", "GET", "/docs/assets/..%2Fsecret", 404, "no such resource"),
    # Routes that do not exist, or are not offered without an API key.
    Case("unknown route", "GET", "/etc/passwd", 404, "no such resource"),
    Case("rebuild without a key", "POST", "/builds", 404, "no such resource"),
    Case("write method on a read route", "DELETE", "/districts", 405, "Method Not Allowed"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_one_clear_4xx_sentence(
    client: TestClient, build_root: Path, case: Case
) -> None:
    response = client.request(
        case.method,
        case.url,
        json=case.json_body,
        content=case.content,
        headers=case.headers,
    )
    assert response.status_code == case.status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == case.status
    detail = body["detail"]
    assert case.says in detail
    # One sentence: no line breaks, no traceback, no server paths or source files.
    assert "\n" not in detail and len(detail) < 400
    text = response.text
    for leak in ("Traceback", 'File "', ".py", str(build_root), "/work/", "/tmp/", "NaN"):  # noqa: S108
        assert leak not in text, leak
    # The service still answers.
    assert client.get("/healthz").status_code == 200
