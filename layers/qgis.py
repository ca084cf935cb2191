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
  and level thresholds for raw values, the INFORM classes for 0-10 scores.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from aralrisk.geo.index import RiskClasses
from aralrisk.layers.registry import Registry
from aralrisk.layers.specs import LegendClass, score_legend

#: Colour of districts without a risk value.
NO_DATA_COLOR = "#bdbdbd"
#: The attribute the district styles classify.
CLASS_FIELD = "risk_class"


def _rgb(color: str) -> str:
    value = color.lstrip("#")
    return ",".join(str(int(value[k : k + 2], 16)) for k in (0, 2, 4))


def risk_classes(classes: RiskClasses) -> list[tuple[str, str]]:
    """(label, colour) of each risk class, lowest first, then ``no data``.

    Examples:
        >>> from aralrisk.geo.index import INFORM_2025
        >>> risk_classes(INFORM_2025)[0], risk_classes(INFORM_2025)[-1]
        (('Very Low', '#1a9641'), ('no data', '#bdbdbd'))
    """
    legend = score_legend(classes)
    return [
        *((label, c.color) for label, c in zip(classes.labels, legend, strict=True)),
        ("no data", NO_DATA_COLOR),
    ]


def vector_qml(field: str, categories: Sequence[tuple[str, str]]) -> str:
    """A QGIS categorized fill style of ``field``: one (value, colour) per category.

    Examples:
        >>> qml = vector_qml("risk_class", [("High", "#fdae61")])
        >>> 'type="categorizedSymbol"' in qml and 'value="253,174,97,255"' in qml
        True
    """
    cats = "\n".join(
        f'      <category value={quoteattr(v)} label={quoteattr(v)} symbol="{k}" render="true"/>'
        for k, (v, _) in enumerate(categories)
    )
    symbols = "\n".join(
        f"""      <symbol type="fill" name="{k}" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleFill" enabled="1" pass="0" locked="0">
          <Option type="Map">
            <Option name="color" type="QString" value="{_rgb(c)},255"/>
            <Option name="outline_color" type="QString" value="35,35,35,255"/>
            <Option name="outline_style" type="QString" value="solid"/>
            <Option name="outline_width" type="QString" value="0.26"/>
            <Option name="outline_width_unit" type="QString" value="MM"/>
            <Option name="style" type="QString" value="solid"/>
          </Option>
        </layer>
      </symbol>"""
        for k, (_, c) in enumerate(categories)
    )
    return f"""<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.34.0" styleCategories="Symbology">
  <renderer-v2 type="categorizedSymbol" attr={quoteattr(field)}
      symbollevels="0" enableorderby="0" forceraster="0">
    <categories>
{cats}
    </categories>
    <symbols>
{symbols}
    </symbols>
  </renderer-v2>
</qgis>
"""


def vector_sld(layer: str, field: str, categories: Sequence[tuple[str, str]]) -> str:
    """The same classification as an SLD 1.1 (Symbology Encoding 1.1) document.

    Examples:
        >>> sld = vector_sld("districts", "risk_class", [("High", "#fdae61")])
        >>> "<ogc:Literal>High</ogc:Literal>" in sld and "#fdae61" in sld
        True
    """
    rules = "\n".join(
        f"""        <se:Rule>
          <se:Name>{escape(v)}</se:Name>
          <ogc:Filter>
            <ogc:PropertyIsEqualTo>
              <ogc:PropertyName>{escape(field)}</ogc:PropertyName>
              <ogc:Literal>{escape(v)}</ogc:Literal>
            </ogc:PropertyIsEqualTo>
          </ogc:Filter>
          <se:PolygonSymbolizer>
            <se:Fill><se:SvgParameter name="fill">{c}</se:SvgParameter></se:Fill>
            <se:Stroke>
              <se:SvgParameter name="stroke">#232323</se:SvgParameter>
              <se:SvgParameter name="stroke-width">1</se:SvgParameter>
            </se:Stroke>
          </se:PolygonSymbolizer>
        </se:Rule>"""
        for v, c in categories
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<StyledLayerDescriptor version="1.1.0" xmlns="http://www.opengis.net/sld"
    xmlns:se="http://www.opengis.net/se" xmlns:ogc="http://www.opengis.net/ogc"
    xmlns:xlink="http://www.w3.org/1999/xlink"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:schemaLocation="http://www.opengis.net/sld http://schemas.opengis.net/sld/1.1.0/StyledLayerDescriptor.xsd">
  <NamedLayer>
    <se:Name>{escape(layer)}</se:Name>
    <UserStyle>
      <se:Name>{escape(layer)} by {escape(field)}</se:Name>
      <se:FeatureTypeStyle>
{rules}
      </se:FeatureTypeStyle>
    </UserStyle>
  </NamedLayer>
</StyledLayerDescriptor>
"""


def raster_qml(legend: Sequence[LegendClass]) -> str:
    """A QGIS discrete pseudocolour style of band 1 from a legend (classes lowest first).

    A cell takes the colour of the first class whose upper bound it does not exceed
    (QGIS's "discrete" interpolation); the last class is open above.

    Examples:
        >>> from aralrisk.geo.index import INFORM_2025
        >>> qml = raster_qml(score_legend(INFORM_2025))
        >>> qml.count("<item "), 'value="10.0"' in qml
        (5, True)
    """
    items = "\n".join(
        f'          <item alpha="255" value="{"inf" if c.max is None else repr(float(c.max))}" '
        f"label={quoteattr(c.label)} color={quoteattr(c.color)}/>"
        for c in legend
    )
    return f"""<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.34.0" styleCategories="Symbology">
  <pipe>
    <rasterrenderer type="singlebandpseudocolor" band="1" opacity="1" alphaBand="-1" nodataColor="">
      <rastershader>
        <colorrampshader colorRampType="DISCRETE" classificationMode="1" clip="0">
{items}
        </colorrampshader>
      </rastershader>
    </rasterrenderer>
  </pipe>
</qgis>
"""


def add_layer_style(gpkg: Path, table: str, name: str, qml: str, sld: str) -> None:
    """Store a default style for ``table`` in the GeoPackage's ``layer_styles`` table.

    The table has QGIS's layout (QGIS reads it when the layer is opened and writes it
    with "Save as default"); it is registered in ``gpkg_contents`` as attributes.
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
            (table, geometry_column, name, qml, sld, f"{table} by {CLASS_FIELD}", now),
        )


def write_styles(
    work: Path, registry: Registry, classes: RiskClasses, outputs: Mapping[str, Any]
) -> dict[str, list[str]]:
    """Style a build in ``work``: district GeoPackages and ``.qml`` beside the rasters.

    Returns:
        ``{"geopackages": [...], "rasters": [...]}``: the styled files, relative to
        ``work`` (for the manifest).
    """
    categories = risk_classes(classes)
    styled: dict[str, list[str]] = {"geopackages": [], "rasters": []}
    for stem in ("districts", "districts_input"):
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
    scores = score_legend(classes)
    rasters: dict[str, Sequence[LegendClass]] = {}
    for layer_id, meta in outputs.get("layers", {}).items():
        if "raw" in meta and layer_id in registry and registry[layer_id].legend():
            rasters[meta["raw"]] = registry[layer_id].legend()
        if "score" in meta:
            rasters[meta["score"]] = scores
    for name in ("composite", "vulnerability", "lack_of_coping"):
        if name in outputs.get("rasters", {}):
            rasters[outputs["rasters"][name]] = scores
    for rel, legend in rasters.items():
        path = work / rel
        if path.is_file():
            path.with_suffix(".qml").write_text(raster_qml(legend), encoding="utf-8")
            styled["rasters"].append(Path(rel).with_suffix(".qml").as_posix())
    return styled
