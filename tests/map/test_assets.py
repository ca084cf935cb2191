"""``GET /static/...``: Leaflet and our scripts, from installed packages, well cached."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from xstatic.pkg import leaflet

from aralrisk.api.map.assets import MAP_SCRIPTS, MAP_STYLES, asset

LEAFLET_DIR = Path(leaflet.BASE_DIR)


def test_leaflet_js_is_served_from_the_xstatic_package(client: TestClient) -> None:
    response = client.get("/static/leaflet/leaflet.js")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.content == (LEAFLET_DIR / "leaflet.js").read_bytes()
    assert b"Leaflet 1.9" in response.content[:200]
    assert response.headers["cache-control"] == "public, max-age=3600"
    # Weak (W/) when the answer was gzipped, strong otherwise: the same digest.
    etag = response.headers["etag"].removeprefix("W/").strip('"')
    assert etag == asset("leaflet", "leaflet.js").digest[:32]


def test_versioned_asset_urls_are_immutable(client: TestClient) -> None:
    digest = asset("leaflet", "leaflet.js").digest
    response = client.get(f"/static/leaflet/leaflet.js?v={digest[:12]}")
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    stale = client.get("/static/leaflet/leaflet.js?v=000000000000")
    assert "immutable" not in stale.headers["cache-control"]


def test_unchanged_asset_is_not_sent_again(client: TestClient) -> None:
    etag = client.get("/static/map/main.js").headers["etag"]
    response = client.get("/static/map/main.js", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/static/leaflet/leaflet.css", "text/css; charset=utf-8"),
        ("/static/leaflet/images/layers.png", "image/png"),
        *((f"/static/map/{name}", "text/javascript; charset=utf-8") for name in MAP_SCRIPTS),
        *((f"/static/map/{name}", "text/css; charset=utf-8") for name in MAP_STYLES),
    ],
)
def test_static_files_have_their_content_type(
    client: TestClient, path: str, media_type: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    "path",
    [
        "/static/leaflet/nope.js",
        "/static/jquery/jquery.js",
        "/static/leaflet/%2e%2e/__init__.py",
        "/static/map/..%2F..%2Fsettings.py",
        "/static/leaflet/images/../../__init__.py",
    ],
)
def test_unknown_or_escaping_paths_are_not_found(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code in (404, 422)
    assert response.headers["content-type"] == "application/problem+json"
    assert "site-packages" not in response.text and "xstatic" not in response.text
