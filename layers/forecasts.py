"""The forecast catalog (``forecasts.toml``) and forecasts made into daily fields on a grid.

:func:`load_forecasts` validates the catalog into :class:`ForecastSpec` objects;
:func:`daily_fields` reads a forecast file with :func:`geo.forecast.read_forecast`,
converts its units into the spec's (the project's CF unit registry,
:mod:`layers.units`), checks the values are plausible, makes days from its valid times
and, per day and threshold, the share of ensemble members above the threshold in each
cell, then puts those fields onto the build grid.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import rioxarray  # noqa: F401 - registers the `.rio` accessor
import xarray as xr
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from rasterio.enums import Resampling as RioResampling
from rasterio.warp import transform_bounds

from aralrisk.geo.errors import ConfigError, InputError
from aralrisk.geo.forecast import Forecast, read_forecast, variables
from aralrisk.geo.grid import GridSpec, Resampling, align
from aralrisk.layers import units as cf_units

DEFAULT_FORECASTS = Path(__file__).with_name("forecasts.toml")
LEVELS = ("none", "yellow", "orange", "red")
Level = Literal["yellow", "orange", "red"]
#: Forecast cells beyond the build grid kept when cropping, so bilinear resampling has
#: neighbours at the edge.
_MARGIN_CELLS = 2


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Threshold(_Frozen):
    """One alert level of a forecast: a value, or a raster of per-cell values."""

    level: Level
    value: float | None = Field(default=None, description="threshold in the spec's units")
    raster: str | None = Field(
        default=None, description="file of per-cell thresholds, beside the forecast file"
    )
    min_share: float = Field(
        ge=0.0, le=1.0, description="share of people/area above it (ignored for 'any')"
    )
    label: str
    return_period: int | None = Field(
        default=None, gt=0, description="years, for a return-period threshold (named in alerts)"
    )

    @model_validator(mode="after")
    def _one_kind(self) -> Threshold:
        if (self.value is None) == (self.raster is None):
            raise ValueError("give either value or raster")
        return self


class Note(_Frozen):
    """A seasonal plausibility note for alerts valid in some months."""

    months: tuple[int, ...] = Field(min_length=1)
    text: str


class ForecastSpec(_Frozen):
    """One forecast the alerts understand (see ``forecasts.toml`` for each field)."""

    id: str
    title: str
    hazard: str
    variable: str
    aliases: tuple[str, ...] = ()
    units: str
    units_label: str
    daily: Literal["mean", "max"]
    valid_at_end: bool
    plausible: tuple[float, float]
    resampling: Literal["nearest", "bilinear"]
    measure: Literal["people", "area", "any"]
    min_probability: float = Field(gt=0.0, le=1.0)
    source: str
    licence: str
    url: str
    thresholds: tuple[Threshold, ...] = Field(min_length=1)
    notes: tuple[Note, ...] = ()

    @model_validator(mode="after")
    def _checked(self) -> ForecastSpec:
        cf_units.parse_units(self.units)  # a typo fails when the catalog loads
        order = [LEVELS.index(t.level) for t in self.thresholds]
        if order != sorted(set(order)):
            raise ValueError("thresholds must go yellow, orange, red, each once")
        for note in self.notes:
            if not all(1 <= m <= 12 for m in note.months):
                raise ValueError("note months are 1..12")
        return self

    def notes_for(self, day: date) -> list[str]:
        """The seasonal notes that apply on ``day``."""
        return [n.text for n in self.notes if day.month in n.months]


@cache
def load_forecasts(path: Path = DEFAULT_FORECASTS) -> Mapping[str, ForecastSpec]:
    """The forecast catalog, by id.

    Raises:
        ConfigError: The file is not valid TOML or a spec is invalid (names it).
    """
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"{path.name} is not a readable TOML file: {err}") from None
    specs: dict[str, ForecastSpec] = {}
    for key, body in raw.get("forecasts", {}).items():
        try:
            specs[key] = ForecastSpec.model_validate({"id": key, **body})
        except ValidationError as err:
            first = err.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ConfigError(f"{path.name}: forecast {key!r}, {where}: {first['msg']}") from None
    return specs


def identify(path: Path, specs: Mapping[str, ForecastSpec]) -> ForecastSpec:
    """The spec whose variable (or an alias) the file holds.

    Raises:
        InputError: No spec or more than one matches (the sentence lists the variables).
    """
    present = set(variables(path))
    matches = [s for s in specs.values() if present & {s.variable, *s.aliases}]
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(f"{s.variable} ({s.id})" for s in specs.values())
    if not matches:
        raise InputError(
            f"{path.name} holds none of the forecast variables aralrisk knows ({known}): "
            f"it has {', '.join(sorted(present)) or 'no variables'}"
        )
    raise InputError(
        f"{path.name} holds variables of several forecasts "
        f"({', '.join(s.id for s in matches)}): give it as ID=FILE"
    )


@dataclass(frozen=True)
class DailyForecast:
    """A forecast made into days on the build grid.

    Attributes:
        spec: What the forecast is.
        forecast: The file as read (issue time, metadata, members).
        days: The forecast days (UTC dates), in order.
        lead_days: Days from the issue date to each day (0 = the issue day).
        value: (days, y, x) daily value on the build grid in the spec's units: the
            ensemble median for an ensemble. NaN outside the forecast.
        probability: (levels, days, y, x) share of members (0..1) above each
            threshold of ``spec.thresholds`` (0 or 1 for a deterministic forecast).
    """

    spec: ForecastSpec
    forecast: Forecast
    days: tuple[date, ...]
    lead_days: tuple[int, ...]
    value: np.ndarray
    probability: np.ndarray

    @property
    def issued(self) -> datetime:
        """The forecast's issue time (UTC)."""
        return self.forecast.issued

    @property
    def licence(self) -> str:
        """The file's own licence attribute, else the catalog's."""
        meta = self.forecast.metadata
        return str(meta.get("license") or meta.get("licence") or self.spec.licence)


def daily_fields(
    path: Path,
    spec: ForecastSpec,
    grid: GridSpec,
    *,
    thresholds_dir: Path | None = None,
) -> DailyForecast:
    """Read ``path`` as forecast ``spec`` and make its daily fields on ``grid``.

    Args:
        path: The forecast file (NetCDF or Zarr).
        spec: Its catalog entry.
        grid: The build grid (any CRS).
        thresholds_dir: Where threshold rasters are (default: the forecast's folder).

    Raises:
        InputError: Unreadable file or threshold raster, units that do not convert to
            the spec's, implausible values (a wrong units tag), no full day, or no
            overlap with the grid — one sentence each.
    """
    fc = read_forecast(path, spec.variable, aliases=spec.aliases)
    da = _crop(fc.data, grid, fc.name)
    values = cf_units.convert(
        np.asarray(da.to_numpy(), dtype=np.float64),
        fc.units,
        spec.units,
        f"{fc.name} ({fc.variable})",
    )
    da = da.copy(data=values)
    days, daily = _days(da, spec)
    if not days:
        raise InputError(
            f"{fc.name} has no complete forecast day: give at least one day of valid times"
        )
    low, high = spec.plausible
    finite = daily.to_numpy()[np.isfinite(daily.to_numpy())]
    if finite.size == 0:
        raise InputError(f"{fc.name}: every value of {fc.variable!r} over the districts is no data")
    if finite.min() < low or finite.max() > high:
        raise InputError(
            f"{fc.name}: {fc.variable} ranges {finite.min():.4g}..{finite.max():.4g} "
            f"{spec.units_label} after conversion from {fc.units!r}, outside the plausible "
            f"{low:g}..{high:g}: fix the file's units tag"
        )
    folder = thresholds_dir or path.parent
    probs = []
    for threshold in spec.thresholds:
        limit = (
            xr.DataArray(threshold.value)
            if threshold.value is not None
            else _threshold_raster(folder / str(threshold.raster), daily, spec)
        )
        above = (daily > limit).where(daily.notnull() & limit.notnull())
        probs.append(above.mean("member", skipna=False))
    median = daily.median("member", skipna=False)
    prob = xr.concat(probs, dim="level")
    on_grid_value = _to_grid(median, grid, spec.resampling)
    on_grid_prob = np.stack(
        [_to_grid(prob.isel(level=k), grid, spec.resampling) for k in range(len(probs))]
    )
    issue_day = fc.issued.date()
    lead = tuple((d - issue_day).days for d in days)
    return DailyForecast(spec, fc, tuple(days), lead, on_grid_value, on_grid_prob)


def _crop(da: xr.DataArray, grid: GridSpec, name: str) -> xr.DataArray:
    """The part of the forecast over the grid (plus a margin), loaded into memory."""
    src_crs = da.rio.crs
    west, south, east, north = transform_bounds(grid.crs, src_crs, *grid.bounds, densify_pts=21)
    x, y = da["x"].to_numpy(), da["y"].to_numpy()
    dx = abs(float(x[1] - x[0])) if x.size > 1 else 1.0
    dy = abs(float(y[1] - y[0])) if y.size > 1 else 1.0
    keep_x = (x >= west - _MARGIN_CELLS * dx) & (x <= east + _MARGIN_CELLS * dx)
    keep_y = (y >= south - _MARGIN_CELLS * dy) & (y <= north + _MARGIN_CELLS * dy)
    if not keep_x.any() or not keep_y.any():
        raise InputError(
            f"{name} does not overlap the districts (it covers x {x.min():.4g}..{x.max():.4g}, "
            f"y {y.min():.4g}..{y.max():.4g}): give a forecast of this region"
        )
    return da.isel(x=np.flatnonzero(keep_x), y=np.flatnonzero(keep_y)).load()


def _days(da: xr.DataArray, spec: ForecastSpec) -> tuple[list[date], xr.DataArray]:
    """Aggregate valid times into UTC days; drop days with under half the usual steps."""
    times = pd.DatetimeIndex(da["time"].to_numpy())
    if spec.valid_at_end:
        # A value valid at 00:00 describes the previous day.
        times = times - pd.Timedelta(seconds=1)
    day_index = times.normalize()
    da = da.assign_coords(day=("time", day_index))
    grouped = da.groupby("day")
    daily = grouped.mean("time") if spec.daily == "mean" else grouped.max("time")
    counts = pd.Series(1, index=day_index).groupby(level=0).sum()
    full = counts[counts >= max(1, counts.max() / 2)].index
    daily = daily.sel(day=full)
    return [pd.Timestamp(d).date() for d in full], daily.rename(day="time")


def _threshold_raster(path: Path, like: xr.DataArray, spec: ForecastSpec) -> xr.DataArray:
    """A threshold raster (NetCDF or GeoTIFF) on the forecast's grid, in the spec's units."""
    from aralrisk.geo.io import read_raster

    if not path.is_file():
        raise InputError(
            f"threshold raster {path.name} of {spec.id} is missing: put it beside the "
            "forecast file or give its folder with --thresholds"
        )
    if path.suffix.lower() in (".nc", ".nc4", ".netcdf"):
        with xr.open_dataset(path, decode_coords="all") as ds:
            names = [v for v in ds.data_vars if ds[v].ndim >= 2]
            if not names:
                raise InputError(f"threshold raster {path.name} holds no 2-D variable")
            raw = ds[names[0]].load()
        raw = raw.rename(
            {
                d: {"lat": "y", "latitude": "y", "lon": "x", "longitude": "x"}.get(str(d), str(d))
                for d in raw.dims
            }
        )
        raw = raw.squeeze([d for d in raw.dims if d not in ("y", "x")], drop=True)
        if raw.rio.crs is None:
            raw = raw.rio.write_crs("EPSG:4326")
        raw = raw.rio.set_spatial_dims(x_dim="x", y_dim="y")
    else:
        raw = read_raster(path).load()
    units = str(raw.attrs.get("units") or spec.units)
    converted = cf_units.convert(raw.to_numpy().astype(np.float64), units, spec.units, path.name)
    raw = raw.copy(data=converted)
    # Nearest neighbour: a threshold belongs to its own river cell, never a blend.
    template = like.isel(member=0, time=0, drop=True).rio.write_crs(like.rio.crs)
    raw = raw.transpose("y", "x").rio.write_nodata(np.nan, encoded=False)
    matched = raw.rio.reproject_match(template, resampling=RioResampling.nearest)
    return xr.DataArray(
        np.where(np.isfinite(matched.to_numpy()), matched.to_numpy(), np.nan),
        dims=("y", "x"),
        coords={"y": like["y"], "x": like["x"]},
    )


def _to_grid(field: xr.DataArray, grid: GridSpec, resampling: Resampling) -> np.ndarray:
    """(time, y, x) or (y, x) on the forecast grid -> numpy on the build grid."""
    aligned = align(field.astype(np.float64), grid, resampling)
    return np.asarray(aligned.to_numpy(), dtype=np.float64)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """Start and end (exclusive) of a UTC forecast day."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start, start + timedelta(days=1)


def parse_forecast_args(
    values: Sequence[str], specs: Mapping[str, ForecastSpec]
) -> list[tuple[Path, ForecastSpec]]:
    """``FILE`` or ``ID=FILE`` arguments -> (path, spec); the spec is found by variable.

    Raises:
        InputError: An unknown id, a missing file, or a file no spec recognises.
    """
    out = []
    for value in values:
        key, sep, rest = value.partition("=")
        spec: ForecastSpec | None = None
        if sep and key in specs:
            path, spec = Path(rest), specs[key]
        elif sep and not Path(value).exists():
            raise InputError(
                f"unknown forecast {key!r}: choose one of {', '.join(specs)} (as ID=FILE)"
            )
        else:
            path = Path(value)
        if not path.exists():
            raise InputError(f"forecast file {path.name} does not exist: check the path")
        out.append((path, spec or identify(path, specs)))
    return out
