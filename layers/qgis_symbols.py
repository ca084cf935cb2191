"""QGIS symbology as XML: the renderers, QML styles and SLD documents of a build.

One function writes each piece QGIS reads: a categorized vector renderer
(:func:`vector_renderer`, polygons or points), labels (:func:`labeling`), a discrete
raster colour ramp (:func:`raster_renderer`). The QML styles (:func:`vector_qml`,
:func:`raster_qml`) wrap them, and the QGIS project (:mod:`aralrisk.layers.qgis_project`)
embeds the very same elements, so a layer looks the same whichever way QGIS opens it.
SLD 1.1 (Symbology Encoding 1.1) documents (:func:`vector_sld`) carry the same
classification for GeoServer and other SLD readers. Colours are ``#rrggbb``; QGIS
writes them as ``r,g,b,a``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal, NamedTuple
from xml.sax.saxutils import escape, quoteattr

from aralrisk.geo import index
from aralrisk.geo.index import RiskClasses
from aralrisk.layers.specs import HAZARD_LEVEL_COLORS, LegendClass, score_legend

#: Colour of districts without a risk value.
NO_DATA_COLOR = "#bdbdbd"
#: ThinkHazard! level colours of the settlements, as the map draws them (apart from the
#: INFORM risk colours, so a "high" hazard is not read as a "High" risk): code -> colour.
LEVEL_COLORS: dict[int, str] = {
    code: HAZARD_LEVEL_COLORS[code]
    for code in (index.VERY_LOW, index.LOW, index.MEDIUM, index.HIGH, index.NO_DATA)
}

Symbol = Literal["fill", "marker"]
#: Millimetres per screen pixel at 96 dpi (the web map's pixel), for QGIS sizes in mm.
MM_PER_PX = 25.4 / 96


class StyleClass(NamedTuple):
    """One category of a categorized style.

    Attributes:
        value: The attribute value, as text (``"High"``, ``"3"``).
        color: ``#rrggbb``.
        label: Legend text; the value when empty.

    Examples:
        >>> high = StyleClass("3", "#bd0026", "high")
        >>> high.value, high.label, StyleClass("High", "#fdae61").label
        ('3', 'high', '')
    """

    value: str
    color: str
    label: str = ""


def _rgb(color: str) -> str:
    value = color.lstrip("#")
    return ",".join(str(int(value[k : k + 2], 16)) for k in (0, 2, 4))


class MarkerSizes(NamedTuple):
    """Marker sizes by the value of one attribute, as the web map sizes its dots.

    Attributes:
        field: The attribute, e.g. a settlement's ``place`` kind.
        radius_px: Dot radius in screen pixels by attribute value.
        other_px: Radius of any other value (or none).

    QGIS gets the diameters in millimetres at 96 dpi (:meth:`qgis_expression`), SLD in
    pixels (:meth:`sld_size`).

    Examples:
        >>> sizes = MarkerSizes("place", {"city": 7.0}, 2.5)
        >>> print(sizes.qgis_expression())
        CASE WHEN "place" = 'city' THEN 3.70 ELSE 1.32 END
        >>> "<se:Data>city</se:Data><se:Value>14</se:Value>" in sizes.sld_size()
        True
    """

    field: str
    radius_px: Mapping[str, float]
    other_px: float

    def qgis_expression(self) -> str:
        """A QGIS expression giving each feature's marker diameter in millimetres."""
        name = '"' + self.field.replace('"', '""') + '"'
        cases = " ".join(
            f"WHEN {name} = '{value.replace(chr(39), chr(39) * 2)}' THEN {2 * r * MM_PER_PX:.2f}"
            for value, r in self.radius_px.items()
        )
        return f"CASE {cases} ELSE {2 * self.other_px * MM_PER_PX:.2f} END"

    def sld_size(self) -> str:
        """An SE 1.1 ``<se:Size>`` recoding the attribute to diameters in pixels."""
        items = "".join(
            f"<se:MapItem><se:Data>{escape(value)}</se:Data><se:Value>{2 * r:g}</se:Value>"
            "</se:MapItem>"
            for value, r in self.radius_px.items()
        )
        return (
            f'<se:Size><se:Recode fallbackValue="{2 * self.other_px:g}"><se:LookupValue>'
            f"<ogc:PropertyName>{escape(self.field)}</ogc:PropertyName></se:LookupValue>"
            f"{items}</se:Recode></se:Size>"
        )


def risk_classes(classes: RiskClasses) -> list[StyleClass]:
    """The district categories: each risk class, lowest first, then ``no data``.

    Examples:
        >>> from aralrisk.geo.index import INFORM_2025
        >>> [tuple(c[:2]) for c in risk_classes(INFORM_2025)][::5]
        [('Very Low', '#1a9641'), ('no data', '#bdbdbd')]
    """
    legend = score_legend(classes)
    return [
        *(StyleClass(label, c.color) for label, c in zip(classes.labels, legend, strict=True)),
        StyleClass("no data", NO_DATA_COLOR),
    ]


def level_classes() -> list[StyleClass]:
    """The settlement categories: hazard level codes, very low first, then no data.

    Values are the integer codes of :data:`PLACE_FIELD` as text (QGIS compares a
    category's value with the attribute as text), labels the level names.

    Examples:
        >>> [(c.value, c.label) for c in level_classes()][-2:]
        [('3', 'high'), ('-2', 'no data')]
    """
    return [
        StyleClass(str(code), color, index.LEVEL_LABELS[code])
        for code, color in LEVEL_COLORS.items()
    ]


def _symbol(kind: Symbol, name: str, color: str, sizes: MarkerSizes | None = None) -> str:
    """One QGIS symbol: a filled polygon outlined in dark grey, or a circle marker.

    A marker with ``sizes`` takes its diameter from them (a data-defined size).
    """
    if kind == "marker":
        options = {
            "name": "circle",
            "color": f"{_rgb(color)},255",
            "outline_color": "38,50,56,255",
            "outline_style": "solid",
            "outline_width": "0.2",
            "outline_width_unit": "MM",
            "size": "2.6",
            "size_unit": "MM",
        }
        layer_class = "SimpleMarker"
    else:
        options = {
            "color": f"{_rgb(color)},255",
            "outline_color": "35,35,35,255",
            "outline_style": "solid",
            "outline_width": "0.26",
            "outline_width_unit": "MM",
            "style": "solid",
        }
        layer_class = "SimpleFill"
    items = "\n".join(
        f'            <Option name="{k}" type="QString" value="{v}"/>' for k, v in options.items()
    )
    defined = ""
    if sizes is not None and kind == "marker":
        # QGIS's data-defined property of the symbol layer: type 3 is an expression.
        expression = quoteattr(sizes.qgis_expression())
        defined = f"""
          <data_defined_properties>
            <Option type="Map">
              <Option name="name" type="QString" value=""/>
              <Option name="properties" type="Map">
                <Option name="size" type="Map">
                  <Option name="active" type="bool" value="true"/>
                  <Option name="expression" type="QString" value={expression}/>
                  <Option name="type" type="int" value="3"/>
                </Option>
              </Option>
              <Option name="type" type="QString" value="collection"/>
            </Option>
          </data_defined_properties>"""
    return f"""      <symbol type="{kind}" name="{name}" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="{layer_class}" enabled="1" pass="0" locked="0">
          <Option type="Map">
{items}
          </Option>{defined}
        </layer>
      </symbol>"""


def vector_renderer(
    field: str,
    categories: Sequence[StyleClass],
    symbol: Symbol = "fill",
    sizes: MarkerSizes | None = None,
) -> str:
    """A QGIS ``<renderer-v2>`` categorizing ``field``: one symbol per category.

    Points are drawn in ascending order of ``field`` (QGIS "order by"), so the places
    of the highest level are drawn last, on top of their neighbours.

    Args:
        field: The classified attribute.
        categories: Value, colour and legend label of each category.
        symbol: ``"fill"`` for polygons, ``"marker"`` for points (circles).
        sizes: For markers, their sizes by another attribute (fixed when None).

    Returns:
        The element as XML text, for a QML style or a project's ``<maplayer>``.

    Examples:
        >>> xml = vector_renderer("risk_class", [StyleClass("High", "#fdae61")])
        >>> 'type="categorizedSymbol"' in xml and 'value="253,174,97,255"' in xml
        True
    """
    cats = "\n".join(
        f"      <category value={quoteattr(c.value)} label={quoteattr(c.label or c.value)} "
        f'symbol="{k}" render="true"/>'
        for k, c in enumerate(categories)
    )
    symbols = "\n".join(_symbol(symbol, str(k), c.color, sizes) for k, c in enumerate(categories))
    ordered = symbol == "marker"
    return f"""  <renderer-v2 type="categorizedSymbol" attr={quoteattr(field)}
      symbollevels="0" enableorderby="{int(ordered)}" forceraster="0">
    <categories>
{cats}
    </categories>
    <symbols>
{symbols}
    </symbols>
    <orderby>
      <orderByClause asc="1" nullsFirst="1">{escape(f'"{field}"')}</orderByClause>
    </orderby>
  </renderer-v2>"""


def labeling(field: str) -> str:
    """A QGIS ``<labeling>`` writing ``field`` beside each feature, with a white halo.

    Examples:
        >>> 'fieldName="name"' in labeling("name")
        True
    """
    return f"""  <labeling type="simple">
    <settings calloutType="simple">
      <text-style fieldName={quoteattr(field)} isExpression="0" fontSize="8"
          fontSizeUnit="Point" textColor="38,50,56,255" textOpacity="1" namedStyle="Regular">
        <text-buffer bufferDraw="1" bufferSize="0.8" bufferSizeUnits="MM"
            bufferColor="255,255,255,255" bufferOpacity="0.9" bufferNoFill="1"/>
      </text-style>
      <placement placement="6" dist="1" distUnits="MM" priority="5"/>
      <rendering obstacle="1" displayAll="0" scaleVisibility="0"/>
    </settings>
  </labeling>"""


def vector_qml(
    field: str,
    categories: Sequence[StyleClass],
    *,
    symbol: Symbol = "fill",
    label_field: str | None = None,
    sizes: MarkerSizes | None = None,
) -> str:
    """A QGIS style (QML): :func:`vector_renderer`, labelled by ``label_field`` if given.

    Examples:
        >>> qml = vector_qml("risk_class", [StyleClass("High", "#fdae61")])
        >>> 'type="categorizedSymbol"' in qml and 'labelsEnabled="0"' in qml
        True
        >>> qml = vector_qml("level", [StyleClass("3", "#bd0026", "high")],
        ...                  symbol="marker", label_field="name")
        >>> 'class="SimpleMarker"' in qml and 'fieldName="name"' in qml
        True
    """
    labels = f"\n{labeling(label_field)}" if label_field else ""
    return f"""<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.34.0" styleCategories="Symbology|Labeling" labelsEnabled="{int(bool(labels))}">
{vector_renderer(field, categories, symbol, sizes)}{labels}
</qgis>
"""


def _sld_symbolizer(symbol: Symbol, color: str, sizes: MarkerSizes | None = None) -> str:
    if symbol == "marker":
        size = sizes.sld_size() if sizes is not None else "<se:Size>9</se:Size>"
        return f"""          <se:PointSymbolizer>
            <se:Graphic>
              <se:Mark>
                <se:WellKnownName>circle</se:WellKnownName>
                <se:Fill><se:SvgParameter name="fill">{color}</se:SvgParameter></se:Fill>
                <se:Stroke>
                  <se:SvgParameter name="stroke">#263238</se:SvgParameter>
                  <se:SvgParameter name="stroke-width">1</se:SvgParameter>
                </se:Stroke>
              </se:Mark>
              {size}
            </se:Graphic>
          </se:PointSymbolizer>"""
    return f"""          <se:PolygonSymbolizer>
            <se:Fill><se:SvgParameter name="fill">{color}</se:SvgParameter></se:Fill>
            <se:Stroke>
              <se:SvgParameter name="stroke">#232323</se:SvgParameter>
              <se:SvgParameter name="stroke-width">1</se:SvgParameter>
            </se:Stroke>
          </se:PolygonSymbolizer>"""


def _sld_label(field: str) -> str:
    return f"""        <se:Rule>
          <se:Name>{escape(field)}</se:Name>
          <se:TextSymbolizer>
            <se:Label><ogc:PropertyName>{escape(field)}</ogc:PropertyName></se:Label>
            <se:Font><se:SvgParameter name="font-size">11</se:SvgParameter></se:Font>
            <se:LabelPlacement>
              <se:PointPlacement>
                <se:Displacement>
                  <se:DisplacementX>6</se:DisplacementX><se:DisplacementY>0</se:DisplacementY>
                </se:Displacement>
              </se:PointPlacement>
            </se:LabelPlacement>
            <se:Halo><se:Radius>1.5</se:Radius>
              <se:Fill><se:SvgParameter name="fill">#ffffff</se:SvgParameter></se:Fill>
            </se:Halo>
            <se:Fill><se:SvgParameter name="fill">#263238</se:SvgParameter></se:Fill>
          </se:TextSymbolizer>
        </se:Rule>"""


def vector_sld(
    layer: str,
    field: str,
    categories: Sequence[StyleClass],
    *,
    symbol: Symbol = "fill",
    label_field: str | None = None,
    sizes: MarkerSizes | None = None,
) -> str:
    """The same classification as an SLD 1.1 (Symbology Encoding 1.1) document.

    Examples:
        >>> sld = vector_sld("districts", "risk_class", [StyleClass("High", "#fdae61")])
        >>> "<ogc:Literal>High</ogc:Literal>" in sld and "#fdae61" in sld
        True
        >>> sld = vector_sld("places", "level", [StyleClass("3", "#bd0026", "high")],
        ...                  symbol="marker", label_field="name")
        >>> "<se:PointSymbolizer>" in sld and "<se:TextSymbolizer>" in sld
        True
    """
    rules = [
        f"""        <se:Rule>
          <se:Name>{escape(c.label or c.value)}</se:Name>
          <ogc:Filter>
            <ogc:PropertyIsEqualTo>
              <ogc:PropertyName>{escape(field)}</ogc:PropertyName>
              <ogc:Literal>{escape(c.value)}</ogc:Literal>
            </ogc:PropertyIsEqualTo>
          </ogc:Filter>
{_sld_symbolizer(symbol, c.color, sizes)}
        </se:Rule>"""
        for c in categories
    ]
    if label_field:
        rules.append(_sld_label(label_field))
    body = "\n".join(rules)
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
{body}
      </se:FeatureTypeStyle>
    </UserStyle>
  </NamedLayer>
</StyledLayerDescriptor>
"""


def raster_renderer(legend: Sequence[LegendClass]) -> str:
    """A QGIS discrete pseudocolour ``<rasterrenderer>`` of band 1 from a legend.

    A cell takes the colour of the first class (lowest first) whose upper bound it does
    not exceed (QGIS's "discrete" interpolation); the last class is open above. A colour
    of eight hex digits (``#rrggbbaa``) gives its class that opacity (``00``: not drawn).

    Examples:
        >>> from aralrisk.geo.index import INFORM_2025
        >>> xml = raster_renderer(score_legend(INFORM_2025))
        >>> xml.count("<item "), 'value="10.0"' in xml
        (5, True)
        >>> clear = LegendClass(color="#ffffff00", label="none", min=None, max=0.0)
        >>> '<item alpha="0" value="0.0" label="none" color="#ffffff"/>' in raster_renderer([clear])
        True
    """
    items = "\n".join(
        f'          <item alpha="{int(c.color[7:9] or "ff", 16)}" '
        f'value="{"inf" if c.max is None else repr(float(c.max))}" '
        f"label={quoteattr(c.label)} color={quoteattr(c.color[:7])}/>"
        for c in legend
    )
    return f"""    <rasterrenderer type="singlebandpseudocolor" band="1" opacity="1" alphaBand="-1"
        nodataColor="">
      <rastershader>
        <colorrampshader colorRampType="DISCRETE" classificationMode="1" clip="0">
{items}
        </colorrampshader>
      </rastershader>
    </rasterrenderer>"""


def raster_qml(legend: Sequence[LegendClass]) -> str:
    """A QGIS style (QML) of a raster: :func:`raster_renderer` in a ``<pipe>``.

    Examples:
        >>> from aralrisk.geo.index import INFORM_2025
        >>> qml = raster_qml(score_legend(INFORM_2025))
        >>> qml.count("<item "), "<pipe>" in qml
        (5, True)
    """
    return f"""<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.34.0" styleCategories="Symbology">
  <pipe>
{raster_renderer(legend)}
  </pipe>
</qgis>
"""


__all__ = [
    "LEVEL_COLORS",
    "MM_PER_PX",
    "NO_DATA_COLOR",
    "MarkerSizes",
    "StyleClass",
    "labeling",
    "level_classes",
    "raster_qml",
    "raster_renderer",
    "risk_classes",
    "vector_qml",
    "vector_renderer",
    "vector_sld",
]
