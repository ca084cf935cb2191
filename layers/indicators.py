"""Computed indicators: small pure functions from input arrays to a raw indicator field.

Each function takes xarray objects on their own grid (dims ``(time, y, x)`` for daily
climate series, ``(y, x)`` for fields) and returns a ``(y, x)`` DataArray in the units the
catalog declares for the layer (set in ``attrs["units"]``). Nothing here opens a file or
knows about the build grid; alignment happens afterwards in :mod:`geo.grid`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
import xarray as xr

from geo.errors import InputError


@contextmanager
def _quiet_third_party() -> Iterator[None]:
    # xclim 0.62 still calls pandas offset APIs that pandas 3 deprecates; the results are
    # right, the warnings only alarm users, so silence exactly those.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=pd.errors.Pandas4Warning)
        warnings.filterwarnings("ignore", category=FutureWarning, module="xclim")
        yield


def _years(series: xr.DataArray) -> int:
    years = np.unique(series["time"].dt.year.values)
    if years.size < 2:
        raise InputError("the climate series covers less than two years; give at least two")
    return int(years.size)


def heat_days(tasmax: xr.DataArray, thresh: str = "35 degC") -> xr.DataArray:
    """Mean number of days per year with a daily maximum temperature above ``thresh``.

    Args:
        tasmax: Daily maximum temperature, dims ``(time, y, x)``, with CF ``units``.
        thresh: Threshold with units, e.g. ``"35 degC"``.

    Returns:
        Days per year (``d/yr``), dims ``(y, x)``; NaN where the series has no data.
    """
    from xclim.indices import tx_days_above

    _years(tasmax)
    with _quiet_third_party():
        per_year = tx_days_above(tasmax, thresh=thresh, freq="YS")
    valid = tasmax.notnull().any("time")
    out: xr.DataArray = per_year.mean("time").where(valid)
    out.attrs = {"units": "d/yr", "long_name": f"days per year with tasmax > {thresh}"}
    return out.rename("heat_days")


def drought_frequency(
    pr: xr.DataArray,
    window: int = 12,
    threshold: float = -1.5,
    evaluation_start: str | None = None,
) -> xr.DataArray:
    """Share of months with the ``window``-month SPI below ``threshold``, in percent.

    The SPI is fitted (gamma distribution, approximate-probability-weighted moments with
    the location fixed at 0) on the whole series and evaluated from ``evaluation_start``
    on (the whole series when ``None``). Zero-precipitation months are common in this arid
    climate, so their probability is placed at the centre of the zero class
    (``prob_zero_interpolation="center"``), as recommended for dry regions.

    Args:
        pr: Daily precipitation flux, dims ``(time, y, x)``, with CF ``units``.
        window: Accumulation window in months.
        threshold: SPI value below which a month counts as in drought (-1.5 = severe).
        evaluation_start: First date of the evaluation period, ISO format.

    Returns:
        Percent of evaluated months (``percent``), dims ``(y, x)``.
    """
    from xclim.indices import standardized_precipitation_index

    _years(pr)
    start, end = pr["time"].values[[0, -1]]
    # Monthly means first, in one time chunk: xclim fits per calendar month along time.
    monthly = pr.resample(time="MS").mean(keep_attrs=True)
    if monthly.chunks is not None:
        monthly = monthly.chunk({"time": -1})
    with _quiet_third_party():
        spi = standardized_precipitation_index(
            monthly,
            freq="MS",
            window=window,
            dist="gamma",
            method="APP",
            fitkwargs={"floc": 0},
            cal_start=str(pd.Timestamp(start).date()),
            cal_end=str(pd.Timestamp(end).date()),
            prob_zero_interpolation="center",
        )
    if evaluation_start is not None:
        spi = spi.sel(time=slice(evaluation_start, None))
    # The first window-1 months have no SPI; count only months with a value.
    evaluated = spi.notnull().sum("time")
    in_drought = (spi < threshold).sum("time")
    out: xr.DataArray = (100.0 * in_drought / evaluated).where(evaluated > 0)
    out.attrs = {
        "units": "percent",
        "long_name": f"share of months with SPI-{window} below {threshold}",
    }
    return out.rename("drought")


def warming_trend(tas: xr.DataArray) -> xr.DataArray:
    """Least-squares linear trend of the annual mean temperature, in kelvin per decade.

    Args:
        tas: Daily temperature (mean or maximum), dims ``(time, y, x)``, with ``units``.

    Returns:
        Trend in ``K/decade``, dims ``(y, x)``; only complete years (>= 360 days) count.
    """
    _years(tas)
    # A slope is the same in kelvin and degrees Celsius: no unit conversion is needed.
    groups = tas.groupby("time.year")
    annual = groups.mean("time").where(groups.count("time") >= 360)
    years = annual["year"].astype(np.float64)
    anomaly = years - years.mean()
    valid = annual.notnull()
    # Per-cell least squares with missing years: slope = cov(t, T) / var(t) over valid years.
    t = anomaly.where(valid)
    t_mean = t.mean("year")
    slope = ((t - t_mean) * (annual - annual.mean("year"))).sum("year") / ((t - t_mean) ** 2).sum(
        "year"
    )
    out = (slope * 10.0).where(valid.sum("year") >= 2)
    out.attrs = {"units": "K/decade", "long_name": "linear trend of annual mean temperature"}
    return out.rename("warming_trend")


def population_density(people: xr.DataArray, cell_area_km2: np.ndarray) -> xr.DataArray:
    """People per km2 from people per cell and the area of each grid row's cells.

    Args:
        people: People per cell, dims ``(y, x)``.
        cell_area_km2: Area of the cells of each row in km2, shape ``(rows,)``.

    Returns:
        ``person/km**2``, dims ``(y, x)``.
    """
    area = xr.DataArray(np.asarray(cell_area_km2, dtype=np.float64), dims=("y",))
    out = people / area
    out.attrs = {"units": "person/km**2", "long_name": "population density"}
    return out.rename("population")
