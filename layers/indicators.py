"""Computed indicators: small pure functions from input arrays to a raw indicator field.

Each function takes xarray objects on their own grid (dims ``(time, y, x)`` for daily
climate series, ``(y, x)`` for fields) and returns a ``(y, x)`` DataArray in the units the
catalog declares for the layer (set in ``attrs["units"]``). Nothing here opens a file or
knows about the build grid; alignment happens afterwards in :mod:`geo.grid`.

Each climate indicator declares the dimensions of its inputs with xclim's
``declare_units`` (a temperature, a precipitation flux), so a variable of the wrong kind
is refused before anything is computed. Climate indicators work on any CF calendar
(standard, ``noleap``, ``360_day``): time is handled by xarray and xclim, never by pandas
timestamps. Years that miss more than
:data:`MAX_MISSING` of their days fail xclim's missing-data check and are left out,
never counted as zero; :func:`completeness` says how much of a series passed.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar, cast

import numpy as np
import pandas as pd
import pint
import xarray as xr
from xclim.core import units as xclim_units

from aralrisk.geo.errors import InputError

__all__ = [
    "annual_mean",
    "completeness",
    "drought_frequency",
    "dry_year_probability",
    "heat_days",
    "heat_days_per_year",
    "monthly_spi",
    "population_density",
    "precipitation_per_year",
    "warming_trend",
]

F = TypeVar("F", bound=Callable[..., Any])


def declare_units(**dimensions: str) -> Callable[[F], F]:
    """The inputs' dimensions, checked at each call (xclim's ``declare_units``, typed)."""
    return cast(Callable[[F], F], xclim_units.declare_units(**dimensions))


#: Largest share of missing days a year may have and still count (xclim missing_pct).
MAX_MISSING = 0.05
#: Smallest share of a series' years that must pass the check for a cell to get a value.
MIN_VALID_YEARS = 2 / 3
#: Plausible range of the whole-series mean of each climate variable, in its units.
#: Values outside no climate on Earth has (a mean tasmax of 12 K is degC tagged as K).
PLAUSIBLE_MEAN: dict[str, tuple[float, float, str]] = {
    "tasmax": (-40.0, 50.0, "degC"),
    "tas": (-50.0, 45.0, "degC"),
    "pr": (0.0, 30.0, "mm/d"),
}


@contextmanager
def _quiet_third_party() -> Iterator[None]:
    # xclim 0.62 still calls pandas offset APIs that pandas 3 deprecates; the results are
    # right, the warnings only alarm users, so silence exactly those.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=pd.errors.Pandas4Warning)
        warnings.filterwarnings("ignore", category=FutureWarning, module="xclim")
        warnings.filterwarnings("ignore", category=RuntimeWarning, module="scipy")
        warnings.filterwarnings("ignore", message=".*All-NaN slice.*", category=RuntimeWarning)
        yield


def _years(series: xr.DataArray) -> int:
    years = np.unique(series["time"].dt.year.values)
    if years.size < 2:
        raise InputError("the climate series covers less than two years; give at least two")
    return int(years.size)


def check_plausible(series: xr.DataArray, role: str, source: str) -> None:
    """Stop on a climate variable whose mean no climate has (wrong units, wrong variable).

    Args:
        series: The variable with CF ``units``.
        role: ``tasmax``, ``tas`` or ``pr`` (other roles are not checked).
        source: File name, for the message.

    Raises:
        InputError: One sentence with the mean found and what to check.
    """
    if role not in PLAUSIBLE_MEAN:
        return
    from xclim.core.units import convert_units_to

    low, high, units = PLAUSIBLE_MEAN[role]
    with _quiet_third_party():
        mean = float(series.mean().compute())
        try:
            converted = float(
                convert_units_to(
                    xr.DataArray(mean, attrs={"units": series.attrs["units"]}),
                    units,
                    context="hydro",
                )
            )
        except (pint.errors.PintError, ValueError) as err:
            raise InputError(
                f"{source}: {role} is in {series.attrs['units']!r}, which cannot be converted "
                f"to {units}: fix its units attribute (CF units, e.g. 'K' or 'kg m-2 s-1')"
            ) from err
    if not np.isfinite(converted) or not low <= converted <= high:
        raise InputError(
            f"{source}: {role} averages {mean:.4g} {series.attrs['units']} "
            f"({converted:.4g} {units}), which no climate has (expected {low:g} to {high:g} "
            f"{units}): check the variable and its units attribute"
        )


def _missing_years(series: xr.DataArray, freq: str) -> xr.DataArray:
    """True for each period (per cell) missing more than :data:`MAX_MISSING` of its days.

    Periods cut by the ends of the series count as missing too, so a partial first or
    last year never passes for a whole one.
    """
    from xclim.core.missing import missing_pct

    with _quiet_third_party():
        return missing_pct(series, freq=freq, src_timestep="D", tolerance=MAX_MISSING)


def completeness(series: xr.DataArray, freq: str = "YS") -> xr.DataArray:
    """Share of the series' whole periods (years) that pass the missing-data check.

    Args:
        series: Daily values, dims ``(time, y, x)``.
        freq: The periods, e.g. ``"YS"`` (calendar years) or ``"YS-OCT"``.

    Returns:
        0-1 per cell, dims ``(y, x)``; periods cut by the ends of the series are not
        counted against it.

    Examples:
        One cell of the tiny world's 30 daily years (1991-2020), whole; then without
        January and February 2000 (a year missing 60 days fails the check):

        >>> from aralrisk.geo.io import read_timeseries
        >>> tasmax = read_timeseries(world_dir / "climate.nc", "tasmax").isel(y=[0], x=[0]).load()
        >>> completeness(tasmax).values
        array([[1.]])
        >>> gap = tasmax.where((tasmax.time.dt.year != 2000) | (tasmax.time.dt.month > 2))
        >>> completeness(gap).round(2).values  # 29 of 30 years
        array([[0.97]])
    """
    missing = _missing_years(series, freq)
    # A period cut by the series' ends is not a gap in the data.
    whole = _whole_periods(series, freq)
    kept = (~missing).isel(time=whole).sum("time")
    out: xr.DataArray = (kept / max(1, whole.size)).rename("completeness")
    out.attrs = {"units": "1", "long_name": f"share of whole periods ({freq}) with data"}
    return out


def _whole_periods(series: xr.DataArray, freq: str) -> np.ndarray:
    """Indices of the periods lying wholly inside the series' first and last days.

    xclim's check on a series without a single gap flags exactly the periods the
    series' ends cut, whatever the calendar.
    """
    gapless = xr.ones_like(series["time"], dtype=np.float64).assign_attrs(units="1")
    return np.flatnonzero(~_missing_years(gapless, freq).values)


@declare_units(tasmax="[temperature]", thresh="[temperature]")
def heat_days(tasmax: xr.DataArray, thresh: str = "35 degC") -> xr.DataArray:
    """Mean number of days per year with a daily maximum temperature above ``thresh``.

    Years failing the missing-data check (:data:`MAX_MISSING`) are left out of the mean;
    a cell keeps a value only if at least :data:`MIN_VALID_YEARS` of its years pass.

    Args:
        tasmax: Daily maximum temperature, dims ``(time, y, x)``, with CF ``units``.
        thresh: Threshold with units, e.g. ``"35 degC"``.

    Returns:
        Days per year (``d/yr``), dims ``(y, x)``; NaN where the series has too few
        complete years.

    Examples:
        One cell of the tiny world's 30 daily years (1991-2020):

        >>> from aralrisk.geo.io import read_timeseries
        >>> tasmax = read_timeseries(world_dir / "climate.nc", "tasmax").isel(y=[0], x=[0]).load()
        >>> hot = heat_days(tasmax)
        >>> hot.dims, hot.round(2).values, hot.attrs["units"]
        (('y', 'x'), array([[45.87]]), 'd yr-1')
        >>> heat_days(tasmax, "40 degC").round(2).values
        array([[6.17]])
    """
    out = _mean_of_valid_years(heat_days_per_year(tasmax, thresh))
    out.attrs = {"units": "d/yr", "long_name": f"days per year with tasmax > {thresh}"}
    return out.rename("heat_days")


def heat_days_per_year(tasmax: xr.DataArray, thresh: str = "35 degC") -> xr.DataArray:
    """Days above ``thresh`` in each calendar year: the series behind :func:`heat_days`.

    Args:
        tasmax: Daily maximum temperature, dims ``(time, y, x)``, with CF ``units``.
        thresh: Threshold with units, e.g. ``"35 degC"``.

    Returns:
        Days (``d``), dims ``(time, y, x)`` with one step per year (its first day); NaN
        for years failing the missing-data check.

    Examples:
        >>> from aralrisk.geo.io import read_timeseries
        >>> tasmax = read_timeseries(world_dir / "climate.nc", "tasmax").isel(y=[0], x=[0]).load()
        >>> per_year = heat_days_per_year(tasmax)
        >>> per_year.shape, per_year.values[:3].ravel(), per_year.attrs["units"]
        ((30, 1, 1), array([39., 42., 34.]), 'd')
    """
    from xclim.indices import tx_days_above

    _years(tasmax)
    with _quiet_third_party():
        per_year = tx_days_above(tasmax, thresh=thresh, freq="YS")
    out: xr.DataArray = per_year.where(~_missing_years(tasmax, "YS"))
    out.attrs = {"units": "d", "long_name": f"days with tasmax > {thresh}"}
    return out.rename("heat_days")


def _mean_of_valid_years(per_year: xr.DataArray) -> xr.DataArray:
    valid = per_year.notnull().sum("time")
    out: xr.DataArray = per_year.mean("time").where(
        valid >= MIN_VALID_YEARS * per_year.sizes["time"]
    )
    return out


@declare_units(pr="[precipitation]")
def precipitation_per_year(pr: xr.DataArray, freq: str = "YS-OCT") -> xr.DataArray:
    """Total precipitation of each whole year (:func:`dry_year_probability`'s series).

    Args:
        pr: Daily precipitation, dims ``(time, y, x)``, with CF ``units``.
        freq: Yearly periods (xclim frequency; ``"YS-OCT"``: hydrological years from
            October, labelled by their first day).

    Returns:
        Millimetres (``mm``), dims ``(time, y, x)``, one step per period lying wholly
        inside the series; NaN for periods failing the missing-data check. Computed
        (in memory).

    Examples:
        Hydrological years (October to September): 29 lie wholly inside 1991-2020.

        >>> from aralrisk.geo.io import read_timeseries
        >>> pr = read_timeseries(world_dir / "climate.nc", "pr").isel(y=[0], x=[0]).load()
        >>> totals = precipitation_per_year(pr)
        >>> totals.shape, totals.values[:3].ravel().round(1), totals.attrs["units"]
        ((29, 1, 1), array([166.9, 151. , 152.3], dtype=float32), 'mm')
    """
    from xclim.core.units import convert_units_to
    from xclim.indices import prcptot

    _years(pr)
    with _quiet_third_party():
        totals = convert_units_to(prcptot(pr, freq=freq), "mm", context="hydro")
        totals = totals.where(~_missing_years(pr, freq)).isel(time=_whole_periods(pr, freq))
        out: xr.DataArray = totals.compute()
    out.attrs = {"units": "mm", "long_name": f"total precipitation per period ({freq})"}
    return out.rename("precipitation")


@declare_units(pr="[precipitation]", thresh="[length]")
def dry_year_probability(
    pr: xr.DataArray, thresh: str = "100 mm", freq: str = "YS-OCT"
) -> xr.DataArray:
    """Chance that a year's precipitation falls below a fixed amount, in percent.

    Yearly totals (``freq``: hydrological years from October by default, the wet season
    in one piece) of the years passing the missing-data check follow a two-parameter
    gamma distribution per cell, whose mean is the cell's own and whose shape is the
    region's: fitted by maximum likelihood to every cell's totals divided by that cell's
    mean (the index-flood method of regional frequency analysis, Hosking and Wallis
    1997). The CDF at ``thresh`` is the chance of a dry year.

    Two choices keep sampling noise out of the hazard. The amount is fixed, not the
    cell's own normal, so a drier climate scores higher than a wetter one (a
    standardised index such as the SPI has the same frequencies everywhere by
    construction). And only the mean is estimated per cell (30 years pin it within
    about 6 %); a tail probability estimated per cell from 30 years would wander by
    several points between identical climates.

    Args:
        pr: Daily precipitation, dims ``(time, y, x)``, with CF ``units``.
        thresh: The yearly total of a dry year, with units (``"100 mm"``).
        freq: Yearly periods (xclim frequency, e.g. ``"YS-OCT"`` or ``"YS"``).

    Returns:
        Percent of years (``percent``), dims ``(y, x)``, with the fitted regional shape
        in ``attrs["gamma_shape"]``; NaN where fewer than :data:`MIN_VALID_YEARS` of the
        whole years pass the check.

    Examples:
        >>> from aralrisk.geo.io import read_timeseries
        >>> pr = read_timeseries(world_dir / "climate.nc", "pr").isel(y=[0], x=[0]).load()
        >>> dry_year_probability(pr).round(2).values  # percent of years below 100 mm
        array([[0.66]])
        >>> dry_year_probability(pr, "150 mm").round(1).values
        array([[27.6]])
    """
    from scipy.stats import gamma
    from xclim.core.units import convert_units_to

    totals = precipitation_per_year(pr, freq)
    with _quiet_third_party():
        limit = float(convert_units_to(thresh, "mm", context="hydro"))
    valid = totals.notnull().sum("time")
    enough = valid >= MIN_VALID_YEARS * totals.sizes["time"]
    mean = totals.mean("time").where(enough & (totals.mean("time") > 0))
    scaled = (totals / mean).to_numpy().ravel()
    scaled = scaled[np.isfinite(scaled)]
    if scaled.size < 10 or np.ptp(scaled) == 0:
        raise InputError(
            "the precipitation series has too few complete years with rain to fit the "
            "chance of a dry year; give at least ten"
        )
    # Zero totals have no gamma density; they count towards the dry tail anyway.
    shape, _, _ = gamma.fit(np.clip(scaled, 1e-6, None), floc=0)
    chance = xr.apply_ufunc(lambda m: gamma.cdf(limit, shape, scale=m / shape), mean)
    out: xr.DataArray = 100.0 * chance
    out.attrs = {
        "units": "percent",
        "long_name": f"chance of a year below {thresh}",
        "gamma_shape": float(shape),
    }
    return out.rename("dry_years")


@declare_units(pr="[precipitation]")
def drought_frequency(
    pr: xr.DataArray,
    window: int = 12,
    threshold: float = -1.5,
    evaluation_years: int | None = None,
    *,
    spi: xr.DataArray | None = None,
) -> xr.DataArray:
    """Share of months with the ``window``-month SPI below ``threshold``, in percent.

    The SPI is fitted (gamma distribution, approximate-probability-weighted moments with
    the location fixed at 0) on the whole series and evaluated over its last
    ``evaluation_years`` (the whole series when ``None``). Zero-precipitation months are
    given the probability at the centre of the zero class. Standardised cell by cell,
    the SPI says how dry the recent years were *for that place*: over a stationary
    climate about 7 % of months fall below -1.5 everywhere, so this is the current
    drought status, not a measure of how drought-prone a place is.

    Args:
        pr: Daily precipitation flux, dims ``(time, y, x)``, with CF ``units``.
        window: Accumulation window in months.
        threshold: SPI value below which a month counts as in drought (-1.5 = severe).
        evaluation_years: Length of the evaluation period at the series' end, years.
        spi: ``monthly_spi(pr, window)`` when already computed (a build computes it once
            for the layer and its yearly series).

    Returns:
        Percent of evaluated months (``percent``), dims ``(y, x)``.

    Examples:
        >>> from aralrisk.geo.io import read_timeseries
        >>> pr = read_timeseries(world_dir / "climate.nc", "pr").isel(y=[0], x=[0]).load()
        >>> drought_frequency(pr).round(2).values  # over 1991-2020
        array([[5.73]])
        >>> spi = monthly_spi(pr)  # computed once, evaluated over the last ten years
        >>> drought_frequency(pr, evaluation_years=10, spi=spi).round(2).values
        array([[10.]])
    """
    years = _years(pr)
    if spi is None:
        spi = monthly_spi(pr, window)
    if evaluation_years is not None and evaluation_years < years:
        # The last N calendar years, whatever the calendar.
        spi = spi.where(
            spi["time"].dt.year > spi["time"].dt.year.max() - evaluation_years, drop=True
        )
    # The first window-1 months have no SPI; count only months with a value.
    evaluated = spi.notnull().sum("time")
    in_drought = (spi < threshold).sum("time")
    out: xr.DataArray = (100.0 * in_drought / evaluated).where(evaluated > 0)
    out.attrs = {
        "units": "percent",
        "long_name": f"share of months with SPI-{window} below {threshold}",
    }
    return out.rename("drought")


@declare_units(pr="[precipitation]")
def monthly_spi(pr: xr.DataArray, window: int = 12) -> xr.DataArray:
    """The ``window``-month SPI of every month (:func:`drought_frequency`'s series).

    Gamma fit (approximate-probability-weighted moments, location 0) on the whole
    series, zero months at the centre of the zero class.

    Args:
        pr: Daily precipitation flux, dims ``(time, y, x)``, with CF ``units``.
        window: Accumulation window in months.

    Returns:
        SPI (dimensionless), dims ``(time, y, x)``, one step per month; NaN for the
        first ``window - 1`` months.

    Examples:
        >>> from aralrisk.geo.io import read_timeseries
        >>> pr = read_timeseries(world_dir / "climate.nc", "pr").isel(y=[0], x=[0]).load()
        >>> spi = monthly_spi(pr)  # 12-month SPI: the first value is December 1991's
        >>> spi.shape, spi.values[9:14].ravel().round(2)
        ((360, 1, 1), array([ nan,  nan, 2.  , 2.14, 1.76]))
    """
    from xclim.indices import standardized_precipitation_index

    _years(pr)
    first, last = pr["time"].values[[0, -1]]
    # Monthly means first, computed now: thirty times smaller than the days, and xclim's
    # per-month fits over an in-memory array take a tenth of the time they take as
    # thousands of small dask tasks.
    monthly = pr.resample(time="MS").mean(keep_attrs=True).compute()
    with _quiet_third_party():
        spi: xr.DataArray = standardized_precipitation_index(
            monthly,
            freq="MS",
            window=window,
            dist="gamma",
            method="APP",
            fitkwargs={"floc": 0},
            cal_start=_iso_day(first),
            cal_end=_iso_day(last),
            prob_zero_interpolation="center",
        )
    return spi


def _iso_day(value: object) -> str:
    """``YYYY-MM-DD`` of a numpy datetime64 or a cftime date."""
    if isinstance(value, np.datetime64):
        return str(value.astype("datetime64[D]"))
    return str(value.strftime("%Y-%m-%d"))  # type: ignore[attr-defined]


def annual_mean(tas: xr.DataArray) -> xr.DataArray:
    """Mean of each calendar year (:func:`warming_trend`'s series), in the input's units.

    Args:
        tas: Daily temperature (mean or maximum), dims ``(time, y, x)``, with ``units``.

    Returns:
        Dims ``(time, y, x)``, one step per year; NaN for years failing the
        missing-data check.

    Examples:
        >>> from aralrisk.geo.io import read_timeseries
        >>> tasmax = read_timeseries(world_dir / "climate.nc", "tasmax").isel(y=[0], x=[0]).load()
        >>> yearly = annual_mean(tasmax)
        >>> yearly.shape, yearly.values[:2].ravel().round(2), yearly.attrs["units"]
        ((30, 1, 1), array([289.64, 289.74], dtype=float32), 'K')
    """
    _years(tas)
    out: xr.DataArray = tas.resample(time="YS").mean().where(~_missing_years(tas, "YS"))
    out.attrs = {"units": tas.attrs.get("units", ""), "long_name": "yearly mean"}
    return out


@declare_units(tas="[temperature]")
def warming_trend(tas: xr.DataArray) -> xr.DataArray:
    """Least-squares linear trend of the yearly mean temperature, in kelvin per year.

    Args:
        tas: Daily temperature (mean or maximum), dims ``(time, y, x)``, with ``units``.

    Returns:
        Trend in ``K yr-1`` (the build converts it to K/decade), dims ``(y, x)``; only
        years passing the missing-data check count, and a cell needs two of them.

    Examples:
        >>> from aralrisk.geo.io import read_timeseries
        >>> tasmax = read_timeseries(world_dir / "climate.nc", "tasmax").isel(y=[0], x=[0]).load()
        >>> trend = warming_trend(tasmax)
        >>> trend.round(3).values, trend.attrs["units"]  # 0.3 K per decade
        (array([[0.032]]), 'K yr-1')
    """
    # A slope is the same in kelvin and degrees Celsius: no unit conversion is needed.
    annual = annual_mean(tas)
    years = annual["time"].dt.year.astype(np.float64)
    valid = annual.notnull()
    # Per-cell least squares with missing years: slope = cov(t, T) / var(t) over valid years.
    t = years.where(valid)
    t_anomaly = t - t.mean("time")
    slope = (t_anomaly * (annual - annual.mean("time"))).sum("time") / (t_anomaly**2).sum("time")
    # Per year, in units xclim's registry formats (its "decade" is a factor of ten); the
    # build converts to the catalog's K/decade.
    out = slope.where(valid.sum("time") >= 2)
    out.attrs = {"units": "K yr-1", "long_name": "linear trend of yearly mean temperature"}
    return out.rename("warming_trend")


def population_density(people: xr.DataArray, cell_area_km2: np.ndarray) -> xr.DataArray:
    """People per km2 from people per cell and the area of each grid row's cells.

    Args:
        people: People per cell, dims ``(y, x)``.
        cell_area_km2: Area of the cells of each row in km2, shape ``(rows,)``.

    Returns:
        ``person/km**2``, dims ``(y, x)``.

    Examples:
        22,000 people in every half-degree cell; cells are smaller further north:

        >>> import numpy as np, xarray as xr
        >>> from aralrisk.geo.grid import GridSpec
        >>> grid = GridSpec.from_bounds((60.0, 44.0, 62.0, 45.0), 0.5, "EPSG:4326")
        >>> people = xr.DataArray(np.full(grid.shape, 22000.0), dims=("y", "x"))
        >>> density = population_density(people, grid.cell_area_km2())
        >>> density.round(1).values, density.attrs["units"]
        (array([[10. , 10. , 10. , 10. ],
               [ 9.9,  9.9,  9.9,  9.9]]), 'person/km**2')
    """
    area = xr.DataArray(np.asarray(cell_area_km2, dtype=np.float64), dims=("y",))
    out = people / area
    out.attrs = {"units": "person/km**2", "long_name": "population density"}
    return out.rename("population")
