"""Daily maximum temperature and precipitation of the sample, 1991-2020, 0.25 degree.

Illustrative series built so that their 30-year normals match the published
climate facts (facts.json ``climate``), not observations or model output.

Temperature: monthly normals of the *mean* temperature follow the facts (July
25.9 degC in the north-west rising to 28.2 degC in the south-east; January
through Aral's -13.4..-11.3 degC and Kyzylorda's day/night -5/-12 degC), and the
daily maximum adds half the diurnal range read off Kyzylorda's day/night pairs
(15 K in July, 7 K in January). That alone would give Kyzylorda a July mean
maximum of 34.9 degC against the published 36 degC, so a warm summer anomaly of
the middle valley, centred on the city and fading over about 100 km, adds the
difference (July +1.1 degC, January nothing). Daily weather is a sum of smooth
spatial patterns with red-noise (AR(1)) amplitudes, stronger in winter; its
monthly means and linear trend are removed, so every cell's normals and trend
are exactly as set: 0.3 degC per decade on average, a little more near the
dried seabed (the published 2 degC over the Aralkum in 1986-2020 is stronger
still and not reproduced here).

Precipitation: about 175 mm a year (the published figure) on average, 140 mm in
the north-west to 210 mm in the south-east, falling mostly from October to May
with a near-rainless summer; whether it rains and how much follow one smooth
random field per day (storms cover several cells), so dry spells are long and
realistic. Wet and dry years alternate in runs for the drought index (a
year-to-year coefficient of variation of about 0.3 over the oblast, driest years
about half the normal), but the facts give no trend, so there is none: the year
factors are balanced per decade and detrended, and every cell's decades
(1991-2000, 2001-2010, 2011-2020) are scaled to its normal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.ndimage import gaussian_filter
from scipy.special import ndtr
from scipy.stats import gamma

from aralrisk.layers.sample.facts import (
    ANNUAL_PRECIP_MM,
    ARAL,
    ARAL_JAN_MEAN_C,
    BY_PCODE,
    JULY_MEAN_NW_C,
    JULY_MEAN_SE_C,
    KYZYLORDA_CITY,
    KYZYLORDA_JAN_DAY_NIGHT_C,
    KYZYLORDA_JULY_DAY_NIGHT_C,
    OBLAST_BBOX,
)
from aralrisk.layers.sample.grids import CLIMATE_LAT, CLIMATE_LON, FloatArray, to_utm_km

#: First and last day of the series (inclusive).
START = np.datetime64("1991-01-01")
END = np.datetime64("2020-12-31")
#: Warming trend, degC per decade: oblast-wide base and extra at the Aralkum.
TREND_BASE_C_PER_DECADE = 0.27
TREND_ARALKUM_EXTRA = 0.10
#: e-folding distance of the extra Aralkum warming, km.
TREND_ARALKUM_KM = 150.0
#: Annual mean minus the mean of the January and July normals, degC (broad summer).
ANNUAL_OFFSET_C = 0.4
#: Diurnal temperature range in January and July, K (Kyzylorda day minus night).
DTR_JAN_K = KYZYLORDA_JAN_DAY_NIGHT_C[0] - KYZYLORDA_JAN_DAY_NIGHT_C[1]
DTR_JUL_K = KYZYLORDA_JULY_DAY_NIGHT_C[0] - KYZYLORDA_JULY_DAY_NIGHT_C[1]
#: Reach (Gaussian sigma) of the middle valley's warm July days around Kyzylorda, km.
VALLEY_SIGMA_KM = 100.0
#: Standard deviation of daily Tmax anomalies in mid-winter and mid-summer, K.
SIGMA_WINTER_K = 5.5
SIGMA_SUMMER_K = 3.0
#: Share of the annual precipitation falling in each month, January first.
MONTHLY_PRECIP_SHARE = (0.10, 0.10, 0.14, 0.13, 0.09, 0.04, 0.03, 0.02, 0.03, 0.08, 0.11, 0.13)
#: Probability that a day is wet (at least 0.1 mm) in each month.
WET_DAY_PROBABILITY = (0.20, 0.20, 0.22, 0.18, 0.13, 0.07, 0.05, 0.04, 0.05, 0.11, 0.16, 0.20)
#: Annual precipitation at the north-west and south-east ends of the oblast, mm.
PRECIP_NW_MM = ANNUAL_PRECIP_MM - 35.0
PRECIP_SE_MM = ANNUAL_PRECIP_MM + 35.0
#: Coefficient of variation of the year-to-year precipitation factor (wet and dry years).
YEAR_FACTOR_CV = 0.24
#: Shape of the gamma distribution of wet-day amounts (below 1: many small showers).
WET_DAY_GAMMA_SHAPE = 0.7

_DAYS_PER_YEAR = 365.25
_JULY_PEAK_DOY = 197.0  # mid-July, day of year counted from 0
# The mean of cos over a 31-day month centred on its peak, for the first and
# second harmonics: monthly normals are that much flatter than the curve's peak.
_MONTH_FLATTENING_1 = float(np.sinc(31.0 / _DAYS_PER_YEAR))
_MONTH_FLATTENING_2 = float(np.sinc(2 * 31.0 / _DAYS_PER_YEAR))


@dataclass(frozen=True)
class DailyClimate:
    """The daily series on the climate grid.

    Attributes:
        time: Days from 1991-01-01 to 2020-12-31, datetime64[D], shape (time,).
        lat: Cell-centre latitudes, north first, degrees, shape (lat,).
        lon: Cell-centre longitudes, degrees, shape (lon,).
        tasmax_c: Daily maximum near-surface air temperature, degC, rounded to
            0.1, shape (time, lat, lon).
        pr_mm: Daily precipitation, mm/day, rounded to 0.1, shape (time, lat, lon).
    """

    time: NDArray[np.datetime64]
    lat: FloatArray
    lon: FloatArray
    tasmax_c: FloatArray
    pr_mm: FloatArray


def _position_nw_se(lon: FloatArray, lat: FloatArray) -> FloatArray:
    """Position of points along the oblast's NW-SE diagonal: 0 at the NW corner, 1 at SE."""
    west, south, east, north = OBLAST_BBOX
    coslat = np.cos(np.radians((south + north) / 2))
    ax, ay = (east - west) * coslat, south - north
    px, py = (lon - west) * coslat, lat - north
    return np.asarray((px * ax + py * ay) / (ax * ax + ay * ay))


def monthly_mean_normals_c(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Published-fact normals of the mean temperature: (January, July), degC.

    July runs linearly along the NW-SE diagonal from the north-west to the
    south-east figure; January runs linearly through Aral town (middle of its
    published range) and Kyzylorda city (mean of its day and night values).
    """
    t = _position_nw_se(lon, lat)
    july = JULY_MEAN_NW_C + (JULY_MEAN_SE_C - JULY_MEAN_NW_C) * np.clip(t, 0, 1)
    aral, kyzylorda = BY_PCODE[ARAL].centre, BY_PCODE[KYZYLORDA_CITY].centre
    t_aral = float(_position_nw_se(np.array(aral[0]), np.array(aral[1])))
    t_kyz = float(_position_nw_se(np.array(kyzylorda[0]), np.array(kyzylorda[1])))
    jan_aral = sum(ARAL_JAN_MEAN_C) / 2
    jan_kyz = sum(KYZYLORDA_JAN_DAY_NIGHT_C) / 2
    january = jan_aral + (jan_kyz - jan_aral) * (t - t_aral) / (t_kyz - t_aral)
    return january, july


def valley_warmth_c(lon: FloatArray, lat: FloatArray) -> FloatArray:
    """Extra July mean daily maximum of the middle Syr Darya valley, degC, shape of ``lon``.

    The diagonal July gradient plus half the diurnal range gives Kyzylorda a
    July maximum of 34.9 degC, but its published July day is 36 degC (its day
    and night, 36/21 degC, average 28.5 degC, a little above the published
    south-eastern July mean of 28.2 degC). A Gaussian warm anomaly centred on
    the city (sigma :data:`VALLEY_SIGMA_KM`) makes up the difference there and
    fades away from it, so the gradient holds elsewhere.

    Args:
        lon: Longitudes, degrees (EPSG:4326).
        lat: Latitudes, degrees, same shape.

    Returns:
        float64 degC, shape of ``lon``: about 1.1 at the city, near 0 beyond 300 km.
    """
    city_lon, city_lat = BY_PCODE[KYZYLORDA_CITY].centre
    july_mean = monthly_mean_normals_c(np.array(city_lon), np.array(city_lat))[1]
    gap = KYZYLORDA_JULY_DAY_NIGHT_C[0] - (float(july_mean) + DTR_JUL_K / 2)
    x, y = to_utm_km(lon, lat)
    cx, cy = to_utm_km(np.array([city_lon]), np.array([city_lat]))
    r2 = (x - cx[0]) ** 2 + (y - cy[0]) ** 2
    return np.asarray(gap * np.exp(-r2 / (2 * VALLEY_SIGMA_KM**2)))


def _red_noise(rng: np.random.Generator, n: int, phi: float, count: int) -> FloatArray:
    """``count`` AR(1) series of length ``n`` with lag-1 correlation ``phi``, unit variance."""
    shocks = rng.standard_normal((n, count)) * np.sqrt(1 - phi**2)
    out = np.empty((n, count))
    out[0] = rng.standard_normal(count)
    for i in range(1, n):
        out[i] = phi * out[i - 1] + shocks[i]
    return out


def _spatial_patterns(lon: FloatArray, lat: FloatArray) -> FloatArray:
    """Smooth weather patterns on the grid: uniform, gradients, curvatures; (6, lat, lon)."""
    xi = (lon - lon.mean()) / np.ptp(lon) * 2
    eta = (lat - lat.mean()) / np.ptp(lat) * 2
    return np.stack([np.ones_like(xi), xi, eta, xi**2 - 1 / 3, eta**2 - 1 / 3, xi * eta])


def _remove_monthly_means_and_trend(series: FloatArray, month: NDArray[np.int64]) -> FloatArray:
    """Remove from each column its mean per calendar month, then its linear trend."""
    out = series.copy()
    for m in range(12):
        rows = month == m
        out[rows] -= out[rows].mean(axis=0)
    t = np.arange(len(out), dtype=float)
    t -= t.mean()
    out -= np.outer(t, t @ out / (t @ t))
    return out


def daily_tasmax_c(
    rng: np.random.Generator, aralkum_km: FloatArray, time: NDArray[np.datetime64]
) -> FloatArray:
    """Daily maximum temperature on the climate grid, degC, shape (time, lat, lon).

    Args:
        rng: Random generator for the weather.
        aralkum_km: Distance of each cell centre from the Aralkum, km, (lat, lon).
        time: The days, datetime64[D].

    Returns:
        float64 temperatures rounded to 0.1 degC.
    """
    lon, lat = np.meshgrid(CLIMATE_LON, CLIMATE_LAT)
    january, july = monthly_mean_normals_c(lon, lat)
    annual = (january + july) / 2 + ANNUAL_OFFSET_C
    # Tmax normals: the mean temperature plus half the diurnal range.
    # ... and the middle valley's warm summer days: July +valley, January +0, the
    # annual mean +valley/2 (so spring and autumn are not cooled to make room).
    valley = valley_warmth_c(lon, lat)
    tx_jan, tx_jul = january + DTR_JAN_K / 2, july + DTR_JUL_K / 2 + valley
    tx_annual = annual + (DTR_JAN_K + DTR_JUL_K) / 4 + valley / 2
    first = (tx_jul - tx_jan) / 2 / _MONTH_FLATTENING_1
    second = ((tx_jul + tx_jan) / 2 - tx_annual) / _MONTH_FLATTENING_2
    doy = (time - time.astype("datetime64[Y]")).astype(float)
    phase = 2 * np.pi * (doy - _JULY_PEAK_DOY) / _DAYS_PER_YEAR
    normal = (
        tx_annual[None]
        + first[None] * np.cos(phase)[:, None, None]
        + second[None] * np.cos(2 * phase)[:, None, None]
    )
    years = (time - START).astype(float) / _DAYS_PER_YEAR
    trend = (
        TREND_BASE_C_PER_DECADE + TREND_ARALKUM_EXTRA * np.exp(-aralkum_km / TREND_ARALKUM_KM)
    ) / 10
    warming = trend[None] * (years - years.mean())[:, None, None]
    # Weather: synoptic (about 4 days) and slow (about 7 weeks) red noise on smooth patterns.
    patterns = _spatial_patterns(lon, lat)
    weights = np.array([1.0, 0.35, 0.35, 0.15, 0.15, 0.1])
    synoptic = _red_noise(rng, len(time), 0.75, len(weights)) * weights
    slow = _red_noise(rng, len(time), 0.98, 1) * 0.35
    amplitude = np.concatenate([synoptic[:, :1] + slow, synoptic[:, 1:]], axis=1)
    # Weather is wilder in winter: sigma peaks in January, is lowest in July.
    sigma = (SIGMA_WINTER_K + SIGMA_SUMMER_K) / 2 + (SIGMA_SUMMER_K - SIGMA_WINTER_K) / 2 * np.cos(
        phase
    )
    month = (time.astype("datetime64[M]") - time.astype("datetime64[Y]")).astype(np.int64)
    amplitude = _remove_monthly_means_and_trend(amplitude * sigma[:, None], month)
    weather = np.einsum("tk,kyx->tyx", amplitude, patterns)
    return np.round(normal + warming + weather, 1)


def _gamma_quantile(u: FloatArray) -> FloatArray:
    """Quantiles of the wet-day gamma distribution (unit scale) at probabilities ``u``.

    Looked up in a table of 2**16 levels: ``gamma.ppf`` inverts the incomplete
    gamma function iteratively, which takes seconds for a million wet cells.
    """
    levels = 2**16
    table = gamma.ppf((np.arange(levels) + 0.5) / levels, WET_DAY_GAMMA_SHAPE)
    return np.asarray(table[np.clip((u * levels).astype(np.int64), 0, levels - 1)])


def balanced_year_factors(noise: FloatArray) -> FloatArray:
    """Wet and dry years without a trend: one precipitation factor per year, mean 1.

    The year-to-year noise keeps its runs of wet and dry years, but its mean in
    each decade (1991-2000, 2001-2010, 2011-2020) and its linear trend are
    projected out (least squares on decade indicators and time), so the decades
    are equally wet (the facts give 175 mm a year and no trend); it is then
    scaled to :data:`YEAR_FACTOR_CV`.

    Args:
        noise: One value per year from 1991, shape (years,).

    Returns:
        Factors, shape (years,), mean 1 in every decade, no linear trend.
    """
    n = len(noise)
    t = np.arange(n, dtype=float)
    decades = np.arange(n) // 10
    design = np.column_stack([decades == d for d in np.unique(decades)] + [t - t.mean()])
    coef, *_ = np.linalg.lstsq(design.astype(float), noise, rcond=None)
    anomaly = noise - design @ coef
    factor = 1.0 + YEAR_FACTOR_CV * anomaly / anomaly.std()
    # A factor near 0 would be a rainless year: the driest sample year keeps a quarter.
    return np.asarray(np.clip(factor, 0.25, None))


def daily_pr_mm(rng: np.random.Generator, time: NDArray[np.datetime64]) -> FloatArray:
    """Daily precipitation on the climate grid, mm/day, shape (time, lat, lon).

    Args:
        rng: Random generator for the weather.
        time: The days, datetime64[D].

    Returns:
        float64 amounts rounded to 0.1 mm (many days exactly 0); every decade of
        every cell has the cell's normal annual total on average.
    """
    lon, lat = np.meshgrid(CLIMATE_LON, CLIMATE_LAT)
    t = np.clip(_position_nw_se(lon, lat), 0, 1)
    annual_mm = PRECIP_NW_MM + (PRECIP_SE_MM - PRECIP_NW_MM) * t
    month = (time.astype("datetime64[M]") - time.astype("datetime64[Y]")).astype(np.int64)
    year = (time.astype("datetime64[Y]") - START.astype("datetime64[Y]")).astype(np.int64)
    wet_p = np.asarray(WET_DAY_PROBABILITY)[month]
    # One smooth latent field a day: storms span several cells and persist a day or two.
    shape = (len(time), *lon.shape)
    latent = gaussian_filter(rng.standard_normal(shape), (0.0, 2.5, 2.5), mode="reflect")
    latent /= latent.std(axis=(1, 2), keepdims=True)
    latent = 0.85 * latent + 0.5 * _red_noise(rng, len(time), 0.5, 1)[:, :, None]
    latent /= latent.std()
    exceed = ndtr(latent) - (1.0 - wet_p)[:, None, None]
    wet = exceed > 0
    # The wettest part of the field rains the most: the exceedance sets the amount.
    u = np.clip(exceed[wet] / np.broadcast_to(wet_p[:, None, None], shape)[wet], 1e-6, 1 - 1e-6)
    amount = np.zeros(shape)
    amount[wet] = _gamma_quantile(u)
    # Month's share of the year, spread over its wet days; wet and dry years in runs.
    days_in_month = np.bincount(month, minlength=12) / (len(np.unique(year)))
    intensity = np.asarray(MONTHLY_PRECIP_SHARE) / (days_in_month * np.asarray(WET_DAY_PROBABILITY))
    years = int(year.max()) + 1
    year_factor = balanced_year_factors(_red_noise(rng, years, 0.45, 1)[:, 0])
    amount *= (intensity[month] * year_factor[year])[:, None, None]
    # Scale each decade of each cell to the cell's normal: a cell's own weather
    # wanders by about 10 % from decade to decade, enough to fake a local trend.
    decade = year // 10
    for d in np.unique(decade):
        rows = decade == d
        count = len(np.unique(year[rows]))
        amount[rows] *= (annual_mm * count / amount[rows].sum(axis=0))[None]
    return np.asarray(np.round(amount, 1), dtype=np.float64)


def make_climate(rng: np.random.Generator, aralkum_km: FloatArray) -> DailyClimate:
    """Build the daily sample climate.

    Args:
        rng: Random generator for the weather.
        aralkum_km: Distance of each climate cell centre from the Aralkum, km,
            shape (lat, lon).

    Returns:
        The series for 1991-01-01..2020-12-31 on :data:`CLIMATE_LAT` x
        :data:`CLIMATE_LON`.
    """
    time = np.arange(START, END + np.timedelta64(1, "D"), dtype="datetime64[D]")
    tasmax = daily_tasmax_c(rng, aralkum_km, time)
    pr = daily_pr_mm(rng, time)
    return DailyClimate(time, CLIMATE_LAT.copy(), CLIMATE_LON.copy(), tasmax, pr)
