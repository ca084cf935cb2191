"""Population of the sample: people per 30-arc-second cell, district totals as published.

Each district's published population (facts.json ``district_population``) is
split between its towns and its countryside. A town's share (illustrative, of
the order of the real towns' sizes) is spread by a Gaussian kernel around the
town point; the rest lives in villages strung along the Syr Darya (and, in
Aral district, along the Small Aral's shore), patchy like real villages, with a
thin scatter of herders' homesteads over the desert. Nobody lives on the sea.

Every share is normalized over the cells whose centre lies in the district (the
label raster of :class:`~layers.sample.world.GridFields`), so summing the raster
by the cell-centre rule gives each published total to float32 rounding. The
Baikonur enclave (38 km2) holds about 60 such cells, so it needs no special case.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from aralrisk.layers.sample.facts import BY_PCODE, DISTRICTS, RIVER_TOWNS, LonLat
from aralrisk.layers.sample.grids import FloatArray, smooth_noise, to_utm_km
from aralrisk.layers.sample.world import GridFields

#: Towns of each district: (name, lon/lat, share of the district's population).
#: The centres are facts.json ``district_centres``; Kazaly town is from
#: OpenStreetMap; the shares are illustrative.
TOWNS: Final[dict[str, tuple[tuple[str, LonLat, float], ...]]] = {
    "KZ431000": (("Kyzylorda", BY_PCODE["KZ431000"].centre, 0.92),),
    "KZ431900": (("Baikonur", BY_PCODE["KZ431900"].centre, 1.0),),
    "KZ433200": (("Aral (Aralsk)", BY_PCODE["KZ433200"].centre, 0.40),),
    "KZ433600": (("Zhalagash", BY_PCODE["KZ433600"].centre, 0.35),),
    "KZ434000": (("Zhanakorgan", BY_PCODE["KZ434000"].centre, 0.30),),
    "KZ434400": (
        ("Ayteke Bi", BY_PCODE["KZ434400"].centre, 0.20),
        ("Kazaly", RIVER_TOWNS["Kazaly"], 0.10),
    ),
    "KZ434600": (("Zhosaly", BY_PCODE["KZ434600"].centre, 0.30),),
    "KZ434800": (("Terenozek", BY_PCODE["KZ434800"].centre, 0.30),),
    "KZ435200": (("Shieli", BY_PCODE["KZ435200"].centre, 0.35),),
}

#: Relative density of the desert scatter against a riverside village strip.
DESERT_DENSITY = 0.02


def town_sigma_km(people: float) -> float:
    """Spread (Gaussian sigma) of a town of ``people`` inhabitants, km."""
    return 0.6 + 0.7 * float(np.sqrt(people / 10_000.0))


def people_per_cell(fields: GridFields, rng: np.random.Generator) -> FloatArray:
    """People living in each cell, shape (rows, cols).

    Args:
        fields: The world on the grid (EPSG:4326, 30 arc-seconds, in the sample).
        rng: Random generator for the village pattern.

    Returns:
        float64 people per cell: 0 on the sea, NaN outside the oblast; the sum
        over each district's cells (cell-centre rule) is its published population.
    """
    shape = fields.grid.shape
    x_km, y_km = fields.grid.km
    area = fields.grid.cell_area_km2
    villages = np.exp(1.3 * smooth_noise(rng, shape, 1.5))
    along_river = np.exp(-fields.river_km / 3.0) * villages
    along_shore = np.exp(-fields.small_aral_km / 4.0) * villages * (fields.small_aral_km > 0)
    rural = area * (along_river + 0.5 * along_shore + DESERT_DENSITY)
    rural = np.where(fields.in_present_sea, 0.0, rural)
    people = np.zeros(shape)
    for k, district in enumerate(DISTRICTS):
        cells = fields.labels == k + 1
        if not cells.any():
            raise ValueError(f"district {district.pcode} holds no cell centre of the grid")
        remaining = float(district.population)
        index = np.flatnonzero(cells)
        for _name, (lon, lat), share in TOWNS[district.pcode]:
            town_people = share * district.population
            tx, ty = to_utm_km(np.array([lon]), np.array([lat]))
            r2 = (x_km.flat[index] - tx[0]) ** 2 + (y_km.flat[index] - ty[0]) ** 2
            kernel = np.exp(-r2 / (2 * town_sigma_km(town_people) ** 2))
            people.flat[index] += town_people * kernel / kernel.sum()
            remaining -= town_people
        if remaining > 0:
            weight = rural.flat[index]
            people.flat[index] += remaining * weight / weight.sum()
    return np.where(fields.inside, people, np.nan)
