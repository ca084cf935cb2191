"""Per-district yearly series behind the climate layers, written with every build.

A climate layer is one number per cell (the mean number of hot days a year, the chance
of a dry year, the share of recent months in severe drought, a warming trend) computed
from a daily series. This module keeps the yearly series behind each number, per
district, computed the way the layer is: per year on the climate grid, aligned onto the
build grid bilinearly, then the layer's district statistic over the district's cells
(:class:`~aralrisk.geo.zonal.ZoneIndex`, population-weighted where the layer is). So
for a district:

* ``heat_days`` (days above the layer's threshold, per calendar year): their mean over
  the years is the ``heat_days`` layer's value (equal when no year is missing);
* ``precipitation`` (mm per hydrological year, labelled by the year it ends in): the
  data of the ``dry_years`` layer. The layer is the chance of a year below 100 mm from
  a gamma distribution fitted per *cell* (regional shape), averaged over the cells; it
  is not a function of the district's mean series, so it cannot be recomputed from it
  exactly;
* ``spi_severe_months`` (percent of the year's months with SPI-12 below the layer's
  threshold) and ``spi`` (the year's mean SPI-12): the mean of ``spi_severe_months``
  over the layer's last ``evaluation_years`` is the ``spi_recent`` value;
* ``tasmax_mean`` (°C, calendar year): the least-squares slope of the series, times
  10, is the ``warming_trend`` value in K/decade.

The table is long: one row per district, layer, variable and year (see
:data:`COLUMNS`), written as ``district_series.parquet`` and ``.csv``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import xarray as xr

from aralrisk.geo.grid import GridSpec
from aralrisk.geo.io import atomic_path
from aralrisk.geo.zonal import ZoneIndex
from aralrisk.geo.zonal_warp import OperatorCache, Weights, zone_means
from aralrisk.layers import compute, indicators
from aralrisk.layers.config import InputConfig
from aralrisk.layers.registry import LayerSpec, Registry

__all__ = ["COLUMNS", "read"]

#: File stem of the series in a build (``.parquet`` and ``.csv``).
FILE = "district_series"
#: The columns of the table, in order.
COLUMNS = ("code", "layer", "variable", "year", "period_start", "value", "units")
#: People grids up to this many cells are read into memory once (float64: 256 MB).
_IN_MEMORY_CELLS = 32_000_000


def _year_label(period_start: object, freq: str) -> int:
    """The year a period is named by.

    Its own, or for years starting after January the year it ends in: hydrological year
    October 2000 - September 2001 is 2001.
    """
    year = int(period_start.year)  # type: ignore[attr-defined]
    month = int(period_start.month)  # type: ignore[attr-defined]
    starts_late = "-" in freq and month > 1
    return year + 1 if starts_late else year


def yearly_fields(
    spec: LayerSpec, series: xr.DataArray, spi: xr.DataArray | None = None
) -> list[tuple[str, str, str, xr.DataArray]]:
    """The yearly fields behind one climate layer, on the series' own grid.

    Args:
        spec: The climate layer.
        series: Its daily variable, dims (time, y, x).
        spi: For a ``drought_frequency`` layer, its monthly SPI when already computed
            (:func:`aralrisk.layers.compute.monthly_spi`).

    Returns:
        ``(variable, units, freq, field)`` tuples; ``field`` has dims ``(time, y, x)``,
        one step per period (its first day).
    """
    params = spec.params
    if spec.indicator == "heat_days":
        field = indicators.heat_days_per_year(series, str(params.get("thresh", "35 degC")))
        return [("heat_days", "d", "YS", field)]
    if spec.indicator == "dry_year_probability":
        freq = str(params.get("freq", "YS-OCT"))
        return [("precipitation", "mm", freq, indicators.precipitation_per_year(series, freq))]
    if spec.indicator == "drought_frequency":
        if spi is None:
            spi = indicators.monthly_spi(series, int(params.get("window", 12)))
        threshold = float(params.get("threshold", -1.5))
        evaluated = spi.notnull().resample(time="YS").sum()
        severe = (spi < threshold).resample(time="YS").sum()
        share = (100.0 * severe / evaluated).where(evaluated > 0)
        mean = spi.resample(time="YS").mean()
        return [("spi_severe_months", "percent", "YS", share), ("spi", "1", "YS", mean)]
    if spec.indicator == "warming_trend":
        annual = indicators.annual_mean(series)
        units = str(series.attrs.get("units", ""))
        if units in ("K", "kelvin", "degK"):
            annual = annual - 273.15
        return [(f"{series.name or 'tas'}_mean", "degC", "YS", annual)]
    return []


def district_series(
    registry: Registry,
    inputs: Mapping[str, InputConfig],
    grid: GridSpec,
    zones: ZoneIndex,
    people: xr.DataArray | None,
    cache: compute.SeriesCache | None = None,
) -> pd.DataFrame:
    """Every climate layer's yearly series per district (the table of :data:`COLUMNS`).

    Args:
        registry: The build's layers (climate layers are those with a ``series`` input).
        inputs: The build's inputs.
        grid: The build grid.
        zones: The districts on the grid.
        people: People per cell on the grid, for population-weighted layers.
        cache: The build's opened series (read once per build).

    Returns:
        One row per district, layer, variable and year; empty without climate layers.
    """
    rows: list[pd.DataFrame] = []
    weights: Weights | None = None
    operators: OperatorCache = {}
    # Population-weighted layers first: the operator they read serves the others too
    # (geo/zonal_warp.py). The table is sorted at the end, so the order shows nowhere.
    ordered = sorted(registry.values(), key=lambda s: s.district_statistic != "weighted_mean")
    for spec in ordered:
        source = inputs.get(spec.input)
        if source is None or source.kind != "series" or not spec.spatial:
            continue
        series, variable = compute.climate_series(spec, source, cache)
        weighted = spec.district_statistic == "weighted_mean" and people is not None
        if weighted and weights is None and people is not None:
            # In memory when small; a big grid's people stay lazy (read a strip at a time).
            small = people.size <= _IN_MEMORY_CELLS
            weights = np.asarray(people, dtype=np.float64) if small else people
        spi = (
            compute.monthly_spi(spec, source, cache)
            if spec.indicator == "drought_frequency"
            else None
        )
        for name, units, freq, field in yearly_fields(spec, series.rename(variable), spi):
            field = field.compute().rio.write_crs(series.rio.crs)
            # The district means of every year as if each were aligned onto the grid
            # bilinearly and reduced there, as the layer is (geo/zonal_warp.py).
            mean, by_people = zone_means(
                field, grid, zones, "bilinear", weights if weighted else None, operators
            )
            for k, start in enumerate(field["time"].values):
                values = mean[k]
                if by_people is not None:
                    # As the layer: where nobody lives, the area mean stands.
                    values = np.where(np.isfinite(by_people[k]), by_people[k], values)
                rows.append(_rows(zones, spec.id, name, units, freq, start, values))
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    table = pd.concat(rows, ignore_index=True)
    table["year"] = table["year"].astype(np.int64)
    return table.sort_values(["code", "layer", "variable", "year"], kind="stable").reset_index(
        drop=True
    )[list(COLUMNS)]


def _rows(
    zones: ZoneIndex,
    layer: str,
    variable: str,
    units: str,
    freq: str,
    start: object,
    values: npt.NDArray[np.float64],
) -> pd.DataFrame:
    """One period's rows of the table: one per district."""
    stamp = start if hasattr(start, "year") else pd.Timestamp(str(start)[:10])
    return pd.DataFrame(
        {
            "code": [str(i) for i in zones.ids],
            "layer": layer,
            "variable": variable,
            "year": _year_label(stamp, freq),
            "period_start": f"{stamp.year:04d}-{stamp.month:02d}-{stamp.day:02d}",  # type: ignore[attr-defined]
            "value": values,
            "units": units,
        }
    )


def write(table: pd.DataFrame, folder: Path) -> dict[str, str]:
    """Write the series as Parquet and CSV into ``folder``; return the files by format."""
    files = {"parquet": f"{FILE}.parquet", "csv": f"{FILE}.csv"}
    with atomic_path(folder / files["parquet"]) as tmp:
        table.to_parquet(tmp, index=False)
    with atomic_path(folder / files["csv"]) as tmp:
        table.to_csv(tmp, index=False)
    return files


def read(build_dir: Path) -> pd.DataFrame:
    """The series of a build (empty for builds made before the series were written).

    Examples:
        >>> table = read(result.path)
        >>> list(table.columns) == list(COLUMNS)
        True
        >>> sorted(table["variable"].unique())[:2]
        ['heat_days', 'precipitation']
    """
    path = build_dir / f"{FILE}.parquet"
    if not path.is_file():
        return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    return pd.read_parquet(path)
