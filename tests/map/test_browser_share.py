"""Languages, phone, sharing and keyboard in a real headless Chromium (issue 14: 1, 4, 5, 8).

Against the embedded 9-district sample served on 127.0.0.1. Screenshots are saved next
to ``/tmp/map.png`` (``sample-ru.png``, ``phone-popup.png``, ``phone-report.png``,
``oblast.png``) for a person to look at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from babel.numbers import format_decimal

from tests.map.conftest import wait_until
from tests.map.test_browser import RANKING_ROWS, READY, SCREENSHOT, Recorder

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def context_factory(browser: Any) -> Iterator[Any]:
    made: list[Any] = []

    def make(**options: Any) -> Any:
        context = browser.new_context(**options)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


def _open(context: Any, url: str, origin: str) -> tuple[Any, Recorder]:
    page = context.new_page()
    page.set_default_timeout(45_000)
    recorder = Recorder(page, origin)
    response = page.goto(url)
    assert response is not None and response.status == 200
    page.wait_for_selector(READY)
    page.wait_for_load_state("networkidle")
    return page, recorder


def test_map_and_report_in_russian_and_kazakh(context_factory: Any, sample_server: str) -> None:
    context = context_factory(viewport={"width": 1400, "height": 900})
    page, recorder = _open(context, sample_server + "/map?lang=ru", sample_server)
    assert page.get_attribute("html", "lang") == "ru"
    assert page.inner_text(".ar-section h2 >> nth=0").upper() == "ВЕСА"
    names = page.locator(f"{RANKING_ROWS} td:nth-child(2)").all_inner_texts()
    assert "Шиелийский район" in names and "Байконур" in names
    assert "Класс риска" in page.inner_text("#ar-panel") or "Уровень опасности" in page.inner_text(
        "table.ar-ranking thead"
    )
    assert page.locator("table.ar-ranking caption").inner_text().startswith("Рейтинг районов")
    page.click(f'{RANKING_ROWS}[data-code="KZ431000"]')
    card = page.locator(".leaflet-popup-content .ar-card")
    card.wait_for()
    assert "Речной паводок" in card.inner_text()
    assert card.locator(".ar-card-title").inner_text() == "Кызылорда"
    page.wait_for_selector(".ar-point-values")
    page.wait_for_load_state("networkidle")
    recorder.assert_clean()
    page.screenshot(path=str(SCREENSHOT.with_name("sample-ru.png")))
    href = card.locator("a.ar-report-link").get_attribute("href")
    assert href == "districts/KZ431000/report?lang=ru"

    # Kazakh from the browser's Accept-Language, no ?lang=.
    kk_context = context_factory(viewport={"width": 1400, "height": 900}, locale="kk-KZ")
    kk, kk_recorder = _open(kk_context, sample_server + "/map", sample_server)
    assert kk.get_attribute("html", "lang") == "kk"
    assert "САЛМАҚТАР" in kk.inner_text("#ar-panel").upper()
    assert "Шиелі ауданы" in kk.locator(RANKING_ROWS).all_inner_texts()[-9:].__str__()
    # Numbers with Kazakh marks, as the reports print them (Babel's CLDR): Chromium's
    # own Kazakh data formatted 78,568 and 7.4, which read as 78.568 and 7.4 there.
    aral = httpx.get(sample_server + "/districts/KZ433200", timeout=30).json()["properties"]
    row = kk.locator(f'{RANKING_ROWS}[data-code="KZ433200"]').inner_text()
    assert format_decimal(round(aral["risk"], 1), "0.0", locale="kk") in row  # 7,4
    people = format_decimal(round(aral["people_exposed"]), "#,##0", locale="kk")
    assert people in row and "\xa0" in people  # 78 568
    assert format_decimal(round(aral["people_exposed"]), "#,##0", locale="en") not in row
    # The layer list's units in Kazakh too (they were English: "(days/yr)").
    text = kk.inner_text("body")
    assert "(күн/жыл)" in text and "(адам/км²)" in text and "(°C/онжылдық)" in text
    assert not re.search(r"\((days/yr|% of years|% of months|people/km²|°C/decade)\)", text)
    kk_recorder.assert_clean()
    report = kk.goto(sample_server + "/districts/KZ435200/report")
    assert report is not None and report.headers["content-language"] == "kk"
    assert kk.inner_text("h1") == "Шиелі ауданы"
    assert "ҰСЫНЫЛАТЫН ДАЙЫНДЫҚ ШАРАЛАРЫ" in kk.inner_text("body").upper()
    assert kk.get_attribute("html", "lang") == "kk"


def test_phone_report_has_no_horizontal_scroll(context_factory: Any, sample_server: str) -> None:
    context = context_factory(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    response = page.goto(sample_server + "/districts/KZ433200/report?lang=ru")
    assert response is not None and response.status == 200
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    body = page.evaluate("getComputedStyle(document.body).fontSize")
    assert float(body.rstrip("px")) >= 12  # readable without zooming
    page.screenshot(path=str(SCREENSHOT.with_name("phone-report.png")), full_page=True)
    # Pinch-zoom is allowed: no viewport meta forbids it, on the map or the report.
    for url in ("/districts/KZ433200/report", "/map"):
        page.goto(sample_server + url)
        content = page.get_attribute('meta[name="viewport"]', "content") or ""
        assert "user-scalable=no" not in content and "maximum-scale=1" not in content


def _overlaps(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def test_phone_popup_is_not_covered_by_controls(context_factory: Any, sample_server: str) -> None:
    context = context_factory(viewport=PHONE, is_mobile=True, has_touch=True)
    page, recorder = _open(context, sample_server + "/map?lang=kk", sample_server)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # The ranking fits the panel: every column visible without scrolling sideways.
    widths = page.evaluate(
        "[document.querySelector('table.ar-ranking').getBoundingClientRect().width,"
        " document.querySelector('.ar-ranking-box').clientWidth]"
    )
    assert widths[0] <= widths[1]
    # The legend starts folded on a phone.
    assert page.get_attribute(".ar-map-legend details", "open") is None
    page.locator(f'{RANKING_ROWS}[data-code="KZ434400"]').focus()
    page.keyboard.press("Enter")
    popup = page.locator(".leaflet-popup")
    popup.wait_for()
    page.wait_for_selector(".ar-point-values")
    page.wait_for_timeout(400)  # the popup's pan into view
    box = popup.bounding_box()
    assert box is not None and box["width"] <= PHONE["width"]
    visible = [c.bounding_box() for c in page.locator(".leaflet-control").all() if c.is_visible()]
    assert [b for b in visible if b and _overlaps(b, box)] == []
    recorder.assert_clean()
    page.screenshot(path=str(SCREENSHOT.with_name("phone-popup.png")))
    page.click(".leaflet-popup-close-button")
    page.locator(".leaflet-control-zoom").wait_for()  # the controls come back


def test_labels_do_not_overlap(context_factory: Any, sample_server: str) -> None:
    context = context_factory(viewport=PHONE)
    page, _ = _open(context, sample_server + "/map", sample_server)
    boxes = [
        t.bounding_box()
        for t in page.locator(".leaflet-tooltip.ar-label:not(.ar-label-hidden)").all()
    ]
    assert len(boxes) >= 3
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not _overlaps(a, b)


def test_a_shared_address_restores_the_state(context_factory: Any, sample_server: str) -> None:
    context = context_factory(viewport={"width": 1400, "height": 900})
    page, recorder = _open(context, sample_server + "/map?lang=ru", sample_server)
    page.select_option("#ar-profile", "public_health")
    page.wait_for_selector('table.ar-ranking[data-profile="public_health"]')
    page.select_option("#ar-method", "max")
    page.wait_for_selector('table.ar-ranking[data-method="max"]')
    page.check("#ar-ov-dust_days")
    page.click('button[data-order="exposed"]')
    page.click(f'{RANKING_ROWS}[data-code="KZ433200"]')
    page.locator(".leaflet-popup-content .ar-card").wait_for()
    wait_until(page, "location.hash.includes('district=KZ433200')")
    # The popup pans the map: read the address once it records where the map came to
    # rest, and the view in the same instant.
    wait_until(
        page,
        """() => {
            const view = new URLSearchParams(location.hash.slice(1)).get("view");
            if (!view) return false;
            const [lat, , zoom] = view.split(",").map(Number);
            const map = aralrisk.app.map;
            return Math.abs(lat - map.getCenter().lat) < 0.005 && zoom === map.getZoom();
        }""",
    )
    url, *view = page.evaluate(
        "[location.href, aralrisk.app.map.getCenter().lat, aralrisk.app.map.getZoom()]"
    )
    assert "lang=ru" in url and "profile=public_health" in url and "method=max" in url
    assert "layer=dust_days" in url and "order=exposed" in url and "view=" in url
    page.wait_for_load_state("networkidle")
    recorder.assert_clean()

    other = context_factory(viewport={"width": 1400, "height": 900})
    again, again_recorder = _open(other, url, sample_server)
    assert again.get_attribute("html", "lang") == "ru"
    assert again.input_value("#ar-profile") == "public_health"
    assert again.input_value("#ar-method") == "max"
    assert again.is_checked("#ar-ov-dust_days")
    assert again.get_attribute("table.ar-ranking", "data-order") == "exposed"
    card = again.locator(".leaflet-popup-content .ar-card")
    card.wait_for()
    assert card.get_attribute("data-code") == "KZ433200"
    restored = again.evaluate("[aralrisk.app.map.getCenter().lat, aralrisk.app.map.getZoom()]")
    assert restored[1] == view[1] and restored[0] == pytest.approx(view[0], abs=0.01)
    again.wait_for_load_state("networkidle")
    again_recorder.assert_clean()


def test_keyboard_focus_caption_and_contrast(context_factory: Any, sample_server: str) -> None:
    context = context_factory(viewport={"width": 1400, "height": 900})
    page, recorder = _open(context, sample_server + "/map", sample_server)
    assert page.locator("table.ar-ranking caption").inner_text().startswith("Districts ranked")
    # Space on a ranking row opens its district, as Enter does.
    row = page.locator(f'{RANKING_ROWS}[data-code="KZ435200"]')
    row.focus()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # a visible focus
    page.keyboard.press(" ")
    card = page.locator(".leaflet-popup-content .ar-card")
    card.wait_for()
    assert card.get_attribute("data-code") == "KZ435200"
    page.click(".leaflet-popup-close-button")
    # The focused map: Enter queries its centre.
    page.focus(".folium-map")
    page.keyboard.press("ArrowLeft")
    with page.expect_response(lambda r: "/point?" in r.url) as answer:
        page.keyboard.press("Enter")
    assert answer.value.status == 200
    page.locator(".ar-point-values").wait_for()
    # The coordinate form queries a point too.
    page.fill("#ar-point-lat", "44.85")
    page.fill("#ar-point-lon", "65.5")
    with page.expect_response(lambda r: "/point?" in r.url and "lat=44.85" in r.url):
        page.click("#ar-point-form button")
    page.locator(".ar-point-values").wait_for()
    assert "Kyzylorda" in page.inner_text(".leaflet-popup-content")
    page.wait_for_load_state("networkidle")
    # Every text of the panel and popup: contrast with its background at least 4.5:1.
    low = page.evaluate(CONTRAST_JS)
    assert low == []
    recorder.assert_clean()


def test_oblast_one_pager_in_the_browser(context_factory: Any, sample_server: str) -> None:
    context = context_factory(viewport={"width": 1000, "height": 1400})
    page = context.new_page()
    response = page.goto(sample_server + "/report?lang=ru")
    assert response is not None and response.status == 200
    assert page.locator("table.oblast-ranking tbody tr").count() == 9
    assert page.locator("table.oblast-ranking caption").count() == 1
    assert "Данные на" in page.inner_text("header")
    assert page.evaluate("document.querySelector('.oblast-map img').naturalWidth") > 500
    page.screenshot(path=str(SCREENSHOT.with_name("oblast.png")), full_page=True)
    with page.expect_navigation():
        page.click("text=Аральский район")
    assert page.inner_text("h1") == "Аральский район"
    # The report links back to the map (at the district) and on to its PDF.
    assert page.locator("a", has_text="Назад к карте").get_attribute("href") == (
        "../../map?lang=ru#district=KZ433200"
    )
    assert page.locator("a", has_text="Скачать PDF").get_attribute("href") == (
        "report?lang=ru&format=pdf"
    )
    assert page.locator(".report-others li").count() == 8


#: WCAG contrast of every visible text element of the panel and an open popup against
#: the first opaque background behind it; returns the ones under 4.5:1.
CONTRAST_JS = """() => {
  function rgb(text) {
    const m = text.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(',').map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  }
  function lum(c) {
    const f = [c.r, c.g, c.b].map(function (v) {
      v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * f[0] + 0.7152 * f[1] + 0.0722 * f[2];
  }
  function background(node) {
    for (let n = node; n; n = n.parentElement) {
      const c = rgb(getComputedStyle(n).backgroundColor);
      if (c && c.a > 0.5) return c;
    }
    return {r: 255, g: 255, b: 255, a: 1};
  }
  const low = [];
  const where = '#ar-panel *, .leaflet-popup-content *, .ar-map-legend *';
  const nodes = document.querySelectorAll(where);
  nodes.forEach(function (el) {
    const own = Array.from(el.childNodes).some(function (n) {
      return n.nodeType === 3 && n.textContent.trim();
    });
    if (!own || !el.offsetParent) return;
    const style = getComputedStyle(el);
    const fg = rgb(style.color);
    const bg = background(el);
    const a = lum(fg), b = lum(bg);
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) {
      const text = el.textContent.slice(0, 30);
      low.push(el.tagName + '.' + el.className + ' ' + ratio.toFixed(2) + ' ' + text);
    }
  });
  return low;
}"""
