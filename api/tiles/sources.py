"""Which raster of a build a tile layer id draws, and in which colours.

Tile layer ids are the catalog's spatial layers (``?values=raw`` in the layer's level
colours, ``?values=score`` in the INFORM score classes) and the build's derived
surfaces (:data:`SURFACES`): ``composite``, ``vulnerability`` and ``lack_of_coping``
(0-10, in the score classes of the build's INFORM release) and ``exposed`` (people per
km2 living where a hazard reaches its exposure threshold, in its own density classes).
There is no risk surface: risk is a district index. Everything is looked up in the
build's manifest: a request's id is never used to make a file path.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from aralrisk.api.i18n import N_
from aralrisk.api.tiles.colormaps import EXPOSED_CLASSES, ClassColors, layer_colors, score_colors
from aralrisk.geo.errors import NotFoundError
from aralrisk.layers.result import BuildResult, classes_from_manifest

Values = Literal["raw", "score"]


@dataclass(frozen=True)
class Surface:
    """A derived raster of a build served as a tile layer.

    Attributes:
        title: What it shows, with its units.
        units: Units of its values as shown to people.
        description: One or two sentences for a planner.
        kind: ``"score"`` (0-10, INFORM classes) or ``"exposed"`` (people per km2).
    """

    title: str
    units: str
    description: str
    kind: Literal["score", "exposed"]


#: The build's derived surfaces served as tile layers.
SURFACES: dict[str, Surface] = {
    "composite": Surface(
        N_("All hazards combined (score 0-10)"),
        "score 0-10",
        N_(
            "Composite hazard intensity of every cell with the build's weights: how severe "
            "the hazards are, not who lives there."
        ),
        "score",
    ),
    "exposed": Surface(
        N_("People exposed to a hazard (per km²)"),
        "people/km²",
        N_(
            "Where the people exposed live: people per km² in cells where at least one "
            "hazard reaches its exposure threshold (none elsewhere)."
        ),
        "exposed",
    ),
    "vulnerability": Surface(
        N_("Vulnerability (score 0-10)"),
        "score 0-10",
        N_("The district's INFORM vulnerability painted on its cells."),
        "score",
    ),
    "lack_of_coping": Surface(
        N_("Lack of coping capacity (score 0-10)"),
        "score 0-10",
        N_("The district's INFORM lack of coping capacity painted on its cells."),
        "score",
    ),
}


def surface_colors(build: BuildResult, surface: Surface) -> ClassColors:
    """The class colours of a derived surface in ``build``."""
    if surface.kind == "exposed":
        return EXPOSED_CLASSES
    return score_colors(classes_from_manifest(build.manifest))


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
    return ids + [i for i in SURFACES if i in rasters]


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
    if layer_id in SURFACES and layer_id not in build.registry:
        if layer_id not in build.manifest.get("rasters", {}):
            raise _unknown(build, layer_id)
        surface = SURFACES[layer_id]
        path = build.raster(layer_id)
        colors = surface_colors(build, surface)
        return TileSource(layer_id, layer_id, path, surface.title, colors)
    meta = build.manifest.get("layers", {}).get(layer_id, {})
    if layer_id not in build.registry or "raw" not in meta:
        raise _unknown(build, layer_id)
    spec = build.registry[layer_id]
    if values == "score":
        name = f"{layer_id}_score"
        colors = score_colors(classes_from_manifest(build.manifest))
        return TileSource(layer_id, name, build.raster(name), f"{spec.title} (score 0-10)", colors)
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
