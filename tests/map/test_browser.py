"""The risk map in a real headless Chromium against a live server on 127.0.0.1.

Every request the page makes is recorded: none may leave the server's origin, fail, or
answer an error, and the console must stay free of errors (a Content-Security-Policy
violation is one). A screenshot of the map is saved to ``/tmp/map.png`` for a person
to look at.
"""

from __future__ import annotations

import itertools
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from aralrisk.api.cli import app
from aralrisk.layers.result import BuildResult, open_build
from tests.map.conftest import wait_until

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
        page.check("#ar-ov-composite")
    before_url = page.evaluate("aralrisk.app.overlays.url('composite')")
    before_table = ranking(page)
    assert "profile=equal" in before_url

    with page.expect_response(
        lambda r: "/districts?" in r.url and "profile=public_health" in r.url
    ) as answer:
        page.select_option("#ar-profile", "public_health")
    assert answer.value.status == 200
    page.wait_for_selector('table.ar-ranking[data-profile="public_health"]')
    wait_until(page, "aralrisk.app.overlays.url('composite').includes('public_health')")
    page.wait_for_load_state("networkidle")

    after_url = page.evaluate("aralrisk.app.overlays.url('composite')")
    assert after_url != before_url and "target" not in after_url
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
    assert "exposed to River flood" in text  # the clicked cell is in the 100-year flood
    assert "Dust and salt storm days" in text and "days/yr" in text
    assert re.search(r"At 44\.(29|30)\d° N, 60\.(29|30)\d° E", text)  # within a pixel

    href = popup.locator("a.ar-report-link").get_attribute("href")
    assert href == "districts/A/report?lang=en"  # the report in the map's language
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
    page.check("#ar-ov-exposed")
    page.wait_for_selector("img.ar-raster-exposed")
    legend = page.inner_text(".ar-map-legend")
    assert legend.startswith("Legend\nPeople exposed to a hazard (per km²)")
    assert "1000 people/km² and above" in legend
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
    assert baikonur["note"] in text  # a leased city, not in the oblast total
    assert page.locator("table.hazards tbody tr").count() == 7
    recorder.assert_clean()
    context.close()


def _sample_page(browser: Any, server: str) -> tuple[Any, Recorder]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(45_000)
    recorder = Recorder(page, server)
    return open_map(recorder), recorder


def test_kyzylorda_shows_its_high_river_flood_beside_its_risk(
    browser: Any, sample_server: str, sample_build_root: Path
) -> None:
    """The city's risk is low-ish, but its river-flood hazard is high: both are shown."""
    row = open_build(sample_build_root).table().loc["KZ431000"]
    assert row["river_flood_level"] == 3
    page, recorder = _sample_page(browser, sample_server)
    cells = page.locator(f'{RANKING_ROWS}[data-code="KZ431000"] td').all_inner_texts()
    assert cells[1:] == [
        "Kyzylorda",
        f"{row['risk']:.1f}",
        row["risk_class"],
        "high",
        f"{row['people_exposed']:,.0f}",
    ]
    page.click(f'{RANKING_ROWS}[data-code="KZ431000"]')
    card = page.locator(".leaflet-popup-content .ar-card")
    card.wait_for()
    risk = card.locator(".ar-head-risk").inner_text()
    assert row["risk_class"] in risk and f"rank {int(row['rank'])} of 9" in risk
    assert "INFORM Risk 2025 (v0.7.0)" in risk
    hazard = card.locator(".ar-head-hazard")
    assert hazard.locator(".ar-level-high").inner_text() == "high"
    assert "River flood" in hazard.inner_text()
    people = card.locator(".ar-head-people").inner_text()
    assert f"{row['people_exposed']:,.0f}" in people
    # The three boxes sit side by side (tops level to a pixel: layout rounds sub-pixels
    # differently per box), none over another.
    # Measured in one go: the popup may still be panning clear of the map's controls.
    boxes = page.evaluate(
        """() => ['risk', 'hazard', 'people'].map(function (k) {
            const r = document.querySelector('.ar-card .ar-head-' + k).getBoundingClientRect();
            return {x: r.x, y: r.y, width: r.width, height: r.height};
        })"""
    )
    assert boxes[1]["y"] == pytest.approx(boxes[0]["y"], abs=1)
    assert boxes[2]["y"] == pytest.approx(boxes[0]["y"], abs=1)
    for left, right in itertools.pairwise(boxes):
        assert left["x"] + left["width"] <= right["x"]
    flood = card.locator('tr[data-hazard="river_flood"] td').all_inner_texts()
    assert flood == ["River flood", "high", f"{row['river_flood_exposed']:,.0f}"]
    page.wait_for_selector(".ar-point-values")
    page.wait_for_load_state("networkidle")
    recorder.assert_clean()
    page.screenshot(path=str(SCREENSHOT.with_name("sample-popup.png")))
    page.context.close()


def test_ranking_orders_by_risk_hazard_level_and_people_exposed(
    browser: Any, sample_server: str, sample_build_root: Path
) -> None:
    table = open_build(sample_build_root).table()
    page, recorder = _sample_page(browser, sample_server)

    def codes() -> list[str]:
        rows = page.locator(RANKING_ROWS)
        return [rows.nth(i).get_attribute("data-code") for i in range(rows.count())]

    assert page.get_attribute('button[data-order="risk"]', "aria-pressed") == "true"
    assert codes() == list(table.index)  # by risk, as the build ranks
    page.click('button[data-order="exposed"]')
    page.wait_for_selector('table.ar-ranking[data-order="exposed"]')
    assert page.get_attribute('button[data-order="exposed"]', "aria-pressed") == "true"
    assert page.get_attribute('button[data-order="risk"]', "aria-pressed") == "false"
    by_people = table.sort_values("people_exposed", ascending=False, kind="stable")
    assert codes() == list(by_people.index)
    assert codes()[0] == "KZ431000"  # the city: the most people exposed
    assert "people exposed" in page.inner_text(".ar-order-note")
    page.click('button[data-order="hazard"]')
    page.wait_for_selector('table.ar-ranking[data-order="hazard"]')
    by_hazard = table.assign(key=list(zip(table["hazard_level"], table["hazard"], strict=True)))
    expected = by_hazard.sort_values("key", ascending=False, kind="stable")
    assert codes() == list(expected.index)
    levels = [row[4] for row in ranking(page)]
    assert levels == sorted(levels, key=["high", "medium", "low", "very low"].index)
    assert "hazard level" in page.inner_text(".ar-order-note")
    # The order survives new weights.
    page.select_option("#ar-profile", "infrastructure")
    page.wait_for_selector('table.ar-ranking[data-profile="infrastructure"][data-order="hazard"]')
    recorder.assert_clean()
    page.context.close()


def test_a_district_without_risk_is_listed_last_and_not_ranked(
    browser: Any, unranked_server: str, unranked: BuildResult
) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    recorder = Recorder(page, unranked_server)
    page = open_map(recorder)
    rows = ranking(page)
    assert [row[1] for row in rows][-1] == "Bravo"
    assert rows[-1][0] == "—" and rows[-1][2] == "–" and rows[-1][3] == "no data"
    assert [row[0] for row in rows[:-1]] == ["1", "2", "3"]
    page.click(f'{RANKING_ROWS}[data-code="B"]')
    card = page.locator(".leaflet-popup-content .ar-card")
    card.wait_for()
    assert "not ranked" in card.locator(".ar-head-risk").inner_text()
    confidence = card.locator(".ar-confidence").inner_text()
    assert confidence == "Data confidence: low — no data for vulnerability, lack of coping"
    # B is still ranked by its people exposed, and by its hazard level.
    page.click('button[data-order="exposed"]')
    page.wait_for_selector('table.ar-ranking[data-order="exposed"]')
    assert "—" not in [row[0] for row in ranking(page)]
    page.wait_for_load_state("networkidle")
    recorder.assert_clean()
    context.close()
