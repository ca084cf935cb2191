"""A QGIS project for every build: ``aralrisk.qgs`` opens the build styled.

Double-clicking ``aralrisk.qgs`` in a build folder opens, in the build's CRS and zoomed
to the oblast:

* **Settlements** (``places.gpkg``, on top): points by hazard level within the build's
  radius, labelled by name;
* **Risk**: the districts by risk class (``districts.gpkg``);
* **Hazards**: the composite hazard, then one group per hazard with each of its layers'
  raw values (the catalogue's level colours) and 0-10 scores (the risk classes);
* **Exposure** (the people exposed to a hazard, then the exposure layers), **Vulnerability
  and coping**: their layers' rasters and scores.

Every layer carries the renderer its ``.qml`` side file or its ``layer_styles`` row
holds: the same functions of :mod:`aralrisk.layers.qgis_symbols` write both; the
``.qgs`` document itself is written by :mod:`aralrisk.layers.qgis_qgs`. Only the
settlements and the districts are switched on; the rasters are one click away.

Paths are relative (``./districts.gpkg|layername=districts``, ``./layers/<id>.tif``,
with the project's "save paths: relative" setting), so the build folder can be moved,
copied or zipped and the project still finds its layers. The file is plain XML (a
``.qgs``, not the zipped ``.qgz``) so it can be read and diffed; QGIS 3.28 or newer
opens it (tests/layers/test_qgis_real.py opens it in QGIS 3.22 too). Layer ids are
prefixed (``aralrisk_places``): QGIS replaces ids of 10 characters or fewer. Layer and
group names are in English, as the catalogue's titles.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyogrio
import rasterio
from pyproj import CRS, Transformer

from aralrisk.geo.index import RiskClasses
from aralrisk.layers import qgis
from aralrisk.layers.qgis_qgs import Bounds, LayerGroup, ProjectLayer, project_xml
from aralrisk.layers.qgis_symbols import (
    labeling,
    level_classes,
    raster_renderer,
    risk_classes,
    vector_renderer,
)
from aralrisk.layers.registry import Registry
from aralrisk.layers.specs import LegendClass

#: The project's file name in a build.
PROJECT_FILE = "aralrisk.qgs"
#: Titles of the build's own rasters: the scores painted from the district dimensions,
#: and the people exposed.
RASTER_TITLES = {
    "composite": "Composite hazard (0-10)",
    "vulnerability": "Vulnerability (0-10)",
    "lack_of_coping": "Lack of coping capacity (0-10)",
    "exposed": "People exposed to a hazard [people/km²]",
}


def _bounds(values: Sequence[float]) -> Bounds:
    xmin, ymin, xmax, ymax = (float(v) for v in values)
    return (xmin, ymin, xmax, ymax)


def project_layer_id(stem: str) -> str:
    """The project id of the layer of file ``stem``, prefixed to be long enough.

    QGIS keeps only ids of more than 10 characters
    (:data:`~aralrisk.layers.qgis_qgs.QGIS_ID_MIN_LENGTH`).

    >>> project_layer_id("places"), project_layer_id("flood_rp10_score")
    ('aralrisk_places', 'aralrisk_flood_rp10_score')
    """
    return f"aralrisk_{stem}"


def vector_layer(
    work: Path, stem: str, name: str, renderer: str, labels: str = "", visible: bool = True
) -> ProjectLayer:
    """The layer ``stem`` of ``<work>/<stem>.gpkg``: CRS, extent and type read from it.

    Examples:
        >>> import geopandas as gpd, tempfile
        >>> from shapely.geometry import Point
        >>> tmp = tempfile.TemporaryDirectory()
        >>> work = Path(tmp.name)
        >>> gpd.GeoDataFrame(geometry=[Point(65.5, 44.8)], crs=4326).to_file(
        ...     work / "places.gpkg", layer="places")
        >>> layer = vector_layer(work, "places", "Settlements", "<renderer-v2/>")
        >>> layer.source, layer.provider, layer.geometry, layer.extent[:2]
        ('./places.gpkg|layername=places', 'ogr', 'Point', (65.5, 44.8))
        >>> tmp.cleanup()
    """
    info = pyogrio.read_info(work / f"{stem}.gpkg", layer=stem, force_total_bounds=True)
    wkb = str(info["geometry_type"])
    plain = wkb.removeprefix("Multi").removesuffix(" Z")
    geometry = {"LineString": "Line"}.get(plain, plain)
    return ProjectLayer(
        id=project_layer_id(stem),
        name=name,
        source=f"./{stem}.gpkg|layername={stem}",
        provider="ogr",
        crs=CRS.from_user_input(info["crs"]),
        extent=_bounds(info["total_bounds"]),
        renderer=renderer,
        labeling=labels,
        geometry=geometry,
        wkb_type=wkb,
        visible=visible,
    )


def raster_layer(
    work: Path, rel: str, name: str, legend: Sequence[LegendClass], visible: bool = False
) -> ProjectLayer:
    """The raster ``<work>/<rel>`` drawn with ``legend``: CRS and extent read from it.

    Examples:
        >>> import numpy as np, tempfile
        >>> from rasterio.transform import from_origin
        >>> from aralrisk.geo.index import INFORM_2025
        >>> from aralrisk.layers.specs import score_legend
        >>> tmp = tempfile.TemporaryDirectory()
        >>> work = Path(tmp.name)
        >>> with rasterio.open(work / "composite.tif", "w", driver="GTiff", width=2,
        ...         height=1, count=1, dtype="float32", crs="EPSG:4326",
        ...         transform=from_origin(60.0, 46.0, 0.5, 0.5)) as ds:
        ...     ds.write(np.ones((1, 1, 2), dtype="float32"))
        >>> layer = raster_layer(work, "composite.tif", "Composite",
        ...                      score_legend(INFORM_2025))
        >>> layer.id, layer.source, layer.provider, layer.extent
        ('aralrisk_composite', './composite.tif', 'gdal', (60.0, 45.5, 61.0, 46.0))
        >>> tmp.cleanup()
    """
    with rasterio.open(work / rel) as ds:
        crs = CRS.from_wkt(ds.crs.to_wkt())
        extent = (ds.bounds.left, ds.bounds.bottom, ds.bounds.right, ds.bounds.top)
    return ProjectLayer(
        id=project_layer_id(Path(rel).name.removesuffix(".tif").replace(".", "_")),
        name=name,
        source=f"./{rel}",
        provider="gdal",
        crs=crs,
        extent=extent,
        renderer=raster_renderer(legend),
        visible=visible,
    )


def build_tree(
    work: Path, registry: Registry, classes: RiskClasses, outputs: Mapping[str, Any]
) -> LayerGroup:
    """The project's layer tree: the build's styled layers, grouped, points on top.

    Args:
        work: The build folder.
        registry: The build's catalogue (titles, roles, hazards).
        classes: The build's INFORM release.
        outputs: The pipeline's outputs (``layers``, ``rasters``, ``places``).

    Returns:
        The root group: Settlements, Risk, Hazards, Exposure, Vulnerability and coping,
        each only when the build has its layers.

    Examples:
        >>> import geopandas as gpd, tempfile
        >>> from shapely.geometry import box
        >>> from aralrisk.geo.index import INFORM_2025
        >>> from aralrisk.layers.registry import load_catalog
        >>> tmp = tempfile.TemporaryDirectory()
        >>> work = Path(tmp.name)
        >>> gpd.GeoDataFrame({"risk_class": ["High"]}, geometry=[box(60, 44, 61, 45)],
        ...                  crs=4326).to_file(work / "districts.gpkg", layer="districts")
        >>> tree = build_tree(work, load_catalog(), INFORM_2025, {})
        >>> [(group.name, [layer.name for layer in group.layers()]) for group in tree.children]
        [('Risk', ['Districts: risk class'])]
        >>> tmp.cleanup()
    """
    legends = qgis.raster_legends(registry, classes, outputs)
    root = LayerGroup("")
    if (work / f"{qgis.PLACES_LAYER}.gpkg").is_file():
        radius = outputs.get("places", {}).get("radius_km")
        within = f" within {radius:g} km" if radius else ""
        renderer = vector_renderer(qgis.PLACE_FIELD, level_classes(), "marker", qgis.PLACE_SIZES)
        root.children.append(
            LayerGroup(
                "Settlements",
                [
                    vector_layer(
                        work,
                        qgis.PLACES_LAYER,
                        f"Settlements: highest hazard level{within}",
                        renderer,
                        labeling(qgis.PLACE_LABEL_FIELD),
                    )
                ],
            )
        )
    risk = LayerGroup("Risk")
    if (work / "districts.gpkg").is_file():
        renderer = vector_renderer(qgis.CLASS_FIELD, risk_classes(classes))
        risk.children.append(vector_layer(work, "districts", "Districts: risk class", renderer))
    rasters = outputs.get("rasters", {})

    def build_raster(name: str) -> list[ProjectLayer | LayerGroup]:
        rel = rasters.get(name)
        if rel is None or rel not in legends or not (work / rel).is_file():
            return []
        return [raster_layer(work, rel, RASTER_TITLES[name], legends[rel])]

    def layer_rasters(layer_id: str) -> list[ProjectLayer | LayerGroup]:
        meta = outputs.get("layers", {}).get(layer_id, {})
        spec = registry[layer_id]
        found: list[ProjectLayer | LayerGroup] = []
        for key, name in (("raw", spec.units_label or "values"), ("score", "score 0-10")):
            rel = meta.get(key)
            if rel in legends and (work / rel).is_file():
                found.append(raster_layer(work, rel, f"{spec.title} [{name}]", legends[rel]))
        return found

    hazards = LayerGroup("Hazards", build_raster("composite"))
    placed: set[str] = set()
    for hazard in registry.hazards:
        group = LayerGroup(hazard.title, expanded=False)
        for layer_id in hazard.layers:
            if layer_id in outputs.get("layers", {}) and layer_id not in placed:
                group.children.extend(layer_rasters(layer_id))
                placed.add(layer_id)
        if group.children:
            hazards.children.append(group)
    exposure = LayerGroup("Exposure", build_raster("exposed"))
    coping = LayerGroup(
        "Vulnerability and coping", build_raster("vulnerability") + build_raster("lack_of_coping")
    )
    for layer_id in outputs.get("layers", {}):
        if layer_id in placed or layer_id not in registry:
            continue
        role = registry[layer_id].role
        target = {"hazard": hazards, "exposure": exposure}.get(role, coping)
        target.children.extend(layer_rasters(layer_id))
    root.children.extend(g for g in (risk, hazards, exposure, coping) if g.children)
    return root


def oblast_extent(work: Path, crs: CRS) -> Bounds:
    """The districts' bounds (``districts.gpkg``) in ``crs``.

    Examples:
        >>> import geopandas as gpd, tempfile
        >>> from shapely.geometry import box
        >>> tmp = tempfile.TemporaryDirectory()
        >>> work = Path(tmp.name)
        >>> gpd.GeoDataFrame(geometry=[box(60, 43, 66, 47)], crs=4326).to_file(
        ...     work / "districts.gpkg", layer="districts")
        >>> oblast_extent(work, CRS.from_epsg(4326))
        (60.0, 43.0, 66.0, 47.0)
        >>> tmp.cleanup()
    """
    info = pyogrio.read_info(work / "districts.gpkg", layer="districts", force_total_bounds=True)
    xmin, ymin, xmax, ymax = _bounds(info["total_bounds"])
    source = CRS.from_user_input(info["crs"])
    if source != crs:
        transformer = Transformer.from_crs(source, crs, always_xy=True)
        xmin, ymin, xmax, ymax = transformer.transform_bounds(xmin, ymin, xmax, ymax)
    return (xmin, ymin, xmax, ymax)


def write_project(
    work: Path,
    registry: Registry,
    classes: RiskClasses,
    outputs: Mapping[str, Any],
    crs: CRS,
    title: str,
) -> str:
    """Write :data:`PROJECT_FILE` into the build ``work``; its name (for the manifest).

    Args:
        work: The build folder, its layers already written.
        registry: The build's catalogue.
        classes: The build's INFORM release.
        outputs: The pipeline's outputs (``layers``, ``rasters``, ``places``).
        crs: The build's CRS (the project CRS).
        title: The build's title (the project's).

    Examples:
        >>> import geopandas as gpd, tempfile
        >>> from shapely.geometry import box
        >>> from aralrisk.geo.index import INFORM_2025
        >>> from aralrisk.layers.registry import load_catalog
        >>> tmp = tempfile.TemporaryDirectory()
        >>> work = Path(tmp.name)
        >>> gpd.GeoDataFrame({"risk_class": ["High"]}, geometry=[box(60, 44, 61, 45)],
        ...                  crs=4326).to_file(work / "districts.gpkg", layer="districts")
        >>> write_project(work, load_catalog(), INFORM_2025, {}, CRS.from_epsg(4326), "Test")
        'aralrisk.qgs'
        >>> text = (work / "aralrisk.qgs").read_text(encoding="utf-8")
        >>> "<datasource>./districts.gpkg|layername=districts</datasource>" in text
        True
        >>> tmp.cleanup()
    """
    root = build_tree(work, registry, classes, outputs)
    xml = project_xml(root, CRS.from_user_input(crs), oblast_extent(work, crs), title)
    (work / PROJECT_FILE).write_text(xml, encoding="utf-8")
    return PROJECT_FILE


__all__ = [
    "PROJECT_FILE",
    "build_tree",
    "oblast_extent",
    "project_layer_id",
    "raster_layer",
    "vector_layer",
    "write_project",
]
