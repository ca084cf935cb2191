"""The map's next-days panel in a real headless Chromium: day slider, colours, list."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aralrisk.api.settings import Settings
from tests.forecasts import with_dust_alerts
from tests.map.conftest import serve
from tests.map.test_browser import READY, Recorder

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def alerts_server(build_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The tiny world with dust alerts: day 1 A red and B yellow, day 2 A orange."""
    root = with_dust_alerts(build_root, tmp_path_factory.mktemp("alerts-map"))
    with serve(Settings(build_dir=root)) as base:
        yield base


def _open(browser: Any, server: str, lang: str = "en") -> tuple[Any, Recorder]:
    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    page.set_default_timeout(45_000)
    recorder = Recorder(page, server)
    response = page.goto(f"{server}/map?lang={lang}")
    assert response is not None and response.status == 200
    page.wait_for_selector(READY)
    page.wait_for_selector("html[data-ar-alerts]", state="attached")
    return page, recorder


def test_day_slider_colours_and_lists_the_districts(browser: Any, alerts_server: str) -> None:
    page, recorder = _open(browser, alerts_server)
    assert page.get_attribute("html", "data-ar-alerts") == "1"
    panel = page.locator("section.ar-alerts")
    assert panel.get_attribute("data-day") == "2026-04-10"
    items = page.locator(".ar-alerts-list li.ar-alert")
    assert [items.nth(i).get_attribute("data-level") for i in range(items.count())] == [
        "red",
        "yellow",
    ]
    assert items.first.get_attribute("data-code") == "A"
    assert (
        "Dust storm" in panel.inner_text()
        and "forecast of 2026-04-10 00:00 UTC" in panel.inner_text()
    )
    # The districts at a level are drawn in its colour.
    fills = page.evaluate(
        "Array.from(document.querySelectorAll('path.ar-alert-area'))"
        ".map(p => p.getAttribute('fill'))"
    )
    assert "#d50000" in fills and "#ffd600" in fills
    # The next day: A orange, B clear.
    page.locator("#ar-alerts-day").fill("1")
    assert panel.get_attribute("data-day") == "2026-04-11"
    items = page.locator(".ar-alerts-list li.ar-alert")
    assert items.count() == 1 and items.first.get_attribute("data-level") == "orange"
    # The forecast layer: the dust forecast's cell levels as tiles for the chosen day.
    with page.expect_response(lambda r: "/alerts/tiles/dust_pm10_forecast/2026-04-11/" in r.url):
        page.select_option("#ar-alerts-layer", "dust_pm10_forecast")
    assert panel.get_attribute("data-layer") == "dust_pm10_forecast/2026-04-11"
    with page.expect_response(lambda r: "/alerts/tiles/dust_pm10_forecast/2026-04-10/" in r.url):
        page.locator("#ar-alerts-day").fill("0")
    assert page.locator("img.leaflet-tile").count() > 0
    # Hiding the colours removes the overlay; the list stays.
    page.locator("#ar-alerts-show").uncheck()
    assert page.locator("path.ar-alert-area").count() == 0
    recorder.assert_clean()
    page.context.close()


def test_panel_follows_the_page_language(browser: Any, alerts_server: str) -> None:
    page, _ = _open(browser, alerts_server, "ru")
    text = page.locator("section.ar-alerts").inner_text()
    assert "Ближайшие дни" in text and "Пыльная буря" in text and "красный" in text
    page.context.close()


def test_no_alerts_no_panel(browser: Any, live_server: str) -> None:
    page, recorder = _open(browser, live_server)
    assert page.get_attribute("html", "data-ar-alerts") == "0"
    assert page.locator("section.ar-alerts").count() == 0
    recorder.assert_clean()  # no 404 for the alerts it did not ask for
    page.context.close()


def test_report_opens_with_the_alerts(browser: Any, alerts_server: str) -> None:
    page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    recorder = Recorder(page, alerts_server)
    response = page.goto(f"{alerts_server}/districts/A/report?lang=kk")
    assert response is not None and response.status == 200
    block = page.locator('section[data-box="alerts"]')
    assert block.is_visible()
    text = block.text_content() or ""  # raw text: the report styles h2 in capitals
    assert "Алдағы күндерге арналған ескертулер" in text and "қызыл деңгей" in text
    # It comes first: above the risk, hazard and people boxes.
    headline = page.locator("section.headline")
    assert block.bounding_box()["y"] < headline.bounding_box()["y"]  # type: ignore[index]
    page.goto(f"{alerts_server}/districts/C/report")
    assert (
        "No alert issued for this district"
        in page.locator('section[data-box="alerts"]').inner_text()
    )
    recorder.assert_clean()
    page.context.close()
