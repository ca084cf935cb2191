"""Statistics of any polygon, computed exactly as the build computes a district's.

The polygon gets its own :class:`~geo.zonal.ZoneIndex` on the window of the build grid
that its bounds touch; each layer's COG is read for that window only, and the columns
come from the build's own functions: :func:`layers.district_stats.layer_columns` per
layer, :func:`layers.district_stats.hazard_columns` for each hazard's level and
exposure, and :func:`layers.scoring.combine_columns` for the composite hazard, hazard
& exposure (with the request's weights) and drivers. The people exposed to any hazard
are the people of the cells the ``exposed`` raster marks. Vulnerability and lack of
coping capacity are district tables, not rasters: the polygon takes the area mean of
the district values painted on its cells. So a district's own polygon gives back that
district's numbers.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import rasterio
import shapely
from rasterio.windows import Window
from rasterio.windows import transform as window_transform

from aralrisk.api import features, hazards
from aralrisk.api.encoding import number, plain
from aralrisk.api.i18n import N_
from aralrisk.api.problems import ApiError
from aralrisk.api.sampling import build_grid
from aralrisk.geo import index
from aralrisk.geo.errors import BuildRemoved, NotFoundError
from aralrisk.geo.grid import GridSpec
from aralrisk.geo.vectors import geodesic_area_km2
from aralrisk.geo.zonal import ZonalStats, ZoneIndex
from aralrisk.layers import scoring
from aralrisk.layers.district_stats import hazard_columns, layer_columns
from aralrisk.layers.result import BuildResult

ZONE_ID = "zone"
#: The dimensions of risk as the build's confidence notes name them.
DIMENSION_LABELS = {
    "hazard_exposure": "hazard & exposure",
    "vulnerability": "vulnerability",
    "lack_of_coping": "lack of coping",
}
#: The scalar results of a polygon, as numbers (``null`` for no data).
NUMBERS = (
    "people_exposed",
    "people_exposed_share",
    "hazard",
    "hazard_geometric",
    "hazard_max",
    "hazard_exposure",
    "vulnerability",
    "lack_of_coping",
    "risk",
    "min_coverage",
)


def _window(build: BuildResult, polygon: shapely.Geometry) -> tuple[GridSpec, Window, Any]:
    grid = build_grid(build)
    zone = gpd.GeoDataFrame({"code": [ZONE_ID]}, geometry=[polygon], crs="EPSG:4326")
    zone = zone.to_crs(grid.crs)
    window = grid.window_for_bounds(tuple(zone.total_bounds))
    if window is None:
        west, south, east, north = build.manifest["bounds"]
        raise ApiError(
            422,
            N_(
                "the polygon is outside the region of this build; its districts lie within "
                "lon {west} to {east}, lat {south} to {north}"
            ),
            west=f"{west:g}",
            east=f"{east:g}",
            south=f"{south:g}",
            north=f"{north:g}",
        )
    shape = (int(window.height), int(window.width))
    sub = GridSpec(grid.crs, window_transform(window, grid.transform), shape)
    return sub, window, zone


def _read(build: BuildResult, name: str, window: Window) -> np.ndarray | None:
    """Raster ``name`` for ``window`` as float64 with NaN for no data (None if absent)."""
    try:
        path = build.raster(name)
    except BuildRemoved:
        raise  # the build vanished: an error (503), never "no data" everywhere
    except NotFoundError:
        return None
    with rasterio.open(path) as ds:
        return ds.read(1, window=window, masked=True).astype(np.float64).filled(np.nan)


def _people_exposed(
    build: BuildResult, zones: ZoneIndex, window: Window, people: np.ndarray | None
) -> dict[str, np.ndarray]:
    """People of the zone living in cells the ``exposed`` raster marks, and their share."""
    exposed = _read(build, "exposed", window)
    if exposed is None or people is None:
        nothing = np.full(1, np.nan)
        return {"people_exposed": nothing, "people_exposed_share": nothing}
    with np.errstate(invalid="ignore"):
        marked = np.where(np.nan_to_num(exposed, nan=0.0) > 0, people, 0.0)
    count = np.asarray(zones.stats(np.where(np.isnan(people), np.nan, marked)).sum, float)
    total = np.asarray(zones.stats(people).sum, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, count / total, 0.0)
    return {"people_exposed": count, "people_exposed_share": share}


def zone_columns(
    build: BuildResult, zones: ZoneIndex, window: Window, min_coverage: float
) -> dict[str, Any]:
    """The district columns of the one zone: per layer, per hazard, people exposed.

    Raises:
        ApiError: 422 when the zone covers no cell of the hazard layers.
    """
    registry = build.registry
    people = _read(build, "people", window)
    people_stats: ZonalStats | None = zones.stats(people) if people is not None else None
    columns: dict[str, Any] = {}
    hazard_stats: dict[str, ZonalStats] = {}
    for spec in registry.values():
        raw = _read(build, spec.id, window) if spec.spatial else None
        if raw is None:
            continue
        thresholds = registry.thresholds(spec.id) if spec.role == "hazard" else spec.levels
        stats = zones.stats(raw, weights=people, thresholds=thresholds or ())
        columns |= layer_columns(spec, stats, people_stats, min_coverage)
        if spec.role == "hazard":
            hazard_stats[spec.id] = stats
    scores = [columns[f"{s}_score"][0] for s in hazard_stats]
    if not any(np.isfinite(score) for score in scores):
        raise ApiError(422, N_("the polygon covers no cell of this build's hazard layers"))
    population = np.asarray(people_stats.sum, dtype=np.float64) if people_stats else None
    columns["population"] = population if population is not None else np.full(1, np.nan)
    columns |= hazard_columns(registry, hazard_stats, population, min_coverage)
    columns |= _people_exposed(build, zones, window, people)
    return columns


def _dimensions(
    build: BuildResult, zones: ZoneIndex, window: Window, combined: dict[str, Any]
) -> None:
    """Vulnerability and lack of coping (area means of the painted rasters), then risk."""
    for name in scoring.DIMENSIONS:
        painted = _read(build, name, window)
        combined[name] = (
            np.asarray(zones.stats(painted).mean, dtype=np.float64)
            if painted is not None
            else np.full(1, np.nan)
        )
    combined["risk"] = index.risk(
        combined["hazard_exposure"], combined["vulnerability"], combined["lack_of_coping"]
    )
    # The build's confidence note names a dimension without data; the polygon's
    # dimensions come from rasters, so it is written here the same way.
    note = str(combined["confidence_note"][0])
    missing = [
        label
        for name, label in DIMENSION_LABELS.items()
        if not np.isfinite(combined[name][0]) and label not in note
    ]
    if missing:
        extra = ", ".join(missing)
        note = f"{note}, {extra}" if note.startswith("no data for ") else f"no data for {extra}"
        combined["confidence_note"] = [note]
        combined["confidence"] = ["low"]


def zonal_statistics(
    build: BuildResult, polygon: shapely.Geometry, weighting: scoring.Weighting
) -> dict[str, Any]:
    """Per-layer and per-hazard results of ``polygon``, its composite hazard and risk.

    Args:
        build: The served build.
        polygon: A valid (Multi)Polygon in EPSG:4326.
        weighting: Realised weights and method (and the build's risk classes).

    Raises:
        ApiError: 422 when the polygon misses the build's grid or every cell with data.
    """
    sub, window, zone = _window(build, polygon)
    zones = ZoneIndex(zone, sub, "code")
    min_cov = float(build.manifest.get("scoring", {}).get("min_coverage", 0.0))
    columns = zone_columns(build, zones, window, min_cov)
    combined = scoring.combine_columns(columns, build.registry, weighting, 1)
    _dimensions(build, zones, window, combined)
    row: dict[str, Any] = {
        key: (value if isinstance(value, str) else value[0])
        for key, value in {**columns, **combined}.items()
    }
    risk = number(row["risk"])
    level = hazards.level_code(row["hazard_level"])
    realised = weighting.to_dict()
    return {
        "build": build.version,
        # The polygon's own area, not its cells' (a small polygon owns one whole cell).
        "area_km2": round(geodesic_area_km2(polygon), 3),
        "population": number(row.get("population")),
        **{key: number(row.get(key)) for key in NUMBERS},
        "hazard_level": level,
        "hazard_level_label": hazards.level_label(level),
        "hazard_level_hazards": [str(h) for h in row["hazard_level_hazards"]],
        "risk_class": index.risk_class_label(np.nan if risk is None else risk, weighting.classes),
        "classes": weighting.classes.name,
        "drivers": plain(row["drivers"]),
        "confidence": str(row["confidence"]),
        "confidence_note": str(row["confidence_note"]),
        "profile": realised["profile"],
        "method": realised["method"],
        "weights": realised["weights"],
        "layers": features.layer_results(build.registry, row),
        "hazards": hazards.results(build.registry, row),
    }
