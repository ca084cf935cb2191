"""The build's cell-level products: scores, the composite hazard, exposed people, basemap.

Every function streams lazy (dask) arrays chunk by chunk and writes a COG; none holds a
whole layer in memory. The cell-wise arithmetic is :mod:`layers.scoring`'s, so a tile
recomputed by the API with the build's weights shows the same values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import xarray as xr

from aralrisk.geo.features import read_features
from aralrisk.geo.grid import GridSpec, align
from aralrisk.geo.io import read_raster, write_cog, write_vectors
from aralrisk.geo.terrain import hillshade
from aralrisk.layers import scoring
from aralrisk.layers.config import BuildConfig
from aralrisk.layers.registry import LayerSpec, Registry

#: Cells of a chunk combined at once by the cell-wise scoring functions: their float64
#: temporaries (dozens of bytes per cell and hazard) then stay a few megabytes.
STRIP_CELLS = 1 << 18


def tags(config: BuildConfig, version: str, **extra: str) -> dict[str, str]:
    """GeoTIFF tags of a build output: build version, title, illustrative, and ``extra``."""
    out = {"build": version, "title": config.title, **extra}
    if config.illustrative:
        out["illustrative"] = "true"
    return out


def in_strips(func: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """``func`` run on strips of rows of at most :data:`STRIP_CELLS` cells.

    ``func`` is cell-wise: equal-shaped (rows, cols) blocks in, one block out (stored as
    float32). Strips keep its temporaries small whatever the chunk size.
    """

    def strips(*blocks: np.ndarray) -> np.ndarray:
        first = blocks[0]
        out = np.empty(first.shape, dtype=np.float32)
        # Read at call time, so a test may shrink it.
        step = max(1, STRIP_CELLS // max(1, first.shape[-1]))
        for top in range(0, first.shape[0], step):
            out[top : top + step] = func(*(b[top : top + step] for b in blocks))
        return out

    return strips


def score(spec: LayerSpec, raw: xr.DataArray) -> xr.DataArray:
    """A layer's cell scores 0-10 (float32), lazily, chunk by chunk."""
    scored = xr.apply_ufunc(
        in_strips(lambda v: spec.score(v).astype(np.float32)),
        raw,
        dask="parallelized",
        output_dtypes=[np.float32],
    )
    scored.attrs = {"units": "score 0-10", "long_name": f"{spec.title} (score)"}
    return scored


def paint(labels: xr.DataArray, values: np.ndarray) -> xr.DataArray:
    """District values painted onto their cells (label 0 = outside, NaN)."""
    lookup = np.concatenate([[np.nan], np.asarray(values, dtype=np.float32)]).astype(np.float32)
    return xr.apply_ufunc(
        lambda lab: lookup[lab], labels, dask="parallelized", output_dtypes=[np.float32]
    )


def composite(
    catalog: Registry,
    weighting: scoring.Weighting,
    score_paths: Mapping[str, Path],
    grid: GridSpec,
    target: Path,
    tags: Mapping[str, str],
) -> None:
    """Write the composite hazard (0-10) of every cell with the build's weights."""
    ids = [s.id for s in catalog.hazard_layers if s.id in score_paths]
    scores = [read_raster(score_paths[i]) for i in ids]

    def combine(*arrays: np.ndarray) -> np.ndarray:
        values = dict(zip(ids, arrays, strict=True))
        return scoring.composite_cells(values, catalog, weighting).astype(np.float32)

    hazard = xr.apply_ufunc(
        in_strips(combine), *scores, dask="parallelized", output_dtypes=[np.float32]
    )
    write_cog(grid.write_georeference(hazard), target, nodata=float("nan"), tags=dict(tags))


def exposure_mask(catalog: Registry, raw_paths: Mapping[str, Path]) -> xr.DataArray | None:
    """1 where any counted hazard exceeds its exposure threshold, 0 elsewhere (lazy).

    Counted: every hazard with an exposure rule and its layer built (context hazards
    have none). NaN where none of those layers has data. ``None`` if none is built.
    """
    rules = [
        h.exposure
        for h in catalog.hazards
        if h.exposure is not None and h.exposure.layer in raw_paths
    ]
    if not rules:
        return None
    arrays = [read_raster(raw_paths[r.layer]) for r in rules]
    thresholds = [r.threshold for r in rules]

    def mask(*blocks: np.ndarray) -> np.ndarray:
        stacked = np.stack(blocks)
        with np.errstate(invalid="ignore"):
            above = (stacked > np.asarray(thresholds)[:, None, None]).any(axis=0)
        return np.where(np.isnan(stacked).all(axis=0), np.nan, above).astype(np.float32)

    return xr.apply_ufunc(in_strips(mask), *arrays, dask="parallelized", output_dtypes=[np.float32])


def exposed_density(people: xr.DataArray, mask: xr.DataArray, grid: GridSpec) -> xr.DataArray:
    """People per km2 living in exposed cells (0 in cells no hazard reaches), lazy."""
    area = xr.DataArray(np.asarray(grid.cell_area_km2(), dtype=np.float64), dims=("y",))
    density = (people * mask.fillna(0.0) / area).where(people.notnull())
    density.attrs = {"units": "person/km**2", "long_name": "people exposed to a hazard"}
    return grid.write_georeference(density.astype(np.float32))


def basemap(cfg: BuildConfig, work: Path, grid: GridSpec, version: str) -> dict[str, str]:
    """The offline basemap: hillshade of the elevation input, rivers and lakes."""
    out: dict[str, str] = {}
    if cfg.basemap.elevation and cfg.basemap.elevation in cfg.inputs:
        dem = align(read_raster(cfg.inputs[cfg.basemap.elevation].path), grid, "bilinear")
        shade = hillshade(dem, grid)
        write_cog(
            shade.astype(np.float32),
            work / "basemap" / "hillshade.tif",
            nodata=0,
            dtype="uint8",
            tags=tags(cfg, version, description="hillshade"),
        )
        out["hillshade"] = "basemap/hillshade.tif"
    if cfg.basemap.hydrography is not None:
        water = read_features(cfg.basemap.hydrography)
        write_vectors(water, work / "basemap" / "hydrography", ("geojson",))
        out["hydrography"] = "basemap/hydrography.geojson"
    return out
