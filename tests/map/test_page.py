"""``GET /map``: a page that loads nothing from outside its server, under a strict CSP."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from aralrisk.api.map import csp
from aralrisk.layers.result import BuildResult
from tests.conftest import MakeClient

#: Absolute URLs the page may contain: the optional OpenStreetMap layer (used only when
#: a planner switches it on) and its attribution link. Neither is loaded by default.
ALLOWED_ABSOLUTE = {
    "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    "https://www.openstreetmap.org/copyright",
}


class References(HTMLParser):
    """Every ``src`` and ``href`` of a page, inline style attributes and JSON blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.style_attributes = 0
        self.json_blocks: dict[str, str] = {}
        self._json_id: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.urls += [v for k, v in attrs if k in ("src", "href") and v is not None]
        self.style_attributes += "style" in values
        if tag == "script" and values.get("type") == "application/json":
            self._json_id = values.get("id")

    def handle_data(self, data: str) -> None:
        if self._json_id is not None:
            self.json_blocks[self._json_id] = self.json_blocks.get(self._json_id, "") + data

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._json_id = None


def parse(html: str) -> References:
    refs = References()
    refs.feed(html)
    return refs


def test_map_page_references_only_its_own_server(client: TestClient) -> None:
    response = client.get("/map")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    refs = parse(response.text)
    assert len(refs.urls) >= 8  # Leaflet JS and CSS, our scripts and style, the icon
    for url in refs.urls:
        parts = urlsplit(url)
        assert parts.scheme in ("", "data"), url
        assert not parts.netloc and not url.startswith("//"), url
    # Every reference is served by this server with the type a browser expects.
    for url in refs.urls:
        if url.startswith("data:"):
            continue
        asset = client.get("/" + url)
        assert asset.status_code == 200, url
        expected = "text/css" if url.split("?")[0].endswith(".css") else "text/javascript"
        assert asset.headers["content-type"].startswith(expected), url
    absolute = set(re.findall(r"https?://[^\"'\s<>\\]+", response.text))
    assert absolute <= ALLOWED_ABSOLUTE


def test_map_page_loads_leaflet_from_the_installed_package(client: TestClient) -> None:
    urls = parse(client.get("/map").text).urls
    assert any(u.startswith("static/leaflet/leaflet.js?v=") for u in urls)
    assert any(u.startswith("static/leaflet/leaflet.css?v=") for u in urls)
    # folium's other CDN plugins (jQuery, Bootstrap, Font Awesome) are dropped.
    assert not any(re.search(r"jquery|bootstrap|font-?awesome|awesome-markers", u) for u in urls)


def test_map_page_fetches_districts_instead_of_inlining_them(
    client: TestClient, built: BuildResult
) -> None:
    html = client.get("/map").text
    for name in built.districts["name"]:
        assert str(name) not in html
    config = json.loads(parse(html).json_blocks["ar-config"])
    assert config["routes"]["districts"] == "districts"
    assert config["mode"] == "served"
    assert config["version"] == built.version
    assert "embedded" not in config


def test_map_page_has_a_strict_content_security_policy(client: TestClient) -> None:
    response = client.get("/map")
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "connect-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    # folium's inline blocks run because the policy names their hashes, and only them.
    found = csp.inline_code(response.text)
    assert found.scripts and found.styles
    for source in found.scripts + found.styles:
        assert source in policy
    assert parse(response.text).style_attributes == 0
    assert "img-src 'self' data: https://tile.openstreetmap.org" in policy


def test_map_page_without_online_basemap_allows_no_other_origin(
    make_client: MakeClient,
) -> None:
    response = make_client(basemap_online=False).get("/map")
    assert "openstreetmap" not in response.text
    assert "openstreetmap" not in response.headers["content-security-policy"]
    assert json.loads(parse(response.text).json_blocks["ar-config"])["osm"] is None


def test_map_page_is_generated_once_per_build(client: TestClient, built: BuildResult) -> None:
    first = client.get("/map")
    second = client.get("/map")
    assert first.text == second.text
    assert first.headers["etag"] == second.headers["etag"]
    assert first.headers["x-build-version"] == built.version
    again = client.get("/map", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


def test_map_page_says_illustrative_on_the_sample(built: BuildResult) -> None:
    from dataclasses import replace

    from aralrisk.api.map.page import render_page

    sample = replace(built, manifest={**built.manifest, "illustrative": True})
    config = json.loads(parse(render_page(sample, online_basemap=False)).json_blocks["ar-config"])
    assert config["illustrative"] is True
    assert config["attribution"].endswith("illustrative sample data, not for decisions")
    plain = json.loads(parse(render_page(built, online_basemap=False)).json_blocks["ar-config"])
    assert plain["illustrative"] is False
    assert plain["attribution"] == built.manifest["attribution"]


def test_map_config_names_the_release_hazards_and_surfaces(
    client: TestClient, built: BuildResult
) -> None:
    config = json.loads(parse(client.get("/map").text).json_blocks["ar-config"])
    assert config["classes"] == {
        "name": "INFORM Risk 2025 (v0.7.0)",
        "labels": ["Very Low", "Low", "Medium", "High", "Very High"],
    }
    assert [c["name"] for c in config["risk_classes"]] == config["classes"]["labels"]
    assert [c["min"] for c in config["risk_classes"]] == [0.0, 2.2, 3.2, 5.1, 6.9]
    assert [(h["id"], h["context"]) for h in config["hazards"]] == [
        (h.id, h.context) for h in built.registry.hazards
    ]
    # The hazard-level palette, apart from the risk classes' colours.
    levels = {c["label"]: c["color"] for c in config["level_legend"]}
    assert list(levels) == ["high", "medium", "low", "very low", "no data"]
    assert not set(levels.values()) & {c["color"] for c in config["risk_classes"]}
    surfaces = {s["id"]: s for s in config["surfaces"]}
    # No cell risk any more; people exposed with their own (density) legend.
    assert list(surfaces) == ["exposed", "vulnerability", "lack_of_coping"]
    assert surfaces["exposed"]["title"] == "People exposed to a hazard (per km²)"
    assert surfaces["exposed"]["legend"][-1]["label"] == "1000 people/km² and above"
    assert surfaces["lack_of_coping"]["title"] == "Lack of coping capacity (score 0-10)"
    assert "derived" not in config and "risk" not in surfaces
