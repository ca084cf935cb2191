"""Page 2 of the district report: settlements at risk, contacts, season calendar, dates."""

from __future__ import annotations

import html as html_lib
import itertools
import re
from pathlib import Path
from typing import Any

import pytest

from aralrisk.api import hazards
from aralrisk.api.map import planner
from aralrisk.api.map.report import render_report
from aralrisk.geo import index
from aralrisk.geo.errors import ConfigError
from aralrisk.layers.result import BuildResult


def _text(fragment: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_the_planner_file_is_valid_and_sourced() -> None:
    data = planner.load_planner()
    contacts = {c.id: c for c in data.contacts}
    assert set(contacts) == {
        "emergency_department",
        "kazhydromet",
        "akimat_duty_officer",
        "emergency_112",
    }
    assert contacts["emergency_112"].phone == "112" and not contacts["emergency_112"].verify
    # No number without a published source: the others are to be verified locally.
    for contact in data.contacts:
        assert bool(contact.phone) <= bool(contact.source)
        if not contact.phone:
            assert contact.verify
    assert "ДЧС" in contacts["emergency_department"].name.ru
    seasons = {(t.hazard, t.months) for t in data.calendar}
    assert seasons == {
        ("river_flood", (10, 11)),
        ("river_flood", (12, 1, 2, 3)),
        ("dust", (3, 4, 5)),
        ("heat", (6, 7, 8)),
    }


def test_a_phone_without_a_source_is_refused(tmp_path: Path) -> None:
    text = planner.PLANNER_FILE.read_text(encoding="utf-8").replace(
        'phone = ""           # duty line', 'phone = "8 000 000"  # duty line', 1
    )
    bad = tmp_path / "planner.toml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="source"):
        planner.load_planner(bad)


def test_settlements_ranked_by_people_exposed(built: BuildResult) -> None:
    context = planner.planner_context(built, "A", "ru")
    names = [s.name for s in context["settlements"]]
    # Town (20,750 people, all exposed to salty water and dust) before the village (750).
    assert names == ["Городок", "Озенбойы"]
    town = context["settlements"][0]
    assert town.people == pytest.approx(20_750.0)
    assert town.children_under5 == pytest.approx(20_750 * 0.12)
    assert town.elderly_over65 == pytest.approx(20_750 * 0.08)
    assert context["settlements_total"] == 2 and context["radius_km"] == "10"
    assert "Қалашық" in town.other_names and "Town" in town.other_names


def test_calendar_lists_the_seasons_of_the_hazards_the_district_reaches(
    built: BuildResult,
) -> None:
    table = built.table()
    for code in table.index:
        context = planner.planner_context(built, str(code), "en")
        shown = {task["hazard"] for task in context["calendar"]}
        expected = {
            h for h in ("river_flood", "dust", "heat") if table.loc[code, f"{h}_level"] >= index.LOW
        }
        assert shown == expected, code
    a = planner.planner_context(built, "A", "kk")
    flood = [t for t in a["calendar"] if t["hazard"] == "river_flood"]
    assert [t["months"].index(True) + 1 for t in flood] == [10, 1]
    assert a["months"][0] == "қаң."  # January in Kazakh (CLDR)
    assert a["built"] == built.manifest["created"][:10]


def test_the_report_prints_page_two(built: BuildResult) -> None:
    page = render_report(built, "A")
    section = page[page.index('<section class="planner"') :]
    text = _text(section)
    assert "Settlements in high-hazard areas" in text
    rows = re.findall(r'<tr data-place="(\d+)">', section)
    assert rows == ["102", "101"]  # most people exposed first
    assert "≈ 20,750" in _text(re.search(r'<tr data-place="102">.*?</tr>', section, re.S)[0])
    assert "Children under 5" in text and "People over 65" in text
    assert "district's shares applied" in text
    contacts = dict(re.findall(r'<tr data-contact="(\w+)">(.*?)</tr>', section, re.S))
    assert "112" in _text(contacts["emergency_112"])
    assert "verify locally" in _text(contacts["emergency_department"])
    assert "verify locally" not in _text(contacts["emergency_112"])
    assert 'data-season="river_flood"' in section
    assert "Data valid for" in text and "1 January 2023" in text
    assert built.manifest["created"][:10] in text


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_no_english_hazard_or_layer_title_in_a_translated_report(
    built: BuildResult, lang: str
) -> None:
    # "Hot days" (the title "Hot days (maximum above 35 °C)" cut short before it was
    # translated) and the settlements' "Salty groundwater, Dust and salt storms" were
    # English on the Kazakh and Russian pages.
    page = _text(render_report(built, "A", lang=lang))
    titles = {h.title for h in built.registry.hazards}
    titles |= {hazards.short_title(spec.title) for spec in built.registry.values()}
    left = sorted(t for t in titles if re.search(rf"(?<!\w){re.escape(t)}(?!\w)", page))
    assert left == []
    # How old the data are, in the page's language ("1 January 2023 (national statistics
    # office; ...)" was English on every page).
    for validity in planner.load_planner().valid_for:
        assert validity.when.get(lang) in page and validity.when.en not in page


def _month_heads(box: Any, found: list[tuple[float, float]], inside: bool = False) -> None:
    """(left, right) of the text of every month head of the calendar, in page order."""
    element = getattr(box, "element", None)
    if element is not None and element.tag == "th":
        inside = "month" in (element.get("class") or "")
    if inside and type(box).__name__ == "TextBox":
        found.append((box.position_x, box.position_x + box.width))
    for child in getattr(box, "children", None) or []:
        _month_heads(child, found, inside)


@pytest.mark.parametrize("lang", ["en", "kk", "ru"])
def test_the_calendar_months_stand_apart_in_print(built: BuildResult, lang: str) -> None:
    # Abbreviated heads ran into each other in Russian ("мартапр.", "июньиюль"): the
    # printed columns are narrow, so they head with the narrow names, the abbreviated
    # one as each head's title.
    weasyprint = pytest.importorskip("weasyprint")
    page = render_report(built, "A", lang=lang)
    document = weasyprint.HTML(string=page).render()
    heads: list[tuple[float, float]] = []
    for printed in document.pages:
        _month_heads(printed._page_box, heads)
    assert len(heads) == 12
    gaps = [b[0] - a[1] for a, b in itertools.pairwise(heads)]
    assert min(gaps) >= 4.0, gaps  # CSS px between one month's text and the next
    titles = re.findall(r'<th class="month"><abbr title="([^"]+)">([^<]+)</abbr>', page)
    assert [t for t, _ in titles] == planner.month_names(lang)
    assert [n for _, n in titles] == planner.month_names(lang, "narrow")
