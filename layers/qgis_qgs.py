"""The QGIS project file format: a layer tree as a ``.qgs`` document (plain XML).

:func:`project_xml` writes what QGIS needs to open a project: the project CRS
(``<projectCrs>``, and ``ProjectionsEnabled`` so QGIS reads it), the layer tree
(``<layer-tree-group>``, whose order is the drawing order, first on top), the map canvas
(start extent and units), one ``<maplayer>`` per layer (data source, provider, CRS,
renderer, labels) and "save paths: relative" (``<Paths><Absolute>false``) so relative
data sources (``./x.gpkg|layername=x``) resolve from the project's folder. What a build
puts in it is :mod:`aralrisk.layers.qgis_project`'s business.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from pyproj import CRS

#: The QGIS release whose project format is written (the oldest LTR reading it all).
QGIS_VERSION = "3.28.0-Firenze"
#: The shortest layer id QGIS keeps: QgsMapLayer::readLayerXml takes an id from the
#: file only when it is longer than 10 characters and gives any other a new one, which
#: the layer tree then no longer names (the layer drops out of the tree).
QGIS_ID_MIN_LENGTH = 11

Bounds = tuple[float, float, float, float]


@dataclass(frozen=True)
class ProjectLayer:
    """One layer of the project.

    Attributes:
        id: Its id in the project (unique).
        name: Its name in the layer tree.
        source: The data source relative to the build (``./x.gpkg|layername=x``).
        provider: ``ogr`` (vectors) or ``gdal`` (rasters).
        crs: Its CRS, as read from the file.
        extent: (xmin, ymin, xmax, ymax) in ``crs``.
        renderer: Its ``<renderer-v2>`` or ``<rasterrenderer>`` element (XML text).
        labeling: Its ``<labeling>`` element, empty when unlabelled.
        geometry: ``Point``, ``Line`` or ``Polygon``; empty for a raster.
        wkb_type: The OGR geometry type (``MultiPolygon``); empty for a raster.
        visible: Switched on when the project opens.

    Examples:
        >>> layer = ProjectLayer("composite", "Composite hazard", "./composite.tif", "gdal",
        ...                      CRS.from_epsg(4326), (60.0, 44.0, 62.0, 45.0),
        ...                      "<rasterrenderer/>")
        >>> layer.provider, layer.visible, layer.geometry
        ('gdal', False, '')
    """

    id: str
    name: str
    source: str
    provider: str
    crs: CRS
    extent: Bounds
    renderer: str
    labeling: str = ""
    geometry: str = ""
    wkb_type: str = ""
    visible: bool = False


@dataclass
class LayerGroup:
    """A group of the layer tree: layers and groups, the first drawn on top.

    Examples:
        >>> layer = ProjectLayer("aralrisk_composite", "Composite hazard", "./composite.tif",
        ...                      "gdal", CRS.from_epsg(4326), (60.0, 44.0, 62.0, 45.0), "")
        >>> tree = LayerGroup("", [LayerGroup("Hazards", [layer]), LayerGroup("Exposure")])
        >>> [item.id for item in tree.layers()]
        ['aralrisk_composite']
    """

    name: str
    children: list[ProjectLayer | LayerGroup] = field(default_factory=list)
    expanded: bool = True

    def layers(self) -> list[ProjectLayer]:
        """Every layer of the group and its subgroups, in tree order (top first)."""
        found: list[ProjectLayer] = []
        for child in self.children:
            found.extend(child.layers() if isinstance(child, LayerGroup) else [child])
        return found


def spatialrefsys(crs: CRS) -> str:
    """A CRS as QGIS's ``<spatialrefsys>`` element: WKT, PROJ string and authority code.

    QGIS reads the WKT first, so a CRS without an EPSG code still opens right.

    Examples:
        >>> xml = spatialrefsys(CRS.from_epsg(32641))
        >>> "<authid>EPSG:32641</authid>" in xml, "<geographicflag>false<" in xml
        (True, True)
    """
    authority = crs.to_authority(min_confidence=90)
    authid = ":".join(authority) if authority else ""
    srid = authority[1] if authority and authority[0] == "EPSG" else "0"
    with warnings.catch_warnings():
        # A PROJ string loses datum details; QGIS only falls back on it without WKT.
        warnings.simplefilter("ignore", UserWarning)
        proj4 = crs.to_proj4()
    acronym = next((p[6:] for p in proj4.split() if p.startswith("+proj=")), "")
    return f"""<spatialrefsys nativeFormat="Wkt">
  <wkt>{escape(crs.to_wkt())}</wkt>
  <proj4>{escape(proj4)}</proj4>
  <srid>{escape(srid)}</srid>
  <authid>{escape(authid)}</authid>
  <description>{escape(crs.name)}</description>
  <projectionacronym>{escape(acronym)}</projectionacronym>
  <geographicflag>{str(crs.is_geographic).lower()}</geographicflag>
</spatialrefsys>"""


def _units(crs: CRS) -> str:
    """QGIS's name of the CRS's map units."""
    unit = crs.axis_info[0].unit_name if crs.axis_info else ""
    return {"degree": "degrees", "metre": "meters"}.get(unit, "unknown")


def _extent(bounds: Bounds, indent: str) -> str:
    tags = ("xmin", "ymin", "xmax", "ymax")
    values = "".join(f"<{t}>{v!r}</{t}>" for t, v in zip(tags, map(float, bounds), strict=True))
    return f"{indent}<extent>{values}</extent>"


def _indent(xml: str, prefix: str) -> str:
    return "\n".join(prefix + line if line else line for line in xml.splitlines())


def _tree_xml(group: LayerGroup, indent: str) -> str:
    lines: list[str] = []
    for child in group.children:
        if isinstance(child, LayerGroup):
            lines.append(
                f'{indent}<layer-tree-group name={quoteattr(child.name)} checked="Qt::Checked" '
                f'expanded="{int(child.expanded)}">'
            )
            lines.append(f"{indent}  <customproperties/>")
            lines.append(_tree_xml(child, indent + "  "))
            lines.append(f"{indent}</layer-tree-group>")
        else:
            checked = "Qt::Checked" if child.visible else "Qt::Unchecked"
            lines.append(
                f"{indent}<layer-tree-layer id={quoteattr(child.id)} name={quoteattr(child.name)} "
                f"source={quoteattr(child.source)} providerKey={quoteattr(child.provider)} "
                f'checked="{checked}" expanded="0">'
            )
            lines.append(f"{indent}  <customproperties/>")
            lines.append(f"{indent}</layer-tree-layer>")
    return "\n".join(line for line in lines if line)


def _maplayer_xml(layer: ProjectLayer) -> str:
    srs = _indent(spatialrefsys(layer.crs), "        ")
    if layer.provider == "ogr":
        head = (
            f'    <maplayer type="vector" geometry={quoteattr(layer.geometry)} '
            f'wkbType={quoteattr(layer.wkb_type)} labelsEnabled="{int(bool(layer.labeling))}" '
            'hasScaleBasedVisibilityFlag="0" minScale="100000000" maxScale="0">'
        )
        style = _indent(layer.renderer, "    ")
        if layer.labeling:
            style += "\n" + _indent(layer.labeling, "    ")
        provider = '      <provider encoding="UTF-8">ogr</provider>'
        tail = "      <blendMode>0</blendMode>\n      <featureBlendMode>0</featureBlendMode>"
    else:
        head = (
            '    <maplayer type="raster" hasScaleBasedVisibilityFlag="0" '
            'minScale="100000000" maxScale="0">'
        )
        style = f"      <pipe>\n{_indent(layer.renderer, '    ')}\n      </pipe>"
        provider = "      <provider>gdal</provider>"
        tail = (
            '      <noData><noDataList bandNo="1" useSrcNoData="1"/></noData>\n'
            "      <blendMode>0</blendMode>"
        )
    return f"""{head}
{_extent(layer.extent, "      ")}
      <id>{escape(layer.id)}</id>
      <datasource>{escape(layer.source)}</datasource>
      <layername>{escape(layer.name)}</layername>
      <srs>
{srs}
      </srs>
{provider}
{style}
{tail}
      <layerOpacity>1</layerOpacity>
    </maplayer>"""


def project_xml(root: LayerGroup, crs: CRS, extent: Bounds, title: str) -> str:
    """The ``.qgs`` document of a layer tree: project CRS, start extent, layers.

    Args:
        root: The layer tree (:func:`aralrisk.layers.qgis_project.build_tree`).
        crs: The project CRS (the build's).
        extent: (xmin, ymin, xmax, ymax) shown when the project opens, in ``crs``.
        title: The project's title.

    Examples:
        >>> root = LayerGroup("", [LayerGroup("Risk", [ProjectLayer("aralrisk_dist", "Districts",
        ...     "./d.gpkg|layername=d", "ogr", CRS.from_epsg(4326), (60.0, 43.0, 66.0, 47.0),
        ...     "<renderer-v2/>", geometry="Polygon", wkb_type="MultiPolygon")])])
        >>> xml = project_xml(root, CRS.from_epsg(4326), (60.0, 43.0, 66.0, 47.0), "Test")
        >>> "<datasource>./d.gpkg|layername=d</datasource>" in xml
        True
        >>> '<Absolute type="bool">false</Absolute>' in xml, "<units>degrees</units>" in xml
        (True, True)
    """
    layers = root.layers()
    ids = [layer.id for layer in layers]
    if len(set(ids)) != len(ids):
        raise ValueError(f"layer ids repeat in the project: {ids}")
    short = [i for i in ids if len(i) < QGIS_ID_MIN_LENGTH]
    if short:
        raise ValueError(
            f"layer ids {', '.join(map(repr, short))} would be replaced by QGIS: make them "
            f"longer than {QGIS_ID_MIN_LENGTH - 1} characters"
        )
    srs = _indent(spatialrefsys(crs), "    ")
    maplayers = "\n".join(_maplayer_xml(layer) for layer in layers)
    order = "\n".join(f"      <item>{escape(i)}</item>" for i in ids)
    return f"""<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis projectname={quoteattr(title)} version="{QGIS_VERSION}">
  <homePath path=""/>
  <title>{escape(title)}</title>
  <projectCrs>
{srs}
  </projectCrs>
  <layer-tree-group>
    <customproperties/>
{_tree_xml(root, "    ")}
    <custom-order enabled="0">
{order}
    </custom-order>
  </layer-tree-group>
  <mapcanvas name="theMapCanvas" annotationsVisible="1">
    <units>{_units(crs)}</units>
{_extent(extent, "    ")}
    <rotation>0</rotation>
    <destinationsrs>
{srs}
    </destinationsrs>
    <rendermaptile>0</rendermaptile>
  </mapcanvas>
  <projectlayers>
{maplayers}
  </projectlayers>
  <properties>
    <Paths>
      <Absolute type="bool">false</Absolute>
    </Paths>
    <SpatialRefSys>
      <ProjectionsEnabled type="int">1</ProjectionsEnabled>
    </SpatialRefSys>
  </properties>
</qgis>
"""


__all__ = [
    "QGIS_ID_MIN_LENGTH",
    "QGIS_VERSION",
    "LayerGroup",
    "ProjectLayer",
    "project_xml",
    "spatialrefsys",
]
