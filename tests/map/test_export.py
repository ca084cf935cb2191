"""``aralrisk map --out`` and ``aralrisk report``: files that work without a server."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from typer.testing import CliRunner

from aralrisk.api.cli import app
from aralrisk.layers.result import BuildResult
from tests.map.test_page import ALLOWED_ABSOLUTE, parse

#: Absolute URLs of the file that are not loads: the SVG namespace, Leaflet's attribution
#: link and a bug link in a comment of the inlined Leaflet code, and the OpenStreetMap
#: origin named by the file's own Content-Security-Policy.
NOT_LOADS = {
    "https://tile.openstreetmap.org",
    "http://www.w3.org/2000/svg",
    "https://leafletjs.com",
    "https://bugzilla.mozilla.org/show_bug.cgi?id=888319",
}


@pytest.fixture(scope="module")
def exported(build_root: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("export") / "map.html"
    result = CliRunner().invoke(app, ["map", "--out", str(out), "--build", str(build_root)])
    assert result.exit_code == 0, result.output
    assert "wrote the map of build" in result.output
    return out.read_text(encoding="utf-8")


def test_export_loads_nothing_from_the_internet(exported: str) -> None:
    refs = parse(exported)
    for url in refs.urls:
        assert urlsplit(url).scheme == "data", url
    # CSS may only point at inlined pictures.
    styles = "".join(re.findall(r"<style>(.*?)</style>", exported, flags=re.DOTALL))
    targets = re.findall(r"url\(([^)]*)\)", styles)
    assert targets  # Leaflet's control images
    for target in targets:
        assert target.startswith(("data:", "#")), target
    absolute = set(re.findall(r"https?://[^\"'\s<>\\);]+", exported))
    assert absolute <= ALLOWED_ABSOLUTE | NOT_LOADS, absolute - ALLOWED_ABSOLUTE
    # And the file's own policy forbids any other load.
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', exported)
    assert policy is not None
    assert "connect-src 'none'" in policy.group(1)
    assert "img-src 'self' data: https://tile.openstreetmap.org;" in policy.group(1)


def test_export_embeds_districts_and_pictures(exported: str, built: BuildResult) -> None:
    config = json.loads(parse(exported).json_blocks["ar-config"])
    assert config["mode"] == "static"
    data = config["embedded"]
    assert set(data["districts"]) == set(built.districts["code"])
    profiles = [p["id"] for p in data["profiles"]["profiles"]]
    assert set(profiles) == {"equal", "public_health", "agriculture", "infrastructure"}
    assert set(data["scores"]) == {f"{p}|{m}" for p in profiles for m in ("geometric", "max")}
    equal = data["scores"]["equal|geometric"]
    assert equal["order"] == list(built.districts["code"])  # the build's own ranking
    table = built.table()
    for code, props in equal["properties"].items():
        assert props["rank"] == int(table.loc[code, "rank"])
        assert props["hazard_level"] == table.loc[code, "hazard_level"]
        assert props["hazard_level_hazards"] == table.loc[code, "hazard_level_hazards"]
        # Weight-free properties travel once, with the outline.
        shape = data["districts"][code]["properties"]
        assert shape["people_exposed"] == pytest.approx(table.loc[code, "people_exposed"])
        assert shape["river_flood_level"] == table.loc[code, "river_flood_level"]
    pictures = {
        "hillshade",
        "flood_rp10",
        "exposed",
        "vulnerability",
        "lack_of_coping",
        "hazard|equal|geometric",
        "hazard|public_health|max",
    }
    for picture in pictures:
        assert data["images"][picture]["url"].startswith("data:image/png;base64,")
    assert not any(key.startswith("risk|") or key == "coping" for key in data["images"])
    assert data["layers"]["classes"] == "INFORM Risk 2025 (v0.7.0)"
    assert [s["id"] for s in data["layers"]["surfaces"]] == [
        "composite",
        "exposed",
        "vulnerability",
        "lack_of_coping",
    ]
    south_west, north_east = data["images"]["hazard|equal|geometric"]["bounds"]
    assert south_west == pytest.approx([44.0, 60.0], abs=0.06)
    assert north_east == pytest.approx([45.0, 62.0], abs=0.06)


def test_report_command_writes_html_and_pdf(build_root: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    html_file = tmp_path / "a.html"
    result = runner.invoke(
        app, ["report", "A", "--out", str(html_file), "--build", str(build_root)]
    )
    assert result.exit_code == 0, result.output
    assert "Alpha" in html_file.read_text(encoding="utf-8")
    pdf_file = tmp_path / "a.pdf"
    result = runner.invoke(app, ["report", "A", "--out", str(pdf_file), "--build", str(build_root)])
    assert result.exit_code == 0, result.output
    assert pdf_file.read_bytes().startswith(b"%PDF")


def test_commands_print_hazard_level_and_people_beside_risk(
    build_root: Path, built: BuildResult, tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        app, ["report", "A", "--out", str(tmp_path / "a.html"), "--build", str(build_root)]
    )
    assert result.exit_code == 0, result.output
    line = result.output.splitlines()[-1]
    row = built.table().loc["A"]
    assert line.startswith(f" 1  A  Alpha            risk  {row['risk']:.1f} Very High")
    assert f"hazard high     exposed {row['people_exposed']:>9,.0f}" in line
    assert "high hazards: river_flood, salinity, dust" in line
    assert "drivers: " + ", ".join(d["hazard"] for d in row["drivers"]) in line


def test_summary_line_of_an_unranked_district(unranked: BuildResult) -> None:
    from aralrisk.api.cli import summary_line

    line = summary_line("B", unranked.table().loc["B"].to_dict())
    assert line.startswith(" —  B  Bravo            risk    – no data")
    assert "hazard medium   exposed" in line


def test_report_command_names_the_districts_for_an_unknown_code(build_root: Path) -> None:
    result = CliRunner().invoke(app, ["report", "NOPE", "--build", str(build_root)])
    assert result.exit_code == 2
    assert "unknown district 'NOPE'" in result.output and "A, B, C, D" in result.output


def test_build_help_names_the_hazards_weights_apply_to() -> None:
    from aralrisk.layers.registry import load_catalog

    result = CliRunner().invoke(app, ["build", "--help"], env={"COLUMNS": "250"})
    assert result.exit_code == 0
    text = " ".join(result.output.replace("│", " ").split())
    catalog = load_catalog()
    weighted = ", ".join(h.id for h in catalog.weighted_hazards)
    context = ", ".join(h.id for h in catalog.hazards if h.context)
    assert f"(hazards: {weighted}; context: {context})" in text
    assert "'dust:2,river_flood:1'" in text and "'flood_rp10:2'" in text


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_single_file_export_speaks_the_asked_language(
    build_root: Path, tmp_path: Path, lang: str
) -> None:
    from aralrisk.api import i18n

    out = tmp_path / "map.html"
    args = ["map", "--out", str(out), "--build", str(build_root), "--no-osm", "--lang", lang]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert f'<html lang="{lang}"' in html
    # The scripts' catalogue is embedded in that language.
    assert i18n.translator(lang)("Forecast day") in html


def test_export_refuses_an_unknown_language(build_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "map.html"
    args = ["map", "--out", str(out), "--build", str(build_root), "--lang", "de"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "unknown language 'de'; choose kk, ru or en" in result.output
    assert not out.exists()
