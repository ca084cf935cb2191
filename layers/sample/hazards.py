"""River flood depth and dust-storm days of the sample, on the 0.01-degree grid.

Illustrative fields shaped by the published facts, not model output.

Flood depth (m) for the 10- and 100-year return periods lies in a Syr Darya
floodplain whose width and depth vary along the river and peak in the two
reaches with recorded ice-jam floods (facts.json ``floods``): near Kyzylorda
city (590 km2 flooded in the 2003-2004 winter) and in Kazaly district (2007).
The 100-year flood is deeper and wider everywhere. Depth is 0 inside the oblast
outside the floodplain and in the sea, NaN outside the oblast.

Dust-storm days per year lie in the published Aral-basin range (20-67,
facts.json ``dust_storms``), highest on and near the Aralkum (the Aral and
Kazaly districts) and falling with distance from it towards Shieli and
Zhanakorgan, a little higher in open desert than in the irrigated valley.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from layers.sample.facts import DUST_DAYS_RANGE, FLOOD_HOTSPOTS
from layers.sample.grids import FloatArray, broad_noise, smooth_noise
from layers.sample.world import GridFields

#: Along-river half-length of an ice-jam hot spot (Gaussian sigma), km.
HOTSPOT_SIGMA_KM = 35.0
#: Extra depth factor at the centre of each hot spot.
HOTSPOT_GAIN = 1.6
#: e-folding distance of dust-storm frequency from the Aralkum, km.
DUST_DECAY_KM = 170.0


@dataclass(frozen=True)
class FloodShape:
    """Floodplain of one return period.

    Attributes:
        half_width_km: Half-width of the flooded strip away from hot spots, km.
        centre_depth_m: Depth next to the channel away from hot spots, m.
    """

    half_width_km: float
    centre_depth_m: float


#: Ordinary reaches: a 10-year flood fills a strip about 6 km wide, 0.6 m deep at
#: the channel; the 100-year flood about twice as wide and 60 % deeper.
FLOOD_RP10 = FloodShape(half_width_km=3.0, centre_depth_m=0.6)
FLOOD_RP100 = FloodShape(half_width_km=6.0, centre_depth_m=1.0)


def hotspot_factor(fields: GridFields) -> FloatArray:
    """1 on ordinary reaches, up to ``1 + HOTSPOT_GAIN`` in the ice-jam reaches."""
    factor = np.ones(fields.grid.shape)
    for town in FLOOD_HOTSPOTS.values():
        centre = fields.world.chainage_of(town)
        factor += HOTSPOT_GAIN * np.exp(-(((fields.chainage_km - centre) / HOTSPOT_SIGMA_KM) ** 2))
    return factor


def flood_depths_m(fields: GridFields, rng: np.random.Generator) -> tuple[FloatArray, FloatArray]:
    """Flood depth of the 10- and 100-year floods, m, each of shape (rows, cols).

    Both share one pattern of low ground (smooth noise), so the 100-year flood
    covers the 10-year one; it is also forced to be at least as deep in every
    cell.

    Args:
        fields: The world on the grid (EPSG:4326, 0.01 degree, in the sample).
        rng: Random generator for the along-river and cross-valley variation.

    Returns:
        (rp10, rp100): float64 depths rounded to 1 cm, 0 outside the floodplain,
        NaN outside the oblast.
    """
    shape = fields.grid.shape
    hot = hotspot_factor(fields)
    # Low ground (old channels, depressions) floods wider and deeper.
    lowland = np.clip(
        1.0 + 0.25 * smooth_noise(rng, shape, 3.0) + 0.15 * broad_noise(rng, shape, 12.0),
        0.4,
        None,
    )
    depths = []
    for flood in (FLOOD_RP10, FLOOD_RP100):
        width = flood.half_width_km * hot**0.8 * lowland
        relative = np.clip(fields.river_km / np.maximum(width, 0.1), 0.0, 1.0)
        depth = flood.centre_depth_m * hot * lowland * (1.0 - relative**1.5)
        depth = np.where(relative < 1.0, np.maximum(depth, 0.0), 0.0)
        depths.append(np.where(fields.in_present_sea, 0.0, depth))
    rp10 = np.round(depths[0], 2)
    rp100 = np.maximum(np.round(depths[1], 2), rp10)
    outside = ~fields.inside
    return np.where(outside, np.nan, rp10), np.where(outside, np.nan, rp100)


def dust_days(fields: GridFields, rng: np.random.Generator) -> FloatArray:
    """Dust- and salt-storm days per year, shape (rows, cols).

    Args:
        fields: The world on the grid (EPSG:4326, 0.01 degree, in the sample).
        rng: Random generator for the spatial variation.

    Returns:
        float64 days per year in the published range, rounded to 0.1 day, NaN
        outside the oblast.
    """
    low, high = DUST_DAYS_RANGE
    shape = fields.grid.shape
    # Storm frequency falls off with distance from the dried seabed ...
    source = np.exp(-fields.aralkum_km / DUST_DECAY_KM)
    # ... and open sand away from the irrigated valley adds a few days.
    open_desert = 1.0 - np.exp(-fields.river_km / 25.0)
    days = low + (high - low) * source + 4.0 * open_desert * (1.0 - source)
    days += 1.5 * broad_noise(rng, shape, 15.0)
    days = np.clip(np.round(days, 1), low, high)
    return np.where(fields.inside, days, np.nan)
