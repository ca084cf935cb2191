"""A tile served once is answered from memory, before the framework, and never stale."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import morecantile
import pytest
from fastapi.testclient import TestClient

from aralrisk.api.app import create_app
from aralrisk.api.fastpath import TileFastPath
from aralrisk.api.settings import Settings
from aralrisk.layers.result import BuildResult
from tests.api.two_builds import publish_two_builds, switch_to

TMS = morecantile.tms.get("WebMercatorQuad")


def _fast_path(client: TestClient) -> TileFastPath:
    app: Any = client.app
    layer = app.middleware_stack
    while not isinstance(layer, TileFastPath):
        layer = layer.app
    return layer


@pytest.fixture
def make(settings: Settings) -> Iterator[Callable[..., TestClient]]:
    with ExitStack() as stack:

        def make_client(**changes: Any) -> TestClient:
            app = create_app(Settings(**{**settings.model_dump(), **changes}))
            client = stack.enter_context(TestClient(app))
            client.get("/healthz")  # builds the middleware stack
            return client

        yield make_client


def _tile_url(built: BuildResult, layer: str = "dust_days") -> str:
    """A zoom-7 tile over the tiny world's flood strip (lon 60.5, lat 44.5)."""
    tile = TMS.tile(60.5, 44.5, 7)
    return f"/layers/{layer}/tiles/{tile.z}/{tile.x}/{tile.y}.png"


def test_a_repeated_tile_is_answered_from_memory_with_the_same_bytes_and_headers(
    make: Callable[..., TestClient], built: BuildResult
) -> None:
    client = make()
    fast = _fast_path(client)
    url = _tile_url(built)
    first = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert first.status_code == 200 and fast.hits == 0
    # A PNG is not gzipped again: same bytes whatever the client accepts.
    assert "content-encoding" not in first.headers
    again = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert fast.hits == 1
    assert again.content == first.content
    for name in ("etag", "cache-control", "x-build-version", "content-type", "vary"):
        assert again.headers[name] == first.headers[name]
    assert again.headers["x-content-type-options"] == "nosniff"  # security headers kept
    assert again.headers["x-tile-cache"] == "hit"
    assert first.headers["x-tile-cache"] == "miss"


def test_head_and_if_none_match_are_answered_from_memory(
    make: Callable[..., TestClient], built: BuildResult
) -> None:
    client = make()
    fast = _fast_path(client)
    url = _tile_url(built)
    first = client.get(url)
    head = client.head(url)
    assert fast.hits == 1
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(first.content))
    unchanged = client.get(url, headers={"If-None-Match": f'W/{first.headers["etag"]}, "x"'})
    assert fast.hits == 2
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged.headers["etag"] == first.headers["etag"]
    assert "content-type" not in unchanged.headers
    other = client.get(url, headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200 and other.content == first.content


def test_errors_and_other_queries_are_not_replayed(
    make: Callable[..., TestClient], built: BuildResult
) -> None:
    client = make()
    fast = _fast_path(client)
    url = _tile_url(built)
    for _ in range(2):
        assert client.get(url.replace("dust_days", "lava")).status_code == 404
    assert fast.hits == 0
    scores = client.get(url, params={"values": "score"})
    raw = client.get(url)
    assert fast.hits == 0  # another query is another tile
    assert scores.content != raw.content


def test_cors_requests_and_a_zero_cache_size_go_to_the_application(
    make: Callable[..., TestClient], built: BuildResult
) -> None:
    url = _tile_url(built)
    with_cors = make(cors_origins=["https://akimat.kz"])
    for _ in range(2):
        answer = with_cors.get(url, headers={"Origin": "https://akimat.kz"})
        assert answer.headers["access-control-allow-origin"] == "https://akimat.kz"
    assert _fast_path(with_cors).hits == 0
    off = make(tile_cache_size=0)
    off.get(url)
    off.get(url)
    assert _fast_path(off).hits == 0


def test_a_new_build_is_never_answered_with_the_old_ones_tile(
    make: Callable[..., TestClient], built: BuildResult, tmp_path: Path
) -> None:
    root = tmp_path / "root"
    publish_two_builds(built, root)
    client = make(build_dir=root)
    client.app.state.builds.check_interval = 0.0  # type: ignore[attr-defined]
    url = _tile_url(built, "flood_rp10")
    first, again = client.get(url), client.get(url)
    assert _fast_path(client).hits == 1 and again.content == first.content
    switch_to(root, "B")
    second = client.get(url)
    assert _fast_path(client).hits == 1
    assert second.headers["x-build-version"] == "version-B"
    assert second.content != first.content
