"""River flood depth and dust-storm days of the sample, on the 0.01-degree grid.

Illustrative fields shaped by the published facts, not model output.

Flood depth (m) for the 10- and 100-year return periods lies in a Syr Darya
floodplain whose width and depth vary along the river and peak in the two
reaches with recorded ice-jam floods (facts.json ``floods``): near Kyzylorda
city (2003-2004 winter) and in Kazaly district near Kazaly town (2007). Their
magnitudes follow the same facts. The worst recorded flood covered 590 km2 and
2,079 people were evacuated, so the 10-year flood is deeper than 0.5 m over a
few hundred km2 of the oblast, mostly uninhabited floodplain next to the
channel, and a few thousand people live there. In 2017, 70,000 people in 29
riverside villages were at ice-jam risk, so the 100-year flood, deeper and
wider everywhere, reaches about as many people with 0.5 m or more.

Kyzylorda city is protected by dikes (facts.json ``floods``): the 10-year flood
stays out of a ring of 3.4 town spreads (13 km) around its centre, the built-up
area and its suburbs, while the city district's floodplain outside the ring
floods deeply enough that the district's 10-year flood is deeper than 0.5 m
over a few % of its area (a "high" river-flood hazard by the ThinkHazard! rule).
The 100-year flood overtops the dikes on the outskirts (beyond 2.1 town spreads,
8 km): its depth there rises from nothing to the unprotected depth at the ring.
The other towns of the sample get the same kind of embankment scaled to their
size (an assumption: facts.json names only Kyzylorda's dikes), so the 10-year
flood's people are villagers of the floodplain, as in the recorded evacuations.
Depth is 0 inside the oblast outside the floodplain and in the sea, NaN outside
the oblast.

Dust-storm days per year lie in the published Aral-basin range (20-67,
facts.json ``dust_storms``), highest on and near the Aralkum (the Aral and
Kazaly districts) and falling with distance from it towards Shieli and
Zhanakorgan, a little higher in open desert than in the irrigated valley.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aralrisk.layers.sample.facts import BY_PCODE, DUST_DAYS_RANGE, FLOOD_HOTSPOTS, LonLat
from aralrisk.layers.sample.grids import FloatArray, broad_noise, smooth_noise, to_utm_km
from aralrisk.layers.sample.population import TOWNS, town_sigma_km
from aralrisk.layers.sample.world import GridFields

#: Along-river half-length of an ice-jam hot spot (Gaussian sigma), km.
HOTSPOT_SIGMA_KM = 40.0
#: Extra depth factor at the centre of each hot spot.
HOTSPOT_GAIN = 1.8
#: How much wider a hot spot floods: width grows as the depth factor to this power.
HOTSPOT_WIDTH_EXPONENT = 0.5
#: Embankment radii in town spreads (Gaussian sigma of the town's people, see
#: :func:`~layers.sample.population.town_sigma_km`): the 10-year flood is kept out
#: within the outer radius (3.4 spreads hold 99.7 % of the town's people), the
#: 100-year flood only within the inner one (it overtops the ring beyond it).
EMBANKMENT_SPREADS = 3.4
EMBANKMENT_CORE_SPREADS = 2.1
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


#: Ordinary reaches: a 10-year flood fills a strip about 3 km wide, 0.35 m deep at
#: the channel (deeper than 0.5 m only in hollows); the 100-year flood is 5 km wide
#: and 0.65 m deep. Both are up to 2.8 times deeper in the ice-jam reaches.
FLOOD_RP10 = FloodShape(half_width_km=1.5, centre_depth_m=0.35)
FLOOD_RP100 = FloodShape(half_width_km=2.5, centre_depth_m=0.65)


@dataclass(frozen=True)
class Embankment:
    """Flood protection ringing a riverside town.

    Attributes:
        town: Name of the town.
        centre: (lon, lat) of the town, degrees (EPSG:4326).
        radius_km: The 10-year flood stays out of this distance from the centre, km.
        core_km: The 100-year flood stays out of this distance, km; between the
            two it overtops the ring, its depth rising smoothly to the full depth
            at ``radius_km``.
    """

    town: str
    centre: LonLat
    radius_km: float
    core_km: float


def embankments() -> list[Embankment]:
    """Each sample town's embankment, sized to its spread of people.

    Kyzylorda's stands for the city's published dikes (rings of 13 and 8 km); the
    others are assumed. Every town of :data:`~layers.sample.population.TOWNS`
    gets one: a ring far from the river (Aral town) never meets a flood.
    """
    rings = []
    for pcode, towns in TOWNS.items():
        population = BY_PCODE[pcode].population
        for name, centre, share in towns:
            spread = town_sigma_km(share * population)
            rings.append(
                Embankment(
                    name, centre, EMBANKMENT_SPREADS * spread, EMBANKMENT_CORE_SPREADS * spread
                )
            )
    return rings


def protection(fields: GridFields) -> tuple[FloatArray, FloatArray]:
    """Share of the unprotected depth that gets past the embankments, shape (rows, cols).

    Returns:
        (rp10, rp100): 0 behind an embankment, 1 in the open; for the 100-year
        flood a smooth rise from 0 to 1 between an embankment's core and its ring.
    """
    x_km, y_km = fields.grid.km
    rp10 = np.ones(fields.grid.shape)
    rp100 = np.ones(fields.grid.shape)
    for ring in embankments():
        cx, cy = to_utm_km(np.array([ring.centre[0]]), np.array([ring.centre[1]]))
        r_km = np.hypot(x_km - cx[0], y_km - cy[0])
        rp10 = np.minimum(rp10, (r_km >= ring.radius_km).astype(float))
        t = np.clip((r_km - ring.core_km) / (ring.radius_km - ring.core_km), 0.0, 1.0)
        rp100 = np.minimum(rp100, t * t * (3.0 - 2.0 * t))
    return rp10, rp100


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
    cell. The embankments (:func:`protection`) then keep each flood out of the
    towns.

    Args:
        fields: The world on the grid (EPSG:4326, 0.01 degree, in the sample).
        rng: Random generator for the along-river and cross-valley variation.

    Returns:
        (rp10, rp100): float64 depths rounded to 1 cm, 0 outside the floodplain
        and behind embankments, NaN outside the oblast.
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
    for flood, passed in zip((FLOOD_RP10, FLOOD_RP100), protection(fields), strict=True):
        width = flood.half_width_km * hot**HOTSPOT_WIDTH_EXPONENT * lowland
        relative = np.clip(fields.river_km / np.maximum(width, 0.1), 0.0, 1.0)
        depth = flood.centre_depth_m * hot * lowland * (1.0 - relative**1.5)
        depth = np.where(relative < 1.0, np.maximum(depth, 0.0), 0.0) * passed
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
