"""Render tiles of a build to PNG bytes: one layer, the composite on the fly, the basemap.

Functions here are synchronous and CPU-bound (GDAL reads, NumPy, zlib); the router runs
them in worker threads. The composite and risk tiles call the pipeline's own
:func:`layers.scoring.composite_cells` and :func:`layers.scoring.risk_cells`, so a tile
computed with the build's weights shows what the build's ``composite.tif`` and
``risk.tif`` hold (at the native zoom; coarser zooms combine averaged overviews).
"""

from __future__ import annotations

from typing import Literal

import morecantile
import numpy as np
import numpy.typing as npt

from api.tiles import colormaps
from api.tiles.readers import as_float, gdal_env, read_tile
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
        values, valid = read_tile(build.version, source.path, tile, tilesize)
    return source.colors.render(as_float(values, valid))


def composite_values(
    build: BuildResult,
    weighting: scoring.Weighting,
    target: Target,
    tile: morecantile.Tile,
    tilesize: int,
) -> npt.NDArray[np.float64]:
    """Composite hazard (or risk) scores 0-10 of one tile, NaN where no data.

    Hazards with weight zero are not read: they drop out of the composite anyway.

    Raises:
        NotFoundError: ``target="risk"`` on a build without an exposure layer.
    """
    version = build.version
    layers = build.manifest.get("layers", {})
    with gdal_env():
        scores = {}
        for spec in build.registry.hazards:
            if weighting.weights.get(spec.id, 0.0) > 0 and "score" in layers.get(spec.id, {}):
                path = build.raster(f"{spec.id}_score")
                scores[spec.id] = as_float(*read_tile(version, path, tile, tilesize))
        hazard = scoring.composite_cells(scores, build.registry, weighting)
        if target == "hazard":
            return hazard
        exposure = [
            s.id for s in build.registry.by_role("exposure") if "score" in layers.get(s.id, {})
        ]
        if not exposure or "risk" not in build.manifest.get("rasters", {}):
            raise NotFoundError("this build has no exposure layer, so it has no risk tiles")
        dims = [f"{exposure[0]}_score", "vulnerability", "coping"]
        expo, vulnerability, coping = (
            as_float(*read_tile(version, build.raster(name), tile, tilesize)) for name in dims
        )
    return scoring.risk_cells(hazard, expo, vulnerability, coping)


def composite_tile(
    build: BuildResult,
    weighting: scoring.Weighting,
    target: Target,
    tile: morecantile.Tile,
    tilesize: int,
) -> bytes:
    """One composite hazard or risk tile in the score classes."""
    values = composite_values(build, weighting, target, tile, tilesize)
    return colormaps.SCORE_CLASSES.render(values)


def basemap_tile(build: BuildResult, tile: morecantile.Tile, tilesize: int) -> bytes:
    """One tile of the offline basemap: the hillshade in greys, transparent outside."""
    with gdal_env():
        shade, valid = read_tile(build.version, basemap_source(build), tile, tilesize)
    return colormaps.hillshade_png(shade, valid)
