"""Render tiles of a build to PNG bytes: one layer, the composite on the fly, the basemap.

Functions here are synchronous and CPU-bound (GDAL reads, NumPy, zlib); the router runs
them in worker threads. Classes and the composite are computed cell by cell on what
:func:`~api.tiles.readers.read_cells` returns, then drawn into the tile. The composite
tiles call the pipeline's own :func:`layers.scoring.composite_cells`, so a tile computed
with the build's weights shows what the build's ``composite.tif`` holds (at the native
zoom; coarser zooms combine averaged overviews). There are no risk tiles: risk is a
district index.
"""

from __future__ import annotations

from functools import cache

import morecantile
import numpy as np

from aralrisk.api.tiles import colormaps
from aralrisk.api.tiles.png import Palette
from aralrisk.api.tiles.readers import gdal_env, read_cells, read_tile
from aralrisk.api.tiles.sources import TileSource, basemap_source
from aralrisk.layers import scoring
from aralrisk.layers.registry import Registry
from aralrisk.layers.result import BuildResult, classes_from_manifest


def layer_tile(
    build: BuildResult, source: TileSource, tile: morecantile.Tile, tilesize: int
) -> bytes:
    """One tile of one raster in its class colours (transparent where no data)."""
    with gdal_env():
        (cells,), sampling = read_cells(build.version, [source.path], tile, tilesize)
    colors = source.colors
    return colors.palette.encode(sampling.take(colors.indices(cells), 0))


def layer_shares(registry: Registry, weighting: scoring.Weighting) -> dict[str, float]:
    """Each hazard layer's share of the composite: its hazard's weight x its own within."""
    return {
        layer: weighting.weights.get(hazard.id, 0.0) * weighting.layer_weights.get(layer, 0.0)
        for hazard in registry.hazards
        for layer in hazard.layers
    }


def weighted_layers(build: BuildResult, weighting: scoring.Weighting) -> list[str]:
    """The hazard layers with a score raster whose share of the composite is positive.

    A layer's share is its hazard's weight times its weight within the hazard; layers
    of weight zero drop out of the composite anyway, so their tiles are not read.
    """
    layers = build.manifest.get("layers", {})
    shares = layer_shares(build.registry, weighting)
    return [
        spec.id
        for spec in build.registry.hazard_layers
        if shares.get(spec.id, 0.0) > 0 and "score" in layers.get(spec.id, {})
    ]


def composite_tile(
    build: BuildResult,
    weighting: scoring.Weighting,
    tile: morecantile.Tile,
    tilesize: int,
) -> bytes:
    """One composite hazard tile in the score classes of the build's INFORM release."""
    layer_ids = weighted_layers(build, weighting)
    paths = [build.raster(f"{layer}_score") for layer in layer_ids]
    with gdal_env():
        cells, sampling = read_cells(build.version, paths, tile, tilesize)
    # The scoring functions work cell by cell; flat arrays make their NumPy passes
    # over the hazard axis about a quarter faster than 2-D tiles.
    shape = cells[0].shape
    flat = [c.ravel() for c in cells]
    values = scoring.composite_cells(
        dict(zip(layer_ids, flat, strict=True)), build.registry, weighting
    )
    colors = colormaps.score_colors(classes_from_manifest(build.manifest))
    indices = colors.indices(values).reshape(shape)
    return colors.palette.encode(sampling.take(indices, 0))


def basemap_tile(build: BuildResult, tile: morecantile.Tile, tilesize: int) -> bytes:
    """One tile of the offline basemap: the hillshade in greys, transparent outside."""
    with gdal_env():
        shade, valid = read_tile(build.version, basemap_source(build), tile, tilesize)
    return colormaps.hillshade_png(shade, valid)


@cache
def empty_tile(tilesize: int) -> bytes:
    """A wholly transparent ``tilesize`` x ``tilesize`` PNG: a tile outside the data."""
    return Palette([(0, 0, 0, 0)]).encode(np.zeros((tilesize, tilesize), dtype=np.uint8))
