"""Which raster of a build a tile layer id draws, and in which colours.

Tile layer ids are the catalog's spatial layers (``?values=raw`` in the layer's level
colours, ``?values=score`` in the INFORM score classes) and the build's derived
0-10 surfaces ``composite``, ``risk``, ``vulnerability`` and ``coping`` (always in the
score classes). Everything is looked up in the build's manifest: a request's id is
never used to make a file path.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from api.tiles.colormaps import SCORE_CLASSES, ClassColors, layer_colors
from geo.errors import NotFoundError
from layers.result import BuildResult

Values = Literal["raw", "score"]

#: The build's derived score surfaces served as tile layers, with their titles.
DERIVED: dict[str, str] = {
    "composite": "Composite hazard (score 0-10)",
    "risk": "Risk, INFORM (score 0-10)",
    "vulnerability": "Vulnerability (score 0-10)",
    "coping": "Lack of coping capacity (score 0-10)",
}


@dataclass(frozen=True)
class TileSource:
    """One raster of a build and how its tiles are coloured.

    Attributes:
        layer: The public tile layer id.
        raster: The raster's name for :meth:`BuildResult.raster`.
        path: The raster file.
        title: Human title of what the tiles show.
        colors: The class colours.
    """

    layer: str
    raster: str
    path: Path
    title: str
    colors: ClassColors


def tile_layers(build: BuildResult) -> list[str]:
    """Ids that have tiles in ``build``: spatial catalog layers, then derived surfaces."""
    layers = build.manifest.get("layers", {})
    rasters = build.manifest.get("rasters", {})
    ids = [i for i in build.registry if "raw" in layers.get(i, {})]
    return ids + [i for i in DERIVED if i in rasters]


def _unknown(build: BuildResult, layer_id: str) -> NotFoundError:
    return NotFoundError(
        f"no tiles for layer {layer_id!r}; layers with tiles: {', '.join(tile_layers(build))}"
    )


def tile_source(build: BuildResult, layer_id: str, values: Values = "raw") -> TileSource:
    """The raster and colours of tile layer ``layer_id`` in ``build``.

    Raises:
        NotFoundError: The build has no tiles under that id (unknown layer, or a
            district-table column without a raster).
    """
    if layer_id in DERIVED and layer_id not in build.registry:
        if layer_id not in build.manifest.get("rasters", {}):
            raise _unknown(build, layer_id)
        path = build.raster(layer_id)
        return TileSource(layer_id, layer_id, path, DERIVED[layer_id], SCORE_CLASSES)
    meta = build.manifest.get("layers", {}).get(layer_id, {})
    if layer_id not in build.registry or "raw" not in meta:
        raise _unknown(build, layer_id)
    spec = build.registry[layer_id]
    if values == "score":
        name = f"{layer_id}_score"
        return TileSource(
            layer_id, name, build.raster(name), f"{spec.title} (score 0-10)", SCORE_CLASSES
        )
    title = f"{spec.title} ({spec.units_label})"
    return TileSource(layer_id, layer_id, build.raster(layer_id), title, layer_colors(spec))


def basemap_source(build: BuildResult) -> Path:
    """The hillshade of the build's offline basemap.

    Raises:
        NotFoundError: The build was made without an elevation input.
    """
    if "hillshade" not in build.manifest.get("basemap", {}):
        raise NotFoundError("this build has no basemap: configure [basemap] elevation")
    return build.raster("hillshade")


def hydrography_path(build: BuildResult) -> Path:
    """The build's rivers, sea and dried seabed (GeoJSON), checked to lie in the build.

    Raises:
        NotFoundError: The build was made without hydrography.
    """
    rel = build.manifest.get("basemap", {}).get("hydrography")
    if not rel:
        raise NotFoundError("this build has no hydrography: configure [basemap] hydrography")
    root = build.path.resolve()
    path = (root / str(rel)).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise NotFoundError("this build has no hydrography file")
    return path
