"""Values of the build's rasters at one point, read with one-cell rasterio windows.

A point has layer values, a composite hazard and an exposure (is any hazard above its
exposure threshold in its cell?); risk is a district index, so the point reports its
district's risk, class, rank and hazard level beside them.

A point is looked up in the build grid (the grid every layer is aligned to), so the
value returned is exactly the value of the cell holding the point in the layer's COG.
Each request opens its own dataset handles: GDAL handles are not shared across
threads, and a new build has new files, so nothing here can serve stale data.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import rasterio
import shapely
from pyproj import CRS, Transformer
from rasterio.windows import Window

from aralrisk.api.encoding import number
from aralrisk.api.features import property_value
from aralrisk.api.hazards import level_code, level_label
from aralrisk.api.i18n import N_
from aralrisk.api.problems import ApiError
from aralrisk.geo import index
from aralrisk.geo.errors import BuildRemoved, NotFoundError
from aralrisk.geo.grid import GridSpec
from aralrisk.layers.registry import LayerSpec
from aralrisk.layers.result import BuildResult

WGS84 = CRS.from_epsg(4326)


@dataclass(frozen=True)
class Cell:
    """The build grid cell holding a point."""

    row: int
    col: int


def build_grid(build: BuildResult) -> GridSpec:
    """The grid every raster of ``build`` is on (from its manifest)."""
    return GridSpec.from_dict(build.manifest["grid"])


def to_grid_crs(grid: GridSpec, lon: float, lat: float) -> tuple[float, float]:
    """Longitude/latitude (EPSG:4326) in the grid's CRS."""
    crs = CRS.from_user_input(grid.crs.to_wkt())
    if crs.equals(WGS84):
        return lon, lat
    x, y = Transformer.from_crs(WGS84, crs, always_xy=True).transform(lon, lat)
    return float(x), float(y)


def cell_of(build: BuildResult, lon: float, lat: float) -> Cell:
    """The grid cell holding (``lon``, ``lat``).

    Raises:
        ApiError: 422 when the point is outside the build's grid.
    """
    grid = build_grid(build)
    x, y = to_grid_crs(grid, lon, lat)
    t = grid.transform
    col = math.floor((x - t.c) / t.a) if math.isfinite(x) else -1
    row = math.floor((y - t.f) / t.e) if math.isfinite(y) else -1
    if not (0 <= row < grid.height and 0 <= col < grid.width):
        raise _outside(build, lon, lat)
    return Cell(row, col)


def _outside(build: BuildResult, lon: float, lat: float) -> ApiError:
    """The 422 of a point outside the build's region, naming the region's bounds."""
    west, south, east, north = build.manifest["bounds"]
    return ApiError(
        422,
        N_(
            "the point ({lon}, {lat}) is outside the region of this build; its districts "
            "lie within lon {west} to {east}, lat {south} to {north}"
        ),
        lon=f"{lon:g}",
        lat=f"{lat:g}",
        west=f"{west:g}",
        east=f"{east:g}",
        south=f"{south:g}",
        north=f"{north:g}",
    )


def read_cell(build: BuildResult, name: str, cell: Cell) -> float | None:
    """The value of raster ``name`` of ``build`` at ``cell``; ``None`` for no data."""
    try:
        path = build.raster(name)
    except BuildRemoved:
        raise  # the build vanished: an error (503), never "no data" everywhere
    except NotFoundError:
        return None
    with rasterio.open(path) as ds:
        data = ds.read(1, window=Window(cell.col, cell.row, 1, 1), masked=True)
    if data.size == 0 or bool(np.ma.getmaskarray(data)[0, 0]):
        return None
    value = float(data[0, 0])
    return value if math.isfinite(value) else None


def district_at(build: BuildResult, lon: float, lat: float) -> dict[str, Any] | None:
    """The district holding the point (boundary points count) with its district results.

    Code, name and note, and the district's risk, class, rank, hazard level (and the
    hazards at it) and people exposed under the build's weights.
    """
    point = shapely.Point(lon, lat)
    frame = build.districts
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")
    hits = frame.index[frame.geometry.intersects(point)]
    if len(hits) == 0:
        return None
    row = frame.loc[hits[0]]
    level = level_code(row.get("hazard_level"))
    return {
        "code": str(row["code"]),
        "name": str(row["name"]),
        "note": str(row.get("note") or ""),
        "risk": number(row.get("risk")),
        "risk_class": str(row.get("risk_class") or "no data"),
        "rank": property_value("rank", row.get("rank")),
        "hazard_level": level,
        "hazard_level_label": level_label(level),
        "hazard_level_hazards": [str(h) for h in (row.get("hazard_level_hazards") or [])],
        "people_exposed": number(row.get("people_exposed")),
    }


def _layer_value(build: BuildResult, spec: LayerSpec, cell: Cell) -> dict[str, Any]:
    value = read_cell(build, spec.id, cell)
    score = None if value is None else float(spec.score(value))
    if value is None:
        level = index.NO_DATA
    elif spec.role == "hazard" and spec.levels is not None:
        level = int(index.value_level(np.array([value]), spec.levels)[0])
    else:
        level = index.NOT_APPLICABLE
    hazard = None
    if spec.role == "hazard":
        with contextlib.suppress(NotFoundError):
            hazard = build.registry.hazard_of(spec.id).id
    return {
        "id": spec.id,
        "title": spec.title,
        "role": spec.role,
        "group": spec.group,
        "hazard": hazard,
        "units": spec.units_label,
        "value": value,
        "score": score,
        "level": level,
        "level_label": level_label(level),
    }


def exposed_to(build: BuildResult, layers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The hazards whose exposure threshold the cell's values exceed (as the build counts)."""
    values = {layer["id"]: layer["value"] for layer in layers}
    out = []
    for hazard in build.registry.hazards:
        rule = hazard.exposure
        value = values.get(rule.layer) if rule is not None else None
        if rule is None or value is None or not value > rule.threshold:
            continue
        out.append(
            {
                "hazard": hazard.id,
                "title": hazard.title,
                "layer": rule.layer,
                "value": value,
                "threshold": rule.threshold,
                "units": build.registry[rule.layer].units_label,
            }
        )
    return out


def sample_point(build: BuildResult, lon: float, lat: float) -> dict[str, Any]:
    """Every spatial layer's value at a point, whether it is exposed, and its district.

    Raises:
        ApiError: 422 when the point is outside the build's grid or every district.
    """
    cell = cell_of(build, lon, lat)
    district = district_at(build, lon, lat)
    built = build.manifest.get("layers", {})
    layers = [
        _layer_value(build, spec, cell)
        for spec in build.registry.values()
        if spec.spatial and "raw" in built.get(spec.id, {})
    ]
    if district is None and all(layer["value"] is None for layer in layers):
        raise _outside(build, lon, lat)
    density = read_cell(build, "exposed", cell)
    hazards = exposed_to(build, layers)
    rules = [h.exposure.layer for h in build.registry.hazards if h.exposure is not None]
    known = any(layer["value"] is not None for layer in layers if layer["id"] in rules)
    return {
        "lon": lon,
        "lat": lat,
        "build": build.version,
        "district": district,
        "cell": [cell.row, cell.col],
        "composite": read_cell(build, "composite", cell),
        "exposed": bool(hazards) if known else None,
        "exposed_to": hazards,
        "people_exposed_density": density,
        "layers": layers,
    }
