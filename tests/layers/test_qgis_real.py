"""A build's ``aralrisk.qgs`` opened in a real QGIS (Debian's python3-qgis), as a user would.

The XML tests (test_qgis_project.py) check what we write; this one checks what QGIS makes
of it: every layer of the tree found and valid under the id we gave it, drawn with the
renderer we wrote, and the districts painted in their risk classes' colours.
Without ``python3-qgis`` these tests are skipped, except on CI (``.ci/run`` installs it).
"""

from __future__ import annotations

import json
import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from aralrisk.layers import qgis_project, qgis_symbols
from aralrisk.layers.result import BuildResult, classes_from_manifest
from aralrisk.layers.specs import EXPOSED_COLORS, score_legend

#: Debian's Python, which the python3-qgis package serves.
QGIS_PYTHON = Path("/usr/bin/python3")
HELPER = Path(__file__).with_name("qgis_open.py")


def _qgis_available() -> bool:
    if not QGIS_PYTHON.exists():
        return False
    probe = subprocess.run(
        [str(QGIS_PYTHON), "-c", "import qgis.core"], capture_output=True, env=_env(), check=False
    )
    return probe.returncode == 0


def _env(home: Path | None = None) -> dict[str, str]:
    """The environment for Debian's Python: none of this project's Python paths."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    if home is not None:
        # QGIS writes its profile under HOME: keep it out of the user's.
        env |= {"HOME": str(home), "XDG_RUNTIME_DIR": str(home)}
    return env


@pytest.fixture(scope="module")
def opened(built: BuildResult, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What QGIS read from the tiny world's project, and its visible layers drawn."""
    if not _qgis_available():
        if os.environ.get("CI"):
            pytest.fail("python3-qgis is missing on CI: .ci/run installs it with apt-get")
        pytest.skip("QGIS is not installed (apt-get install python3-qgis); CI runs these")
    home = tmp_path_factory.mktemp("qgis-home")
    home.chmod(0o700)
    png = home / "project.png"
    done = subprocess.run(
        [str(QGIS_PYTHON), str(HELPER), str(built.path / qgis_project.PROJECT_FILE), str(png)],
        capture_output=True,
        text=True,
        env=_env(home),
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    # No picture when QGIS found no districts layer to draw.
    drawn = png.is_file()
    result["image"] = np.asarray(Image.open(png).convert("RGB"), dtype=np.int16) if drawn else None
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
