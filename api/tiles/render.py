"""Render tiles of a build to PNG bytes: one layer, the composite on the fly, the basemap.

Functions here are synchronous and CPU-bound (GDAL reads, NumPy, zlib); the router runs
them in worker threads. Classes, composite and risk are computed cell by cell on what
:func:`~api.tiles.readers.read_cells` returns, then drawn into the tile. The composite
and risk tiles call the pipeline's own :func:`layers.scoring.composite_cells` and
:func:`layers.scoring.risk_cells`, so a tile computed with the build's weights shows
what the build's ``composite.tif`` and ``risk.tif`` hold (at the native zoom; coarser
zooms combine averaged overviews).
"""

from __future__ import annotations

from typing import Literal

import morecantile

from api.tiles import colormaps
from api.tiles.readers import gdal_env, read_cells, read_tile
from api.tiles.sources import TileSource, basemap_source
from geo.errors import NotFoundError
from layers import scoring
from layers.result import BuildResult

Target = Literal["hazard", "risk"]


def layer_tile(
    build: BuildResult, source: TileSource, tile: morecantile.Tile, tilesize: int
) -> bytes:
    """One tile of one raster in its class colours (transparent where no data)."""
    with gdal_env():
        (cells,), sampling = read_cells(build.version, [source.path], tile, tilesize)
    colors = source.colors
    return colors.palette.encode(sampling.take(colors.indices(cells), 0))


def composite_tile(
    build: BuildResult,
    weighting: scoring.Weighting,
    target: Target,
    tile: morecantile.Tile,
    tilesize: int,
) -> bytes:
    """One composite hazard (or risk) tile in the score classes.

    Hazards with weight zero are not read: they drop out of the composite anyway.

    Raises:
        NotFoundError: ``target="risk"`` on a build without an exposure layer.
    """
    layers = build.manifest.get("layers", {})
    hazards = [
        spec.id
        for spec in build.registry.hazards
        if weighting.weights.get(spec.id, 0.0) > 0 and "score" in layers.get(spec.id, {})
    ]
    names = [f"{h}_score" for h in hazards]
    if target == "risk":
        exposure = [
            s.id for s in build.registry.by_role("exposure") if "score" in layers.get(s.id, {})
        ]
        if not exposure or "risk" not in build.manifest.get("rasters", {}):
            raise NotFoundError("this build has no exposure layer, so it has no risk tiles")
        names += [f"{exposure[0]}_score", "vulnerability", "coping"]
    paths = [build.raster(name) for name in names]
    with gdal_env():
        cells, sampling = read_cells(build.version, paths, tile, tilesize)
    # The scoring functions work cell by cell; flat arrays make their NumPy passes
    # over the hazard axis about a quarter faster than 2-D tiles.
    shape = cells[0].shape
    flat = [c.ravel() for c in cells]
    values = scoring.composite_cells(
        dict(zip(hazards, flat, strict=False)), build.registry, weighting
    )
    if target == "risk":
        values = scoring.risk_cells(values, *flat[len(hazards) :])
    indices = colormaps.SCORE_CLASSES.indices(values).reshape(shape)
    return colormaps.SCORE_CLASSES.palette.encode(sampling.take(indices, 0))


def basemap_tile(build: BuildResult, tile: morecantile.Tile, tilesize: int) -> bytes:
    """One tile of the offline basemap: the hillshade in greys, transparent outside."""
    with gdal_env():
        shade, valid = read_tile(build.version, basemap_source(build), tile, tilesize)
    return colormaps.hillshade_png(shade, valid)
