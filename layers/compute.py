"""Compute each catalog layer's raw indicator, in its declared units, on the build grid.

The input kinds (docs/design.md, data flow): a raster is aligned with the layer's declared
resampling; a daily climate series becomes an indicator on its own grid first (xclim
works per cell, and the coarse grid is cheap) and is then aligned bilinearly; the
population raster (people per cell) is aligned with the sum-preserving method and
divided by the cell areas; district-table columns are read per district.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from aralrisk.geo.errors import ConfigError, InputError, warn_input
from aralrisk.geo.grid import GridSpec, align
from aralrisk.geo.io import read_raster, read_timeseries
from aralrisk.geo.tables import read_table
from aralrisk.layers import indicators, units
from aralrisk.layers.config import InputConfig
from aralrisk.layers.registry import LayerSpec
from aralrisk.layers.units import convert

#: Other names of the climate variables, tried when the configured name is absent.
CLIMATE_ALIASES: dict[str, tuple[str, ...]] = {
    "tasmax": ("tmax", "tx", "t2m_max", "TMAX", "mx2t"),
    "tas": ("tmean", "tg", "t2m", "TAVG"),
    "pr": ("precip", "prcp", "tp", "precipitation", "PRCP"),
}


def _input(spec: LayerSpec, inputs: Mapping[str, InputConfig]) -> InputConfig:
    try:
        return inputs[spec.input]
    except KeyError:
        raise ConfigError(
            f"layer {spec.id!r} needs the input {spec.input!r}, which the configuration "
            "does not name; add it under [inputs] or leave the layer out"
        ) from None


def _with_units(da: xr.DataArray, spec: LayerSpec, source: InputConfig) -> xr.DataArray:
    """Convert ``da`` to the layer's units (file tag, then config, then assumed)."""
    declared = da.attrs.get("units") or source.units
    if not declared:
        warn_input(
            f"{source.path.name} declares no units; assuming {spec.units!r} for layer "
            f"{spec.id!r} (set `units` under [inputs.{spec.input}] to be explicit)",
            stacklevel=3,
        )
        declared = spec.units
    if str(declared) != spec.units:
        factor_test = convert(np.asarray([1.0]), str(declared), spec.units, source.path.name)
        offset_test = convert(np.asarray([0.0]), str(declared), spec.units, source.path.name)
        # Linear conversions (all units of raw indicators) stay lazy as a*x + b.
        a, b = float(factor_test[0] - offset_test[0]), float(offset_test[0])
        da = da * a + b
    da.attrs = {"units": spec.units}
    return da


def people_on_grid(source: InputConfig, grid: GridSpec, spec: LayerSpec) -> xr.DataArray:
    """People per cell on ``grid`` (sum-preserving), float64, lazy.

    The input counts people per cell (units ``person``, or none), or gives a density
    (``person/km**2``, ``person ha-1``, ...), which is multiplied by the input's own cell
    areas first: summing densities as if they were heads would be silently wrong.

    Raises:
        InputError: The units are neither a count nor a density of people.
    """
    people = read_raster(source.path)
    declared = str(people.attrs.get("units") or source.units or "person")
    name = source.path.name
    if units.is_compatible(declared, "person"):
        people = people * float(convert(np.asarray([1.0]), declared, "person", name)[0])
    elif units.is_compatible(declared, "person/km**2"):
        per_km2 = float(convert(np.asarray([1.0]), declared, "person/km**2", name)[0])
        areas = GridSpec.from_raster(people).cell_area_km2()  # rows north first
        if people.sizes["y"] > 1 and float(people["y"][0]) < float(people["y"][-1]):
            areas = areas[::-1]
        people = people * xr.DataArray(areas * per_km2, dims=("y",), coords={"y": people["y"]})
    else:
        raise InputError(
            f"{name} is in {declared!r}; the population input must count people per cell "
            "(units 'person') or give their density (e.g. 'person/km**2')"
        )
    aligned = align(people, grid, "sum")
    aligned.attrs = {"units": "person"}
    return aligned.rename("people")


SeriesCache = dict[tuple[Path, str, *tuple[str, ...]], xr.DataArray]
#: Climate series up to this size (decoded, in bytes) are read into memory once per build.
SERIES_IN_MEMORY_BYTES = 512 * 1024 * 1024


def _series(
    spec: LayerSpec, source: InputConfig, cache: SeriesCache | None
) -> tuple[xr.DataArray, str]:
    """The layer's climate variable, read once per build and checked for plausibility."""
    default = "pr" if spec.indicator in ("drought_frequency", "dry_year_probability") else "tasmax"
    role = str(spec.params.get("variable", default))
    variable = source.variables.get(role, role)
    key = (source.path, variable)
    cache = {} if cache is None else cache
    if key not in cache:
        # Read once, used by every climate layer: a small series is faster in memory
        # than as many dask tasks per layer.
        series = read_timeseries(
            source.path,
            variable,
            aliases=CLIMATE_ALIASES.get(variable, ()),
            in_memory_bytes=SERIES_IN_MEMORY_BYTES,
        )
        if series.chunks is not None:
            # Indicators fit and count along time per cell: one chunk in time, split in
            # space.
            series = series.chunk({"time": -1, "y": "auto", "x": "auto"})
        indicators.check_plausible(series, role, source.path.name)
        cache[key] = series
    return cache[key], variable


def series_layer(
    spec: LayerSpec, source: InputConfig, grid: GridSpec, cache: SeriesCache | None = None
) -> xr.DataArray:
    """A climate indicator computed on the series' own grid, then aligned bilinearly.

    ``cache`` keeps opened series between the layers of one build (one file, one read).
    """
    series, variable = _series(spec, source, cache)
    try:
        spi = monthly_spi(spec, source, cache) if spec.indicator == "drought_frequency" else None
        raw = _indicator(spec, series, spi)
    except ValueError as err:  # xclim's ValidationError: units of the wrong dimension
        raise InputError(
            f"{source.path.name}: variable {variable!r} cannot give {spec.id}: {err}"
        ) from err
    # The indicator is small (one value per climate cell): compute it once, here.
    raw = raw.compute().rio.write_crs(series.rio.crs)
    raw = _with_units(raw, spec, source)
    return align(raw, grid, "bilinear").rename(spec.id)


def series_completeness(
    spec: LayerSpec, source: InputConfig, grid: GridSpec, cache: SeriesCache | None = None
) -> xr.DataArray:
    """Share (0-1) of the layer's yearly periods that pass xclim's missing-data check.

    On the build grid (nearest, so a cell reports its climate cell's share).
    """
    series, _ = _series(spec, source, cache)
    share = indicators.completeness(series, str(spec.params.get("freq", "YS")))
    share = share.compute().rio.write_crs(series.rio.crs)
    return align(share, grid, "nearest").rename(f"{spec.id}_completeness")


def monthly_spi(
    spec: LayerSpec, source: InputConfig, cache: SeriesCache | None = None
) -> xr.DataArray:
    """The monthly SPI behind a ``drought_frequency`` layer, computed once per build.

    Kept in ``cache`` beside its series: the layer and its yearly series
    (:mod:`layers.series`) both need it, and fitting it is most of their cost.
    """
    series, variable = _series(spec, source, cache)
    window = int(spec.params.get("window", 12))
    key = (source.path, variable, f"spi-{window}")
    cache = {} if cache is None else cache
    if key not in cache:
        cache[key] = indicators.monthly_spi(series, window).compute()
    return cache[key]


def _indicator(
    spec: LayerSpec, series: xr.DataArray, spi: xr.DataArray | None = None
) -> xr.DataArray:
    if spec.indicator == "heat_days":
        raw = indicators.heat_days(series, str(spec.params.get("thresh", "35 degC")))
    elif spec.indicator == "dry_year_probability":
        raw = indicators.dry_year_probability(
            series,
            str(spec.params.get("thresh", "100 mm")),
            str(spec.params.get("freq", "YS-OCT")),
        )
    elif spec.indicator == "drought_frequency":
        years = spec.params.get("evaluation_years")
        raw = indicators.drought_frequency(
            series,
            int(spec.params.get("window", 12)),
            float(spec.params.get("threshold", -1.5)),
            int(years) if years is not None else None,
            spi=spi,
        )
    elif spec.indicator == "warming_trend":
        raw = indicators.warming_trend(series)
    else:
        raise ConfigError(f"layer {spec.id!r}: indicator {spec.indicator!r} needs a raster input")
    return raw


def layer_on_grid(
    spec: LayerSpec,
    inputs: Mapping[str, InputConfig],
    grid: GridSpec,
    cache: SeriesCache | None = None,
) -> xr.DataArray:
    """The raw indicator of a spatial layer on ``grid``, dims (y, x), in ``spec.units``.

    Lazy (dask) for raster inputs; climate indicators are computed on their coarse grid.
    """
    source = _input(spec, inputs)
    if source.kind == "table":
        raise ConfigError(f"layer {spec.id!r} is spatial but its input {spec.input!r} is a table")
    if spec.indicator in ("raster", "population_density"):
        if source.kind != "raster":
            raise ConfigError(f"layer {spec.id!r} needs a raster input, got {source.path.name}")
        if spec.indicator == "population_density":
            people = people_on_grid(source, grid, spec)
            da = indicators.population_density(people, grid.cell_area_km2())
        else:
            da = align(_with_units(read_raster(source.path), spec, source), grid, spec.resampling)
    else:
        if source.kind != "series":
            raise ConfigError(
                f"layer {spec.id!r} needs a NetCDF/Zarr input, got {source.path.name}"
            )
        da = series_layer(spec, source, grid, cache)
    da = grid.write_georeference(da.astype(np.float32).rename(spec.id))
    da.attrs = {"units": spec.units, "long_name": spec.title}
    return da


def column_layers(
    specs: Sequence[LayerSpec], inputs: Mapping[str, InputConfig], ids: Sequence[str]
) -> pd.DataFrame:
    """District-table layers: one float column per spec (named by layer id), rows = ids."""
    frames = []
    by_input: dict[str, list[LayerSpec]] = {}
    for spec in specs:
        by_input.setdefault(spec.input, []).append(spec)
    for name, group in by_input.items():
        source = _input(group[0], inputs)
        if source.kind != "table":
            raise ConfigError(f"input {name!r} of layer {group[0].id!r} must be a CSV table")
        if not source.id_field:
            raise ConfigError(f"input {name!r} is a table: set its id_field (the district code)")
        columns = [str(spec.params.get("column", spec.id)) for spec in group]
        table = read_table(source.path, source.id_field, ids, columns)
        frames.append(table.set_axis([spec.id for spec in group], axis=1).reset_index(drop=True))
    if not frames:
        return pd.DataFrame(index=range(len(ids)))
    return pd.concat(frames, axis=1)


def climate_series(
    spec: LayerSpec, source: InputConfig, cache: SeriesCache | None = None
) -> tuple[xr.DataArray, str]:
    """The climate variable behind ``spec`` and its name in the file.

    Read once per build through ``cache`` (shared with :func:`series_layer`) and checked
    for plausibility; the per-district series (:mod:`layers.series`) read it this way.
    """
    return _series(spec, source, cache)
