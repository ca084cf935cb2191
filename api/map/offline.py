"""``aralrisk map --out DIR`` (or ``DIR.zip``): the offline copy with its reports.

A folder a planner copies to a USB stick and opens from ``file://`` with no network:

* ``index.html`` — the map (:func:`api.map.export.export_map`), which also embeds the
  settlements and the values of every spatial layer on the build grid, so a click
  shows the same point values as the live ``/point`` (the cell holding the point);
* ``reports/<code>.html`` — every district report, and ``reports/<code>.pdf`` when
  weasyprint is installed; the map's cards link to them;
* ``places.geojson`` and ``places.csv`` — the settlements, as the build wrote them;
* ``README.txt`` — what the folder holds.

Point values travel compactly: each layer's cells quantised to 16 bits between its own
minimum and maximum (a step of 1/65,534 of its range, far below any threshold's
precision), gzip-compressed and base64-encoded inside the page; the page unpacks them
with the browser's ``DecompressionStream``. The grid is the build's when it is in
EPSG:4326, else the build rasters are warped (nearest neighbour) to EPSG:4326 at about
the same cell size.
"""

from __future__ import annotations

import base64
import gzip
import math
import re
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from rasterio.enums import Resampling
from rasterio.vrt import WarpedVRT

from aralrisk.api import i18n
from aralrisk.api.map.export import export_map
from aralrisk.api.map.report import (
    PdfUnavailable,
    render_oblast_report,
    render_report,
    report_pdf,
)
from aralrisk.geo.errors import NotFoundError
from aralrisk.layers.result import BuildResult

#: Marker of the quantised no-data value.
NODATA_Q = 65535


def _quantised(values: np.ndarray) -> dict[str, Any]:
    """A float grid as offset + scale x uint16 (65535 = no data), gzip + base64."""
    finite = np.isfinite(values)
    low = float(values[finite].min()) if finite.any() else 0.0
    high = float(values[finite].max()) if finite.any() else 0.0
    scale = (high - low) / (NODATA_Q - 1) if high > low else 1.0
    q = np.full(values.shape, NODATA_Q, dtype="<u2")
    q[finite] = np.round((values[finite] - low) / scale).astype("<u2")
    packed = gzip.compress(q.tobytes(), compresslevel=9, mtime=0)
    return {"offset": low, "scale": scale, "data": base64.b64encode(packed).decode("ascii")}


def _read_lonlat(path: Path) -> tuple[np.ndarray, dict[str, float | int]]:
    """A build raster's values on a lon/lat grid (its own if EPSG:4326), and that grid."""
    with rasterio.open(path) as ds:
        if ds.crs is not None and ds.crs.to_epsg() == 4326:
            values = ds.read(1, masked=True).astype(np.float64).filled(np.nan)
            t = ds.transform
            grid = {"west": t.c, "north": t.f, "dx": t.a, "dy": -t.e}
            grid |= {"width": ds.width, "height": ds.height}
            return values, grid
        with WarpedVRT(ds, crs="EPSG:4326", resampling=Resampling.nearest) as vrt:
            values = vrt.read(1, masked=True).astype(np.float64).filled(np.nan)
            t = vrt.transform
            grid = {"west": t.c, "north": t.f, "dx": t.a, "dy": -t.e}
            grid |= {"width": vrt.width, "height": vrt.height}
            return values, grid


def point_values(build: BuildResult) -> dict[str, Any]:
    """What the offline page needs to answer a click as ``/point`` does.

    ``grid`` (west, north, dx, dy in degrees; width, height in cells), per spatial layer
    its English ``title`` (translated on the page), ``units``, ``levels`` (its class
    thresholds) and its packed values, the ``composite`` hazard (build weights), and
    the hazards' ``exposure`` rules.
    """
    built = build.manifest.get("layers", {})
    layers, grid = [], None
    for spec in build.registry.values():
        if not spec.spatial or "raw" not in built.get(spec.id, {}):
            continue
        values, grid = _read_lonlat(build.raster(spec.id))
        layers.append(
            {
                "id": spec.id,
                "title": spec.title,
                "units": spec.units_label,
                "role": spec.role,
                "levels": list(spec.levels) if spec.role == "hazard" and spec.levels else None,
                **_quantised(values),
            }
        )
    composite = None
    try:
        values, grid = _read_lonlat(build.raster("composite"))
        composite = _quantised(values)
    except NotFoundError:
        pass
    exposure = [
        {
            "hazard": h.id,
            "title": h.title,
            "layer": h.exposure.layer,
            "threshold": h.exposure.threshold,
        }
        for h in build.registry.hazards
        if h.exposure is not None and h.exposure.layer in {layer["id"] for layer in layers}
    ]
    return {"grid": grid, "layers": layers, "composite": composite, "exposure": exposure}


def places_collection(build: BuildResult) -> dict[str, Any] | None:
    """The settlements as ``GET /places`` gives them (``None`` for a build without)."""
    from aralrisk.api.routers.places import collection
    from aralrisk.layers.places import built_places

    table = built_places(build.path, build.manifest)
    return None if table is None else collection(build, table)


def local_links(html: str, pdf_name: str | None) -> str:
    """A report's links to the service made links inside the folder.

    The district reports sit in ``reports/`` beside ``oblast.html``; the map is
    ``../index.html`` (its ``#district=`` state kept). A PDF link goes to the printed
    file beside the report, or is dropped when weasyprint printed none.
    """
    html = re.sub(
        r'href="(?:\.\./\.\./)?map(?:\?[^"#]*)?(#[^"]*)?"', r'href="../index.html\1"', html
    )
    html = re.sub(r'href="\.\./\.\./report\?[^"]*"', 'href="oblast.html"', html)
    html = re.sub(
        r'href="(?:\.\./)?(?:districts/)?([A-Za-z0-9_][A-Za-z0-9_.-]*)/report\?[^"]*"',
        r'href="\1.html"',
        html,
    )
    pdf = re.compile(r'<a [^>]*href="report\?[^"]*format=pdf[^"]*"[^>]*>.*?</a>', re.S)
    if pdf_name is None:
        return pdf.sub("", html)
    return re.sub(r'href="report\?[^"]*format=pdf[^"]*"', f'href="{pdf_name}"', html)


README = """aralrisk offline copy of build {version}

Open index.html in a web browser (double-click it): the map, its layers, the settlements
and the values at any point work without a network or a server. The district reports are
in reports/ (HTML{pdf}); the map's cards link to them. places.geojson and places.csv hold
the settlements with their district, hazards and people.

Made by `aralrisk map --out` from {title}.
"""


def export_offline(
    build: BuildResult,
    out: Path,
    *,
    online_basemap: bool = False,
    lang: str = i18n.DEFAULT_LANG,
    pdf: bool = True,
) -> list[Path]:
    """Write the offline copy of ``build`` into the folder ``out`` (or ``out`` as a zip).

    Args:
        build: The build to export.
        out: A folder (created), or a path ending in ``.zip`` for a zip of that folder.
        online_basemap: Offer OpenStreetMap as an optional layer (needs internet).
        lang: The language of the map and the reports (``kk``, ``ru`` or ``en``).
        pdf: Also print each report to PDF when weasyprint is installed.

    Returns:
        The files written (the zip alone when ``out`` ends in ``.zip``).
    """
    out = Path(out)
    if out.suffix.lower() == ".zip":
        with tempfile.TemporaryDirectory(prefix="aralrisk-offline-") as tmp:
            folder = Path(tmp) / out.stem
            export_offline(build, folder, online_basemap=online_basemap, lang=lang, pdf=pdf)
            out.parent.mkdir(parents=True, exist_ok=True)
            partial = out.with_name(out.name + ".partial")
            with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in sorted(folder.rglob("*")):
                    if path.is_file():
                        archive.write(path, Path(out.stem) / path.relative_to(folder))
            partial.replace(out)
        return [out]
    reports = out / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    written = []
    codes = [str(c) for c in build.districts["code"]]
    printed = pdf
    pages = {code: render_report(build, code, lang=lang) for code in codes}
    pages["oblast"] = render_oblast_report(build, lang=lang)
    for name, html in pages.items():
        if printed:
            try:
                # Printed from the page as served: its links are not followed in print.
                (reports / f"{name}.pdf").write_bytes(report_pdf(html))
                written.append(reports / f"{name}.pdf")
            except PdfUnavailable:
                printed = False  # weasyprint is not installed: HTML only
        target = reports / f"{name}.html"
        target.write_text(local_links(html, f"{name}.pdf" if printed else None), "utf-8")
        written.append(target)
    extra = {
        "places": places_collection(build),
        "points": point_values(build),
        "reports": {code: f"reports/{code}.html" for code in codes},
    }
    page = export_map(build, online_basemap=online_basemap, lang=lang, extra=extra)
    (out / "index.html").write_text(page, encoding="utf-8")
    written.insert(0, out / "index.html")
    meta = build.manifest.get("places") or {}
    for key in ("geojson", "csv"):
        if key in meta:
            shutil.copyfile(build.path / meta[key], out / meta[key])
            written.append(out / meta[key])
    (out / "README.txt").write_text(
        README.format(
            version=build.version,
            pdf=" and PDF" if printed else "",
            title=build.manifest.get("title") or "aralrisk",
        ),
        encoding="utf-8",
    )
    written.append(out / "README.txt")
    return written


def size_mb(paths: list[Path]) -> float:
    """Total size of files in MB (for the command's message)."""
    return math.fsum(p.stat().st_size for p in paths if p.is_file()) / 1e6


__all__ = ["export_offline", "local_links", "places_collection", "point_values", "size_mb"]
