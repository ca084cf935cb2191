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

import difflib
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
import xarray as xr
from rasterio.transform import array_bounds
from rasterio.warp import transform_bounds

# tqdm.std, not tqdm.auto: the text bar works everywhere and needs no ipywidgets.
from tqdm.std import tqdm

from aralrisk.geo import index
from aralrisk.geo.csvfiles import write_csv
from aralrisk.geo.errors import ConfigError, InputError, recording_input_warnings, warn_input
from aralrisk.geo.gdal_settings import cache_max
from aralrisk.geo.grid import GridSpec
from aralrisk.geo.io import raster_grid, read_districts, read_raster, write_cog, write_vectors
from aralrisk.geo.zonal import ZonalStats, ZoneIndex
from aralrisk.layers import compute, indicators, places, publish, qgis_project, rasters, scoring
from aralrisk.layers import own_fields as districts_as_given
from aralrisk.layers import profiles as custom_profiles
from aralrisk.layers import qgis as qgis_styles
from aralrisk.layers import series as district_series
from aralrisk.layers import transfer as district_transfer
from aralrisk.layers.config import BuildConfig, load_config
from aralrisk.layers.district_stats import hazard_columns, layer_columns
from aralrisk.layers.outputs import district_frame, long_table, manifest
from aralrisk.layers.registry import LayerSpec, Registry, load_catalog
from aralrisk.layers.result import BuildResult, open_build
from aralrisk.layers.scheduler import dask_client, release_freed_memory, scheduler_address

#: The sample data set: the repository's ``data/sample`` when run from a source tree, else
#: ``data/sample`` under the working directory, where ``aralrisk sample`` writes it by
#: default (an installed wheel carries the generator and its build.toml, not the data).
_SOURCE_SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
SAMPLE_DIR = _SOURCE_SAMPLE if (_SOURCE_SAMPLE / "build.toml").is_file() else Path("data/sample")
DEFAULT_CONFIG = SAMPLE_DIR / "build.toml"
VECTOR_FORMATS = ("gpkg", "geojson", "parquet", "csv")

Progress = Callable[[str], None]

#: GDAL's raster block cache during a build, in MB (GDAL's default is 5% of the RAM, over
#: 1 GB on a 24 GB machine, and a build that streams every layer once fills it with
#: blocks it never reads again). 64 MB holds two rows of 512-px source blocks of a
#: 16,000-cell-wide float32 grid; 256 MB added 220 MB to that build's peak RSS and saved
#: 2 % of its time (bench/README.md). A ``GDAL_CACHEMAX`` set in the environment wins.
BUILD_GDAL_CACHE_MB = 64


def _gdal() -> dict[str, int]:
    """GDAL settings of a build: its block cache, unless the environment sets one."""
    if "GDAL_CACHEMAX" in os.environ:
        return {}
    return {"GDAL_CACHEMAX": cache_max(BUILD_GDAL_CACHE_MB)}


def _config(config: BuildConfig | str | os.PathLike[str] | None) -> BuildConfig:
    if isinstance(config, BuildConfig):
        return config
    return load_config(Path(config) if config is not None else DEFAULT_CONFIG)


def _check_input_names(registry: Registry, config: BuildConfig) -> None:
    """Refuse an input no catalog layer reads: a misspelt name would drop a layer silently."""
    known = {spec.input for spec in registry.values()}
    if config.basemap.elevation:
        known.add(config.basemap.elevation)
    known.add(places.PLACES_INPUT)  # optional settlements, read by layers.places
    for name in config.inputs:
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f"did you mean [inputs.{close[0]}]? " if close else ""
            raise ConfigError(
                f"unknown input [inputs.{name}]: no layer reads it; {hint}"
                f"inputs the catalog reads: {', '.join(sorted(known))}"
            )
        roles = set(config.inputs[name].variables) - set(compute.CLIMATE_ALIASES)
        if roles:
            raise ConfigError(
                f"[inputs.{name}] variables: unknown variable {', '.join(sorted(roles))}; "
                f"name the file's variable of {', '.join(compute.CLIMATE_ALIASES)}"
            )


def _select(registry: Registry, config: BuildConfig) -> Registry:
    """The catalog layers this build can make: those named, or those with an input."""
    _check_input_names(registry, config)
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


#: A grid more than this many times the area the inputs cover is refused (a district
#: shifted by tens of degrees would make the build run for many minutes on empty cells).
MAX_GRID_OVERREACH = 4.0


def _grid(config: BuildConfig, districts: gpd.GeoDataFrame) -> GridSpec:
    if config.grid.bounds is not None:
        bounds = config.grid.bounds
    else:
        outlines = districts.to_crs(config.grid.crs)
        west, south, east, north = outlines.total_bounds
        pad = config.grid.buffer
        bounds = (west - pad, south - pad, east + pad, north + pad)
        _check_overreach(config, outlines, bounds)
    return GridSpec.from_bounds(bounds, config.grid.resolution, config.grid.crs)


def _check_overreach(
    config: BuildConfig, outlines: gpd.GeoDataFrame, bounds: tuple[float, ...]
) -> None:
    """Refuse a grid far larger than the inputs cover, naming the districts outside them.

    Raises:
        InputError: The districts' extent is more than :data:`MAX_GRID_OVERREACH` times
            the part of it the raster inputs cover.
    """
    covered = [
        shapely.box(
            *transform_bounds(crs, config.grid.crs, *array_bounds(shape[0], shape[1], transform))
        )
        for source in config.inputs.values()
        if source.kind == "raster" and source.path.is_file()
        for crs, transform, shape in [raster_grid(source.path)]
    ]
    if not covered:
        return
    extent = shapely.box(*bounds)
    inputs = shapely.union_all(covered)
    inside = shapely.area(shapely.intersection(extent, inputs))
    if inside <= 0 or shapely.area(extent) <= MAX_GRID_OVERREACH * inside:
        return
    d = config.districts
    far = outlines[~outlines.geometry.intersects(inputs)]
    names = [
        f"{code}" + (f" ({name})" if d.name_field else "")
        for code, name in zip(
            far[d.id_field].astype(str),
            far[d.name_field].astype(str) if d.name_field else far[d.id_field],
            strict=True,
        )
    ]
    which = ", ".join(names[:5]) if names else "some districts"
    raise InputError(
        f"district(s) {which} lie outside every input raster and stretch the analysis grid "
        f"to {shapely.area(extent) / inside:.0f} times the area the inputs cover: check "
        "their coordinates (a shifted or mis-projected feature?) or remove them"
    )


def _digest(config: BuildConfig) -> str:
    text = json.dumps(config.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


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
    name: str | None = None,
    keep: int | None = None,
    wait: float = 0.0,
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
        name: A name for this build (e.g. ``"baseline"``), recorded in its manifest;
            :func:`layers.result.open_build` finds it by name and pruning spares it.
        keep: Delete the oldest unnamed builds of ``out`` beyond this many (besides the
            current one) after publishing; ``None`` (the default) deletes nothing.
        wait: Seconds to wait for another build into ``out`` to finish (0: refuse).

    Returns:
        The published build (see :class:`~layers.result.BuildResult`).

    Raises:
        geo.errors.InputError: An input is missing or invalid (one sentence says which).
        geo.errors.ConfigError: The configuration or weights are wrong.
        layers.publish.BuildInProgress: Another build writes into ``out``.

    Examples:
        The tiny world of the tests (``world_dir``: four districts, a few rasters, a
        climate file and a table) built and published under a new folder:

        >>> built = build(world_dir / "build.toml", out=tmp / "tiny", name="baseline",
        ...               progress=False)
        >>> built.name, (tmp / "tiny" / "current").exists(), len(built.districts)
        ('baseline', True, 4)
        >>> built.table()[["risk", "risk_class"]].round(1)
              risk risk_class
        code
        A      7.4  Very High
        B      4.1     Medium
        C      2.5        Low
        D      2.4        Low
    """
    cfg = _config(config)
    # The configuration's own profiles join the catalogue's (layers/profiles.py).
    catalog = _select(custom_profiles.apply(registry or load_catalog(), cfg.profiles), cfg)
    weighting = scoring.weighting(
        catalog,
        profile or cfg.scoring.profile,
        weights if weights is not None else cfg.scoring.weights,
        method or cfg.scoring.method,
        cfg.scoring.risk_classes(),
    )
    if scheduler is not None:
        scheduler = scheduler_address(scheduler)  # a typo is one sentence, before any work
    root = Path(out)
    with publish.root_lock(root, wait), dask_client(scheduler, workers), rasterio.Env(**_gdal()):
        version = publish.new_version(_digest(cfg))
        with publish.staging(root, version) as work:
            _run(cfg, catalog, weighting, work, version, progress, name)
            final = publish.publish(root, work)
        if keep is not None:
            publish.prune(root, keep)
    return open_build(final)


def _run(
    cfg: BuildConfig,
    catalog: Registry,
    weighting: scoring.Weighting,
    work: Path,
    version: str,
    progress: bool,
    name: str | None = None,
) -> None:
    spatial = [spec for spec in catalog.values() if spec.spatial]
    columns = [spec for spec in catalog.values() if not spec.spatial]
    with_places = places.PLACES_INPUT in cfg.inputs
    climate = any(cfg.inputs[spec.input].kind == "series" for spec in spatial)
    steps = _Steps(
        total=6 + len(spatial) + (1 if columns else 0) + with_places + climate, enabled=progress
    )
    min_cov = cfg.scoring.min_coverage
    layer_dir = work / "layers"
    outputs: dict[str, Any] = {"layers": {}, "quality": {}}
    with recording_input_warnings() as told:
        try:
            with steps.step("districts"):
                d = cfg.districts
                districts = read_districts(d.path, d.id_field, d.name_field, layer=d.layer)
                ids = districts[d.id_field].astype(str).to_numpy()
                grid = _grid(cfg, districts)
                # glibc would keep hundreds of MB of a large build's freed chunks resident.
                release_freed_memory(grid.height * grid.width)
                zones = ZoneIndex(districts, grid, d.id_field)
                labels = zones.lazy_labels(1024)  # no copy of the label raster
                inside = labels > 0
                write_cog(
                    grid.write_georeference(labels.astype(np.float32)),
                    work / "zones.tif",
                    nodata=0,
                    dtype="uint16",
                    overview_resampling="nearest",
                    tags=rasters.tags(cfg, version, description="district labels (0 = outside)"),
                )
            # Columns gathered first, framed once: inserting them one by one fragments a frame.
            cols: dict[str, Any] = {}
            people, population = _people(cfg, catalog, grid, zones, inside, work, version, steps)
            layer_stats: dict[str, ZonalStats] = {}
            raw_paths: dict[str, Path] = {}
            score_paths: dict[str, Path] = {}
            cache: compute.SeriesCache = {}
            # Exposure first, then hazards: scores written as COGs and read back lazily.
            for spec in sorted(spatial, key=lambda s: s.role != "exposure"):
                with steps.step(spec.id):
                    raw_paths[spec.id] = layer_dir / f"{spec.id}.tif"
                    score_paths[spec.id] = layer_dir / f"{spec.id}.score.tif"
                    stats = _layer(
                        cfg,
                        catalog,
                        spec,
                        grid,
                        zones,
                        inside,
                        people,
                        cache,
                        raw_paths[spec.id],
                        score_paths[spec.id],
                        version,
                    )
                    layer_stats[spec.id] = stats
                    cols |= layer_columns(spec, stats, population["stats"], min_cov)
                    outputs["layers"][spec.id] = {
                        "raw": f"layers/{spec.id}.tif",
                        "score": f"layers/{spec.id}.score.tif",
                        **_summary(stats),
                    }
                    if cfg.inputs[spec.input].kind == "series":
                        quality = _completeness(cfg, spec, grid, zones, cache)
                        cols[f"{spec.id}_completeness"] = quality.pop("districts")
                        outputs["quality"][spec.id] = quality
            # The yearly series behind the climate layers, per district (layers/series.py).
            with steps.step("series") if climate else nullcontext():
                outputs["series"] = district_series.write(
                    district_series.district_series(
                        catalog, cfg.inputs, grid, zones, people, cache
                    ),
                    work,
                )
            if columns:
                with steps.step("district table"):
                    # Tables keyed to other districts: transferred or matched by name
                    # onto these first (layers/transfer.py).
                    density = raw_paths.get("population")
                    table_inputs, transfers = district_transfer.prepare(
                        cfg.inputs,
                        [spec.input for spec in columns],
                        districts,
                        d.id_field,
                        [f for f in (d.name_field, *d.names.values()) if f],
                        grid,
                        read_raster(density) if density is not None else None,
                        work,
                    )
                    if transfers:
                        outputs["transfers"] = transfers
                        moved = district_transfer.transferred_flag(transfers, list(ids))
                        cols["table_transferred"] = moved
                    column_values = compute.column_layers(columns, table_inputs, list(ids))
                    for spec in columns:
                        raw_values = column_values[spec.id].to_numpy(dtype=np.float64)
                        cols[f"{spec.id}_value"] = raw_values
                        cols[f"{spec.id}_score"] = spec.score_district(raw_values)
                        cols[f"{spec.id}_level"] = np.full(len(ids), index.NOT_APPLICABLE)
                        outputs["layers"][spec.id] = {
                            "column": str(spec.params.get("column", spec.id))
                        }
            with steps.step("hazards"):
                hazard_stats = {k: v for k, v in layer_stats.items() if catalog[k].role == "hazard"}
                cols |= hazard_columns(catalog, hazard_stats, population["people"], min_cov)
                outputs["rasters"], exposed = _exposed(
                    catalog, raw_paths, people, grid, zones, work, cfg, version
                )
                cols |= exposed
                table = pd.DataFrame(cols, index=pd.Index(ids, name="code"))
            with steps.step("risk"):
                combined = scoring.combine(table, catalog, weighting)
                outputs["rasters"] |= _index_rasters(
                    cfg, catalog, weighting, work, version, score_paths, labels, combined, grid
                )
            with steps.step("basemap"):
                outputs["basemap"] = rasters.basemap(cfg, work, grid, version)
            with steps.step("districts output"):
                result = district_frame(
                    districts, cfg, table, combined, population["people"], weighting
                )
                write_vectors(result, work / "districts", VECTOR_FORMATS)
                # The districts as the user gave them: every field, their CRS.
                outputs["districts_input"] = districts_as_given.write(
                    districts,
                    result,
                    d.id_field,
                    d.name_field,
                    cfg.output.crs,
                    d.path,
                    d.layer,
                    work,
                )
                write_csv(long_table(table, catalog), work / "district_layers.csv")
            if with_places:
                with steps.step("places"):
                    outputs["places"] = _places(
                        cfg, catalog, grid, districts, table, raw_paths, work
                    )
            # QGIS opens the build styled: layer_styles in the GeoPackages, .qml beside
            # every raster (layers/qgis.py), and a project of them all (aralrisk.qgs).
            outputs["styles"] = qgis_styles.write_styles(work, catalog, weighting.classes, outputs)
            outputs["styles"]["project"] = qgis_project.write_project(
                work, catalog, weighting.classes, outputs, grid.crs, cfg.title
            )
            outputs["warnings"] = list(told)
            built = manifest(cfg, catalog, weighting, version, grid, districts, outputs)
            built["timings"] = steps.timings
            built["name"] = name
            built["series"] = outputs["series"]
            built["districts_input"] = outputs["districts_input"]
            built["transfers"] = outputs.get("transfers", {})
            built["styles"] = outputs["styles"]
            if "places" in outputs:
                built["places"] = outputs["places"]
            publish.write_manifest(work, built)
        finally:
            steps.close()


def _within(layer: xr.DataArray, inside: xr.DataArray) -> xr.DataArray:
    """``layer`` where ``inside`` (NaN outside the districts), in ``layer``'s own chunks.

    xarray would cut both into their common, finer chunks (the labels' 1,024 cells
    against an aligned layer's 2,048): every chunk of the layer then feeds four chunks
    that :func:`geo.io.write_cog` computes in different batches, so it was warped twice,
    and the two threads of a batch shared one warp instead of each running its own.
    """
    if layer.chunks is not None:
        inside = inside.chunk(dict(zip(layer.dims, layer.chunks, strict=True)))
    return layer.where(inside)


def _people(
    cfg: BuildConfig,
    catalog: Registry,
    grid: GridSpec,
    zones: ZoneIndex,
    inside: xr.DataArray,
    work: Path,
    version: str,
    steps: _Steps,
) -> tuple[xr.DataArray | None, dict[str, Any]]:
    """People per cell (written as ``people.tif``) and per district, if there is an input."""
    pop = next((s for s in catalog.values() if s.indicator == "population_density"), None)
    if pop is None:
        steps.bar.update(1)
        return None, {"stats": None, "people": None}
    with steps.step("people"):
        people_cells = compute.people_on_grid(cfg.inputs[pop.input], grid, pop)
        write_cog(
            _within(people_cells, inside),
            work / "people.tif",
            nodata=float("nan"),
            tags=rasters.tags(cfg, version, units="person", description="people per cell"),
        )
        people = read_raster(work / "people.tif")
        stats = zones.stats(people)
    return people, {"stats": stats, "people": np.asarray(stats.sum, dtype=np.float64)}


def _layer(
    cfg: BuildConfig,
    catalog: Registry,
    spec: LayerSpec,
    grid: GridSpec,
    zones: ZoneIndex,
    inside: xr.DataArray,
    people: xr.DataArray | None,
    cache: compute.SeriesCache,
    raw_path: Path,
    score_path: Path,
    version: str,
) -> ZonalStats:
    """One spatial layer: raw and score COGs written, its zonal statistics returned."""
    raw = _within(compute.layer_on_grid(spec, cfg.inputs, grid, cache), inside)
    write_cog(
        raw,
        raw_path,
        nodata=float("nan"),
        tags=rasters.tags(cfg, version, units=spec.units, description=spec.title),
    )
    raw = read_raster(raw_path)
    thresholds = catalog.thresholds(spec.id) if spec.role == "hazard" else spec.levels or ()
    stats = zones.stats(raw, weights=people, thresholds=thresholds)
    _check_coverage(spec, stats, cfg.inputs[spec.input].path.name, cfg.scoring.min_coverage)
    _check_plausible(spec, stats, cfg.inputs[spec.input].path.name)
    write_cog(
        rasters.score(spec, raw),
        score_path,
        nodata=float("nan"),
        tags=rasters.tags(cfg, version, units="score 0-10", description=spec.title),
    )
    return stats


def _completeness(
    cfg: BuildConfig,
    spec: LayerSpec,
    grid: GridSpec,
    zones: ZoneIndex,
    cache: compute.SeriesCache,
) -> dict[str, Any]:
    """A climate layer's share of years kept by xclim's missing-data checks.

    Per district (its cells' mean) and over the grid; a warning names the layer when
    years had to be left out anywhere.
    """
    source = cfg.inputs[spec.input]
    share = compute.series_completeness(spec, source, grid, cache)
    per_district = np.asarray(zones.stats(share).mean, dtype=np.float64)
    lowest = float(np.nanmin(per_district)) if np.isfinite(per_district).any() else float("nan")
    if lowest < 1.0:
        warn_input(
            f"{source.path.name}: some years miss more than "
            f"{indicators.MAX_MISSING:.0%} of their days and are left out of {spec.id} "
            f"(as little as {lowest:.0%} of the years kept in a district); confidence is "
            "lowered there",
            stacklevel=2,
        )
    return {
        "districts": per_district,
        "min_share_of_years": round(lowest, 4) if np.isfinite(lowest) else None,
        "max_missing_days_per_year": indicators.MAX_MISSING,
    }


def _exposed(
    catalog: Registry,
    raw_paths: Mapping[str, Path],
    people: xr.DataArray | None,
    grid: GridSpec,
    zones: ZoneIndex,
    work: Path,
    cfg: BuildConfig,
    version: str,
) -> tuple[dict[str, str], dict[str, np.ndarray]]:
    """People exposed to at least one hazard: the ``exposed.tif`` raster and the columns.

    Returns:
        The raster written (``{"exposed": "exposed.tif"}``, or none without people), and
        the district columns ``people_exposed`` and ``people_exposed_share`` (0-1).
    """
    mask = rasters.exposure_mask(catalog, raw_paths) if people is not None else None
    if mask is None or people is None:
        nothing = np.full(len(zones.ids), np.nan)
        return {}, {"people_exposed": nothing, "people_exposed_share": nothing}
    density = rasters.exposed_density(people, mask, grid)
    write_cog(
        density,
        work / "exposed.tif",
        nodata=float("nan"),
        tags=rasters.tags(cfg, version, units="person/km**2", description="people exposed"),
    )
    exposed = np.asarray(zones.stats(people * mask.fillna(0.0)).sum, dtype=np.float64)
    population = np.asarray(zones.stats(people).sum, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(population > 0, exposed / population, 0.0)
    return {"exposed": "exposed.tif"}, {"people_exposed": exposed, "people_exposed_share": share}


def _places(
    cfg: BuildConfig,
    catalog: Registry,
    grid: GridSpec,
    districts: gpd.GeoDataFrame,
    table: pd.DataFrame,
    raw_paths: Mapping[str, Path],
    work: Path,
) -> dict[str, Any]:
    """The settlements of ``[inputs.places]``, written into the build; their manifest entry."""
    source = cfg.inputs[places.PLACES_INPUT]
    radius = source.radius_km or places.DEFAULT_RADIUS_KM
    d = cfg.districts
    outlines = gpd.GeoDataFrame(
        {
            "code": districts[d.id_field].astype(str).to_numpy(),
            "district_name": (
                districts[d.name_field].astype(str).to_numpy()
                if d.name_field
                else districts[d.id_field].astype(str).to_numpy()
            ),
        },
        geometry=districts.geometry.to_numpy(),
        crs=districts.crs,
    )
    shares = pd.DataFrame(
        {
            layer: table[f"{layer}_value"]
            for layer in places.AGE_GROUPS.values()
            if f"{layer}_value" in table
        },
        index=table.index.astype(str),
    )
    hazard_layers = {k: v for k, v in raw_paths.items() if catalog[k].role == "hazard"}
    people = work / "people.tif" if (work / "people.tif").is_file() else None
    found = places.read_places(source.path)
    frame, outside = places.settlements(
        found,
        outlines,
        grid,
        catalog,
        hazard_layers,
        people,
        shares,
        radius,
    )
    files = places.write_places(frame, work)
    return {
        **files,
        "count": len(frame),
        "outside_districts": outside,
        "unnamed": int(found.attrs.get("left_out_unnamed", 0)),
        "radius_km": radius,
        "source": source.path.name,
    }


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
        warn_input(
            f"{source} covers less than {min_coverage:.0%} of district(s) {', '.join(short)}; "
            f"their {spec.id} level is 'no data'",
            stacklevel=3,
        )


def _check_plausible(spec: LayerSpec, stats: ZonalStats, source: str) -> None:
    """Stop on values no real input has: a wrong units tag, or nodata read as data."""
    if spec.plausible is None:
        return
    low, high = spec.plausible
    minima = np.asarray(stats.min, dtype=np.float64)
    maxima = np.asarray(stats.max, dtype=np.float64)
    if not np.isfinite(maxima).any():
        return
    smallest, largest = float(np.nanmin(minima)), float(np.nanmax(maxima))
    if smallest < low or largest > high:
        raise InputError(
            f"{source}: layer {spec.id!r} has values from {smallest:.4g} to {largest:.4g} "
            f"{spec.units_label} over the districts, outside the plausible {low:g} to "
            f"{high:g}: check the file's units tag and its nodata value"
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


def _index_rasters(
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
    """The composite hazard of every cell, and the district dimensions painted on cells.

    No cell-level risk: risk rests on the people exposed in a whole district, which a
    cell does not have; ``exposed.tif`` shows where the exposed people live instead.
    """
    tags = rasters.tags(cfg, version, units="score 0-10")
    rasters.composite(catalog, weighting, score_paths, grid, work / "composite.tif", tags)
    written = {"composite": "composite.tif"}
    for name in ("vulnerability", "lack_of_coping"):
        painted = grid.write_georeference(rasters.paint(labels, combined[name].to_numpy()))
        write_cog(painted, work / f"{name}.tif", nodata=float("nan"), tags=tags)
        written[name] = f"{name}.tif"
    return written


__all__ = ["DEFAULT_CONFIG", "SAMPLE_DIR", "BuildResult", "build", "open_build"]
