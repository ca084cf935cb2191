"""``GET /districts/{code}/report``: the printable preparedness report, HTML and PDF."""

from __future__ import annotations

import html as html_lib
import logging
import re
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from aralrisk.api.map.guidance import guidance_for
from aralrisk.api.map.report import render_report
from aralrisk.geo import index
from aralrisk.layers.result import BuildResult, open_build
from tests import world

CLASSES = "INFORM Risk 2025 (v0.7.0)"


def _row(built: BuildResult, code: str) -> dict[str, object]:
    table = built.districts
    return dict(table.loc[table["code"] == code].iloc[0].to_dict())


def _text(fragment: str) -> str:
    """Visible text of an HTML fragment, whitespace collapsed."""
    text = " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())
    return re.sub(r" ([:;,.)])", r"\1", text)  # no space a closing tag left before these


def headline(page: str) -> dict[str, str]:
    """The text of the three headline boxes (risk, hazard, people), by box."""
    section = re.search(r'<section class="headline row".*?</section>', page, re.DOTALL)
    assert section is not None, "the report has no headline"
    boxes = re.findall(r'data-box="(\w+)">(.*?)</div>', section.group(0), re.DOTALL)
    return {name: _text(body) for name, body in boxes}


def test_headline_shows_risk_hazard_level_and_people_side_by_side(
    client: TestClient, built: BuildResult
) -> None:
    response = client.get("/districts/A/report")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    boxes = headline(response.text)
    assert list(boxes) == ["risk", "hazard", "people"]
    row = _row(built, "A")
    assert boxes["risk"] == (
        f"Risk · {CLASSES} classes Very High risk {row['risk']:.1f} / 10 · rank 1 of 4"
    )
    assert boxes["hazard"] == (
        "Hazard level · ThinkHazard! high hazard River flood, Salty groundwater, "
        "Dust and salt storms"
    )
    people = float(row["people_exposed"])  # type: ignore[arg-type]
    assert boxes["people"].startswith(f"People exposed to a hazard ≈ {people:,.0f} 100% of")
    assert 'class="badge third left hlevel-3"' in response.text  # the hazard-level colour


def test_report_has_every_hazard_level_rule_and_people_exposed(
    client: TestClient, built: BuildResult
) -> None:
    page = client.get("/districts/A/report").text
    text = html_lib.unescape(page)
    row = _row(built, "A")
    rows = dict(re.findall(r'<tr data-hazard="(\w+)"[^>]*>(.*?)</tr>', page, re.DOTALL))
    assert list(rows) == [*world.WEIGHTED_HAZARDS, "warming", "drought_status"]
    for hazard in built.registry.hazards:
        level = int(row[f"{hazard.id}_level"])  # type: ignore[call-overload]
        assert f'class="level level-{level}">{index.LEVEL_LABELS[level]}<' in rows[hazard.id]
        assert hazard.title in rows[hazard.id]
    flood = _text(rows["river_flood"])
    # A's river strip is deep enough for a high level, and the row says why and who.
    assert flood == (
        "River flood high River flood depth, 10-year return period above 0.5 m on ≥ 1% of "
        f"the area ≈ 8,000 20% {row['river_flood_exposure']:.1f} {row['river_flood_score']:.1f}"
    )
    assert "(context)" in _text(rows["warming"])
    assert "Alpha" in text and "Альфа" in text


def test_each_layer_names_its_statistic_and_both_means(
    client: TestClient, built: BuildResult
) -> None:
    page = client.get("/districts/A/report").text
    rows = {k: _text(v) for k, v in re.findall(r'<tr data-layer="(\w+)">(.*?)</tr>', page, re.S)}
    assert set(rows) == {s.id for s in built.registry.values() if s.spatial}
    row = _row(built, "A")
    salinity = rows["groundwater_salinity"]
    value, mean, pop_mean = (
        float(row[f"groundwater_salinity_{k}"])  # type: ignore[arg-type]
        for k in ("value", "mean", "pop_mean")
    )
    assert salinity == (
        f"Groundwater mineralization {value:.1f} g/L mean where people live "
        f"{mean:.2f} g/L {pop_mean:.1f} g/L high"
    )
    assert "mean over the district" in rows["dry_years"]
    # Population: the district value is people, its means are densities.
    assert rows["population"].startswith("Population density 40,000 people in the district")
    assert "people/km²" in rows["population"]
    for header in ("District value (scored)", "Mean over the district", "Mean where people live"):
        assert header in page


def test_vulnerability_and_lack_of_coping_with_their_categories(
    client: TestClient, built: BuildResult
) -> None:
    text = _text(client.get("/districts/A/report").text)
    row = _row(built, "A")
    v = row["vulnerability"]
    groups = row["vulnerability_vulnerable_groups"]
    economy = row["vulnerability_socio_economic"]
    assert (
        f"Vulnerability (vulnerable groups {groups:.1f}, "
        f"socio-economic vulnerability {economy:.1f}) {v:.1f}"
    ) in text
    lcc = row["lack_of_coping"]
    assert "Lack of coping capacity (access to health care " in text
    assert "Lack of coping capacity (indicators)" in text and f"{lcc:.1f}" in text
    assert "coping capacity" in text and "Coping" not in text
    # Children under 5: 12% of A's 40,000 people.
    assert "Children under 5 12.0 % of population" in text and "≈ 4,800" in text


def test_report_recommends_actions_for_each_hazard_level(
    client: TestClient, built: BuildResult
) -> None:
    text = html_lib.unescape(client.get("/districts/A/report").text)
    row = _row(built, "A")
    levels = {h: int(row[f"{h}_level"]) for h in world.WEIGHTED_HAZARDS}  # type: ignore[call-overload]
    advice = guidance_for(levels)
    # Highest level first; equal levels in catalog order.
    assert [t.id for t in advice] == ["river_flood", "salinity", "dust", "heat", "drought"]
    for topic in advice:
        assert f'data-topic="{topic.id}"' in text
        assert topic.advice.meaning in text
        for action in topic.advice.actions:
            assert action in text
    assert advice[0].level == index.HIGH
    assert "ice" in advice[0].advice.actions[0].lower()


def test_report_shows_drivers_with_people_and_names_the_release(
    client: TestClient, built: BuildResult
) -> None:
    page = client.get("/districts/A/report").text
    text = _text(page)
    row = _row(built, "A")
    for driver in row["drivers"]:  # type: ignore[attr-defined]
        people = f"≈ {driver['people_exposed']:,.0f} people exposed"
        assert f"{driver['title']} — {people}" in text
    assert f"the INFORM model with the {CLASSES} class cut-offs" in text
    assert built.version in text
    assert 'src="data:image/png;base64,' in page  # the map inset travels with the page
    assert "population ≈ 40,000 people" in text and "people/km² ·" not in text


def test_a_district_without_risk_is_not_ranked_and_says_why(unranked: BuildResult) -> None:
    page = render_report(unranked, "B")
    boxes = headline(page)
    assert boxes["risk"] == (
        f"Risk · {CLASSES} classes no data risk – / 10 · not ranked "
        "no data for vulnerability, lack of coping"
    )
    assert boxes["hazard"].startswith("Hazard level · ThinkHazard! medium hazard")
    assert "Data confidence low: no data for vulnerability, lack of coping." in _text(page)


def test_report_is_self_contained_under_a_strict_policy(client: TestClient) -> None:
    response = client.get("/districts/B/report")
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "connect-src 'none'" in policy
    assert "unsafe-inline" not in policy
    assert "http://" not in response.text and "https://" not in response.text


def test_illustrative_banner_only_on_illustrative_builds(built: BuildResult) -> None:
    assert "Illustrative sample data" not in render_report(built, "C")
    sample = replace(built, manifest={**built.manifest, "illustrative": True})
    assert "Illustrative sample data — not for decisions" in render_report(sample, "C")


def test_report_of_unknown_district_is_a_404_problem(client: TestClient) -> None:
    response = client.get("/districts/NOPE/report")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "NOPE" in response.json()["detail"]


def test_report_rejects_unknown_format(client: TestClient) -> None:
    assert client.get("/districts/A/report?format=docx").status_code == 422


@pytest.mark.slow
def test_pdf_report_is_one_page_and_the_planner_page(client: TestClient) -> None:
    weasyprint = pytest.importorskip("weasyprint")
    response = client.get("/districts/A/report?format=pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    # Named after the district and the date of its data (RFC 5987 form beside it).
    assert 'filename="Alpha-' in response.headers["content-disposition"]
    html = client.get("/districts/A/report").text
    # Page 1 the summary; page 2 (it breaks before) settlements, contacts and calendar:
    # a summary longer than a page would make three.
    assert len(weasyprint.HTML(string=html).render().pages) == 2


@pytest.mark.parametrize("lang", ["en", "kk"])
def test_printing_a_report_logs_no_css_warnings(
    client: TestClient, caplog: pytest.LogCaptureFixture, lang: str
) -> None:
    # The phone rules were "@media screen and (max-width: ...)", which WeasyPrint cannot
    # parse: every PDF logged two warnings per rule into the server's log.
    pytest.importorskip("weasyprint")
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        response = client.get(f"/districts/A/report?format=pdf&lang={lang}")
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    assert [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")] == []


@pytest.mark.slow
def test_every_hazard_high_still_prints_on_one_page_and_the_planner_page(
    built: BuildResult,
) -> None:
    weasyprint = pytest.importorskip("weasyprint")
    districts = built.districts.copy()
    for hazard in world.WEIGHTED_HAZARDS:
        districts[f"{hazard}_level"] = index.HIGH
    html = render_report(replace(built, districts=districts), "A")
    assert '<main class="page dense denser">' in html  # much advice: set tighter
    assert html.count('<article class="topic"') == len(world.WEIGHTED_HAZARDS)
    assert len(weasyprint.HTML(string=html).render().pages) == 2


def test_small_enclave_gets_a_report(client: TestClient) -> None:
    # D is smaller than a build cell: its values come from the small-zone rule.
    response = client.get(f"/districts/{world.IDS[3]}/report")
    assert response.status_code == 200
    assert "Delta" in response.text


def test_kyzylorda_city_shows_its_high_river_flood_beside_its_risk(
    sample_build_root: Path,
) -> None:
    sample = open_build(sample_build_root)
    row = sample.table().loc["KZ431000"]
    assert row["river_flood_level"] == index.HIGH
    page = render_report(sample, "KZ431000")
    boxes = headline(page)
    assert boxes["risk"].startswith(f"Risk · {CLASSES} classes {row['risk_class']} risk")
    assert f"rank {int(row['rank'])} of 9" in boxes["risk"]
    assert boxes["hazard"].startswith("Hazard level · ThinkHazard! high hazard")
    assert "River flood" in boxes["hazard"]
    assert f"≈ {row['people_exposed']:,.0f}" in boxes["people"]
    flood = re.search(r'<tr data-hazard="river_flood"[^>]*>(.*?)</tr>', page, re.DOTALL)
    assert flood is not None and 'class="level level-3">high<' in flood.group(1)


def test_baikonur_report_carries_its_note(sample_build_root: Path) -> None:
    sample = open_build(sample_build_root)
    note = sample.table().loc["KZ431900", "note"]
    assert "leased" in note
    text = _text(render_report(sample, "KZ431900"))
    assert f"Note: {note}" in text
    assert "population ≈" in text and "people" in text
