"""The QGIS project of a build (aralrisk.qgs), read back as XML."""

from __future__ import annotations

import dataclasses
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import rasterio
from pyproj import CRS, Transformer
from shapely.geometry import box

from aralrisk.layers import qgis_project, qgis_qgs, qgis_symbols
from aralrisk.layers.result import BuildResult, classes_from_manifest
from aralrisk.layers.specs import EXPOSED_BREAKS, EXPOSED_COLORS, score_legend


def _colour(hex_colour: str) -> str:
    value = hex_colour.lstrip("#")
    return ",".join(str(int(value[k : k + 2], 16)) for k in (0, 2, 4)) + ",255"


def _project(folder: Path) -> ET.Element:
    return ET.parse(folder / qgis_project.PROJECT_FILE).getroot()  # noqa: S314 - our own file


def _canonical(element: ET.Element) -> str:
    """An element's XML without the indentation, to compare two elements."""
    return ET.canonicalize(ET.tostring(element, encoding="unicode"), strip_text=True)


def _resolve(folder: Path, source: str) -> tuple[Path, str | None]:
    """The file a relative data source names, and its layer name if any."""
    path, _, options = source.partition("|")
    assert path.startswith("./"), source
    layer = options.removeprefix("layername=") if options else None
    return (folder / path).resolve(), layer


def test_the_project_opens_every_layer_from_the_build(built: BuildResult) -> None:
    assert built.manifest["styles"]["project"] == "aralrisk.qgs"
    assert "aralrisk.qgs" in built.manifest["outputs"]
    root = _project(built.path)
    maplayers = root.findall("projectlayers/maplayer")
    assert len(maplayers) >= 3
    ids = [m.findtext("id") or "" for m in maplayers]
    assert len(set(ids)) == len(ids)
    # QGIS keeps a layer's id only when it is longer than 10 characters
    # (QgsMapLayer::readLayerXml) and gives the others new ones, which the layer tree
    # no longer names: "districts", "places" and "composite" would drop out of the tree.
    assert min(len(i) for i in ids) > qgis_qgs.QGIS_ID_MIN_LENGTH - 1 == 10
    for m in maplayers:
        source = m.findtext("datasource") or ""
        path, layer = _resolve(built.path, source)
        assert path.is_file() and path.is_relative_to(built.path), source
        provider = m.findtext("provider")
        if m.get("type") == "vector":
            assert provider == "ogr" and path.suffix == ".gpkg" and layer == path.stem
            assert layer in {str(row[0]) for row in pyogrio.list_layers(path)}
            info = pyogrio.read_info(path, layer=layer)
            assert m.findtext("srs/spatialrefsys/authid") == info["crs"]
            assert m.get("wkbType") == info["geometry_type"]
        else:
            assert m.get("type") == "raster" and provider == "gdal" and path.suffix == ".tif"
            assert layer is None
            with rasterio.open(path) as ds:
                assert m.findtext("srs/spatialrefsys/authid") == ds.crs.to_string()
    # The layer tree names the same layers with the same sources.
    tree = {
        t.get("id"): (t.get("source"), t.get("providerKey")) for t in root.iter("layer-tree-layer")
    }
    assert tree == {
        m.findtext("id"): (m.findtext("datasource"), m.findtext("provider")) for m in maplayers
    }
    # Relative paths: nothing names the folder the build was written in.
    text = (built.path / "aralrisk.qgs").read_text(encoding="utf-8")
    assert str(built.path) not in text and str(built.path.parent) not in text
    assert root.findtext("properties/Paths/Absolute") == "false"


def test_the_project_is_grouped_with_points_on_top(built: BuildResult) -> None:
    root = _project(built.path)
    top = root.find("layer-tree-group")
    assert top is not None
    groups = [g.get("name") for g in top.findall("layer-tree-group")]
    assert groups == ["Settlements", "Risk", "Hazards", "Exposure", "Vulnerability and coping"]
    order = [t.get("id") for t in root.iter("layer-tree-layer")]
    # The tree's order is the drawing order (no custom order): settlements first, on top.
    assert order[:2] == ["aralrisk_places", "aralrisk_districts"]
    custom = top.find("custom-order")
    assert custom is not None and custom.get("enabled") == "0"
    hazards = next(g for g in top.findall("layer-tree-group") if g.get("name") == "Hazards")
    titles = {h.title for h in built.registry.hazards}
    assert {g.get("name") for g in hazards.findall("layer-tree-group")} <= titles
    # Every hazard layer of the build appears with its raw values and its score.
    in_tree = {t.get("source") for t in hazards.iter("layer-tree-layer")}
    for layer_id, meta in built.manifest["layers"].items():
        if built.registry[layer_id].role == "hazard" and "raw" in meta:
            assert {f"./{meta['raw']}", f"./{meta['score']}"} <= in_tree, layer_id
    # Only the districts and the settlements are switched on.
    on = {t.get("id") for t in root.iter("layer-tree-layer") if t.get("checked") == "Qt::Checked"}
    assert on == {"aralrisk_places", "aralrisk_districts"}


def test_the_layers_are_styled_as_their_side_files(built: BuildResult) -> None:
    root = _project(built.path)
    classes = classes_from_manifest(built.manifest)
    scores = [c.color for c in score_legend(classes)]
    exposure = next(g for g in root.iter("layer-tree-group") if g.get("name") == "Exposure")
    exposure_ids = [t.get("id") for t in exposure.iter("layer-tree-layer")][:1]
    rasters = 0
    for m in root.findall("projectlayers/maplayer"):
        source = m.findtext("datasource") or ""
        path, _ = _resolve(built.path, source)
        if m.get("type") == "raster":
            renderer = m.find("pipe/rasterrenderer")
            assert renderer is not None and renderer.get("type") == "singlebandpseudocolor"
            # The same renderer as the .qml QGIS would pick up beside the raster.
            side = ET.parse(path.with_suffix(".qml")).getroot()  # noqa: S314 - our own file
            expected = side.find("pipe/rasterrenderer")
            assert expected is not None
            assert _canonical(renderer) == _canonical(expected)
            colours = [i.get("color") for i in renderer.iter("item")]
            alphas = [i.get("alpha") for i in renderer.iter("item")]
            if path.name == "exposed.tif":
                # The map's classes of exposed people per km², nobody exposed not drawn.
                assert colours == ["#ffffff", *EXPOSED_COLORS]
                assert alphas == ["0"] + ["255"] * len(EXPOSED_COLORS)
                values = [float(i.get("value", "nan")) for i in renderer.iter("item")][:-1]
                assert values == [0.0, *EXPOSED_BREAKS]
                assert m.findtext("id") in exposure_ids
            elif path.name.endswith(".score.tif") or path.parent == built.path:
                assert colours == scores
            else:
                layer_id = path.stem
                assert colours == list(built.registry[layer_id].colors or ())
                values = [float(i.get("value", "nan")) for i in renderer.iter("item")][:-1]
                assert values == list(built.registry[layer_id].levels or ())
            rasters += 1
            continue
        renderer = m.find("renderer-v2")
        assert renderer is not None and renderer.get("type") == "categorizedSymbol"
        colours = [o.get("value") for o in renderer.iter("Option") if o.get("name") == "color"]
        if m.findtext("id") == "aralrisk_districts":
            assert renderer.get("attr") == "risk_class"
            categories = qgis_symbols.risk_classes(classes)
            assert m.get("labelsEnabled") == "0"
        else:
            assert renderer.get("attr") == "hazard_level_around"
            categories = qgis_symbols.level_classes()
            assert m.get("labelsEnabled") == "1"
            text = m.find("labeling/settings/text-style")
            assert text is not None and text.get("fieldName") == "name"
        assert [c.get("value") for c in renderer.iter("category")] == [c.value for c in categories]
        assert colours == [_colour(c.color) for c in categories]
    # Every raster with a side file is in the project.
    assert rasters == len(built.manifest["styles"]["rasters"]) > 3


def test_the_project_crs_and_extent_are_the_builds(built: BuildResult) -> None:
    root = _project(built.path)
    crs = built.manifest["grid"]["crs"]
    assert root.findtext("projectCrs/spatialrefsys/authid") == crs
    assert root.findtext("mapcanvas/destinationsrs/spatialrefsys/authid") == crs
    wkt = root.findtext("projectCrs/spatialrefsys/wkt") or ""
    assert CRS.from_wkt(wkt) == CRS.from_user_input(crs)
    assert root.findtext("mapcanvas/units") == "degrees"
    extent = [
        float(root.findtext(f"mapcanvas/extent/{k}") or "nan")
        for k in ("xmin", "ymin", "xmax", "ymax")
    ]
    districts = gpd.read_file(built.path / "districts.gpkg", layer="districts")
    assert extent == pytest.approx(list(districts.to_crs(crs).total_bounds))
    assert root.findtext("properties/SpatialRefSys/ProjectionsEnabled") == "1"
    assert root.findtext("title") == built.manifest["title"]


def test_a_moved_build_still_finds_its_layers(built: BuildResult, tmp_path: Path) -> None:
    moved = tmp_path / "somewhere" / "else"
    shutil.copytree(built.path, moved)
    root = _project(moved)
    for m in root.findall("projectlayers/maplayer"):
        path, _ = _resolve(moved, m.findtext("datasource") or "")
        assert path.is_file() and path.is_relative_to(moved)


def test_a_projected_build_gets_a_projected_project(tmp_path: Path) -> None:
    utm = CRS.from_epsg(32641)
    districts = gpd.GeoDataFrame(geometry=[box(60.0, 44.0, 62.0, 45.0)], crs=4326)
    districts.to_file(tmp_path / "districts.gpkg", layer="districts")
    extent = qgis_project.oblast_extent(tmp_path, utm)
    to_utm = Transformer.from_crs(4326, utm, always_xy=True)
    assert extent == pytest.approx(to_utm.transform_bounds(60.0, 44.0, 62.0, 45.0))
    root = qgis_qgs.LayerGroup(
        "",
        [
            qgis_qgs.LayerGroup(
                "Risk",
                [
                    qgis_project.vector_layer(
                        tmp_path, "districts", "Districts", "<renderer-v2/>", visible=True
                    )
                ],
            )
        ],
    )
    xml = qgis_qgs.project_xml(root, utm, extent, "UTM")
    parsed = ET.fromstring(xml.split("\n", 1)[1])  # noqa: S314 - our own text
    assert parsed.findtext("projectCrs/spatialrefsys/authid") == "EPSG:32641"
    assert parsed.findtext("projectCrs/spatialrefsys/geographicflag") == "false"
    assert parsed.findtext("mapcanvas/units") == "meters"
    # The layer keeps its own CRS; QGIS reprojects it on the fly.
    assert parsed.findtext("projectlayers/maplayer/srs/spatialrefsys/authid") == "EPSG:4326"
    assert float(parsed.findtext("mapcanvas/extent/xmin") or "nan") == pytest.approx(extent[0])


def test_repeated_layer_ids_are_refused(tmp_path: Path) -> None:
    districts = gpd.GeoDataFrame(geometry=[box(60.0, 44.0, 62.0, 45.0)], crs=4326)
    districts.to_file(tmp_path / "districts.gpkg", layer="districts")
    layer = qgis_project.vector_layer(tmp_path, "districts", "Districts", "<renderer-v2/>")
    root = qgis_qgs.LayerGroup("", [layer, layer])
    with pytest.raises(ValueError, match="repeat"):
        qgis_qgs.project_xml(root, CRS.from_epsg(4326), (0.0, 0.0, 1.0, 1.0), "x")


def test_ids_qgis_would_replace_are_refused(tmp_path: Path) -> None:
    districts = gpd.GeoDataFrame(geometry=[box(60.0, 44.0, 62.0, 45.0)], crs=4326)
    districts.to_file(tmp_path / "districts.gpkg", layer="districts")
    layer = qgis_project.vector_layer(tmp_path, "districts", "Districts", "<renderer-v2/>")
    assert layer.id == "aralrisk_districts"
    short = dataclasses.replace(layer, id="districts")
    root = qgis_qgs.LayerGroup("", [short])
    with pytest.raises(ValueError, match=r"'districts'.*longer than 10 characters"):
        qgis_qgs.project_xml(root, CRS.from_epsg(4326), (0.0, 0.0, 1.0, 1.0), "x")


def test_the_docs_name_the_project() -> None:
    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "`aralrisk.qgs`" in readme and "`places.gpkg`" in readme
    reference = (root / "docs" / "reference" / "configuration.md").read_text(encoding="utf-8")
    assert "::: aralrisk.layers.qgis_project" in reference
