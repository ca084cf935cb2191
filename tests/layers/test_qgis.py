"""QGIS-ready builds: layer_styles in the GeoPackages, .qml beside every raster."""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from contextlib import closing

import geopandas as gpd
import pandas as pd
import pyogrio

from aralrisk.layers import qgis, qgis_symbols
from aralrisk.layers.result import BuildResult, classes_from_manifest
from aralrisk.layers.specs import score_legend

SLD = {"se": "http://www.opengis.net/se", "ogc": "http://www.opengis.net/ogc"}


def test_the_geopackages_carry_their_styles(built: BuildResult) -> None:
    classes = classes_from_manifest(built.manifest)
    expected = [*classes.labels, "no data"]
    assert built.manifest["styles"]["geopackages"] == [
        "districts.gpkg",
        "districts_input.gpkg",
        "places.gpkg",
    ]
    for stem in ("districts", "districts_input"):
        gpkg = built.path / f"{stem}.gpkg"
        # GDAL still sees the districts layer, and the styles table beside it.
        assert {str(row[0]) for row in pyogrio.list_layers(gpkg)} >= {stem, "layer_styles"}
        styles = pyogrio.read_dataframe(gpkg, layer="layer_styles")
        row = styles[styles["f_table_name"] == stem].iloc[0]
        assert row["f_geometry_column"] == "geom" and bool(row["useAsDefault"])
        qml = row["styleQML"].split("\n", 1)[1]  # the DOCTYPE line off
        renderer = ET.fromstring(qml).find("renderer-v2")  # noqa: S314 - the build's own file
        assert renderer is not None and renderer.get("type") == "categorizedSymbol"
        assert renderer.get("attr") == "risk_class"
        values = [c.get("value") for c in renderer.iter("category")]
        assert values == expected
        colours = [o.get("value") for o in renderer.iter("Option") if o.get("name") == "color"]
        legend = score_legend(classes)
        first = legend[0].color.lstrip("#")
        assert colours[0] == ",".join(str(int(first[k : k + 2], 16)) for k in (0, 2, 4)) + ",255"
        sld = ET.fromstring(row["styleSLD"].encode())  # noqa: S314 - the build's own file
        literals = [e.text for e in sld.iter(f"{{{SLD['ogc']}}}Literal")]
        assert literals == expected
        fills = [
            e.text for e in sld.iter(f"{{{SLD['se']}}}SvgParameter") if e.get("name") == "fill"
        ]
        assert fills[: len(legend)] == [c.color for c in legend]
        # Every class the build gave a district has a category.
        districts = gpd.read_file(gpkg, layer=stem)
        assert set(districts["risk_class"]) <= set(expected)
        with closing(sqlite3.connect(gpkg)) as db:
            kind = db.execute(
                "SELECT data_type FROM gpkg_contents WHERE table_name = 'layer_styles'"
            ).fetchone()
        assert kind == ("attributes",)


def test_every_raster_has_its_qml(built: BuildResult) -> None:
    styled = built.manifest["styles"]["rasters"]
    assert set(styled) <= set(built.manifest["outputs"])
    classes = classes_from_manifest(built.manifest)
    for layer_id, meta in built.manifest["layers"].items():
        if "raw" not in meta:
            continue
        qml = built.path / meta["score"].replace(".tif", ".qml")
        items = list(ET.parse(qml).getroot().iter("item"))  # noqa: S314 - the build's own
        assert [i.get("color") for i in items] == [c.color for c in score_legend(classes)]
        legend = built.registry[layer_id].legend()
        raw = built.path / meta["raw"].replace(".tif", ".qml")
        if not legend:
            assert not raw.exists()
            continue
        items = list(ET.parse(raw).getroot().iter("item"))  # noqa: S314 - the build's own
        assert [i.get("color") for i in items] == [c.color for c in legend]
        thresholds = [float(i.get("value", "nan")) for i in items[:-1]]
        assert thresholds == list(built.registry[layer_id].levels or ())
        assert items[-1].get("value") == "inf"
    assert (built.path / "composite.qml").is_file()


def _qgis_colour(hex_colour: str) -> str:
    value = hex_colour.lstrip("#")
    return ",".join(str(int(value[k : k + 2], 16)) for k in (0, 2, 4)) + ",255"


def test_the_settlements_carry_their_style(built: BuildResult) -> None:
    from aralrisk.layers.specs import HAZARD_LEVEL_COLORS

    gpkg = built.path / "places.gpkg"
    assert built.manifest["places"]["gpkg"] == "places.gpkg"
    assert "places.gpkg" in built.manifest["outputs"]
    # The GeoPackage holds the same settlements as places.csv, in lon/lat.
    places = gpd.read_file(gpkg, layer="places")
    table = pd.read_csv(built.path / "places.csv", dtype={"id": str})
    assert places.crs.to_epsg() == 4326 and len(places) == len(table) > 0
    assert list(places["id"]) == list(table["id"])
    assert list(places[qgis.PLACE_FIELD]) == list(table[qgis.PLACE_FIELD])
    styles = pyogrio.read_dataframe(gpkg, layer="layer_styles")
    assert list(styles["f_table_name"]) == ["places"]
    row = styles.iloc[0]
    assert bool(row["useAsDefault"]) and row["description"] == "places by hazard_level_around"
    root = ET.fromstring(row["styleQML"].split("\n", 1)[1])  # noqa: S314 - the build's own
    assert root.get("labelsEnabled") == "1"
    renderer = root.find("renderer-v2")
    assert renderer is not None and renderer.get("attr") == "hazard_level_around"
    categories = {c.get("value"): c.get("label") for c in renderer.iter("category")}
    assert categories == {"0": "very low", "1": "low", "2": "medium", "3": "high", "-2": "no data"}
    # Every settlement falls in a category: its level code is one of them.
    assert {str(v) for v in places[qgis.PLACE_FIELD]} <= set(categories)
    symbols = renderer.findall("symbols/symbol")
    assert {s.get("type") for s in symbols} == {"marker"}
    colours = [
        o.get("value") for s in symbols for o in s.iter("Option") if o.get("name") == "color"
    ]
    # The map's colours: a high settlement is the same red in QGIS and in the browser.
    assert colours == [_qgis_colour(HAZARD_LEVEL_COLORS[int(str(v))]) for v in categories]
    text = root.find("labeling/settings/text-style")
    assert text is not None and text.get("fieldName") == "name"
    sld = ET.fromstring(row["styleSLD"].encode())  # noqa: S314 - the build's own file
    literals = [e.text for e in sld.iter(f"{{{SLD['ogc']}}}Literal")]
    assert literals == list(categories)
    assert len(list(sld.iter(f"{{{SLD['se']}}}PointSymbolizer"))) == len(categories)
    label = sld.find(f".//{{{SLD['se']}}}TextSymbolizer/{{{SLD['se']}}}Label/")
    assert label is not None and label.text == "name"


def test_the_level_palette_is_the_maps() -> None:
    from aralrisk.api.map import page
    from aralrisk.layers.specs import HAZARD_LEVEL_COLORS

    # One palette: the map page draws levels with the very object QGIS styles read.
    assert page.HAZARD_LEVEL_COLORS is HAZARD_LEVEL_COLORS
    for code, colour in qgis_symbols.LEVEL_COLORS.items():
        assert HAZARD_LEVEL_COLORS[code] == colour


def _size_expression(symbol: ET.Element) -> str:
    found = [
        o.get("value", "")
        for prop in symbol.iter("Option")
        if prop.get("name") == "size" and prop.get("type") == "Map"
        for o in prop
        if o.get("name") == "expression"
    ]
    assert len(found) == 1, "one data-defined size per marker"
    return found[0]


def test_settlement_markers_are_sized_by_kind_as_on_the_map(built: BuildResult) -> None:
    import re

    from aralrisk.api.map.assets import OWN_STATIC
    from aralrisk.layers.specs import OTHER_PLACE_RADIUS_PX, PLACE_RADIUS_PX

    styles = pyogrio.read_dataframe(built.path / "places.gpkg", layer="layer_styles")
    root = ET.fromstring(styles.iloc[0]["styleQML"].split("\n", 1)[1])  # noqa: S314
    symbols = root.findall("renderer-v2/symbols/symbol")
    expressions = {_size_expression(s) for s in symbols}
    assert len(expressions) == 1  # every level's marker is sized the same way
    (expression,) = expressions
    # Evaluated by hand: each kind's diameter in mm at 96 dpi, the map's radius doubled.
    cases = dict(re.findall(r"WHEN \"place\" = '(\w+)' THEN ([\d.]+)", expression))
    other = re.search(r"ELSE ([\d.]+) END$", expression)
    assert other is not None
    assert {k: float(v) for k, v in cases.items()} == {
        k: round(2 * r * 25.4 / 96, 2) for k, r in PLACE_RADIUS_PX.items()
    }
    assert float(other.group(1)) == round(2 * OTHER_PLACE_RADIUS_PX * 25.4 / 96, 2)
    places = gpd.read_file(built.path / "places.gpkg", layer="places")
    kinds = set(places["place"])
    assert {"town", "village"} <= kinds  # the tiny world has both: their sizes differ
    assert float(cases["town"]) > float(cases["village"])
    assert float(cases["city"]) == 3.70 and float(cases["village"]) == 2.12
    # SLD: the same kinds recoded to pixel diameters.
    sld = ET.fromstring(styles.iloc[0]["styleSLD"].encode())  # noqa: S314
    recodes = list(sld.iter(f"{{{SLD['se']}}}Recode"))
    assert recodes and all(r.get("fallbackValue") == "5" for r in recodes)
    items = {
        i.findtext(f"{{{SLD['se']}}}Data"): float(i.findtext(f"{{{SLD['se']}}}Value") or "nan")
        for i in recodes[0].iter(f"{{{SLD['se']}}}MapItem")
    }
    assert items == {k: 2 * r for k, r in PLACE_RADIUS_PX.items()}
    # The map page's dots: places.js holds the same radii.
    script = (OWN_STATIC / "places.js").read_text(encoding="utf-8")
    js = {k: float(r) for k, r in re.findall(r"(\w+): \[\d, ([\d.]+), \d+\]", script)}
    assert js == PLACE_RADIUS_PX
    assert f"OTHER_KIND = [3, {OTHER_PLACE_RADIUS_PX:g}, 12]" in script
    # The QGIS project draws the settlements with the same renderer.
    project = ET.parse(built.path / "aralrisk.qgs").getroot()  # noqa: S314
    layer = next(
        m for m in project.iter("maplayer") if m.findtext("layername", "").startswith("Settlements")
    )
    assert {_size_expression(s) for s in layer.findall("renderer-v2/symbols/symbol")} == {
        expression
    }
