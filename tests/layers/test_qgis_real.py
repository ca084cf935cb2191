"""A build's ``aralrisk.qgs`` opened in a real QGIS (Debian's python3-qgis), as a user would.

The XML tests (test_qgis_project.py) check what we write; this one checks what QGIS makes
of it: every layer of the tree found and valid under the id we gave it, drawn with the
renderer we wrote, and the districts painted in their risk classes' colours.
Without ``python3-qgis`` these tests are skipped, except on CI (``.ci/run`` installs it).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import numpy.typing as npt
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from pyproj import Transformer

from aralrisk.api.settings import Settings
from aralrisk.layers import qgis_project, qgis_symbols
from aralrisk.layers.result import BuildResult, classes_from_manifest
from aralrisk.layers.specs import EXPOSED_COLORS, score_legend
from tests.api.test_gdal_wms import README_URL, readme_section
from tests.map.conftest import serve

#: Debian's Python, which the python3-qgis package serves.
QGIS_PYTHON = Path("/usr/bin/python3")
HELPER = Path(__file__).with_name("qgis_open.py")


@cache
def _qgis_available() -> bool:
    """Whether Debian's Python imports QGIS (asked once per test process)."""
    if not QGIS_PYTHON.exists():
        return False
    probe = subprocess.run(
        [str(QGIS_PYTHON), "-c", "import qgis.core"], capture_output=True, env=_env(), check=False
    )
    return probe.returncode == 0


def _env(home: Path | None = None) -> dict[str, str]:
    """The environment for Debian's Python: none of this project's Python paths."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    # The live test server is on loopback: never through a proxy a machine may set.
    env |= {"NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    if home is not None:
        # QGIS writes its profile under HOME: keep it out of the user's.
        env |= {"HOME": str(home), "XDG_RUNTIME_DIR": str(home)}
    return env


def _run_qgis(job: dict[str, Any], home: Path) -> dict[str, Any]:
    """Run the helper on ``job`` in Debian's Python; what QGIS saw (see qgis_open.py)."""
    if not _qgis_available():
        if os.environ.get("CI"):
            pytest.fail("python3-qgis is missing on CI: .ci/run installs it with apt-get")
        pytest.skip("QGIS is not installed (apt-get install python3-qgis); CI runs these")
    home.chmod(0o700)
    (home / "job.json").write_text(json.dumps(job), encoding="utf-8")
    done = subprocess.run(
        [str(QGIS_PYTHON), str(HELPER), str(home / "job.json")],
        capture_output=True,
        text=True,
        env=_env(home),
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return seen


def _image(png: Path) -> npt.NDArray[np.int16] | None:
    """The PNG's RGBA pixels, or None when QGIS drew nothing."""
    return np.asarray(Image.open(png).convert("RGBA"), dtype=np.int16) if png.is_file() else None


@pytest.fixture(scope="module")
def opened(built: BuildResult, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What QGIS read from the tiny world's project, and its visible layers drawn."""
    home = tmp_path_factory.mktemp("qgis-home")
    png = home / "project.png"
    result = _run_qgis(
        {"project": str(built.path / qgis_project.PROJECT_FILE), "png": str(png)}, home
    )
    # No picture when QGIS found no districts layer to draw.
    image = _image(png)
    result["image"] = None if image is None else image[..., :3]
    return result


def _written(built: BuildResult) -> ET.Element:
    return ET.parse(built.path / qgis_project.PROJECT_FILE).getroot()  # noqa: S314 - ours


def test_qgis_finds_every_layer_of_the_tree_under_its_id(
    opened: dict[str, Any], built: BuildResult
) -> None:
    assert opened["read"] is True
    root = _written(built)
    written = [m.findtext("id") for m in root.findall("projectlayers/maplayer")]
    # Every id kept as written: none replaced (QGIS replaces ids of 10 characters or
    # fewer, and the tree then names layers that do not exist).
    assert opened["ids"] == sorted(written)
    tree = opened["tree"]
    assert [t["id"] for t in tree] == [t.get("id") for t in root.iter("layer-tree-layer")]
    assert [t["name"] for t in tree] == [t.get("name") for t in root.iter("layer-tree-layer")]
    assert all(t["valid"] for t in tree), [t["name"] for t in tree if not t["valid"]]


def test_qgis_draws_with_the_renderers_written(opened: dict[str, Any], built: BuildResult) -> None:
    kinds = {m.findtext("id"): m.get("type") for m in _written(built).iter("maplayer")}
    for layer in opened["tree"]:
        expected = {
            "vector": "QgsCategorizedSymbolRenderer",
            "raster": "QgsSingleBandPseudoColorRenderer",
        }[kinds[layer["id"]]]
        assert layer["renderer"] == expected, layer["name"]
    on = {t["id"] for t in opened["tree"] if t["visible"]}
    assert "aralrisk_districts" in on
    assert on <= {"aralrisk_districts", "aralrisk_places"}


def test_qgis_paints_the_districts_in_their_risk_colours(
    opened: dict[str, Any], built: BuildResult
) -> None:
    image = opened["image"]
    assert image is not None, "QGIS found no districts layer in the tree to draw"
    colours = {
        c.label: c.color for c in qgis_symbols.risk_classes(classes_from_manifest(built.manifest))
    }
    shown = set(built.table()["risk_class"].dropna())
    assert shown  # the tiny world has risk classes
    for label, colour in colours.items():
        rgb = np.array([int(colour.lstrip("#")[k : k + 2], 16) for k in (0, 2, 4)])
        pixels = int((np.abs(image - rgb).max(axis=-1) <= 2).sum())
        if label in shown:
            # A district is at least a few thousand of the 400,000 pixels.
            assert pixels > 2000, (label, colour, pixels)
        else:
            assert pixels == 0, (label, colour, pixels)
    white = int((image == 255).all(axis=-1).sum())
    assert white < image.shape[0] * image.shape[1] // 2  # the districts fill the view


def test_qgis_styles_each_file_added_on_its_own(opened: dict[str, Any], built: BuildResult) -> None:
    files = opened["files"]
    classes = classes_from_manifest(built.manifest)
    # The districts from their GeoPackage's layer_styles: the risk classes' colours.
    risk = [c.color for c in qgis_symbols.risk_classes(classes)]
    for name in ("districts.gpkg", "districts_input.gpkg"):
        assert files[name]["valid"] and files[name]["renderer"] == "QgsCategorizedSymbolRenderer"
        assert files[name]["colours"] == risk
    # The settlements from theirs: the hazard levels' colours, labelled.
    places = files["places.gpkg"]
    assert places["renderer"] == "QgsCategorizedSymbolRenderer"
    assert places["colours"] == [c.color for c in qgis_symbols.level_classes()]
    assert places["labels"] and not files["districts.gpkg"]["labels"]
    # Every raster the README says is styled, from its .qml: scores in the score
    # classes, raw layers in the catalogue's level colours.
    scores = [c.color for c in score_legend(classes)]
    rasters = {n: f for n, f in files.items() if n.endswith(".tif")}
    expected = {"composite.tif", "vulnerability.tif", "lack_of_coping.tif", "exposed.tif"}
    for meta in built.manifest["layers"].values():
        if "raw" in meta:
            expected |= {meta["raw"], meta["score"]}
    assert set(rasters) == expected
    for name, found in rasters.items():
        assert found["valid"] and found["renderer"] == "QgsSingleBandPseudoColorRenderer", name
        if name == "exposed.tif":
            # As on the map's tiles; cells where nobody is exposed are not drawn.
            assert found["colours"] == ["#ffffff", *EXPOSED_COLORS]
            assert found["alphas"] == [0] + [255] * len(EXPOSED_COLORS)
        elif name.endswith(".score.tif") or "/" not in name:
            assert found["colours"] == scores, name
        else:
            layer_id = Path(name).stem
            assert found["colours"] == list(built.registry[layer_id].colors or ()), name


def _readme_xyz_source() -> str:
    """The PyQGIS source string of the README's "QGIS and GDAL" section."""
    match = re.search(r"```\n(type=xyz&[^\n]+)\n```", readme_section())
    assert match is not None, "the README's QGIS and GDAL section has no XYZ source string"
    return match.group(1)


def test_qgis_adds_the_readme_xyz_connection(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> None:
    home = tmp_path_factory.mktemp("qgis-xyz")
    with serve(settings) as base:
        doc = httpx.get(f"{base}/layers/dust_days/tilejson.json", timeout=30).json()
        legend = httpx.get(f"{base}/layers/dust_days", timeout=30).json()["legend"]
        source = _readme_xyz_source()
        # The README's source string, for this server and the tiny world's zooms.
        source = source.replace(README_URL, base)
        source = re.sub(r"zmin=\d+", f"zmin={doc['minzoom']}", source)
        source = re.sub(r"zmax=\d+", f"zmax={doc['maxzoom']}", source)
        west, south, east, north = doc["bounds"]
        to_mercator = Transformer.from_crs(4326, 3857, always_xy=True)
        extent = list(to_mercator.transform_bounds(west, south, east, north))
        png = home / "xyz.png"
        seen = _run_qgis({"xyz": source, "xyz_extent": extent, "xyz_png": str(png)}, home)
    assert seen["xyz"] == {"valid": True, "crs": "EPSG:3857"}
    image = _image(png)
    assert image is not None
    opaque = image[image[..., 3] == 255][:, :3]
    # The layer fills much of its own bounds, in the legend's colours.
    assert len(opaque) > 0.2 * image.shape[0] * image.shape[1]
    colours = np.array([[int(c["color"][k : k + 2], 16) for k in (1, 3, 5)] for c in legend])
    nearest = np.abs(opaque[:, None, :] - colours[None, :, :]).max(axis=-1).min(axis=1)
    assert np.mean(nearest <= 2) > 0.9, np.unique(nearest, return_counts=True)


def test_qgis_reads_the_district_tables_with_their_types(
    built: BuildResult, client: TestClient, tmp_path_factory: pytest.TempPathFactory
) -> None:
    home = tmp_path_factory.mktemp("qgis-csv")
    downloaded = home / "districts.csv"
    downloaded.write_bytes(client.get("/districts.csv").content)
    built_csv = built.path / "districts.csv"
    seen = _run_qgis({"csv": [str(built_csv), str(downloaded)]}, home)["csv"]
    for path in (built_csv, downloaded):
        # "Add Delimited Text Layer": either file with its numbers as numbers, Cyrillic
        # names intact (UTF-8 with a byte-order mark) and a clean first header.
        table = seen[str(path)]["delimitedtext"]
        assert table["valid"] and table["rows"] == len(built.districts), path
        types = dict(table["fields"])
        assert table["fields"][0] == ["code", "text"], path
        assert types["risk"] == "double" and types["dust_days_level"] == "integer", path
        assert re.fullmatch(r"[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі ()-]+", table["text"]["name_ru"]), path
    # Dropped in (OGR): the build's table is typed by the .csvt beside it.
    table = seen[str(built_csv)]["ogr"]
    csvt = (built.path / "districts.csvt").read_text(encoding="utf-8").strip().split(",")
    assert [t for _, t in table["fields"]] == [t.strip('"') for t in csvt]
    assert dict(table["fields"])["risk"] == "Real"
    assert table["text"]["name_ru"] == seen[str(built_csv)]["delimitedtext"]["text"]["name_ru"]
