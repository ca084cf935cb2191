"""HTTP behaviour of the data endpoints: caching, compression, headers, CORS."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from aralrisk.layers.result import BuildResult
from tests.conftest import MakeClient

REPO = Path(__file__).resolve().parents[2]
ZONAL_POLYGON = {
    "type": "Polygon",
    "coordinates": [[[60.2, 44.2], [60.8, 44.2], [60.8, 44.8], [60.2, 44.8], [60.2, 44.2]]],
}
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
IDENTITY = {"Accept-Encoding": "identity"}
GZIP = {"Accept-Encoding": "gzip"}
SECURITY = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "SAMEORIGIN",
    "referrer-policy": "no-referrer",
}


@pytest.mark.parametrize("url", CACHED)
def test_etag_and_304(client: TestClient, built: BuildResult, url: str) -> None:
    first = client.get(url, headers=IDENTITY)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')
    assert first.headers["cache-control"] == "public, max-age=300"
    assert first.headers["x-build-version"] == built.version
    again = client.get(url, headers={"If-None-Match": etag, **IDENTITY})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["x-build-version"] == built.version
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    # A weak validator from a proxy matches as well.
    assert client.get(url, headers={"If-None-Match": f"W/{etag}"}).status_code == 304


def test_gzip_and_identity_do_not_share_a_strong_etag(client: TestClient) -> None:
    """The gzip variant's ETag is the weak form of the identity one; both revalidate."""
    plain = client.get("/districts", headers=IDENTITY)
    packed = client.get("/districts", headers=GZIP)
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip"
    strong = plain.headers["etag"]
    assert strong.startswith('"')
    assert packed.headers["etag"] == f"W/{strong}"
    for headers, etag in ((IDENTITY, strong), (GZIP, f"W/{strong}")):
        again = client.get("/districts", headers={"If-None-Match": etag, **headers})
        assert again.status_code == 304
        assert again.headers["etag"] == etag  # the validator of the variant the client has


@pytest.mark.parametrize(
    "url", ["/districts", "/layers", "/layers/dust_days/tilejson.json", "/map", "/docs"]
)
def test_vary_names_each_header_once(client: TestClient, url: str) -> None:
    for headers in (GZIP, IDENTITY):
        response = client.get(url, headers=headers)
        assert response.status_code == 200
        tokens = [t.strip().lower() for t in response.headers.get("vary", "").split(",")]
        tokens = [t for t in tokens if t]
        assert len(tokens) == len(set(tokens)), response.headers["vary"]
        if headers is GZIP and "content-encoding" in response.headers:
            assert "accept-encoding" in tokens


#: GET routes that must answer HEAD the same way (RFC 9110, 9.3.2).
HEAD_URLS = [
    "/healthz",
    "/version",
    "/layers",
    "/layers/dust_days",
    "/hazards",
    "/profiles",
    "/districts",
    "/districts?weights=dust:2",
    "/districts/A",
    "/districts.csv",
    "/point?lon=60.51&lat=44.52",
    "/layers/dust_days/tilejson.json",
    "/layers/dust_days/tiles/7/85/46.png",
    "/layers/dust_days/tiles/7/10/10.png",
    "/composite/tiles/7/85/46.png?weights=dust:2",
    "/composite/tilejson.json",
    "/basemap/tiles/7/85/46.png",
    "/basemap/hydrography.geojson",
    "/map",
    "/districts/A/report",
    "/openapi.json",
    "/docs",
    "/redoc",
    "/docs/assets/swagger-ui-bundle.js",
    "/layers/lava",
    "/districts?weights=dust:-1",
]


@pytest.mark.parametrize("url", HEAD_URLS)
@pytest.mark.parametrize("encoding", ["gzip", "identity"])
def test_head_answers_wherever_get_does(client: TestClient, url: str, encoding: str) -> None:
    headers = {"Accept-Encoding": encoding}
    get = client.get(url, headers=headers)
    head = client.head(url, headers=headers)
    assert head.status_code == get.status_code, head.text
    assert head.content == b""
    # Same header fields (Date may tick; the tile cache says hit the second time).
    skip = {"date", "x-tile-cache"}
    assert {k: v for k, v in head.headers.items() if k not in skip} == {
        k: v for k, v in get.headers.items() if k not in skip
    }


def test_a_compressed_body_is_415_and_a_bodiless_request_is_not(client: TestClient) -> None:
    body = gzip.compress(json.dumps(ZONAL_POLYGON).encode())
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    refused = client.post("/zonal", content=body, headers=headers)
    assert refused.status_code == 415
    assert refused.headers["accept-encoding"] == "identity"
    assert "Content-Encoding 'gzip'" in refused.json()["detail"]
    # A header without a body has nothing to decode: the request is answered as usual.
    assert client.get("/districts", headers={"Content-Encoding": "gzip"}).status_code == 200


def test_head_of_a_post_route_is_405(client: TestClient) -> None:
    response = client.head("/zonal")
    assert response.status_code == 405
    assert response.content == b""
    assert "POST" in response.headers["allow"]


def test_docs_and_redoc_need_no_internet(client: TestClient) -> None:
    """Every script, style and icon of /docs and /redoc comes from this server."""
    expected_types = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
    for page in ("/docs", "/redoc"):
        response = client.get(page)
        assert response.status_code == 200
        html = response.text
        urls = re.findall(r'(?:src|href|url)\s*[=:]\s*["\']([^"\']+)["\']', html)
        assert urls, html
        assert not [u for u in urls if "//" in u], urls  # no absolute or CDN URL
        assert "fonts.googleapis" not in html and "cdn.jsdelivr" not in html
        assert '"validatorUrl": null' in html or page == "/redoc"
        policy = response.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "connect-src 'self'" in policy
        assets = [u for u in urls if u.startswith("docs/assets/")]
        assert len(assets) >= 2
        for url in assets:
            asset = client.get("/" + url)
            assert asset.status_code == 200, url
            suffix = "." + url.split("?")[0].rsplit(".", 1)[1]
            assert asset.headers["content-type"].startswith(expected_types[suffix])
            assert len(asset.content) > 1000
            etag = asset.headers["etag"]
            assert client.get("/" + url, headers={"If-None-Match": etag}).status_code == 304
    assert "SwaggerUIBundle" in client.get("/docs/assets/swagger-ui-bundle.js").text
    assert "Redoc" in client.get("/docs/assets/redoc.standalone.js").text


def test_openapi_examples_name_real_sample_districts(client: TestClient) -> None:
    """Every district code the OpenAPI document shows is a code of data/sample."""
    sample = json.loads((REPO / "data" / "sample" / "districts.geojson").read_text("utf-8"))
    codes = {f["properties"]["ADM2_PCODE"] for f in sample["features"]}
    document = client.get("/openapi.json").text
    shown = set(re.findall(r"\bKZ\d{2,}\b", document))
    assert shown, "the OpenAPI document shows no district code"
    assert shown <= codes, shown - codes
    operation = client.get("/openapi.json").json()["paths"]["/districts/{code}"]["get"]
    (parameter,) = [p for p in operation["parameters"] if p["name"] == "code"]
    assert parameter["schema"]["examples"] == ["KZ433200"]  # Aral


def test_a_chunked_body_over_the_limit_is_413(make_client: MakeClient) -> None:
    """Without Content-Length the body is counted as it arrives: 413, never 400."""
    small = make_client(max_body_bytes=1000)

    def chunks() -> Iterator[bytes]:
        yield b'{"type": "Polygon", "coordinates": ['
        for _ in range(50):
            yield b" " * 100

    response = small.post("/zonal", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "the request body is larger than 1000 bytes"
    # A chunked body under the limit is read as usual.
    polygon = json.dumps(ZONAL_POLYGON).encode()

    def small_chunks() -> Iterator[bytes]:
        yield polygon[:20]
        yield polygon[20:]

    ok = small.post("/zonal", content=small_chunks(), headers={"Content-Type": "application/json"})
    assert ok.status_code == 200, ok.text


@pytest.mark.parametrize(
    "body",
    [
        ZONAL_POLYGON,
        {"type": "Feature", "properties": {"name": "drawn"}, "geometry": ZONAL_POLYGON},
        {
            "type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": {}, "geometry": ZONAL_POLYGON}],
        },
    ],
    ids=["geometry", "feature", "one-feature collection"],
)
def test_zonal_takes_what_qgis_and_geojson_io_export(
    client: TestClient, body: dict[str, Any]
) -> None:
    response = client.post("/zonal", json=body)
    assert response.status_code == 200, response.text
    geo = client.post(
        "/zonal",
        content=json.dumps(body).encode(),
        headers={"Content-Type": "application/geo+json"},
    )
    assert geo.status_code == 200
    reference = client.post("/zonal", json=ZONAL_POLYGON).json()
    assert response.json()["risk"] == geo.json()["risk"] == reference["risk"]
    assert response.json()["area_km2"] == reference["area_km2"] > 0


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
    assert "<redoc" in client.get("/redoc").text


def test_post_builds_is_absent_without_a_key(client: TestClient) -> None:
    assert client.post("/builds").status_code in (404, 405)
    assert "/builds" not in client.get("/openapi.json").json()["paths"]


def test_without_a_build_data_routes_and_health_are_503(
    make_client: MakeClient, tmp_path: Path
) -> None:
    client = make_client(build_dir=tmp_path / "nothing")
    for url in ("/healthz", "/layers", "/districts", "/point?lon=60.5&lat=44.5"):
        response = client.get(url)
        assert response.status_code == 503, url
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["retry-after"] == "30"
        assert response.json()["detail"] == "no build is published yet: run `aralrisk build`"
        assert str(tmp_path) not in response.text


def test_405_lists_every_method_of_the_path(make_client: Any) -> None:
    # GET and POST /builds are two routes: the 405 names both, not only the first.
    client = make_client(api_key="s3cret")
    answer = client.request("DELETE", "/builds", headers={"X-API-Key": "s3cret"})
    assert answer.status_code == 405
    allowed = {m.strip() for m in answer.headers["allow"].split(",")}
    assert {"GET", "POST"} <= allowed
    assert answer.headers["content-type"].startswith("application/problem+json")
