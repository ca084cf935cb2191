"""Published facts the sample data set follows, transcribed as constants.

Every number here was copied by hand from the project's fact sheet
(``data/reference/facts.json``); the comment above each block names the block and
the source it cites. The generator never reads that file at run time, so the
sample can be rebuilt from this repository alone. Coordinates are EPSG:4326
(longitude, latitude in degrees); areas are km2.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

LonLat = tuple[float, float]
Bbox = tuple[float, float, float, float]  # (west, south, east, north) in degrees


@dataclass(frozen=True)
class District:
    """One district-level unit (ADM2) as published.

    Attributes:
        pcode: ADM2 P-code, e.g. ``KZ433200``.
        name_en: English name (HDX COD-AB spelling).
        name_kk: Kazakh name.
        name_ru: Russian name.
        kato: KATO statistical code.
        area_km2: Published area in km2.
        bbox: Published bounding box (west, south, east, north), degrees.
        parts: Number of polygon parts of the real boundary.
        centre_name: Name of the district's administrative centre.
        centre: (lon, lat) of that centre, degrees.
        population: Published population, people.
    """

    pcode: str
    name_en: str
    name_kk: str
    name_ru: str
    kato: str
    area_km2: float
    bbox: Bbox
    parts: int
    centre_name: str
    centre: LonLat
    population: int


# facts.json "oblast" (HDX COD-AB KAZ 2024 via geokz; national statistics office).
OBLAST_NAME: Final = "Kyzylorda"
OBLAST_PCODE: Final = "KZ43"
OBLAST_BBOX: Final[Bbox] = (59.015, 42.398, 68.166, 47.845)
OBLAST_AREA_KM2: Final = 226_019.0

# facts.json "district_extents" (HDX COD-AB 2024 as corrected in geokz, CC BY 4.0:
# names, codes, bounding boxes, areas and part counts), "district_centres"
# (OpenStreetMap populated places, ODbL) and "district_population" (national
# statistics office, 1 Jan 2023 unless noted: Shieli and Zhalagash come from an
# older undated table, Kyzylorda is the city proper, Baikonur is the leased city).
DISTRICTS: Final[tuple[District, ...]] = (
    District(
        "KZ431000", "Kyzylorda", "Қызылорда", "Кызылорда", "431000000",
        2230.6, (65.089, 44.635, 65.877, 45.378), 1,
        "Kyzylorda", (65.504, 44.843), 234_736,
    ),
    District(
        "KZ431900", "Baykonyr", "Байқоңыр", "Байконыр", "431900000",
        38.2, (63.181, 45.596, 63.336, 45.654), 1,
        "Baikonur", (63.321, 45.632), 36_000,
    ),
    District(
        "KZ433200", "Aral", "Арал", "Аральский", "433200000",
        55292.7, (59.015, 44.333, 62.88, 47.845), 2,
        "Aral (Aralsk)", (61.661, 46.798), 78_687,
    ),
    District(
        "KZ433600", "Zhalagash", "Жалағаш", "Жалагашский", "433600000",
        23255.1, (63.311, 43.6, 64.893, 46.879), 1,
        "Zhalagash", (64.681, 45.081), 36_500,
    ),
    District(
        "KZ434000", "Zhanakorgan", "Жаңақорған", "Жанакорганский", "434000000",
        16318.0, (66.103, 42.398, 68.166, 44.443), 1,
        "Zhanakorgan", (67.25, 43.91), 80_522,
    ),
    District(
        "KZ434400", "Kazaly", "Қазалы", "Казалинский", "434400000",
        37452.7, (60.727, 43.603, 63.268, 47.114), 1,
        "Ayteke Bi (Novokazalinsk)", (62.153, 45.845), 78_614,
    ),
    District(
        "KZ434600", "Karmakshy", "Қармақшы", "Кармакшинский", "434600000",
        31400.4, (61.875, 43.487, 64.459, 47.04), 1,
        "Zhosaly", (64.085, 45.484), 52_087,
    ),
    District(
        "KZ434800", "Syrdariya", "Сырдария", "Сырдарьинский", "434800000",
        30015.8, (64.606, 43.665, 67.349, 46.566), 1,
        "Terenozek", (64.984, 45.047), 37_851,
    ),
    District(
        "KZ435200", "Shieli", "Шиелі", "Чиилийский", "435200000",
        30381.1, (64.793, 42.718, 67.527, 45.641), 1,
        "Shieli", (66.741, 44.176), 78_400,
    ),
)  # fmt: skip

BY_PCODE: Final = {d.pcode: d for d in DISTRICTS}
BAIKONUR: Final = "KZ431900"
# facts.json "district_population" KZ431900: "Baikonur, leased city, not in the oblast
# total". Said on the district itself, so that nobody adds its people to the oblast's.
DISTRICT_NOTES: Final[dict[str, str]] = {
    BAIKONUR: "Baikonur is a city leased to Russia, and its population is not part of "
    "the oblast total.",
}
KARMAKSHY: Final = "KZ434600"
ARAL: Final = "KZ433200"
KAZALY: Final = "KZ434400"
KYZYLORDA_CITY: Final = "KZ431000"

# facts.json "syr_darya_waypoints_upstream_to_mouth" (sampled along Natural Earth
# 1:10m rivers, public domain); the last point is the mouth in the Small Aral Sea.
SYR_DARYA_WAYPOINTS: Final[tuple[LonLat, ...]] = (
    (67.651, 43.377), (67.355, 43.72), (66.927, 44.029), (66.522, 44.114),
    (66.18, 44.442), (65.818, 44.668), (65.324, 44.951), (64.74, 45.035),
    (64.24, 45.282), (63.924, 45.592), (63.417, 45.672), (62.824, 45.691),
    (62.295, 45.737), (61.774, 45.738), (61.562, 46.11), (61.264, 46.051),
    (61.093, 46.058), (60.878, 46.137),
)  # fmt: skip
SYR_DARYA_LENGTH_KM: Final = 976.0

# Riverside towns the line runs through: Kyzylorda, Zhosaly, Zhalagash and Ayteke Bi
# (the Kazaly district centre) from facts.json "district_centres" (OpenStreetMap); the
# old town of Kazaly on the right bank from OpenStreetMap (not in facts.json). Ayteke Bi
# lies about 10 km north-east of Kazaly town; the sample river loops past both, so a
# check against either point for "Kazaly" holds.
RIVER_TOWNS: Final[dict[str, LonLat]] = {
    "Kyzylorda": (65.504, 44.843),
    "Zhalagash": (64.681, 45.081),
    "Zhosaly": (64.085, 45.484),
    "Ayteke Bi": (62.153, 45.845),
    "Kazaly": (62.107, 45.763),
}

# facts.json "north_aral_sea" (Natural Earth 1:50m lakes) and "kokaral_dike".
NORTH_ARAL_BBOX: Final[Bbox] = (59.988, 46.086, 61.528, 46.784)
NORTH_ARAL_AREA_KM2: Final = 3416.0
NORTH_ARAL_LEVEL_M: Final = 42.0  # surface level, m (Baltic); the 2005 dike target is 44 m
KOKARAL_DIKE: Final[LonLat] = (60.793, 46.097)

# facts.json "historic_aral_late_1950s" (Natural Earth 1:10m historic lakes).
ARAL_1950S_BBOX: Final[Bbox] = (58.158, 43.393, 61.939, 46.866)
ARAL_1950S_AREA_KM2: Final = 67_644.0
ARAL_1950S_LEVEL_M: Final = 53.0  # the well-known pre-1960 level, m (Baltic)

# facts.json "aralkum": dried seabed inside the oblast (Natural Earth difference).
ARALKUM_IN_OBLAST_KM2: Final = 29_847.0

# facts.json "dust_storms" (Orlovsky et al.; Issanova et al.).
DUST_DAYS_RANGE: Final = (20.0, 67.0)  # dust-storm days per year, Aral basin

# facts.json "climate" (encyclopedic entries; Zakirova 2016), degrees Celsius.
JULY_MEAN_NW_C: Final = 25.9
JULY_MEAN_SE_C: Final = 28.2
ANNUAL_PRECIP_MM: Final = 175.0
ARAL_JAN_MEAN_C: Final = (-13.4, -11.3)
ARAL_JULY_MEAN_C: Final = (26.0, 27.6)
ARAL_ANNUAL_MEAN_C: Final = (7.0, 8.0)
KYZYLORDA_JULY_DAY_NIGHT_C: Final = (36.0, 21.0)
KYZYLORDA_JAN_DAY_NIGHT_C: Final = (-5.0, -12.0)

# facts.json "floods" (IRIN; Caravan; press reports): ice-jam floods were
# recorded near Kyzylorda city (2003-2004, 590 km2 flooded) and in Kazaly
# district (2007); the sample floodplain is deepest in those reaches.
FLOOD_HOTSPOTS: Final[dict[str, LonLat]] = {
    "Kyzylorda city reach": (65.504, 44.843),
    "Kazaly district reach": (62.107, 45.763),
}
# The same block's magnitudes, which the sample's flood extents are sized by: the
# worst recorded flood (winter 2003-2004) covered 590 km2 and 2,079 people were
# evacuated; in 2017, 70,000 people in 29 riverside villages were at ice-jam risk;
# Kyzylorda city is protected by dikes.
WORST_FLOOD_KM2: Final = 590.0
WORST_FLOOD_EVACUATED: Final = 2_079
ICE_JAM_AT_RISK_2017: Final = 70_000
ICE_JAM_VILLAGES_2017: Final = 29
