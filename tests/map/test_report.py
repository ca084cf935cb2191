"""``GET /districts/{code}/report``: the printable preparedness report, HTML and PDF."""

from __future__ import annotations

import html as html_lib
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from api.map.guidance import default_guidance, guidance_for
from api.map.report import render_report, threshold_text
from geo import index
from layers.result import BuildResult
from tests import world


def _row(built: BuildResult, code: str) -> dict[str, object]:
    table = built.districts
    return dict(table.loc[table["code"] == code].iloc[0].to_dict())


def test_report_has_every_hazard_level_and_threshold(
    client: TestClient, built: BuildResult
) -> None:
    response = client.get("/districts/A/report")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    text = html_lib.unescape(response.text)
    row = _row(built, "A")
    for spec in built.registry.hazards:
        level = int(row[f"{spec.id}_level"])  # type: ignore[call-overload]
        assert f'data-layer="{spec.id}"' in response.text
        assert spec.title in text
        assert f'class="level level-{level}">{index.LEVEL_LABELS[level]}<' in text
        assert threshold_text(spec, level) in text
    # A's river strip is deep enough for a high 10-year flood level, and it says why.
    assert int(row["flood_rp10_level"]) == index.HIGH  # type: ignore[call-overload]
    assert "> 0.5 m on ≥ 1% of the area" in text
    assert "Alpha" in text and "Альфа" in text


def test_report_recommends_actions_for_each_hazard_level(
    client: TestClient, built: BuildResult
) -> None:
    text = html_lib.unescape(client.get("/districts/A/report").text)
    row = _row(built, "A")
    levels = {s.id: int(row[f"{s.id}_level"]) for s in built.registry.hazards}  # type: ignore[call-overload]
    advice = guidance_for(levels)
    assert {t.id for t in advice} == set(default_guidance().topics)
    for topic in advice:
        assert f'data-topic="{topic.id}"' in text
        assert topic.advice.meaning in text
        for action in topic.advice.actions:
            assert action in text
    flood = next(t for t in advice if t.id == "flood")
    assert flood.level == index.HIGH
    assert "ice" in flood.advice.actions[0].lower()


def test_report_shows_people_exposed_and_drivers(client: TestClient, built: BuildResult) -> None:
    text = html_lib.unescape(client.get("/districts/A/report").text)
    row = _row(built, "A")
    # Children under 5: 12% of A's 40,000 people.
    assert "Children under 5" in text and "≈ 4,800" in text
    assert f"rank {row['rank']} of {len(built.districts)}" in text
    for driver in row["drivers"]:  # type: ignore[attr-defined]
        assert driver["title"] in text
    assert built.version in text
    assert 'src="data:image/png;base64,' in text  # the map inset travels with the page


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
def test_pdf_report_is_one_page(client: TestClient) -> None:
    weasyprint = pytest.importorskip("weasyprint")
    response = client.get("/districts/A/report?format=pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert 'filename="report-A.pdf"' in response.headers["content-disposition"]
    html = client.get("/districts/A/report").text
    assert len(weasyprint.HTML(string=html).render().pages) == 1


def test_small_enclave_gets_a_report(client: TestClient) -> None:
    # D is smaller than a build cell: its values come from the small-zone rule.
    response = client.get(f"/districts/{world.IDS[3]}/report")
    assert response.status_code == 200
    assert "Delta" in response.text
