"""The build: inputs → aligned layers → scores → district results → a published build.

:func:`build` is the Python API behind ``aralrisk build``. Every step streams lazy
(dask) arrays: a layer is aligned and written to its COG chunk by chunk, read back
lazily, scored chunk by chunk, and summarised per district in one pass of the
:class:`~geo.zonal.ZoneIndex`. Nothing holds a whole layer in memory except the label
raster of the districts (1-2 bytes per cell).

The outputs are described in :mod:`layers.publish` (layout, atomic publishing) and
:mod:`layers.result` (how to read them back).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import xarray as xr

# tqdm.std, not tqdm.auto: the text bar works everywhere and needs no ipywidgets.
from tqdm.std import tqdm

from geo import index
from geo.errors import ConfigError, InputError, InputWarning
from geo.features import read_features
from geo.grid import GridSpec, align
from geo.io import read_districts, read_raster, write_cog, write_vectors
from geo.terrain import hillshade
from geo.vectors import geodesic_area_km2
from geo.zonal import ZonalStats, ZoneIndex
from layers import compute, publish, scoring
from layers.config import BuildConfig, load_config
from layers.registry import LayerSpec, Registry, load_catalog
from layers.result import BuildResult, open_build

#: The sample data set shipped in the repository (``aralrisk sample`` writes it).
SAMPLE_DIR = Path(__file__).resolve().parents[1] / "data" / "sample"
DEFAULT_CONFIG = SAMPLE_DIR / "build.toml"
VECTOR_FORMATS = ("gpkg", "geojson", "parquet", "csv")

Progress = Callable[[str], None]

#: GDAL's raster block cache during a build, in MB (GDAL's default is 5% of the RAM, over
#: 1 GB on a 24 GB machine, and a build that streams every layer once fills it with
#: blocks it never reads again). A ``GDAL_CACHEMAX`` set in the environment wins.
BUILD_GDAL_CACHE_MB = 256
#: Cells of a chunk combined at once by the cell-wise scoring functions: their float64
#: temporaries (dozens of bytes per cell and hazard) then stay a few megabytes.
STRIP_CELLS = 1 << 18


def _config(config: BuildConfig | str | os.PathLike[str] | None) -> BuildConfig:
    if isinstance(config, BuildConfig):
        return config
    return load_config(Path(config) if config is not None else DEFAULT_CONFIG)


def _select(registry: Registry, config: BuildConfig) -> Registry:
    """The catalog layers this build can make: those named, or those with an input."""
    if config.layers is not None:
        unknown = [i for i in config.layers if i not in registry]
        if unknown:
            raise ConfigError(
                f"unknown layers {', '.join(map(repr, unknown))} in the configuration; "
                f"known layers: {', '.join(registry)}"
            )
        chosen = list(config.layers)
    else:
        chosen = [i for i, spec in registry.items() if spec.input in config.inputs]
    missing = [i for i in chosen if registry[i].input not in config.inputs]
    if missing:
        raise ConfigError(
            f"layers {', '.join(missing)} need inputs that are not configured: "
            f"{', '.join(sorted({registry[i].input for i in missing}))}"
        )
    if not any(registry[i].role == "hazard" for i in chosen):
        raise ConfigError("the configuration builds no hazard layer; add a hazard input")
    return registry.subset(chosen)


def _grid(config: BuildConfig, districts: gpd.GeoDataFrame) -> GridSpec:
    if config.grid.bounds is not None:
        bounds = config.grid.bounds
    else:
        west, south, east, north = districts.to_crs(config.grid.crs).total_bounds
        pad = config.grid.buffer
        bounds = (west - pad, south - pad, east + pad, north + pad)
    return GridSpec.from_bounds(bounds, config.grid.resolution, config.grid.crs)


def _digest(config: BuildConfig) -> str:
    text = json.dumps(config.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _code_version() -> str:
    try:
        return metadata.version("aralrisk")
    except metadata.PackageNotFoundError:  # running from a source tree
        return "unknown"


class _Steps:
    """Progress (one tqdm bar over the steps) and wall-clock timing of each step."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.bar = tqdm(total=total, desc="build", unit="step", disable=not enabled)
        self.timings: dict[str, float] = {}

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        self.bar.set_postfix_str(name)
        start = time.perf_counter()
        yield
        self.timings[name] = round(time.perf_counter() - start, 3)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


def _statistic(spec: LayerSpec, stats: ZonalStats, people: ZonalStats | None) -> np.ndarray:
    if spec.indicator == "population_density" and people is not None:
        return np.asarray(people.sum, dtype=np.float64)
    chosen = spec.district_statistic
    if chosen == "weighted_mean":
        weighted = np.asarray(stats.weighted_mean, dtype=np.float64)
        # Where nobody lives the population weighting is undefined: the plain mean stands.
        return np.where(np.isfinite(weighted), weighted, stats.mean)
    return np.asarray(getattr(stats, {"p90": "p90"}.get(chosen, chosen)), dtype=np.float64)


def district_columns(
    spec: LayerSpec, stats: ZonalStats, people: ZonalStats | None, min_coverage: float
) -> dict[str, np.ndarray]:
    """One layer's district columns from its zonal statistics.

    ``<id>_value`` (the layer's district statistic, NaN below ``min_coverage``),
    ``<id>_score`` (0-10), ``<id>_coverage``, ``<id>_level`` (hazard level from the area
    fractions above the thresholds, or -1 not applicable) and, for hazards,
    ``<id>_people_high`` (``weights`` above the high threshold). The API's ``/zonal``
    uses it too, so a district's own polygon gives back that district's numbers.
    """
    value = _statistic(spec, stats, people)
    coverage = np.asarray(stats.coverage, dtype=np.float64)
    value = np.where(coverage >= min_coverage, value, np.nan)
    columns = {
        f"{spec.id}_value": value,
        f"{spec.id}_score": spec.score_district(value),
        f"{spec.id}_coverage": coverage,
    }
    if spec.role == "hazard" and spec.levels is not None:
        columns[f"{spec.id}_level"] = index.hazard_level(
            stats.frac_above, spec.area_fraction, coverage, min_coverage
        ).astype(np.int64)
        columns[f"{spec.id}_people_high"] = np.asarray(stats.weight_above)[:, -1]
    else:
        columns[f"{spec.id}_level"] = np.full(len(value), index.NOT_APPLICABLE, dtype=np.int64)
    return columns


def _score(spec: LayerSpec, raw: xr.DataArray) -> xr.DataArray:
    scored = xr.apply_ufunc(
        _in_strips(lambda v: spec.score(v).astype(np.float32)),
        raw,
        dask="parallelized",
        output_dtypes=[np.float32],
    )
    scored.attrs = {"units": "score 0-10", "long_name": f"{spec.title} (score)"}
    return scored


def _in_strips(func: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """``func`` run on strips of rows of at most :data:`STRIP_CELLS` cells.

    ``func`` is cell-wise: equal-shaped (rows, cols) blocks in, one block out (stored as
    float32). Strips keep its temporaries small whatever the chunk size.
    """

    def strips(*blocks: np.ndarray) -> np.ndarray:
        first = blocks[0]
        out = np.empty(first.shape, dtype=np.float32)
        step = max(1, STRIP_CELLS // max(1, first.shape[-1]))
        for top in range(0, first.shape[0], step):
            out[top : top + step] = func(*(b[top : top + step] for b in blocks))
        return out

    return strips


def _paint(labels: xr.DataArray, values: np.ndarray) -> xr.DataArray:
    """District values painted onto their cells (label 0 = outside, NaN)."""
    lookup = np.concatenate([[np.nan], np.asarray(values, dtype=np.float32)]).astype(np.float32)
    return xr.apply_ufunc(
        lambda lab: lookup[lab], labels, dask="parallelized", output_dtypes=[np.float32]
    )


def _tags(config: BuildConfig, version: str, **extra: str) -> dict[str, str]:
    tags = {"build": version, "title": config.title, **extra}
    if config.illustrative:
        tags["illustrative"] = "true"
    return tags


def build(
    config: BuildConfig | str | os.PathLike[str] | None = None,
    *,
    out: str | os.PathLike[str] = "build",
    registry: Registry | None = None,
    profile: str | None = None,
    weights: Mapping[str, float] | None = None,
    method: str | None = None,
    progress: bool = True,
    scheduler: str | None = None,
    workers: int | None = None,
) -> BuildResult:
    """Build every configured layer and publish the results atomically under ``out``.

    Args:
        config: A :class:`BuildConfig`, a path to a build TOML, or ``None`` for the
            sample's ``data/sample/build.toml``.
        out: The output root; the build is published as ``out/current``.
        registry: The layer catalog (default: the shipped ``catalog.toml``); extend it
            with :meth:`Registry.with_layer` for your own layers.
        profile: Weight profile (default: the config's ``[scoring] profile``).
        weights: Per-hazard weight overrides (default: the config's).
        method: ``"geometric"`` or ``"max"`` (default: the config's).
        progress: Show a progress bar on stderr.
        scheduler: Address of a Dask distributed scheduler (``tcp://host:8786``) to run
            the build on; ``None`` uses the local threaded scheduler.
        workers: Start a local Dask cluster with this many worker processes instead.

    Returns:
        The published build (see :class:`~layers.result.BuildResult`).

    Raises:
        geo.errors.InputError: An input is missing or invalid (one sentence says which).
        geo.errors.ConfigError: The configuration or weights are wrong.
    """
    cfg = _config(config)
    catalog = _select(registry or load_catalog(), cfg)
    weighting = scoring.weighting(
        catalog,
        profile or cfg.scoring.profile,
        weights if weights is not None else cfg.scoring.weights,
        method or cfg.scoring.method,
    )
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    gdal = {} if "GDAL_CACHEMAX" in os.environ else {"GDAL_CACHEMAX": BUILD_GDAL_CACHE_MB}
    with _dask_client(scheduler, workers), rasterio.Env(**gdal):
        version = publish.new_version(_digest(cfg))
        with publish.staging(root, version) as work:
            _run(cfg, catalog, weighting, work, version, progress)
            final = publish.publish(root, work)
    return open_build(final)


@contextmanager
def _dask_client(scheduler: str | None, workers: int | None) -> Iterator[None]:
    if scheduler is None and not workers:
        yield
        return
    from distributed import Client, LocalCluster

    if scheduler is not None:
        with Client(scheduler):
            yield
        return
    with (
        LocalCluster(n_workers=workers, threads_per_worker=1, processes=True) as cluster,
        Client(cluster),
    ):
        yield


def _run(
    cfg: BuildConfig,
    catalog: Registry,
    weighting: scoring.Weighting,
    work: Path,
    version: str,
    progress: bool,
) -> None:
    spatial = [spec for spec in catalog.values() if spec.spatial]
    columns = [spec for spec in catalog.values() if not spec.spatial]
    steps = _Steps(total=5 + len(spatial) + (1 if columns else 0), enabled=progress)
    min_cov = cfg.scoring.min_coverage
    layer_dir = work / "layers"
    try:
        with steps.step("districts"):
            d = cfg.districts
            districts = read_districts(d.path, d.id_field, d.name_field, layer=d.layer)
            ids = districts[d.id_field].astype(str).to_numpy()
            grid = _grid(cfg, districts)
            zones = ZoneIndex(districts, grid, d.id_field)
            labels = xr.DataArray(zones.labels, dims=("y", "x")).chunk(1024)
            inside = labels > 0
            write_cog(
                grid.write_georeference(labels.astype(np.float32)),
                work / "zones.tif",
                nodata=0,
                dtype="uint16",
                overview_resampling="nearest",
                tags=_tags(cfg, version, description="district labels (0 = outside)"),
            )
        table = pd.DataFrame(index=pd.Index(ids, name="code"))
        people_stats: ZonalStats | None = None
        people: xr.DataArray | None = None
        score_paths: dict[str, Path] = {}
        layer_meta: dict[str, dict[str, Any]] = {}
        cache: compute.SeriesCache = {}
        pop = next((s for s in spatial if s.indicator == "population_density"), None)
        if pop is not None:
            with steps.step("people"):
                people_cells = compute.people_on_grid(cfg.inputs[pop.input], grid, pop)
                write_cog(
                    people_cells.where(inside),
                    work / "people.tif",
                    nodata=float("nan"),
                    tags=_tags(cfg, version, units="person", description="people per cell"),
                )
                people = read_raster(work / "people.tif")
                people_stats = zones.stats(people)
        else:
            steps.bar.update(1)
        # Exposure first, then hazards: scores written as COGs and read back lazily.
        for spec in sorted(spatial, key=lambda s: s.role != "exposure"):
            with steps.step(spec.id):
                raw = compute.layer_on_grid(spec, cfg.inputs, grid, cache).where(inside)
                raw_path = layer_dir / f"{spec.id}.tif"
                write_cog(
                    raw,
                    raw_path,
                    nodata=float("nan"),
                    tags=_tags(cfg, version, units=spec.units, description=spec.title),
                )
                raw = read_raster(raw_path)
                stats = zones.stats(raw, weights=people, thresholds=spec.levels or ())
                _check_coverage(spec, stats, cfg.inputs[spec.input].path.name, min_cov)
                for key, values in district_columns(spec, stats, people_stats, min_cov).items():
                    table[key] = values
                score_paths[spec.id] = layer_dir / f"{spec.id}.score.tif"
                write_cog(
                    _score(spec, raw),
                    score_paths[spec.id],
                    nodata=float("nan"),
                    tags=_tags(cfg, version, units="score 0-10", description=spec.title),
                )
                layer_meta[spec.id] = {
                    "raw": f"layers/{spec.id}.tif",
                    "score": f"layers/{spec.id}.score.tif",
                    **_summary(stats),
                }
        if columns:
            with steps.step("district table"):
                column_values = compute.column_layers(columns, cfg.inputs, list(ids))
                for spec in columns:
                    raw_values = column_values[spec.id].to_numpy(dtype=np.float64)
                    table[f"{spec.id}_value"] = raw_values
                    table[f"{spec.id}_score"] = spec.score_district(raw_values)
                    table[f"{spec.id}_level"] = index.NOT_APPLICABLE
                    layer_meta[spec.id] = {"column": str(spec.params.get("column", spec.id))}
        with steps.step("risk"):
            combined = scoring.combine(table, catalog, weighting)
            rasters = _risk_rasters(
                cfg, catalog, weighting, work, version, score_paths, labels, combined, grid
            )
        with steps.step("basemap"):
            basemap = _basemap(cfg, work, grid, version)
        with steps.step("districts output"):
            result = _district_frame(districts, cfg, table, combined, people_stats, weighting)
            write_vectors(result, work / "districts", VECTOR_FORMATS)
            _long_stats(table, catalog).to_csv(work / "district_layers.csv", index=False)
        manifest = _manifest(
            cfg, catalog, weighting, version, grid, districts, layer_meta, rasters, basemap
        )
        manifest["timings"] = steps.timings
        publish.write_manifest(work, manifest)
    finally:
        steps.close()


def _check_coverage(spec: LayerSpec, stats: ZonalStats, source: str, min_coverage: float) -> None:
    """Stop on an input that misses every district; warn about districts it misses."""
    coverage = np.asarray(stats.coverage, dtype=np.float64)
    if not np.any(coverage > 0):
        raise InputError(
            f"{source} has no data over any district (layer {spec.id!r}): check its extent, "
            "its CRS and its nodata value"
        )
    short = [str(i) for i, c in zip(stats.ids, coverage, strict=True) if not c >= min_coverage]
    if short:
        warnings.warn(
            f"{source} covers less than {min_coverage:.0%} of district(s) {', '.join(short)}; "
            f"their {spec.id} level is 'no data'",
            InputWarning,
            stacklevel=3,
        )


def _summary(stats: ZonalStats) -> dict[str, float | None]:
    def finite(values: Any, reduce: Callable[[np.ndarray], Any]) -> float | None:
        arr = np.asarray(values, dtype=np.float64)
        arr = arr[np.isfinite(arr)]
        return round(float(reduce(arr)), 6) if arr.size else None

    return {
        "min": finite(stats.min, np.min),
        "max": finite(stats.max, np.max),
        "mean_of_districts": finite(stats.mean, np.mean),
    }


def _risk_rasters(
    cfg: BuildConfig,
    catalog: Registry,
    weighting: scoring.Weighting,
    work: Path,
    version: str,
    score_paths: Mapping[str, Path],
    labels: xr.DataArray,
    combined: pd.DataFrame,
    grid: GridSpec,
) -> dict[str, str]:
    hazard_ids = [s.id for s in catalog.hazards if s.id in score_paths]
    scores = [read_raster(score_paths[i]) for i in hazard_ids]

    def composite(*arrays: np.ndarray) -> np.ndarray:
        values = dict(zip(hazard_ids, arrays, strict=True))
        return scoring.composite_cells(values, catalog, weighting).astype(np.float32)

    hazard = xr.apply_ufunc(
        _in_strips(composite), *scores, dask="parallelized", output_dtypes=[np.float32]
    )
    hazard = grid.write_georeference(hazard)
    tags = _tags(cfg, version, units="score 0-10")
    written = {"composite": "composite.tif"}
    write_cog(hazard, work / "composite.tif", nodata=float("nan"), tags=tags)
    vulnerability = grid.write_georeference(_paint(labels, combined["vulnerability"].to_numpy()))
    coping = grid.write_georeference(_paint(labels, combined["coping"].to_numpy()))
    write_cog(vulnerability, work / "vulnerability.tif", nodata=float("nan"), tags=tags)
    write_cog(coping, work / "coping.tif", nodata=float("nan"), tags=tags)
    written |= {"vulnerability": "vulnerability.tif", "coping": "coping.tif"}
    exposure = [s.id for s in catalog.by_role("exposure") if s.id in score_paths]
    if exposure:
        hazard = read_raster(work / "composite.tif")
        expo = read_raster(score_paths[exposure[0]])
        risk = xr.apply_ufunc(
            _in_strips(lambda h, e, v, c: scoring.risk_cells(h, e, v, c).astype(np.float32)),
            hazard,
            expo,
            read_raster(work / "vulnerability.tif"),
            read_raster(work / "coping.tif"),
            dask="parallelized",
            output_dtypes=[np.float32],
        )
        write_cog(grid.write_georeference(risk), work / "risk.tif", nodata=float("nan"), tags=tags)
        written["risk"] = "risk.tif"
    return written


def _basemap(cfg: BuildConfig, work: Path, grid: GridSpec, version: str) -> dict[str, str]:
    out: dict[str, str] = {}
    if cfg.basemap.elevation and cfg.basemap.elevation in cfg.inputs:
        dem = align(read_raster(cfg.inputs[cfg.basemap.elevation].path), grid, "bilinear")
        shade = hillshade(dem, grid)
        write_cog(
            shade.astype(np.float32),
            work / "basemap" / "hillshade.tif",
            nodata=0,
            dtype="uint8",
            tags=_tags(cfg, version, description="hillshade"),
        )
        out["hillshade"] = "basemap/hillshade.tif"
    if cfg.basemap.hydrography is not None:
        water = read_features(cfg.basemap.hydrography)
        write_vectors(water, work / "basemap" / "hydrography", ("geojson",))
        out["hydrography"] = "basemap/hydrography.geojson"
    return out


def _district_frame(
    districts: gpd.GeoDataFrame,
    cfg: BuildConfig,
    table: pd.DataFrame,
    combined: pd.DataFrame,
    people: ZonalStats | None,
    weighting: scoring.Weighting,
) -> gpd.GeoDataFrame:
    d = cfg.districts
    frame = pd.DataFrame(index=table.index)
    frame["name"] = (
        districts[d.name_field].astype(str).to_numpy() if d.name_field else table.index.to_numpy()
    )
    for lang, field in d.names.items():
        if field in districts:
            frame[f"name_{lang}"] = districts[field].astype(str).to_numpy()
    # The polygons' own areas: the cells a district owns approximate it, and a district
    # smaller than a cell would report its whole cell.
    outlines = districts.geometry.to_crs("EPSG:4326")
    frame["area_km2"] = np.round([geodesic_area_km2(g) for g in outlines], 3)
    frame["population"] = np.round(np.asarray(people.sum), 1) if people is not None else np.nan
    frame = pd.concat([frame, table, combined], axis=1)
    frame["weights"] = json.dumps(weighting.to_dict()["weights"])
    gdf = gpd.GeoDataFrame(
        frame.reset_index(), geometry=districts.geometry.to_numpy(), crs=districts.crs
    )
    return gdf.sort_values("rank", kind="stable").reset_index(drop=True)


def _long_stats(table: pd.DataFrame, catalog: Registry) -> pd.DataFrame:
    rows = []
    for code, row in table.iterrows():
        for spec in catalog.values():
            if f"{spec.id}_score" not in table:
                continue
            rows.append(
                {
                    "code": code,
                    "layer": spec.id,
                    "role": spec.role,
                    "group": spec.group,
                    "units": spec.units_label,
                    "value": row.get(f"{spec.id}_value"),
                    "score": row.get(f"{spec.id}_score"),
                    "level": row.get(f"{spec.id}_level"),
                    "coverage": row.get(f"{spec.id}_coverage", np.nan),
                    "people_high": row.get(f"{spec.id}_people_high", np.nan),
                }
            )
    return pd.DataFrame(rows)


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


def _manifest(
    cfg: BuildConfig,
    catalog: Registry,
    weighting: scoring.Weighting,
    version: str,
    grid: GridSpec,
    districts: gpd.GeoDataFrame,
    layer_meta: dict[str, dict[str, Any]],
    rasters: dict[str, str],
    basemap: dict[str, str],
) -> dict[str, Any]:
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
        },
        "layers": layer_meta,
        "catalog": {
            "layers": {i: spec.model_dump(mode="json") for i, spec in catalog.items()},
            "profiles": {i: p.model_dump(mode="json") for i, p in catalog.profiles.items()},
        },
        "scoring": {**weighting.to_dict(), "min_coverage": cfg.scoring.min_coverage},
        "rasters": {**rasters, "zones": "zones.tif", "people": "people.tif"},
        # zones.tif holds label k + 1 for the district ids[k] (0 = outside every district).
        "zones": {"labels": {str(code): k + 1 for k, code in enumerate(districts_ids)}},
        "basemap": basemap,
    }


__all__ = ["DEFAULT_CONFIG", "SAMPLE_DIR", "BuildResult", "build", "open_build"]
