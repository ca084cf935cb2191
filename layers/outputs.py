"""The build's tables and manifest: what a district table and a manifest hold.

:func:`district_frame` joins the districts' names, notes, areas and people with the
per-layer and per-hazard columns and the combined index; :func:`long_table` lists every
district x layer and district x hazard in one tidy table; :func:`manifest` records what
went in and what came out.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from aralrisk.geo.grid import GridSpec
from aralrisk.geo.vectors import geodesic_area_km2
from aralrisk.layers import publish, scoring
from aralrisk.layers.config import BuildConfig
from aralrisk.layers.registry import Registry


def district_frame(
    districts: gpd.GeoDataFrame,
    cfg: BuildConfig,
    table: pd.DataFrame,
    combined: pd.DataFrame,
    population: np.ndarray | None,
    weighting: scoring.Weighting,
) -> gpd.GeoDataFrame:
    """One row per district, in rank order (districts without a rank last).

    Columns: ``code``, ``name`` (+ ``name_<lang>``), ``note``, ``area_km2`` (the
    polygon's own, WGS 84 geodesic), ``population`` (people in its cells), the table's
    per-layer and per-hazard columns, the combined columns and ``weights`` (JSON).
    """
    d = cfg.districts
    frame = pd.DataFrame(index=table.index)
    frame["name"] = (
        districts[d.name_field].astype(str).to_numpy() if d.name_field else table.index.to_numpy()
    )
    for lang, field in d.names.items():
        if field in districts:
            frame[f"name_{lang}"] = districts[field].astype(str).to_numpy()
    notes = districts[d.note_field] if d.note_field and d.note_field in districts else None
    frame["note"] = (
        ["" if pd.isna(v) else str(v) for v in notes] if notes is not None else [""] * len(frame)
    )
    # The polygons' own areas: the cells a district owns approximate it, and a district
    # smaller than a cell would report its whole cell.
    outlines = districts.geometry.to_crs("EPSG:4326")
    frame["area_km2"] = np.round([geodesic_area_km2(g) for g in outlines], 3)
    frame["population"] = np.round(population, 1) if population is not None else np.nan
    weights = pd.DataFrame(
        {"weights": json.dumps(weighting.to_dict()["weights"])}, index=frame.index
    )
    frame = pd.concat([frame, table, combined, weights], axis=1)
    levels = [c for c in frame.columns if c.endswith("_level")]
    frame[levels] = frame[levels].astype(np.int64)
    gdf = gpd.GeoDataFrame(
        frame.reset_index(), geometry=districts.geometry.to_numpy(), crs=districts.crs
    )
    return gdf.sort_values("rank", kind="stable", na_position="last").reset_index(drop=True)


def long_table(table: pd.DataFrame, catalog: Registry) -> pd.DataFrame:
    """Every district x layer, then every district x hazard, one row each.

    Layer rows: ``code``, ``kind`` = ``layer``, ``id``, ``role``, ``group``, ``units``,
    ``value`` (the scored statistic), ``mean`` (over the cells), ``pop_mean``
    (population-weighted), ``score``, ``level``, ``coverage``, ``people_high``. Hazard
    rows: ``kind`` = ``hazard``, ``level``, ``coverage``, ``people_exposed``,
    ``exposed_share``, ``exposure`` (score).
    """
    rows = []
    for code, row in table.iterrows():
        for spec in catalog.values():
            if f"{spec.id}_value" not in table:
                continue
            rows.append(
                {
                    "code": code,
                    "kind": "layer",
                    "id": spec.id,
                    "role": spec.role,
                    "group": spec.group,
                    "units": spec.district_units_label or spec.units_label,
                    "value": row.get(f"{spec.id}_value"),
                    "mean": row.get(f"{spec.id}_mean", np.nan),
                    "pop_mean": row.get(f"{spec.id}_pop_mean", np.nan),
                    "score": row.get(f"{spec.id}_score", np.nan),
                    "level": row.get(f"{spec.id}_level", np.nan),
                    "coverage": row.get(f"{spec.id}_coverage", np.nan),
                    "people_high": row.get(f"{spec.id}_people_high", np.nan),
                }
            )
        for hazard in catalog.hazards:
            if f"{hazard.id}_level" not in table:
                continue
            rows.append(
                {
                    "code": code,
                    "kind": "hazard",
                    "id": hazard.id,
                    "role": "hazard",
                    "group": hazard.group,
                    "level": row.get(f"{hazard.id}_level"),
                    "coverage": row.get(f"{hazard.id}_coverage", np.nan),
                    "people_exposed": row.get(f"{hazard.id}_exposed", np.nan),
                    "exposed_share": row.get(f"{hazard.id}_exposed_share", np.nan),
                    "exposure": row.get(f"{hazard.id}_exposure", np.nan),
                }
            )
    return pd.DataFrame(rows)


def _code_version() -> str:
    try:
        return metadata.version("aralrisk")
    except metadata.PackageNotFoundError:  # running from a source tree
        return "unknown"


def _file_meta(path: Path) -> dict[str, Any]:
    if path.is_dir():
        size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        return {"name": path.name, "path": str(path), "size": size, "sha256": None}
    return {
        "name": path.name,
        "path": str(path),
        "size": path.stat().st_size,
        "sha256": publish.sha256(path),
    }


def catalog_dict(catalog: Registry) -> dict[str, Any]:
    """The registry as stored in a manifest (read back by ``registry_from_manifest``)."""
    return {
        "index": catalog.index.model_dump(mode="json"),
        "hazards": {h.id: h.model_dump(mode="json") for h in catalog.hazards},
        "layers": {i: spec.model_dump(mode="json") for i, spec in catalog.items()},
        "profiles": {i: p.model_dump(mode="json") for i, p in catalog.profiles.items()},
    }


def manifest(
    cfg: BuildConfig,
    catalog: Registry,
    weighting: scoring.Weighting,
    version: str,
    grid: GridSpec,
    districts: gpd.GeoDataFrame,
    outputs: dict[str, Any],
) -> dict[str, Any]:
    """What went in (inputs with checksums, config, catalog, weights) and came out.

    Args:
        cfg: The build configuration.
        catalog: The registry the build was made with.
        weighting: Its realised weights.
        version: The build version.
        grid: The build grid.
        districts: The districts as read.
        outputs: ``layers`` (per-layer files and summaries), ``rasters``, ``basemap``,
            ``quality`` (per climate layer, the share of years kept by the
            missing-data checks) and ``warnings`` (what the build warned about).
    """
    inputs = {"districts": _file_meta(cfg.districts.path)}
    for name, spec in cfg.inputs.items():
        inputs[name] = _file_meta(spec.path)
    west, south, east, north = (float(v) for v in districts.total_bounds)
    districts_ids = districts[cfg.districts.id_field].astype(str).tolist()
    return {
        "version": version,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "code_version": _code_version(),
        "title": cfg.title,
        "attribution": cfg.attribution,
        "illustrative": cfg.illustrative,
        "config": cfg.model_dump(mode="json"),
        "inputs": inputs,
        "grid": grid.to_dict(),
        "bounds": [round(v, 6) for v in (west, south, east, north)],
        "districts": {
            "count": len(districts),
            "id_field": cfg.districts.id_field,
            "name_field": cfg.districts.name_field,
            "names": dict(cfg.districts.names),
            "note_field": cfg.districts.note_field,
        },
        "layers": outputs["layers"],
        "catalog": catalog_dict(catalog),
        "scoring": {**weighting.to_dict(), "min_coverage": cfg.scoring.min_coverage},
        "rasters": {**outputs["rasters"], "zones": "zones.tif", "people": "people.tif"},
        # zones.tif holds label k + 1 for the district ids[k] (0 = outside every district).
        "zones": {"labels": {str(code): k + 1 for k, code in enumerate(districts_ids)}},
        "basemap": outputs["basemap"],
        "quality": outputs.get("quality", {}),
        "warnings": outputs.get("warnings", []),
    }
