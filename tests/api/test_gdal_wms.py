"""GDAL's WMS/TMS driver reads a layer over the whole oblast with the README's XML.

Issue 13, finding 7: tiles outside a layer's data answered 404, so GDAL (and QGIS's
"Add Raster Layer" on such an XML) failed on any window reaching past the data unless
told ``<ZeroBlockHttpCodes>``. The README's XML, exactly as written there (only the
port changed), must read the oblast from a live server on the sample build: real
pixels in the legend's colours where there is data, transparent around it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
import rasterio
from rasterio.warp import transform_bounds
from rasterio.windows import from_bounds

from aralrisk.api.settings import Settings
from tests.map.conftest import serve

REPO = Path(__file__).resolve().parents[2]
README_URL = "http://127.0.0.1:8000"
#: Degrees read around the layer's bounds.
MARGIN = 12.0


def readme_section() -> str:
    """The README from its "QGIS and GDAL" section on (the URL there is :data:`README_URL`)."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return text[text.index("## QGIS and GDAL") :]


def readme_xml() -> str:
    """The ``<GDAL_WMS>`` document of the README's "QGIS and GDAL" section."""
    match = re.search(r"```xml\n(.*?)```", readme_section(), flags=re.DOTALL)
    assert match is not None, "the README's QGIS and GDAL section has no XML block"
    return match.group(1)


@pytest.fixture(scope="module")
def sample_base(sample_build_root: Path) -> Iterator[str]:
    """Base URL of a live server (uvicorn, loopback) on the embedded sample's build."""
    with serve(Settings(build_dir=sample_build_root)) as base:
        yield base


def _hex(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def test_readme_xml_stays_inside_the_layer_zooms(sample_base: str) -> None:
    xml = readme_xml()
    assert "ZeroBlockHttpCodes" not in xml
    assert f"<ServerUrl>{README_URL}/layers/dust_days/tiles/${{z}}/${{x}}/${{y}}.png" in xml
    doc = httpx.get(f"{sample_base}/layers/dust_days/tilejson.json", timeout=30).json()
    level = int(re.findall(r"<TileLevel>(\d+)</TileLevel>", xml)[0])
    overviews = int(re.findall(r"<OverviewCount>(\d+)</OverviewCount>", xml)[0])
    # GDAL asks for zooms level-overviews .. level only: all inside the layer's range.
    assert doc["minzoom"] <= level - overviews and level <= doc["maxzoom"]


@pytest.mark.parametrize("decimation", [1, 4], ids=["native zoom", "overviews"])
def test_gdal_reads_the_whole_oblast_through_the_readme_xml(
    sample_base: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, decimation: int
) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")  # curl must not use a proxy
    path = tmp_path / "dust_days.xml"
    path.write_text(readme_xml().replace(README_URL, sample_base), encoding="utf-8")
    doc = httpx.get(f"{sample_base}/layers/dust_days/tilejson.json", timeout=30).json()
    legend = httpx.get(f"{sample_base}/layers/dust_days", timeout=30).json()["legend"]
    colors = {_hex(c["color"]) for c in legend}
    west, south, east, north = doc["bounds"]
    with rasterio.Env(GDAL_HTTP_TIMEOUT="60"), rasterio.open(path) as dataset:
        assert dataset.driver == "WMS"
        assert dataset.crs.to_epsg() == 3857
        assert dataset.count == 4
        # The oblast and a margin wider than a tile at zoom 5 (11.25 degrees): whole
        # tiles around it lie outside the data, at the native zoom and the overviews.
        left, bottom, right, top = transform_bounds(
            "EPSG:4326", dataset.crs, west - MARGIN, south - MARGIN, east + MARGIN, north + MARGIN
        )
        window = from_bounds(left, bottom, right, top, dataset.transform)
        window = window.round_offsets().round_lengths()
        shape = (4, int(window.height) // decimation, int(window.width) // decimation)
        pixels = dataset.read(window=window, out_shape=shape)
    rgb, alpha = pixels[:3], pixels[3]
    assert alpha.shape[0] > 50 and alpha.shape[1] > 50
    opaque = alpha == 255
    # Data over the oblast, transparent in the margin around it.
    assert 0.02 < opaque.mean() < 0.5
    # Nothing in the margin: rows and columns a third of the margin away are empty.
    rows, cols = np.nonzero(opaque)
    height, width = alpha.shape
    assert rows.min() > height * 0.1 and rows.max() < height * 0.9
    assert cols.min() > width * 0.2 and cols.max() < width * 0.8
    # Where there is data, the pixels are the legend's colours (nearest neighbour).
    seen = {tuple(int(v) for v in rgb[:, r, c]) for r, c in zip(*np.nonzero(opaque), strict=True)}
    assert seen <= colors, seen - colors
    assert len(seen) >= 2  # more than one dust class over the oblast
    # The oblast's centre has data.
    centre = pixels[:, alpha.shape[0] // 2, alpha.shape[1] // 2]
    assert centre[3] == 255 and tuple(int(v) for v in centre[:3]) in colors
