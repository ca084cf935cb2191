"""Elevation and groundwater mineralization of the sample, on the UTM 41N 1 km grid.

Illustrative fields, not measurements. Elevation follows the Syr Darya's fall
from about 190 m where it enters the oblast to the Small Aral's surface (42 m,
facts.json ``north_aral_sea``): the water surface sinks smoothly downstream, the
land rises gently away from the valley and roughens into dunes, and the dried
seabed sinks below the late-1950s level (53 m) towards the former sea floor.
Groundwater mineralization is fresh (about 1 g/L) under the irrigated valley,
brackish (3-8 g/L) in the deserts and a brine (tens of g/L) under the Aralkum,
as hydrogeological surveys of the region describe. Both are NaN outside the
oblast.
"""

from __future__ import annotations

import numpy as np

from aralrisk.layers.sample.facts import ARAL_1950S_LEVEL_M, NORTH_ARAL_LEVEL_M
from aralrisk.layers.sample.grids import FloatArray, broad_noise, smooth_noise
from aralrisk.layers.sample.world import GridFields

#: River water surface where the Syr Darya enters the oblast, m (illustrative).
RIVER_ENTRY_LEVEL_M = 190.0
#: Shape of the long profile upstream of the old shore: >1 is steeper upstream.
PROFILE_EXPONENT = 1.15
#: Lowest point of the former sea floor inside the sample, m.
SEA_FLOOR_M = 30.0
#: Distance from the old shore over which the seabed reaches its floor, km.
SEABED_SLOPE_KM = 25.0


def river_level_m(chainage_km: FloatArray, total_km: float, shore_km: float) -> FloatArray:
    """Water-surface elevation of the river at a chainage, m.

    Args:
        chainage_km: Distance from the upstream end, km.
        total_km: Length of the river (the mouth's chainage), km.
        shore_km: Chainage where the river crosses the late-1950s shoreline, km.

    Returns:
        Elevation in m: from :data:`RIVER_ENTRY_LEVEL_M` upstream down to the old
        sea level at the old shore, then linearly to the Small Aral's level.
    """
    upstream = np.clip(1.0 - chainage_km / shore_km, 0.0, 1.0)
    level = ARAL_1950S_LEVEL_M + (RIVER_ENTRY_LEVEL_M - ARAL_1950S_LEVEL_M) * (
        upstream**PROFILE_EXPONENT
    )
    across_seabed = np.clip((chainage_km - shore_km) / max(total_km - shore_km, 1e-9), 0.0, 1.0)
    seabed = ARAL_1950S_LEVEL_M + (NORTH_ARAL_LEVEL_M - ARAL_1950S_LEVEL_M) * across_seabed
    return np.where(chainage_km <= shore_km, level, seabed)


def elevation_m(fields: GridFields, rng: np.random.Generator, shore_km: float) -> FloatArray:
    """Ground (or water-surface) elevation above sea level, m, shape (rows, cols).

    Args:
        fields: The world on the grid (UTM 41N, 1 km, in the sample).
        rng: Random generator for the dunes and the regional relief.
        shore_km: Chainage of the river's crossing of the 1950s shoreline, km.

    Returns:
        float64 elevations rounded to 0.1 m, NaN outside the oblast.
    """
    total = float(fields.world.river_index.chainage[-1])
    level = river_level_m(fields.chainage_km, total, shore_km)
    d = fields.river_km
    lon, lat = fields.grid.lonlat
    # Terraces rise about 45 m over the first tens of km, then 8 cm per km.
    land = level + 45.0 * (1.0 - np.exp(-d / 35.0)) + 0.08 * d
    # The Karatau foothills lift the far south-east; the Turgay plateau edge the north.
    land += 120.0 * np.clip((lon - 66.5) / 1.7, 0, 1) * np.clip((43.9 - lat) / 1.4, 0, 1)
    land += 40.0 * np.clip((lat - 46.6) / 1.2, 0, 1)
    shape = fields.grid.shape
    dunes = 9.0 * smooth_noise(rng, shape, 3.0) + 16.0 * broad_noise(rng, shape, 25.0)
    land += dunes * (1.0 - np.exp(-d / 12.0))
    land = np.maximum(land, ARAL_1950S_LEVEL_M + 0.5)
    # The former sea floor sinks from the old shore; it rises again towards the
    # Small Aral, whose water surface is lower than the 1950s level.
    floor = ARAL_1950S_LEVEL_M - (ARAL_1950S_LEVEL_M - SEA_FLOOR_M) * (
        1.0 - np.exp(-fields.old_shore_km / SEABED_SLOPE_KM)
    )
    floor = np.maximum(floor, NORTH_ARAL_LEVEL_M + 0.4 * fields.small_aral_km)
    floor = np.minimum(floor + 1.5 * smooth_noise(rng, shape, 4.0), ARAL_1950S_LEVEL_M)
    # The river's own channel runs down the seabed to the mouth.
    floor = np.where(d < 1.0, np.minimum(floor, level), floor)
    height = np.where(fields.in_sea_1950s, floor, land)
    height = np.where(fields.in_present_sea, NORTH_ARAL_LEVEL_M, height)
    return np.where(fields.inside, np.round(height, 1), np.nan)


def groundwater_salinity_g_l(fields: GridFields, rng: np.random.Generator) -> FloatArray:
    """Mineralization (total dissolved solids) of shallow groundwater, g/L.

    Args:
        fields: The world on the grid (UTM 41N, 1 km, in the sample).
        rng: Random generator for the patchiness.

    Returns:
        float64 array of shape (rows, cols), 0.3-150 g/L rounded to 0.01 g/L,
        NaN outside the oblast.
    """
    shape = fields.grid.shape
    log10 = (
        np.log10(4.5)
        + 0.18 * broad_noise(rng, shape, 20.0)
        + 0.08 * smooth_noise(rng, shape, 4.0)
        # Fresh lenses fed by the river and the irrigation canals.
        - 0.65 * np.exp(-fields.river_km / 10.0)
        # Brines under the dried seabed and a salty fringe around it.
        + 0.95 * np.exp(-fields.aralkum_km / 35.0)
        + 0.25 * np.clip(fields.old_shore_km / 30.0, 0, 1) * fields.in_sea_1950s
    )
    salinity = np.clip(10.0**log10, 0.3, 150.0)
    return np.where(fields.inside, np.round(salinity, 2), np.nan)
