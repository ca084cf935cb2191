"""``aralrisk map --out DIR`` (or ``.zip``): the offline copy with reports, settlements and
point values, opened from ``file://`` with every request outside the folder blocked."""

from __future__ import annotations

import contextlib
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from aralrisk.api.cli import app
from aralrisk.layers.result import BuildResult
from tests.map.test_browser import READY


@pytest.fixture(scope="module")
def folder(build_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The offline copy, made with --build from the environment, run from elsewhere."""
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    out = elsewhere / "offline"
    runner = CliRunner()
    with contextlib.chdir(elsewhere):  # no ./build here: the environment names it
        result = runner.invoke(
            app,
            ["map", "--out", str(out), "--no-osm"],
            env={"ARALRISK_BUILD_DIR": str(build_root)},
        )
    assert result.exit_code == 0, result.output
    assert "wrote the offline copy of build" in result.output
    return out


def test_the_folder_holds_map_reports_places_and_readme(folder: Path, built: BuildResult) -> None:
    codes = list(built.districts["code"])
    assert (folder / "index.html").is_file()
    for code in codes:
        report = (folder / "reports" / f"{code}.html").read_text(encoding="utf-8")
        assert 'class="planner"' in report  # page 2 travels too
    pytest.importorskip("weasyprint")
    for code in codes:
        assert (folder / "reports" / f"{code}.pdf").read_bytes().startswith(b"%PDF-")
    assert (folder / "reports" / "oblast.html").is_file()
    assert (folder / "places.csv").read_bytes() == (built.path / "places.csv").read_bytes()
    assert (folder / "places.geojson").is_file()
    assert "index.html" in (folder / "README.txt").read_text(encoding="utf-8")


def test_every_report_link_stays_in_the_folder(folder: Path) -> None:
    reports = sorted((folder / "reports").glob("*.html"))
    assert len(reports) == 5  # four districts and the oblast
    for report in reports:
        html = report.read_text(encoding="utf-8")
        links = re.findall(r'href="([^"]+)"', html)
        assert any(link.startswith("../index.html") for link in links), report.name
        for link in links:
            if link.startswith("data:"):
                continue
            assert "://" not in link and not link.startswith("/"), link
            target = (report.parent / link.split("#")[0]).resolve()
            assert target.is_file() and folder.resolve() in target.parents, link


def test_a_zip_holds_the_same_folder(build_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "copy.zip"
    result = CliRunner().invoke(
        app, ["map", "--out", str(out), "--build", str(build_root), "--no-osm", "--lang", "ru"]
    )
    assert result.exit_code == 0, result.output
    names = set(zipfile.ZipFile(out).namelist())
    assert {"copy/index.html", "copy/reports/A.html", "copy/places.csv"} <= names
    page = zipfile.ZipFile(out).read("copy/index.html").decode("utf-8")
    assert '<html lang="ru"' in page


def test_a_single_html_file_still_works(build_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "map.html"
    result = CliRunner().invoke(app, ["map", "--out", str(out), "--build", str(build_root)])
    assert result.exit_code == 0, result.output
    assert out.is_file() and not (tmp_path / "reports").exists()


@pytest.mark.browser
def test_the_folder_works_from_file_with_the_network_blocked(
    browser: Any, folder: Path, client: TestClient
) -> None:
    root = folder.as_uri() + "/"
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    blocked: list[str] = []

    def only_the_folder(route: Any) -> None:
        url = route.request.url
        if url.startswith((root, "data:", "blob:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    context.route("**/*", only_the_folder)
    page = context.new_page()
    page.set_default_timeout(45_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(root + "index.html")
    page.wait_for_selector(READY)
    page.wait_for_selector('html[data-ar-places="1"]', state="attached")
    assert page.locator("path.ar-district").count() == 4

    # A click in A's flood strip: the point values come from the page itself.
    x, y = page.evaluate(
        """() => {
            const map = aralrisk.app.map;
            const p = map.latLngToContainerPoint([44.3, 60.5]);
            const box = map.getContainer().getBoundingClientRect();
            return [box.left + p.x, box.top + p.y];
        }"""
    )
    page.mouse.click(x, y)
    values = page.locator(".leaflet-popup-content .ar-point-values")
    values.wait_for()
    served = client.get("/point?lon=60.5&lat=44.3").json()
    flood = next(layer for layer in served["layers"] if layer["id"] == "flood_rp10")
    row = values.locator("tr").filter(has_text="10-year").inner_text()
    assert f"{flood['value']:.2f}".rstrip("0").rstrip(".") in row.replace(",", "")
    summary = page.inner_text(".ar-point-summary")
    assert "River flood" in summary  # exposed, as the live /point says
    assert served["exposed"] is True
    assert page.locator(".leaflet-popup-content .ar-nearest").count() == 1

    # The district card links its report inside the folder, and it opens.
    link = page.locator(".leaflet-popup-content a.ar-report-link").first
    link.wait_for()
    href = link.get_attribute("href")
    assert href == "reports/A.html"
    page.goto(root + href)
    assert page.inner_text("h1").startswith("Alpha")
    assert page.locator("section.planner").count() == 1
    # Back to the map from the report: the district the link names opens with its values.
    back = page.locator('a[href^="../index.html"]').first.get_attribute("href")
    page.goto(root + "reports/" + back)
    page.wait_for_selector(READY)
    page.wait_for_timeout(500)
    assert "live service" not in page.inner_text("body")
    assert blocked == [] and errors == []
    context.close()
