"""A tiny synthetic region with every kind of input, built in code for pipeline tests.

Four districts on lon 60-62, lat 44-45 (EPSG:4326):

* ``A`` west half [60, 61] x [44, 45]; a flooded river strip at lon 60.40-60.60 and a town;
* ``B`` south-east [61, 62] x [44, 44.5];
* ``C`` north-east [61, 62] x [44.5, 45] minus the enclave ``D``;
* ``D`` a 0.02 x 0.02 degree enclave (about 3.5 km2) at lon 61.50, lat 44.75, smaller
  than a 0.05-degree build cell, so it only gets values through the small-zone rule.

Inputs come in several CRSs and resolutions (a UTM 41N salinity raster, a 0.5-degree
climate series, a 0.01-degree population grid) so alignment is exercised.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import xarray as xr
from affine import Affine
from pyproj import Transformer
from shapely.geometry import box

IDS = ("A", "B", "C", "D")
#: The hazard layers the world's build has (every hazard layer of the catalogue).
HAZARD_LAYERS = (
    "flood_rp10",
    "flood_rp100",
    "groundwater_salinity",
    "dust_days",
    "heat_days",
    "dry_years",
    "warming_trend",
    "spi_recent",
)
#: The hazards (what weights name), context hazards last.
HAZARDS = ("river_flood", "salinity", "dust", "heat", "drought", "warming", "drought_status")
#: The hazards that count by default (not context).
WEIGHTED_HAZARDS = HAZARDS[:5]
TOWN = (60.25, 44.55)
TOWN_PEOPLE = 20_000.0
RURAL_PEOPLE_PER_CELL = 2.0  # on the 0.01-degree population grid
FLOOD_RP10_DEPTH = 1.2  # m, in A's river strip
FLOOD_STRIP = (60.40, 60.60)
#: Settlements (OpenStreetMap tags), each at a build-cell centre (0.05-degree grid from lon
#: 60, lat 45): a village in A's 10-year flood strip, one beside the town in A, one in B,
#: and one outside every district (left out of the build).
PLACES_RADIUS_KM = 10.0
PLACES = (
    {
        "osm_id": 101,
        "name": "Өзенбойы",
        "name:kk": "Өзенбойы",
        "name:ru": "Озенбойы",
        "name:en": None,
        "place": "village",
        "lonlat": (60.525, 44.725),
    },
    {
        "osm_id": 102,
        "name": "Town",
        "name:kk": "Қалашық",
        "name:ru": "Городок",
        "name:en": "Town",
        "place": "town",
        "lonlat": (60.225, 44.575),
    },
    {
        "osm_id": 103,
        "name": "Steppe",
        "name:kk": "Дала",
        "name:ru": "Степной",
        "name:en": "Steppe",
        "place": "hamlet",
        "lonlat": (61.525, 44.225),
    },
    {
        "osm_id": 104,
        "name": "Far away",
        "name:kk": None,
        "name:ru": None,
        "name:en": None,
        "place": "hamlet",
        "lonlat": (59.5, 44.5),
    },
)


def districts() -> gpd.GeoDataFrame:
    """The four districts (EPSG:4326) with code, name and two other-language names."""
    enclave = box(61.49, 44.74, 61.51, 44.76)
    geoms = [
        box(60, 44, 61, 45),
        box(61, 44, 62, 44.5),
        box(61, 44.5, 62, 45).difference(enclave),
        enclave,
    ]
    return gpd.GeoDataFrame(
        {
            "code": list(IDS),
            "name": ["Alpha", "Bravo", "Charlie", "Delta"],
            "name_kk": ["Альфа", "Браво", "Чарли", "Дельта"],
            "name_ru": ["Альфа", "Браво", "Чарли", "Дельта"],
        },
        geometry=geoms,
        crs="EPSG:4326",
    )


def places() -> gpd.GeoDataFrame:
    """The settlements of :data:`PLACES` as OpenStreetMap place points (EPSG:4326)."""
    rows = [{k: v for k, v in p.items() if k != "lonlat"} for p in PLACES]
    return gpd.GeoDataFrame(
        rows,
        geometry=gpd.points_from_xy(*zip(*(p["lonlat"] for p in PLACES), strict=True)),
        crs="EPSG:4326",
    )


def _write(path: Path, data: np.ndarray, transform: Affine, crs: str, units: str | None) -> None:
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=data.shape[0],
        width=data.shape[1],
        count=1,
        dtype="float32",
        crs=crs,
        transform=transform,
        nodata=-9999.0,
    ) as dst:
        dst.write(np.where(np.isnan(data), -9999.0, data).astype("float32"), 1)
        if units:
            dst.update_tags(units=units)


def _lonlat_grid(
    res: float, bounds: tuple[float, float, float, float]
) -> tuple[Affine, np.ndarray, np.ndarray]:
    west, south, east, north = bounds
    cols, rows = round((east - west) / res), round((north - south) / res)
    lon = west + (np.arange(cols) + 0.5) * res
    lat = north - (np.arange(rows) + 0.5) * res
    return Affine(res, 0, west, 0, -res, north), *np.meshgrid(lon, lat)


def flood(rp: int) -> tuple[Affine, np.ndarray]:
    """Flood depth (m) on a 0.025-degree grid: a strip in A, deeper and wider at rp100."""
    transform, lon, _ = _lonlat_grid(0.025, (59.9, 43.9, 62.1, 45.1))
    west, east = FLOOD_STRIP
    depth = np.zeros_like(lon)
    if rp == 10:
        depth[(lon > west) & (lon < east)] = FLOOD_RP10_DEPTH
    else:
        depth[(lon > west - 0.1) & (lon < east + 0.1)] = 2.0
    return transform, depth


def population() -> tuple[Affine, np.ndarray]:
    """People per 0.01-degree cell: a rural carpet plus a town in A."""
    transform, lon, lat = _lonlat_grid(0.01, (60.0, 44.0, 62.0, 45.0))
    people = np.full(lon.shape, RURAL_PEOPLE_PER_CELL)
    town = (np.abs(lon - TOWN[0]) < 0.02) & (np.abs(lat - TOWN[1]) < 0.02)
    people[town] += TOWN_PEOPLE / town.sum()
    return transform, people


def climate(path: Path) -> None:
    """Daily tasmax (K) and pr (kg m-2 s-1), 1991-2020, 0.5 degree, hotter to the west."""
    rng = np.random.default_rng(7)
    time = pd.date_range("1991-01-01", "2020-12-31", freq="D")
    lon = np.arange(59.75, 62.5, 0.5)
    lat = np.arange(45.25, 43.5, -0.5)
    doy = time.day_of_year.to_numpy()
    season = 12.0 - 20.0 * np.cos(2 * np.pi * (doy - 15) / 365.25)  # degC, peak mid July
    trend = 0.03 * (time.year.to_numpy() - 1991)  # 0.3 degC per decade
    west_hot = (62.0 - lon) * 2.0  # A (west) is hotter than C
    tasmax = (
        273.15
        + season[:, None, None]
        + trend[:, None, None]
        + west_hot[None, None, :]
        + rng.normal(0, 3, (time.size, lat.size, lon.size))
    )
    wet = rng.random((time.size, lat.size, lon.size)) < 0.15
    pr = np.where(wet, rng.gamma(0.8, 4.0, wet.shape), 0.0) / 86400.0
    ds = xr.Dataset(
        {
            "tasmax": (
                ("time", "lat", "lon"),
                tasmax.astype("float32"),
                {"units": "K", "standard_name": "air_temperature"},
            ),
            "pr": (
                ("time", "lat", "lon"),
                pr.astype("float32"),
                {"units": "kg m-2 s-1", "standard_name": "precipitation_flux"},
            ),
        },
        coords={
            "time": time,
            "lat": ("lat", lat, {"units": "degrees_north", "standard_name": "latitude"}),
            "lon": ("lon", lon, {"units": "degrees_east", "standard_name": "longitude"}),
        },
    )
    ds.to_netcdf(path)


def make_world(folder: Path) -> Path:
    """Write every input and a ``build.toml`` into ``folder``; return the config path."""
    folder.mkdir(parents=True, exist_ok=True)
    districts().to_file(folder / "districts.geojson", driver="GeoJSON")
    for rp in (10, 100):
        transform, depth = flood(rp)
        _write(folder / f"flood_rp{rp}.tif", depth, transform, "EPSG:4326", "m")
    # Salinity in UTM zone 41N, 2 km cells, rising westward (2 g/L east .. 12 g/L west).
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32641", always_xy=True)
    x0, y0 = to_utm.transform(59.8, 45.2)
    x1, y1 = to_utm.transform(62.2, 43.8)
    res = 2000.0
    cols, rows = int((x1 - x0) / res) + 1, int((y0 - y1) / res) + 1
    xs = x0 + (np.arange(cols) + 0.5) * res
    lon, _ = Transformer.from_crs("EPSG:32641", "EPSG:4326", always_xy=True).transform(
        xs, np.full_like(xs, (y0 + y1) / 2)
    )
    salinity = np.tile(2.0 + (62.0 - np.asarray(lon)) * 5.0, (rows, 1))
    _write(
        folder / "salinity_utm.tif", salinity, Affine(res, 0, x0, 0, -res, y0), "EPSG:32641", "g/L"
    )
    transform, lon, _ = _lonlat_grid(0.1, (59.9, 43.9, 62.1, 45.1))
    _write(folder / "dust.tif", np.where(lon < 61, 60.0, 30.0), transform, "EPSG:4326", "d/yr")
    transform, people = population()
    _write(folder / "population.tif", people, transform, "EPSG:4326", "person")
    climate(folder / "climate.nc")
    places().to_file(folder / "places.geojson", driver="GeoJSON")
    pd.DataFrame(
        {
            "code": list(IDS),
            "children_under5_pct": [12.0, 10.0, 8.0, 9.0],
            "elderly_over65_pct": [8.0, 6.0, 5.0, 5.0],
            "disability_pct": [4.0, 3.5, 3.0, 3.0],
            "poverty_pct": [14.0, 9.0, 6.0, 5.0],
            "hospital_beds_per10k": [30.0, 50.0, 70.0, 60.0],
            "physicians_per10k": [15.0, 25.0, 40.0, 30.0],
            "hospital_travel_min": [90.0, 40.0, 20.0, 15.0],
        }
    ).to_csv(folder / "table.csv", index=False)
    config = folder / "build.toml"
    config.write_text(
        """
title = "Tiny world"
attribution = "synthetic test data"

[districts]
path = "districts.geojson"
id_field = "code"
name_field = "name"
names = { kk = "name_kk", ru = "name_ru" }

[grid]
crs = "EPSG:4326"
resolution = 0.05
buffer = 0.0

[inputs.flood_rp10]
path = "flood_rp10.tif"
[inputs.flood_rp100]
path = "flood_rp100.tif"
[inputs.groundwater_salinity]
path = "salinity_utm.tif"
[inputs.dust_days]
path = "dust.tif"
[inputs.climate]
path = "climate.nc"
variables = { tasmax = "tasmax", pr = "pr" }
[inputs.population]
path = "population.tif"
[inputs.vulnerability]
path = "table.csv"
id_field = "code"
[inputs.elevation]
path = "dust.tif"
units = "m"
[inputs.places]
path = "places.geojson"
radius_km = 10

[scoring]
profile = "equal"
method = "geometric"

[basemap]
elevation = "elevation"
hydrography = "districts.geojson"
""",
        encoding="utf-8",
    )
    return config
