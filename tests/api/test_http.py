"""HTTP behaviour of the data endpoints: caching, compression, headers, CORS."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from aralrisk.layers.result import BuildResult
from tests.conftest import MakeClient

CACHED = [
    "/layers",
    "/layers/flood_rp10",
    "/profiles",
    "/districts",
    "/districts?weights=dust_days:2&simplify=0.01",
    "/districts/A",
    "/districts.csv",
    "/point?lon=60.51&lat=44.52",
]
SECURITY = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "SAMEORIGIN",
    "referrer-policy": "no-referrer",
}


@pytest.mark.parametrize("url", CACHED)
def test_etag_and_304(client: TestClient, built: BuildResult, url: str) -> None:
    first = client.get(url)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')
    assert first.headers["cache-control"] == "public, max-age=300"
    assert first.headers["x-build-version"] == built.version
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["x-build-version"] == built.version
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    # A weak validator from a proxy matches as well.
    assert client.get(url, headers={"If-None-Match": f"W/{etag}"}).status_code == 304


def test_etag_differs_with_the_query(client: TestClient) -> None:
    a = client.get("/districts").headers["etag"]
    b = client.get("/districts?method=max").headers["etag"]
    c = client.get("/districts/A").headers["etag"]
    assert len({a, b, c}) == 3


def test_large_json_is_gzipped(client: TestClient) -> None:
    response = client.get("/districts", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["vary"]
    # The bytes on the wire are the gzip of the JSON, and much smaller.
    with client.stream("GET", "/districts", headers={"Accept-Encoding": "gzip"}) as stream:
        wire = b"".join(stream.iter_raw())
    assert gzip.decompress(wire) == response.content
    assert len(wire) < len(response.content) / 2
    plain = client.get("/districts", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.json() == response.json()


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("GET", "/districts", 200),
        ("GET", "/layers/lava", 404),
        ("GET", "/point?lon=10&lat=10", 422),
        ("POST", "/zonal", 422),
    ],
)
def test_security_headers_on_every_answer(
    client: TestClient, method: str, url: str, status: int
) -> None:
    response = client.request(method, url)
    assert response.status_code == status
    for header, value in SECURITY.items():
        assert response.headers[header] == value


def test_security_headers_on_the_body_limit(make_client: MakeClient) -> None:
    small = make_client(max_body_bytes=100)
    response = small.post("/zonal", content=b"{" + b" " * 200 + b"}")
    assert response.status_code == 413
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.json()["detail"] == "the request body is larger than 100 bytes"


def test_no_cors_by_default(client: TestClient) -> None:
    response = client.get("/layers", headers={"Origin": "https://akimat.kz"})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


def test_cors_only_for_allowlisted_origins(make_client: MakeClient) -> None:
    allowed = "https://akimat.kz"
    client = make_client(cors_origins=[allowed])
    ok = client.get("/districts", headers={"Origin": allowed})
    assert ok.headers["access-control-allow-origin"] == allowed
    assert "ETag" in ok.headers["access-control-expose-headers"]
    other = client.get("/districts", headers={"Origin": "https://evil.example"})
    assert other.status_code == 200
    assert "access-control-allow-origin" not in other.headers
    preflight = client.options(
        "/zonal",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers
    good_preflight = client.options(
        "/zonal", headers={"Origin": allowed, "Access-Control-Request-Method": "POST"}
    )
    assert good_preflight.status_code == 200
    assert good_preflight.headers["access-control-allow-origin"] == allowed


def test_zonal_is_not_cached(client: TestClient, built: BuildResult) -> None:
    polygon = {
        "type": "Polygon",
        "coordinates": [[[60.2, 44.2], [60.8, 44.2], [60.8, 44.8], [60.2, 44.8], [60.2, 44.2]]],
    }
    response = client.post("/zonal", json=polygon)
    assert response.headers["cache-control"] == "no-store"
    assert "etag" not in response.headers
    assert response.headers["x-build-version"] == built.version


def test_openapi_documents_errors_as_problem_details(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    ours = {
        "/layers",
        "/layers/{layer_id}",
        "/profiles",
        "/districts",
        "/districts/{code}",
        "/districts.csv",
        "/point",
        "/zonal",
    }
    assert ours <= set(document["paths"])
    for path in ours:
        for operation in document["paths"][path].values():
            responses = operation["responses"]
            assert "422" in responses or "404" in responses, path
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    assert list(response["content"]) == ["application/problem+json"], path
    zonal = document["paths"]["/zonal"]["post"]
    assert "antimeridian" in zonal["description"]
    assert "20,000 vertices" in zonal["description"]
    assert "413" in zonal["responses"]
    assert document["paths"]["/districts"]["get"]["responses"]["200"]["content"] == {
        "application/geo+json": {"schema": {"$ref": "#/components/schemas/DistrictCollection"}}
    }


def test_docs_page_is_served(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert "swagger" in response.text.lower()


def test_post_builds_is_absent_without_a_key(client: TestClient) -> None:
    assert client.post("/builds").status_code in (404, 405)
    assert "/builds" not in client.get("/openapi.json").json()["paths"]


def test_without_a_build_data_routes_are_404_and_health_answers(
    make_client: MakeClient, tmp_path: Path
) -> None:
    client = make_client(build_dir=tmp_path / "nothing")
    assert client.get("/healthz").status_code == 200
    for url in ("/layers", "/districts", "/point?lon=60.5&lat=44.5"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json()["detail"] == "no build is published yet: run `aralrisk build`"
        assert str(tmp_path) not in response.text
