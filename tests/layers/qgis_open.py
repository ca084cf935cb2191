"""Open a build's QGIS project in a real QGIS and say what a user would see (test helper).

Run by Debian's Python with its QGIS bindings (``apt-get install python3-qgis``), not by
the project's environment: ``/usr/bin/python3 qgis_open.py PROJECT PNG``. Prints one
JSON object on stdout:

* ``read``: whether QGIS read the project;
* ``ids``: the ids of the layers QGIS loaded (QGIS replaces ids it does not accept);
* ``tree``: one entry per layer of the layer tree, in order: its name, the id it names,
  whether that layer exists and is valid, its renderer's class and whether it is on;
* ``files``: each GeoPackage of the build (its layer of the same name) and each raster
  with a ``.qml`` beside it, added on its own as a user would add it: its renderer's
  class and colours (categories of a vector, colour ramp of a raster), as QGIS took
  them from the GeoPackage's ``layer_styles`` or the ``.qml``.

The visible layers are drawn over the districts' extent, 800 x 500 pixels, on white,
into the PNG.
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
    QgsMapLayer,
    QgsMapRendererParallelJob,
    QgsMapSettings,
    QgsProject,
    QgsRasterLayer,
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


def main(project_file: str, png: str) -> None:
    """Read ``project_file``, describe it on stdout and draw its visible layers to ``png``."""
    app = QgsApplication([], False)
    app.initQgis()
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
        settings = QgsMapSettings()
        settings.setLayers(visible)
        settings.setDestinationCrs(project.crs())
        settings.setExtent(districts[0].extent())
        settings.setOutputSize(QSize(800, 500))
        settings.setBackgroundColor(QColor(255, 255, 255))
        job = QgsMapRendererParallelJob(settings)
        job.start()
        job.waitForFinished()
        job.renderedImage().save(png, "png")
    files = _files(Path(project_file).parent)
    described = {"read": read, "ids": sorted(project.mapLayers()), "tree": tree, "files": files}
    print(json.dumps(described))
    app.exitQgis()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
