"""Settlements and search on the map, in a real headless Chromium (tiny world and sample)."""

from __future__ import annotations

from typing import Any

import pytest

from aralrisk.layers.result import BuildResult
from tests.map.conftest import wait_until
from tests.map.test_browser import READY, Recorder

pytestmark = pytest.mark.browser

PLACES_READY = "html[data-ar-places][data-ar-search]"


def _open(browser: Any, server: str, lang: str | None = None) -> tuple[Any, Recorder]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(45_000)
    recorder = Recorder(page, server)
    response = page.goto(server + "/map" + (f"?lang={lang}" if lang else ""))
    assert response is not None and response.status == 200
    page.wait_for_selector(READY)
    page.wait_for_selector(PLACES_READY, state="attached")
    return page, recorder


def _search(page: Any, text: str) -> Any:
    box = page.locator("#ar-search-input")
    box.fill("")
    box.focus()
    page.keyboard.type(text)
    page.wait_for_selector("#ar-search-results li.ar-search-option")
    return page.locator("#ar-search-results li.ar-search-option")


@pytest.mark.parametrize("query", ["Өзенбойы", "Озенбойы", "озенбои", "ozenboiy", "OZENBOYY"])
def test_search_finds_the_village_by_its_kazakh_russian_and_latin_names(
    browser: Any, live_server: str, query: str
) -> None:
    page, recorder = _open(browser, live_server)
    assert page.get_attribute("html", "data-ar-places") == "1"
    options = _search(page, query)
    first = options.first
    assert first.get_attribute("data-id") == "101"
    assert first.get_attribute("aria-selected") == "true"
    # The keyboard chooses it: the map jumps there and opens the village's card.
    page.keyboard.press("Enter")
    card = page.locator(".leaflet-popup-content .ar-place-card")
    card.wait_for()
    assert card.get_attribute("data-place") == "101"
    text = card.inner_text()
    assert "Өзенбойы" in text and "Озенбойы" in text and "Alpha" in text
    assert "750" in text  # its people
    assert card.locator('tr[data-hazard="river_flood"] .ar-level-high').count() == 2
    # Jumped there: zoomed in, the village in view (the popup may pan the map a little).
    assert page.evaluate("aralrisk.app.map.getZoom()") >= 11
    assert page.evaluate("aralrisk.app.map.getBounds().contains([44.725, 60.525])")
    recorder.assert_clean()
    page.context.close()


def test_search_finds_a_district_and_moves_with_the_arrow_keys(
    browser: Any, live_server: str
) -> None:
    page, recorder = _open(browser, live_server)
    options = _search(page, "брав")  # Bravo's Russian name, lower case and cut short
    assert options.first.get_attribute("data-type") == "district"
    assert options.first.get_attribute("data-id") == "B"
    page.keyboard.press("Escape")
    assert page.get_attribute("#ar-search-input", "aria-expanded") == "false"
    page.fill("#ar-search-input", "a")  # one letter: no list yet
    assert page.locator("#ar-search-results").is_hidden()
    options = _search(page, "al")
    count = options.count()
    page.keyboard.press("ArrowDown")
    selected = page.locator('#ar-search-results li[aria-selected="true"]')
    expected = "ar-search-option-1" if count > 1 else "ar-search-option-0"
    assert selected.get_attribute("id") == expected
    page.keyboard.press("ArrowUp")
    chosen = page.locator('#ar-search-results li[aria-selected="true"]').get_attribute("data-id")
    page.keyboard.press("Enter")
    page.wait_for_selector(f'html[data-ar-searched$=":{chosen}"]', state="attached")
    page.locator(".leaflet-popup-content .ar-card").wait_for()
    recorder.assert_clean()
    page.context.close()


def test_point_popup_names_the_nearest_settlement(browser: Any, live_server: str) -> None:
    page, recorder = _open(browser, live_server)
    x, y = page.evaluate(
        """() => {
            const map = aralrisk.app.map;
            const p = map.latLngToContainerPoint([44.70, 60.50]);
            const box = map.getContainer().getBoundingClientRect();
            return [box.left + p.x, box.top + p.y];
        }"""
    )
    page.mouse.click(x, y)
    nearest = page.locator(".leaflet-popup-content .ar-nearest")
    nearest.wait_for()
    assert nearest.get_attribute("data-place") == "101"
    assert "Өзенбойы" in nearest.inner_text() or "Озенбойы" in nearest.inner_text()
    page.locator(".ar-point-values").wait_for()
    page.wait_for_load_state("networkidle")
    recorder.assert_clean()
    page.context.close()


def test_sample_places_are_thinned_and_labelled_by_zoom(
    browser: Any, sample_server: str, sample_build_root: Any
) -> None:
    from aralrisk.layers.result import open_build

    built: BuildResult = open_build(sample_build_root)
    total = built.manifest["places"]["count"]
    page, recorder = _open(browser, sample_server)
    shown_oblast = int(page.get_attribute("html", "data-ar-places-shown") or 0)
    labels_oblast = page.locator(".ar-place-label").count()
    assert 0 < shown_oblast < total  # dense: thinned at oblast scale
    # Closer in, around Aral, more of its places get a dot and a label.
    page.evaluate("aralrisk.app.map.setView([46.8, 61.67], 11, {animate: false})")
    wait_until(page, "document.querySelectorAll('.ar-place-label').length > 0")
    assert page.locator(".ar-place-label").count() >= 1
    names = page.locator(".ar-place-label").all_inner_texts()
    assert any("Арал" in n or "Aral" in n for n in names)
    assert labels_oblast <= 20  # towns only at oblast scale, never a pile of names
    # Search by Russian and Kazakh names finds the same town.
    for query in ("Жанакорган", "Жаңақорған", "zhanakorgan"):
        options = _search(page, query)
        assert "Жаңақорған" in options.first.inner_text() or "Жанакорган" in (
            options.first.inner_text()
        ), query
    recorder.assert_clean()
    page.context.close()
