"""Open what aralrisk makes in a real QGIS and say what a user would see (test helper).

Run by Debian's Python with its QGIS bindings (``apt-get install python3-qgis``), not by
the project's environment: ``/usr/bin/python3 qgis_open.py JOB.json``. The job names
what to open; one JSON object is printed on stdout with a part for each:

* ``project`` (a build's ``aralrisk.qgs``) and ``png``: ``read`` (whether QGIS read
  it); ``ids`` (the ids of the layers QGIS loaded: it replaces ids it does not accept);
  ``tree`` (per layer of the layer tree, in order: its name, the id it names, whether
  that layer exists and is valid, its renderer's class, whether it is on); ``files``
  (each GeoPackage of the build, its layer of the same name, and each raster with a
  ``.qml`` beside it, added on its own as a user would: its renderer's class, colours
  and their opacity, as QGIS took them from ``layer_styles`` or the ``.qml``). The
  visible layers are drawn over the districts' extent, 800 x 500 pixels, on white.
* ``xyz`` (a ``wms`` provider source string of an XYZ connection), ``xyz_extent``
  (xmin, ymin, xmax, ymax in EPSG:3857) and ``xyz_png``: ``xyz`` (whether the layer is
  valid, its CRS); the layer drawn over the extent, 600 x 400 pixels, on transparent.
* ``csv`` (files): per file and per way QGIS adds a CSV (``ogr``: dropped in or "Add
  Vector Layer"; ``delimitedtext``: "Add Delimited Text Layer", types detected), its
  fields as typed (name, type name), its row count and the text fields of its first row.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

# No display: Qt must be told before it loads.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsMapLayer,
    QgsMapRendererParallelJob,
    QgsMapSettings,
    QgsProject,
    QgsRasterLayer,
    QgsRectangle,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor


def _style(layer: QgsMapLayer) -> dict[str, object]:
    """A layer's validity, renderer, colours (hex and alpha, in order), whether labelled."""
    renderer = layer.renderer()
    colours: list[str] = []
    alphas: list[int] = []
    if hasattr(renderer, "categories"):
        colours = [c.symbol().color().name() for c in renderer.categories()]
    elif hasattr(renderer, "shader"):
        ramp = renderer.shader().rasterShaderFunction().colorRampItemList()
        colours = [item.color.name() for item in ramp]
        alphas = [item.color.alpha() for item in ramp]
    labels = bool(layer.labelsEnabled()) if isinstance(layer, QgsVectorLayer) else False
    return {
        "valid": layer.isValid(),
        "renderer": type(renderer).__name__,
        "colours": colours,
        "alphas": alphas,
        "labels": labels,
    }


def _files(folder: Path) -> dict[str, dict[str, object]]:
    """Every GeoPackage and every raster with a ``.qml`` of ``folder``, added on its own."""
    found: dict[str, dict[str, object]] = {}
    for gpkg in sorted(folder.glob("*.gpkg")):
        layer = QgsVectorLayer(f"{gpkg}|layername={gpkg.stem}", gpkg.stem, "ogr")
        found[gpkg.name] = _style(layer)
    for tif in sorted([*folder.glob("*.tif"), *folder.glob("layers/*.tif")]):
        if tif.with_suffix(".qml").is_file():
            layer = QgsRasterLayer(str(tif), tif.name)
            found[tif.relative_to(folder).as_posix()] = _style(layer)
    return found


def _draw(
    layers: list[QgsMapLayer],
    crs: object,
    extent: object,
    size: QSize,
    png: str,
    background: QColor,
) -> None:
    """Draw ``layers`` over ``extent`` (in ``crs``) into ``png``."""
    settings = QgsMapSettings()
    settings.setLayers(layers)
    settings.setDestinationCrs(crs)
    settings.setExtent(extent)
    settings.setOutputSize(size)
    settings.setBackgroundColor(background)
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    job.renderedImage().save(png, "png")


def _project(project_file: str, png: str) -> dict[str, object]:
    """Read a build's project; describe it and draw its visible layers to ``png``."""
    project = QgsProject.instance()
    read = project.read(project_file)
    tree = []
    for node in project.layerTreeRoot().findLayers():
        layer = node.layer()
        renderer = layer.renderer() if layer is not None else None
        tree.append(
            {
                "name": node.name(),
                "id": node.layerId(),
                "valid": bool(layer is not None and layer.isValid()),
                "renderer": type(renderer).__name__ if renderer is not None else None,
                "visible": node.isVisible(),
            }
        )
    visible = [n.layer() for n in project.layerTreeRoot().findLayers() if n.isVisible()]
    visible = [layer for layer in visible if layer is not None]
    districts = [layer for layer in visible if layer.source().endswith("layername=districts")]
    if districts:
        white = QColor(255, 255, 255)
        _draw(visible, project.crs(), districts[0].extent(), QSize(800, 500), png, white)
    files = _files(Path(project_file).parent)
    return {"read": read, "ids": sorted(project.mapLayers()), "tree": tree, "files": files}


def _xyz(source: str, extent: list[float], png: str) -> dict[str, object]:
    """Add an XYZ connection as the README writes it; draw it over ``extent`` (EPSG:3857)."""
    layer = QgsRasterLayer(source, "xyz", "wms")
    if layer.isValid():
        clear = QColor(0, 0, 0, 0)
        crs = QgsCoordinateReferenceSystem("EPSG:3857")
        _draw([layer], crs, QgsRectangle(*extent), QSize(600, 400), png, clear)
    return {"valid": layer.isValid(), "crs": layer.crs().authid()}


def _table(layer: QgsVectorLayer) -> dict[str, object]:
    """A table layer: its fields' types, its row count and its first row's text fields."""
    fields = [(f.name(), f.typeName()) for f in layer.fields()]
    first = next(layer.getFeatures(), None)
    text = {}
    if first is not None:
        names = [f.name() for f in layer.fields() if f.typeName().lower() in ("string", "text")]
        text = {name: str(first[name]) for name in names}
    return {"valid": layer.isValid(), "fields": fields, "rows": layer.featureCount(), "text": text}


def _csv(path: str) -> dict[str, object]:
    """A CSV file as QGIS adds it: dropped in (OGR) and by "Add Delimited Text Layer"."""
    uri = f"{Path(path).as_uri()}?type=csv&delimiter=,&detectTypes=yes&geomType=none"
    return {
        "ogr": _table(QgsVectorLayer(path, Path(path).stem, "ogr")),
        "delimitedtext": _table(QgsVectorLayer(uri, Path(path).stem, "delimitedtext")),
    }


def main(job: dict[str, object]) -> None:
    """Do the job (see the module docstring); print what QGIS saw as one JSON object."""
    app = QgsApplication([], False)
    app.initQgis()
    seen: dict[str, object] = {}
    if "project" in job:
        seen |= _project(str(job["project"]), str(job["png"]))
    if "xyz" in job:
        seen["xyz"] = _xyz(str(job["xyz"]), list(job["xyz_extent"]), str(job["xyz_png"]))
    if "csv" in job:
        seen["csv"] = {str(path): _csv(str(path)) for path in job["csv"]}
    print(json.dumps(seen))
    app.exitQgis()


if __name__ == "__main__":
    main(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8")))
