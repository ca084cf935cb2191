"""QGIS-ready outputs: styles in the GeoPackages and beside every raster.

A build opened in QGIS should look like the map, not grey. Every build writes:

* in ``districts.gpkg`` and ``districts_input.gpkg``, the GeoPackage ``layer_styles``
  table QGIS reads (and writes) default styles from: the districts coloured by risk
  class (the build's INFORM release: labels and colours of
  :func:`aralrisk.layers.specs.score_legend`), as QML (QGIS) and SLD (SLD 1.1 / SE 1.1,
  for GeoServer and other SLD readers);
* beside every raster layer (``layers/<id>.tif``, ``layers/<id>.score.tif``,
  ``composite.tif``, ``vulnerability.tif``, ``lack_of_coping.tif``), a ``.qml`` side file
  of the same name, which QGIS applies when it opens the raster: the catalogue's colours
  and level thresholds for raw values, the INFORM classes for 0-10 scores;
* the settlements (``places.gpkg``, when the build has places) with a ``layer_styles``
  row: points coloured by the highest hazard level within the build's radius, sized by
  their OpenStreetMap kind as on the map page
  (:data:`PLACE_FIELD`, the map's colours) and labelled by name.

Settlements are classed by :data:`PLACE_FIELD`, the highest level of the weighted
hazards *within the build's radius* of the place, not at its own cell: it is what the
map colours them by, and the place's people live and work around the point (a village
beside a flooded floodplain is at risk even when the cell holding its centre stays
dry), while district and people are already shown by the district layer and the place's
attributes. The symbology itself (renderers, QML, SLD) is written by
:mod:`aralrisk.layers.qgis_symbols`; the QGIS project opening all of it by
:mod:`aralrisk.layers.qgis_project`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aralrisk.geo.index import RiskClasses
from aralrisk.layers.qgis_symbols import (
    MarkerSizes,
    level_classes,
    raster_qml,
    risk_classes,
    vector_qml,
    vector_sld,
)
from aralrisk.layers.registry import Registry
from aralrisk.layers.specs import (
    OTHER_PLACE_RADIUS_PX,
    PLACE_RADIUS_PX,
    LegendClass,
    exposed_legend,
    score_legend,
)

#: The attribute the district styles classify.
CLASS_FIELD = "risk_class"
#: The attribute the settlement style classifies: the highest level code (0 very low ..
#: 3 high, -2 no data) of the weighted hazards over the cells within the build's radius
#: of the place (``layers/places.py``).
PLACE_FIELD = "hazard_level_around"
#: The attribute settlements are labelled with (their name as tagged, usually Kazakh).
PLACE_LABEL_FIELD = "name"
#: Settlement markers sized by their OpenStreetMap kind, as the map page sizes its dots.
PLACE_SIZES = MarkerSizes("place", PLACE_RADIUS_PX, OTHER_PLACE_RADIUS_PX)
#: The district GeoPackages of a build (file stem = layer name).
DISTRICT_LAYERS = ("districts", "districts_input")
#: The settlements' GeoPackage (file stem = layer name).
PLACES_LAYER = "places"
#: Build rasters in the 0-10 score classes, by their ``outputs["rasters"]`` key.
SCORE_RASTERS = ("composite", "vulnerability", "lack_of_coping")
#: Cells of ``exposed.tif`` where nobody is exposed (0 people per km²): transparent, as on
#: the map's tiles, so the raster shows where the exposed people live.
NOBODY_EXPOSED = LegendClass(color="#ffffff00", label="nobody exposed", min=None, max=0.0)


def add_layer_style(
    gpkg: Path, table: str, name: str, qml: str, sld: str, field: str = CLASS_FIELD
) -> None:
    """Store a default style for ``table`` in the GeoPackage's ``layer_styles`` table.

    The table has QGIS's layout (QGIS reads it when the layer is opened and writes it
    with "Save as default"); it is registered in ``gpkg_contents`` as attributes.

    Args:
        gpkg: The GeoPackage.
        table: The styled feature table.
        name: The style's name.
        qml: The QGIS style.
        sld: The same as SLD 1.1.
        field: The attribute the style classifies (for the description).

    Examples:
        >>> import geopandas as gpd, pyogrio, tempfile
        >>> from shapely.geometry import box
        >>> from aralrisk.geo.index import INFORM_2025
        >>> tmp = tempfile.TemporaryDirectory()
        >>> gpkg = Path(tmp.name) / "districts.gpkg"
        >>> gpd.GeoDataFrame({"risk_class": ["High"]}, geometry=[box(60, 44, 61, 45)],
        ...                  crs=4326).to_file(gpkg, layer="districts")
        >>> classes = risk_classes(INFORM_2025)
        >>> add_layer_style(gpkg, "districts", "districts by risk class",
        ...                 vector_qml(CLASS_FIELD, classes),
        ...                 vector_sld("districts", CLASS_FIELD, classes))
        >>> styles = pyogrio.read_dataframe(gpkg, layer="layer_styles")
        >>> styles[["f_table_name", "f_geometry_column", "styleName"]].values.tolist()
        [['districts', 'geom', 'districts by risk class']]
        >>> tmp.cleanup()
    """
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    # closing(): sqlite3's own context manager commits but leaves the file open.
    with closing(sqlite3.connect(gpkg)) as db, db:
        found = db.execute(
            "SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?", (table,)
        ).fetchone()
        geometry_column = found[0] if found else "geom"
        db.execute(
            """CREATE TABLE IF NOT EXISTS layer_styles (
                id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256),
                f_table_schema TEXT(256), f_table_name TEXT(256), f_geometry_column TEXT(256),
                styleName TEXT(30), styleQML TEXT, styleSLD TEXT, useAsDefault BOOLEAN,
                description TEXT, owner TEXT(30), ui TEXT(30), update_time DATETIME)"""
        )
        db.execute(
            "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, "
            "description, last_change) VALUES ('layer_styles', 'attributes', 'layer_styles', "
            "'QGIS layer styles', ?)",
            (now,),
        )
        db.execute(
            "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
            "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, "
            "owner, ui, update_time) VALUES ('', '', ?, ?, ?, ?, ?, 1, ?, 'aralrisk', '', ?)",
            (table, geometry_column, name, qml, sld, f"{table} by {field}", now),
        )


def raster_legends(
    registry: Registry, classes: RiskClasses, outputs: Mapping[str, Any]
) -> dict[str, list[LegendClass]]:
    """The legend of every styled raster of a build, by its path in the build.

    Raw layers take the catalogue's level colours and thresholds (layers without levels
    are left out), scores and the composite/dimension rasters the risk classes, and the
    people exposed (``exposed.tif``) the map's classes of exposed people per km².

    Args:
        registry: The build's catalogue.
        classes: The build's INFORM release.
        outputs: The pipeline's outputs: ``layers`` (layer id -> ``raw``/``score``
            paths) and ``rasters`` (name -> path), paths relative to the build.

    Returns:
        Path relative to the build (``/``-separated) -> its legend, lowest class first.

    Examples:
        >>> from aralrisk.geo.index import INFORM_2025
        >>> from aralrisk.layers.registry import load_catalog
        >>> outputs = {"layers": {"flood_rp10": {"raw": "layers/flood_rp10.tif",
        ...            "score": "layers/flood_rp10.score.tif"}},
        ...            "rasters": {"composite": "composite.tif", "zones": "zones.tif",
        ...                        "exposed": "exposed.tif"}}
        >>> legends = raster_legends(load_catalog(), INFORM_2025, outputs)
        >>> sorted(legends)
        ['composite.tif', 'exposed.tif', 'layers/flood_rp10.score.tif', 'layers/flood_rp10.tif']
        >>> legends["composite.tif"][-1].label
        'Very High: 6.9–10'
    """
    scores = score_legend(classes)
    legends: dict[str, list[LegendClass]] = {}
    for layer_id, meta in outputs.get("layers", {}).items():
        if "raw" in meta and layer_id in registry and registry[layer_id].legend():
            legends[meta["raw"]] = registry[layer_id].legend()
        if "score" in meta:
            legends[meta["score"]] = scores
    rasters = outputs.get("rasters", {})
    for name in SCORE_RASTERS:
        if name in rasters:
            legends[rasters[name]] = scores
    if "exposed" in rasters:
        legends[rasters["exposed"]] = [NOBODY_EXPOSED, *exposed_legend()]
    return legends


def write_styles(
    work: Path, registry: Registry, classes: RiskClasses, outputs: Mapping[str, Any]
) -> dict[str, list[str]]:
    """Style a build in ``work``: its GeoPackages and a ``.qml`` beside every raster.

    Args:
        work: The build folder, its layers already written.
        registry: The build's catalogue.
        classes: The build's INFORM release.
        outputs: The pipeline's outputs (``layers``, ``rasters``).

    Returns:
        ``{"geopackages": [...], "rasters": [...]}``: the styled files, relative to
        ``work`` (for the manifest).

    Examples:
        >>> import geopandas as gpd, numpy as np, rasterio, tempfile
        >>> from rasterio.transform import from_origin
        >>> from shapely.geometry import box
        >>> from aralrisk.geo.index import INFORM_2025
        >>> from aralrisk.layers.registry import load_catalog
        >>> tmp = tempfile.TemporaryDirectory()
        >>> work = Path(tmp.name)
        >>> gpd.GeoDataFrame({"risk_class": ["High"]}, geometry=[box(60, 44, 61, 45)],
        ...                  crs=4326).to_file(work / "districts.gpkg", layer="districts")
        >>> with rasterio.open(work / "composite.tif", "w", driver="GTiff", width=2,
        ...         height=1, count=1, dtype="float32", crs="EPSG:4326",
        ...         transform=from_origin(60.0, 45.0, 0.5, 0.5)) as ds:
        ...     ds.write(np.full((1, 1, 2), 4.2, dtype="float32"))
        >>> write_styles(work, load_catalog(), INFORM_2025,
        ...              {"rasters": {"composite": "composite.tif"}})
        {'geopackages': ['districts.gpkg'], 'rasters': ['composite.qml']}
        >>> tmp.cleanup()
    """
    categories = risk_classes(classes)
    styled: dict[str, list[str]] = {"geopackages": [], "rasters": []}
    for stem in DISTRICT_LAYERS:
        gpkg = work / f"{stem}.gpkg"
        if gpkg.is_file():
            add_layer_style(
                gpkg,
                stem,
                f"{stem} by risk class",
                vector_qml(CLASS_FIELD, categories),
                vector_sld(stem, CLASS_FIELD, categories),
            )
            styled["geopackages"].append(gpkg.name)
    places = work / f"{PLACES_LAYER}.gpkg"
    if places.is_file():
        levels = level_classes()
        add_layer_style(
            places,
            PLACES_LAYER,
            "settlements by hazard level around",
            vector_qml(
                PLACE_FIELD,
                levels,
                symbol="marker",
                label_field=PLACE_LABEL_FIELD,
                sizes=PLACE_SIZES,
            ),
            vector_sld(
                PLACES_LAYER,
                PLACE_FIELD,
                levels,
                symbol="marker",
                label_field=PLACE_LABEL_FIELD,
                sizes=PLACE_SIZES,
            ),
            field=PLACE_FIELD,
        )
        styled["geopackages"].append(places.name)
    for rel, legend in raster_legends(registry, classes, outputs).items():
        path = work / rel
        if path.is_file():
            path.with_suffix(".qml").write_text(raster_qml(legend), encoding="utf-8")
            styled["rasters"].append(Path(rel).with_suffix(".qml").as_posix())
    return styled


__all__ = [
    "CLASS_FIELD",
    "PLACE_FIELD",
    "PLACE_LABEL_FIELD",
    "PLACE_SIZES",
    "add_layer_style",
    "raster_legends",
    "write_styles",
]
