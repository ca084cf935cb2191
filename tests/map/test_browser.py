"""The risk map in a real headless Chromium against a live server on 127.0.0.1.

Every request the page makes is recorded: none may leave the server's origin, fail, or
answer an error, and the console must stay free of errors (a Content-Security-Policy
violation is one). A screenshot of the map is saved to ``/tmp/map.png`` for a person
to look at.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli import app
from layers.result import BuildResult, open_build

pytestmark = pytest.mark.browser

#: The screenshot artifact (``/tmp/map.png`` on Linux; ``ARALRISK_SCREENSHOT`` to move it).
SCREENSHOT = Path(os.environ.get("ARALRISK_SCREENSHOT") or Path(tempfile.gettempdir()) / "map.png")
READY = 'html[data-ar-ready="1"]'
RANKING_ROWS = "table.ar-ranking tbody tr"


@dataclass
class Recorder:
    """What one page did on the network and in its console."""

    page: Any
    origin: str
    requests: list[str] = field(default_factory=list)
    responses: list[Any] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("response", lambda r: self.responses.append(r))
        self.page.on("requestfailed", self._failed)
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _failed(self, request: Any) -> None:
        # Leaflet cancels the tiles still loading when a layer's URL changes or the
        # view moves on: an abort of a tile is the map's choice, not a failure.
        if "/tiles/" in request.url and "ERR_ABORTED" in str(request.failure):
            return
        self.failed.append(f"{request.url}: {request.failure}")

    def assert_clean(self) -> None:
        """Nothing left the origin, nothing failed, nothing was logged as an error."""
        outside = [u for u in self.requests if not u.startswith((self.origin + "/", "data:"))]
        assert outside == []
        assert self.failed == []
        assert [f"{r.status} {r.url}" for r in self.responses if r.status >= 400] == []
        assert self.errors == []


@pytest.fixture
def recorder(browser: Any, live_server: str) -> Iterator[Recorder]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(45_000)  # composite tiles are computed on the fly
    yield Recorder(page, live_server)
    context.close()


def open_map(recorder: Recorder) -> Any:
    page = recorder.page
    response = page.goto(recorder.origin + "/map")
    assert response is not None and response.status == 200
    page.wait_for_selector(READY)
    page.wait_for_load_state("networkidle")
    return page


def ranking(page: Any) -> list[list[str]]:
    rows = page.locator(RANKING_ROWS)
    return [rows.nth(i).locator("td").all_inner_texts() for i in range(rows.count())]


def test_map_loads_from_its_own_server_only(recorder: Recorder, built: BuildResult) -> None:
    page = open_map(recorder)
    tiles = [
        r
        for r in recorder.responses
        if "/tiles/" in r.url and r.status == 200 and r.headers["content-type"] == "image/png"
    ]
    assert tiles, "no tile was drawn"
    assert page.locator("path.ar-district").count() == len(built.districts) == 4
    codes = [page.locator(RANKING_ROWS).nth(i).get_attribute("data-code") for i in range(4)]
    assert codes == list(built.districts["code"])  # the build's rank order
    ranks = [int(row[0]) for row in ranking(page)]
    assert ranks == sorted(ranks) and ranks[0] == 1
    assert page.locator(".leaflet-tooltip.ar-label").count() == 4
    assert page.locator(".leaflet-control-scale").count() == 1
    assert page.locator(".ar-fullscreen").count() == 1
    attribution = page.inner_text(".leaflet-control-attribution")
    assert built.manifest["attribution"] in attribution
    recorder.assert_clean()
    page.screenshot(path=str(SCREENSHOT))


def test_profile_switch_reloads_districts_and_composite_in_place(recorder: Recorder) -> None:
    page = open_map(recorder)
    page.evaluate("window.__samePage = true")
    with page.expect_response(lambda r: "/composite/tiles/" in r.url and r.status == 200):
        page.check("#ar-ov-risk")
    before_url = page.evaluate("aralrisk.app.overlays.url('risk')")
    before_table = ranking(page)
    assert "profile=equal" in before_url

    with page.expect_response(
        lambda r: "/districts?" in r.url and "profile=public_health" in r.url
    ) as answer:
        page.select_option("#ar-profile", "public_health")
    assert answer.value.status == 200
    page.wait_for_selector('table.ar-ranking[data-profile="public_health"]')
    page.wait_for_function("aralrisk.app.overlays.url('risk').includes('public_health')")
    page.wait_for_load_state("networkidle")

    after_url = page.evaluate("aralrisk.app.overlays.url('risk')")
    assert after_url != before_url and "target=risk" in after_url
    assert ranking(page) != before_table  # new risk values under the new weights
    assert any("/composite/tiles/" in u and "profile=public_health" in u for u in recorder.requests)
    assert page.evaluate("window.__samePage") is True  # no navigation happened
    recorder.assert_clean()


def test_click_queries_the_point_and_opens_the_district_popup(recorder: Recorder) -> None:
    page = open_map(recorder)
    x, y = page.evaluate(
        """() => {
            const map = aralrisk.app.map;
            const p = map.latLngToContainerPoint([44.3, 60.3]);
            const box = map.getContainer().getBoundingClientRect();
            return [box.left + p.x, box.top + p.y];
        }"""
    )
    with page.expect_response(lambda r: "/point?" in r.url) as answer:
        page.mouse.click(x, y)
    assert answer.value.status == 200
    popup = page.locator(".leaflet-popup-content")
    popup.locator(".ar-point-values").wait_for()
    text = popup.inner_text()
    assert "Alpha" in text and "Альфа" in text
    assert "rank 1 of 4" in text
    assert "Dust and salt storm days" in text and "days/yr" in text
    assert re.search(r"At 44\.(29|30)\d° N, 60\.(29|30)\d° E", text)  # within a pixel

    href = popup.locator("a.ar-report-link").get_attribute("href")
    assert href == "districts/A/report"
    response = page.goto(recorder.origin + "/" + href)
    assert response is not None and response.status == 200
    assert page.inner_text("h1") == "Alpha"
    assert page.locator("table.hazards tbody tr").count() == 7
    recorder.assert_clean()


def test_static_export_works_without_a_server(
    browser: Any, build_root: Path, tmp_path: Path
) -> None:
    out = tmp_path / "map.html"
    result = CliRunner().invoke(
        app, ["map", "--out", str(out), "--build", str(build_root), "--no-osm"]
    )
    assert result.exit_code == 0, result.output
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    page = context.new_page()
    recorder = Recorder(page, out.as_uri())
    page.goto(out.as_uri())
    page.wait_for_selector(READY)
    assert page.locator("path.ar-district").count() == 4
    before = ranking(page)
    page.select_option("#ar-profile", "infrastructure")
    page.wait_for_selector('table.ar-ranking[data-profile="infrastructure"]')
    assert ranking(page) != before
    page.check("#ar-ov-risk")
    page.wait_for_selector("img.ar-raster-risk")
    assert recorder.requests == [out.as_uri()]  # the file itself, nothing else
    assert recorder.errors == []
    context.close()


def test_the_sample_map_as_a_planner_sees_it(
    browser: Any, sample_server: str, sample_build_root: Path
) -> None:
    """The embedded 9-district sample: map, ranking, warning banner and a report."""
    built = open_build(sample_build_root)
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(45_000)
    recorder = Recorder(page, sample_server)
    page = open_map(recorder)
    assert page.locator("path.ar-district").count() == 9
    codes = [page.locator(RANKING_ROWS).nth(i).get_attribute("data-code") for i in range(9)]
    assert codes == list(built.districts["code"])
    rows = ranking(page)
    names = [row[1] for row in rows]
    assert set(names) == set(built.districts["name"])
    # Risk with one decimal in every row (6.0, not 6), equal to the build's.
    assert [row[2] for row in rows] == [f"{r:.1f}" for r in built.districts["risk"]]
    assert {"Aral", "Kazaly", "Baykonyr", "Kyzylorda"} <= set(names)
    assert "not for decisions" in page.inner_text("body")  # the sample says it is one
    assert page.locator(".leaflet-tooltip.ar-label").count() == 9
    recorder.assert_clean()
    page.screenshot(path=str(SCREENSHOT.with_name("sample-map.png")))

    baikonur = built.table().loc["KZ431900"]
    response = page.goto(sample_server + "/districts/KZ431900/report")
    assert response is not None and response.status == 200
    assert page.inner_text("h1") == "Baykonyr"
    text = page.inner_text("body")
    assert f"{baikonur['area_km2']:.1f} km²" in text  # the enclave's own 38 km2
    assert f"rank {int(baikonur['rank'])} of 9" in text
    assert page.locator("table.hazards tbody tr").count() == 7
    recorder.assert_clean()
    context.close()
