"""Statistics of any polygon, computed exactly as the build computes a district's.

The polygon gets its own :class:`~geo.zonal.ZoneIndex` on the window of the build grid
that its bounds touch; each layer's COG is read for that window only, and the
per-layer columns come from the build's own function
(:func:`layers.pipeline.district_columns`), so a district's polygon gives back that
district's values. Vulnerability and lack of coping capacity are district tables, not
rasters: the polygon takes the area mean of the districts it covers.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
from rasterio.windows import Window
from rasterio.windows import transform as window_transform

from api import features
from api.encoding import number, plain
from api.problems import ApiError
from api.sampling import build_grid
from geo import index
from geo.errors import NotFoundError
from geo.grid import GridSpec
from geo.vectors import geodesic_area_km2
from geo.zonal import ZonalStats, ZoneIndex
from layers import scoring
from layers.pipeline import district_columns
from layers.result import BuildResult

ZONE_ID = "zone"


def _window(build: BuildResult, polygon: shapely.Geometry) -> tuple[GridSpec, Window, Any]:
    grid = build_grid(build)
    zone = gpd.GeoDataFrame({"code": [ZONE_ID]}, geometry=[polygon], crs="EPSG:4326")
    zone = zone.to_crs(grid.crs)
    window = grid.window_for_bounds(tuple(zone.total_bounds))
    if window is None:
        west, south, east, north = build.manifest["bounds"]
        raise ApiError(
            422,
            f"the polygon is outside the region of this build; its districts lie within "
            f"lon {west:g} to {east:g}, lat {south:g} to {north:g}",
        )
    shape = (int(window.height), int(window.width))
    sub = GridSpec(grid.crs, window_transform(window, grid.transform), shape)
    return sub, window, zone


def _read(build: BuildResult, name: str, window: Window) -> np.ndarray | None:
    """Raster ``name`` for ``window`` as float64 with NaN for no data (None if absent)."""
    try:
        path = build.raster(name)
    except NotFoundError:
        return None
    with rasterio.open(path) as ds:
        return ds.read(1, window=window, masked=True).astype(np.float64).filled(np.nan)


def _first(values: Any) -> float | None:
    return number(np.asarray(values, dtype=np.float64).ravel()[0])


def zonal_statistics(
    build: BuildResult, polygon: shapely.Geometry, weighting: scoring.Weighting
) -> dict[str, Any]:
    """Per-layer values, scores, levels and coverage of ``polygon``, and its composite.

    Args:
        build: The served build.
        polygon: A valid (Multi)Polygon in EPSG:4326.
        weighting: Realised weights and method for the composite.

    Raises:
        ApiError: 422 when the polygon misses the build's grid or every cell with data.
    """
    sub, window, zone = _window(build, polygon)
    zones = ZoneIndex(zone, sub, "code")
    min_cov = float(build.manifest.get("scoring", {}).get("min_coverage", 0.0))
    people = _read(build, "people", window)
    people_stats: ZonalStats | None = zones.stats(people) if people is not None else None
    table = pd.DataFrame(index=pd.Index([ZONE_ID], name="code"))
    for spec in build.registry.values():
        raw = _read(build, spec.id, window) if spec.spatial else None
        if raw is None:
            continue
        stats = zones.stats(raw, weights=people, thresholds=spec.levels or ())
        for key, values in district_columns(spec, stats, people_stats, min_cov).items():
            table[key] = values
    if not any(f"{s.id}_score" in table for s in build.registry.hazards):
        raise ApiError(422, "the polygon covers no cell of this build's hazard layers")
    combined = scoring.combine(table, build.registry, weighting)
    # Vulnerability and coping are district values painted on their cells: area means.
    for dimension in ("vulnerability", "coping"):
        painted = _read(build, dimension, window)
        combined[dimension] = zones.stats(painted).mean if painted is not None else np.nan
    combined["hazard_exposure"] = index.hazard_exposure(combined["hazard"], combined["exposure"])
    combined["risk"] = index.risk(
        combined["hazard_exposure"], combined["vulnerability"], combined["coping"]
    )
    combined["risk_class"] = index.risk_class_label(combined["risk"])
    row: dict[str, Any] = {
        str(k): v for k, v in (*table.iloc[0].items(), *combined.iloc[0].items())
    }
    realised = weighting.to_dict()
    return {
        "build": build.version,
        # The polygon's own area, not its cells' (a small polygon owns one whole cell).
        "area_km2": round(geodesic_area_km2(polygon), 3),
        "population": _first(people_stats.sum) if people_stats is not None else None,
        **{
            key: number(row.get(key))
            for key in (
                "hazard",
                "hazard_geometric",
                "hazard_max",
                "exposure",
                "vulnerability",
                "coping",
                "hazard_exposure",
                "risk",
                "min_coverage",
            )
        },
        "risk_class": str(row["risk_class"]),
        "drivers": plain(row["drivers"]),
        "confidence": str(row["confidence"]),
        "profile": realised["profile"],
        "method": realised["method"],
        "weights": realised["weights"],
        "layers": features.layer_results(build.registry, row),
    }
