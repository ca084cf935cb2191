"""The illustrative sample data set, checked against the published facts.

The sample is generated once per session into a temporary folder; every check
compares it with ``data/reference/facts.json`` (read here, never by the
generator) or with the contract the rest of the platform relies on (file
names, fields, CRSs, grids, illustrative markings, byte-reproducibility).

People in a flood are counted by the cell-centre rule: each 30-arc-second cell
of ``population.tif`` takes the depth of the 0.01-degree flood cell that holds
its centre.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import netCDF4
import numpy as np
import pytest
import rasterio
import shapely
import shapely.ops
import xarray as xr
from affine import Affine
from pyproj import Geod, Transformer
from rasterio.features import rasterize
from rio_cogeo.cogeo import cog_validate
from scipy import ndimage
from scipy.stats import linregress
from shapely.geometry import shape

from aralrisk.layers.sample import make_sample

REPO = Path(__file__).resolve().parents[1]
FACTS_PATH = REPO / "data" / "reference" / "facts.json"
COMMITTED = REPO / "data" / "sample"

GENERATED = (
    "README.md",
    "build.toml",
    "climate.nc",
    "discharge_rp2.nc",
    "discharge_rp5.nc",
    "discharge_rp20.nc",
    "districts.geojson",
    "dust_days.tif",
    "elevation.tif",
    "flood_rp10.tif",
    "flood_rp100.tif",
    "forecast_discharge_glofas.nc",
    "forecast_dust_cams.nc",
    "forecast_heat_ecmwf.nc",
    "groundwater_salinity.tif",
    "hydrography.geojson",
    "places.geojson",
    "population.tif",
    "vulnerability.csv",
)
#: Files of the sample that are real data (copied, with their licence), not illustrative.
REAL = ("places.geojson",)
#: CRS, cell size, units and (west, north) corner of each raster. The transforms
#: must be exact: a grid that drifts by 1e-15 breaks exact alignment downstream.
RASTERS = {
    "elevation.tif": ("EPSG:32641", 1000.0, "m", (161_000.0, 5_330_000.0)),
    "groundwater_salinity.tif": ("EPSG:32641", 1000.0, "g/L", (161_000.0, 5_330_000.0)),
    "flood_rp10.tif": ("EPSG:4326", 0.01, "m", (58.9, 48.0)),
    "flood_rp100.tif": ("EPSG:4326", 0.01, "m", (58.9, 48.0)),
    "dust_days.tif": ("EPSG:4326", 0.01, "d/yr", (58.9, 48.0)),
    "population.tif": ("EPSG:4326", 1 / 120, "person", (58.9, 48.0)),
}
DISTRICT_PROPERTIES = [
    "ADM2_PCODE",
    "ADM2_EN",
    "ADM2_KK",
    "ADM2_RU",
    "KATO",
    "area_km2",
    "population",
    "note",
]
#: District properties and the facts.json "district_extents" keys they copy.
PROPERTY_FACTS = {"ADM2_EN": "name_en", "ADM2_KK": "name_kk", "ADM2_RU": "name_ru", "KATO": "kato"}
VULNERABILITY_HEADER = (
    "ADM2_PCODE,ADM2_EN,children_under5_pct,elderly_over65_pct,disability_pct,poverty_pct,"
    "hospital_beds_per10k,physicians_per10k,hospital_travel_min"
)
#: Kazaly old town on the Syr Darya (OpenStreetMap); facts.json has only the district
#: centre Ayteke Bi, which is checked as well.
KAZALY_TOWN = (62.107, 45.763)
#: Recorded ice-jam flood reaches (facts.json "floods"): near Kyzylorda city, in Kazaly.
FLOOD_REACHES = {"Kyzylorda": (65.504, 44.843), "Kazaly": KAZALY_TOWN}
#: Dust-storm gradient of facts.json "dust_storms": from the Aral Sea towards the south-east.
DUST_ORDER = ["Aral", "Kazaly", "Karmakshy", "Zhalagash", "Shieli", "Zhanakorgan"]
KYZYLORDA_CITY = "KZ431000"
KAZALY = "KZ434400"
BAIKONUR = "KZ431900"
#: Damaging flood depth and the share of a district's area over which the 10-year
#: flood reaching it makes the district's river-flood hazard "high" (ThinkHazard!,
#: layers/catalog.toml).
DAMAGING_DEPTH_M = 0.5
HIGH_HAZARD_AREA_SHARE = 0.01
#: People per km2 of a built-up cell (the Degree of Urbanisation's urban clusters).
URBAN_CLUSTER_DENSITY = 300.0
#: At most this many of the city district's people may live in the 10-year flood deeper
#: than 0.5 m: the city is protected by dikes (facts.json "floods"), and only 1,317 were
#: evacuated near it in the worst recorded flood.
CITY_PEOPLE_IN_10_YEAR_FLOOD = 5_000

_GEOD = Geod(ellps="WGS84")


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def facts() -> dict[str, Any]:
    if not FACTS_PATH.is_file():
        pytest.fail(f"the fact sheet {FACTS_PATH} is missing: the sample is checked against it")
    return dict(json.loads(FACTS_PATH.read_text(encoding="utf-8")))


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    written = make_sample(out)
    assert sorted(p.name for p in written) == sorted(GENERATED)
    assert all(p.parent == out for p in written)
    return out


@pytest.fixture(scope="session")
def districts(sample: Path) -> dict[str, Any]:
    return dict(json.loads((sample / "districts.geojson").read_text(encoding="utf-8")))


@pytest.fixture(scope="session")
def geometries(districts: dict[str, Any]) -> dict[str, shapely.Geometry]:
    return {f["properties"]["ADM2_PCODE"]: shape(f["geometry"]) for f in districts["features"]}


@pytest.fixture(scope="session")
def names(districts: dict[str, Any]) -> dict[str, str]:
    return {
        f["properties"]["ADM2_EN"]: f["properties"]["ADM2_PCODE"] for f in districts["features"]
    }


@pytest.fixture(scope="session")
def hydrography(sample: Path) -> list[dict[str, Any]]:
    return list(
        json.loads((sample / "hydrography.geojson").read_text(encoding="utf-8"))["features"]
    )


@pytest.fixture(scope="session")
def climate(sample: Path) -> xr.Dataset:
    with xr.open_dataset(sample / "climate.nc") as ds:
        return ds.load()


def _area_km2(geom: shapely.Geometry) -> float:
    return abs(_GEOD.geometry_area_perimeter(geom)[0]) / 1e6


def _distance_km(a: tuple[float, float], geom: shapely.Geometry) -> float:
    """Geodesic distance from a point to the nearest point of ``geom``, km."""
    nearest = shapely.ops.nearest_points(shapely.Point(a), geom)[1]
    return float(_GEOD.inv(a[0], a[1], nearest.x, nearest.y)[2]) / 1000.0


@cache
def _read(path: Path) -> tuple[np.ndarray, Any, Any]:
    with rasterio.open(path) as ds:
        return ds.read(1), ds.transform, ds.shape


def _projected(geom: shapely.Geometry, crs: str) -> shapely.Geometry:
    if crs == "EPSG:4326":
        return geom
    transformer = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    return shapely.transform(geom, lambda c: np.column_stack(transformer.transform(*c.T)))


def _labels(sample: Path, name: str, geometries: dict[str, shapely.Geometry]) -> dict[str, Any]:
    """Each district's cells on a raster's grid by the cell-centre rule."""
    _, transform, shape_ = _read(sample / name)
    crs = RASTERS[name][0]
    burned = rasterize(
        [(_projected(geom, crs), k + 1) for k, geom in enumerate(geometries.values())],
        out_shape=shape_,
        transform=transform,
        fill=0,
        all_touched=False,
        dtype="int16",
    )
    return {code: burned == k + 1 for k, code in enumerate(geometries)}


def _point_value(sample: Path, name: str, lonlat: tuple[float, float]) -> float:
    values, transform, _ = _read(sample / name)
    row, col = rasterio.transform.rowcol(transform, *lonlat)
    return float(values[row, col])


def _cell_areas_km2(transform: Affine, shape_: tuple[int, int]) -> np.ndarray:
    """Geodesic (WGS 84) area of every cell of a lon/lat grid, km2, shape (rows, cols)."""
    rows = np.arange(shape_[0])
    north = transform.f + rows * transform.e
    south = north + transform.e
    west, east = transform.c, transform.c + transform.a
    band = [
        abs(_GEOD.polygon_area_perimeter([west, east, east, west], [s, s, n, n])[0]) / 1e6
        for s, n in zip(south, north, strict=True)
    ]
    return np.repeat(np.asarray(band)[:, None], shape_[1], axis=1)


def _depth_where_people_live(sample: Path, flood: str) -> tuple[np.ndarray, np.ndarray]:
    """People per population cell and the flood depth at its centre (cell-centre rule).

    Returns:
        (people, depth), both shaped like ``population.tif``: people 0 where NaN,
        depth NaN where the centre falls outside the flood raster or the oblast.
    """
    people, pop_transform, pop_shape = _read(sample / "population.tif")
    depth, transform, shape_ = _read(sample / flood)
    rows, cols = np.indices(pop_shape)
    lon, lat = pop_transform * (cols + 0.5, rows + 0.5)
    frow = np.floor((lat - transform.f) / transform.e).astype(int)
    fcol = np.floor((lon - transform.c) / transform.a).astype(int)
    inside = (frow >= 0) & (frow < shape_[0]) & (fcol >= 0) & (fcol < shape_[1])
    at = np.where(inside, depth[frow.clip(0, shape_[0] - 1), fcol.clip(0, shape_[1] - 1)], np.nan)
    return np.nan_to_num(people.astype(np.float64)), at


def _worst_flood(facts: dict[str, Any]) -> dict[str, Any]:
    """The recorded flood with the largest flooded area (facts.json "floods")."""
    events = [e for e in facts["floods"]["events"] if "flooded_km2" in e]
    return dict(max(events, key=lambda e: e["flooded_km2"]))


def _people_at_ice_jam_risk(facts: dict[str, Any]) -> int:
    """People at ice-jam risk in 2017 (facts.json "floods": "... 70,000 people at ...")."""
    (event,) = [e for e in facts["floods"]["events"] if e["when"] == "2017"]
    match = re.search(r"([\d,]+) people", event["where"])
    assert match, event
    return int(match.group(1).replace(",", ""))


# ----------------------------------------------------------------------------- districts


def test_districts_have_the_published_codes_names_and_populations(
    districts: dict[str, Any], facts: dict[str, Any]
) -> None:
    extents = facts["district_extents"]["by_pcode"]
    population = facts["district_population"]
    assert districts["illustrative"] is True
    assert "crs" not in districts  # RFC 7946: EPSG:4326 longitude/latitude
    assert len(districts["features"]) == 9
    seen = set()
    for f in districts["features"]:
        props = f["properties"]
        assert list(props) == DISTRICT_PROPERTIES
        code = props["ADM2_PCODE"]
        seen.add(code)
        published = extents[code]
        for prop, key in PROPERTY_FACTS.items():
            assert props[prop] == published[key], (code, prop)
        expected = population[code]
        assert props["population"] == (
            expected["value"] if isinstance(expected, dict) else expected
        )
        assert props["area_km2"] == pytest.approx(_area_km2(shape(f["geometry"])), abs=0.1)
    assert seen == set(extents)


def test_districts_are_valid_non_overlapping_and_cover_the_oblast(
    geometries: dict[str, shapely.Geometry], facts: dict[str, Any]
) -> None:
    for code, geom in geometries.items():
        assert geom.is_valid, code
        assert geom.geom_type in ("Polygon", "MultiPolygon")
    codes = list(geometries)
    for i, a in enumerate(codes):
        for b in codes[i + 1 :]:
            overlap = shapely.intersection(geometries[a], geometries[b])
            assert _area_km2(overlap) < 0.01, (a, b)
    union = _area_km2(shapely.union_all(list(geometries.values())))
    assert union == pytest.approx(facts["oblast"]["area_km2"], rel=0.10)
    west, south, east, north = facts["oblast"]["bbox"]
    ow, os_, oe, on = shapely.union_all(list(geometries.values())).bounds
    assert west - 0.01 <= ow and os_ >= south - 0.01 and oe <= east + 0.01 and on <= north + 0.01


def test_each_district_is_laid_out_around_its_centre_with_its_area(
    geometries: dict[str, shapely.Geometry], facts: dict[str, Any]
) -> None:
    extents = facts["district_extents"]["by_pcode"]
    for code, centre in facts["district_centres"]["by_pcode"].items():
        geom = geometries[code]
        assert geom.contains(shapely.Point(centre["lon"], centre["lat"])), code
        assert _area_km2(geom) == pytest.approx(extents[code]["area_km2"], rel=0.05), code
        west, south, east, north = extents[code]["bbox"]
        gw, gs, ge, gn = geom.bounds
        assert gw >= west - 0.05 and gs >= south - 0.05 and ge <= east + 0.05 and gn <= north + 0.05
        assert len(shapely.get_parts(geom)) == extents[code]["parts"], code


def test_baikonur_is_a_small_enclave_cut_out_of_karmakshy(
    geometries: dict[str, shapely.Geometry],
) -> None:
    baikonur, karmakshy = geometries["KZ431900"], geometries["KZ434600"]
    assert 20.0 <= _area_km2(baikonur) <= 60.0
    assert shapely.Polygon(karmakshy.exterior).contains(baikonur)
    holes = [shapely.Polygon(ring) for ring in karmakshy.interiors]
    assert any(h.equals(baikonur) for h in holes)


def test_baikonur_alone_carries_a_note_that_it_is_leased_and_outside_the_oblast_total(
    districts: dict[str, Any], facts: dict[str, Any]
) -> None:
    published = facts["district_population"][BAIKONUR]["note"]
    assert "leased" in published and "not in the oblast total" in published
    notes = {f["properties"]["ADM2_PCODE"]: f["properties"]["note"] for f in districts["features"]}
    assert all(note == "" for code, note in notes.items() if code != BAIKONUR), notes
    note = notes[BAIKONUR]
    assert note.count(". ") == 0 and note.endswith("."), "one sentence"
    for words in ("Baikonur", "leased to Russia", "not part of the oblast total"):
        assert words in note, note
    config = tomllib.loads((COMMITTED / "build.toml").read_text(encoding="utf-8"))
    assert config["districts"]["note_field"] == "note"


# ----------------------------------------------------------------------------- hydrography


def test_hydrography_kinds_and_names(hydrography: list[dict[str, Any]]) -> None:
    kinds = [f["properties"]["kind"] for f in hydrography]
    assert set(kinds) == {"river", "sea_present", "sea_1950s", "dried_seabed"}
    assert all(set(f["properties"]) == {"kind", "name"} for f in hydrography)
    assert all(f["properties"]["name"] for f in hydrography)


def _by_kind(hydrography: list[dict[str, Any]], kind: str) -> shapely.Geometry:
    return shapely.union_all(
        [shape(f["geometry"]) for f in hydrography if f["properties"]["kind"] == kind]
    )


def test_syr_darya_passes_the_riverside_towns(
    hydrography: list[dict[str, Any]], facts: dict[str, Any]
) -> None:
    river = _by_kind(hydrography, "river")
    centres = {
        c["centre"]: (c["lon"], c["lat"]) for c in facts["district_centres"]["by_pcode"].values()
    }
    towns = {
        "Kyzylorda": centres["Kyzylorda"],
        "Zhosaly": centres["Zhosaly"],
        "Zhalagash": centres["Zhalagash"],
        "Kazaly (district centre Ayteke Bi)": centres["Ayteke Bi (Novokazalinsk)"],
        "Kazaly (town)": KAZALY_TOWN,
    }
    for town, point in towns.items():
        assert _distance_km(point, river) < 5.0, town
    published = facts["syr_darya_waypoints_upstream_to_mouth"]
    length = _GEOD.geometry_length(river) / 1000.0
    assert length == pytest.approx(published["length_in_oblast_km"], rel=0.05)
    for point in published["points_lon_lat"]:
        assert _distance_km(tuple(point), river) < 1.0


def test_aral_sea_areas_and_the_aralkum(
    hydrography: list[dict[str, Any]],
    geometries: dict[str, shapely.Geometry],
    facts: dict[str, Any],
) -> None:
    present = _by_kind(hydrography, "sea_present")
    old = _by_kind(hydrography, "sea_1950s")
    aralkum = _by_kind(hydrography, "dried_seabed")
    river = _by_kind(hydrography, "river")
    small = next(
        shape(f["geometry"]) for f in hydrography if f["properties"]["name"].startswith("Small")
    )
    assert _area_km2(small) == pytest.approx(facts["north_aral_sea"]["ne50m_area_km2"], rel=0.02)
    assert _area_km2(old) == pytest.approx(
        facts["historic_aral_late_1950s"]["area_km2_ne10m"], rel=0.02
    )
    assert old.contains(present)
    assert _area_km2(shapely.symmetric_difference(aralkum, shapely.difference(old, present))) < 1.0
    assert small.contains(shapely.Point(river.coords[-1]))  # the mouth
    west, south, east, north = facts["north_aral_sea"]["ne50m_polygon_bbox"]
    sw, ss, se, sn = small.bounds
    assert sw >= west - 1e-4 and ss >= south - 1e-4 and se <= east + 1e-4 and sn <= north + 1e-4
    oblast = shapely.union_all(list(geometries.values()))
    in_oblast = _area_km2(shapely.intersection(aralkum, oblast))
    assert in_oblast == pytest.approx(facts["aralkum"]["within_kyzylorda_km2"], rel=0.10)


# ----------------------------------------------------------------------------- rasters


@pytest.mark.parametrize("name", sorted(RASTERS))
def test_rasters_are_cogs_with_crs_grid_tags_and_nodata(
    sample: Path, name: str, geometries: dict[str, shapely.Geometry]
) -> None:
    crs, res, units, (west, north) = RASTERS[name]
    path = sample / name
    valid, errors, _ = cog_validate(str(path))
    assert valid and not errors, errors
    with rasterio.open(path) as ds:
        assert ds.crs.to_string() == crs
        assert ds.transform == Affine(res, 0.0, west, 0.0, -res, north)
        assert ds.dtypes == ("float32",)
        assert np.isnan(ds.nodata)
        assert ds.overviews(1)
        tags = ds.tags()
        assert tags["units"] == units
        assert tags["illustrative"] == "true"
        assert "ILLUSTRATIVE" in tags["description"]
        assert tags["source"]
        assert not any("DATETIME" in key.upper() for key in tags)
    values, _, _ = _read(path)
    cells = _labels(sample, name, geometries)
    inside = np.logical_or.reduce(list(cells.values()))
    assert np.isfinite(values[inside]).all()
    assert np.isnan(values[~inside]).all()


def test_population_sums_to_the_published_district_totals(
    sample: Path, geometries: dict[str, shapely.Geometry], facts: dict[str, Any]
) -> None:
    people, _, _ = _read(sample / "population.tif")
    assert np.nanmin(people) >= 0
    for code, cells in _labels(sample, "population.tif", geometries).items():
        published = facts["district_population"][code]
        expected = published["value"] if isinstance(published, dict) else published
        assert cells.any(), code
        assert float(people[cells].astype(np.float64).sum()) == pytest.approx(expected, rel=0.01)


def test_population_lives_in_towns_and_along_the_river(sample: Path, facts: dict[str, Any]) -> None:
    people, _, _ = _read(sample / "population.tif")
    median = float(np.nanmedian(people))
    for centre in facts["district_centres"]["by_pcode"].values():
        town = _point_value(sample, "population.tif", (centre["lon"], centre["lat"]))
        assert town > 20 * median, centre["centre"]


def test_dust_days_in_range_and_falling_away_from_the_aral(
    sample: Path,
    geometries: dict[str, shapely.Geometry],
    names: dict[str, str],
    facts: dict[str, Any],
) -> None:
    low, high = facts["dust_storms"]["aral_basin_days_per_year"]
    days, _, _ = _read(sample / "dust_days.tif")
    valid = days[np.isfinite(days)]
    assert valid.min() >= low and valid.max() <= high
    assert valid.max() > high - 5 and valid.min() < low + 10
    cells = _labels(sample, "dust_days.tif", geometries)
    means = [float(days[cells[names[name]]].mean()) for name in DUST_ORDER]
    assert means == sorted(means, reverse=True), dict(zip(DUST_ORDER, means, strict=True))


def test_flood_depths_rp100_covers_rp10_and_peaks_in_the_ice_jam_reaches(sample: Path) -> None:
    rp10, transform, _ = _read(sample / "flood_rp10.tif")
    rp100, _, _ = _read(sample / "flood_rp100.tif")
    valid = np.isfinite(rp10)
    assert np.array_equal(valid, np.isfinite(rp100))
    assert (rp100[valid] >= rp10[valid]).all()
    assert (rp100[valid] > 0).sum() > 1.5 * (rp10[valid] > 0).sum()
    assert (rp10[valid] == 0).mean() > 0.9  # dry outside the floodplain
    for depth in (rp10, rp100):
        rows, cols = np.nonzero(depth > 0)
        lon, lat = rasterio.transform.xy(transform, rows, cols)
        near = np.full(rows.shape, np.inf)
        for reach in FLOOD_REACHES.values():
            n = len(rows)
            distance = _GEOD.inv(np.full(n, reach[0]), np.full(n, reach[1]), lon, lat)[2] / 1000
            near = np.minimum(near, distance)
        flooded = depth[rows, cols]
        assert near[np.argmax(flooded)] < 40.0
        assert flooded[near < 40].mean() > 1.5 * flooded[near > 80].mean()


def test_ten_year_flood_is_a_few_hundred_km2_and_a_few_thousand_people(
    sample: Path,
    geometries: dict[str, shapely.Geometry],
    hydrography: list[dict[str, Any]],
    facts: dict[str, Any],
) -> None:
    # The worst recorded flood (winter 2003-2004) covered 590 km2 and 2,079 people were
    # evacuated: the 10-year flood's damaging depth covers a few hundred km2, never
    # thousands, and people of that order (within a factor of 5), not hundreds of thousands.
    worst = _worst_flood(facts)
    rp10, transform, shape_ = _read(sample / "flood_rp10.tif")
    areas = _cell_areas_km2(transform, shape_)
    deep = np.nan_to_num(rp10) > DAMAGING_DEPTH_M
    area = float(areas[deep].sum())
    assert worst["flooded_km2"] / 4 <= area <= worst["flooded_km2"], area
    people, depth = _depth_where_people_live(sample, "flood_rp10.tif")
    exposed = float(people[np.nan_to_num(depth) > DAMAGING_DEPTH_M].sum())
    assert exposed <= 5 * worst["evacuated"], exposed
    # The 2007 Kazaly flood: some of that damaging depth lies in Kazaly district, next to
    # the river and no more than the worst recorded flood's area.
    kazaly = _labels(sample, "flood_rp10.tif", geometries)[KAZALY] & deep
    assert 20.0 <= float(areas[kazaly].sum()) <= worst["flooded_km2"]
    rows, cols = np.nonzero(kazaly)
    lon, lat = rasterio.transform.xy(transform, rows, cols)
    river = _projected(_by_kind(hydrography, "river"), "EPSG:32641")
    points = _projected(shapely.points(lon, lat), "EPSG:32641")
    assert float(shapely.distance(points, river).max()) / 1000.0 < 10.0


def test_kyzylorda_city_is_dry_behind_its_dikes_but_its_floodplain_floods(
    sample: Path, geometries: dict[str, shapely.Geometry], facts: dict[str, Any]
) -> None:
    # Kyzylorda city is protected by dikes (facts.json "floods").
    centre = facts["district_centres"]["by_pcode"][KYZYLORDA_CITY]
    assert _point_value(sample, "flood_rp10.tif", (centre["lon"], centre["lat"])) == 0.0
    people, depth = _depth_where_people_live(sample, "flood_rp10.tif")
    city = _labels(sample, "population.tif", geometries)[KYZYLORDA_CITY]
    # Its built-up area, the cells of at least 300 people per km2 connected to the centre
    # (an "urban cluster" of the Degree of Urbanisation), holds most of the district's
    # people and is dry.
    _, pop_transform, pop_shape = _read(sample / "population.tif")
    dense = people / _cell_areas_km2(pop_transform, pop_shape) >= URBAN_CLUSTER_DENSITY
    clusters, _ = ndimage.label(dense, structure=np.ones((3, 3)))
    centre_cell = rasterio.transform.rowcol(pop_transform, centre["lon"], centre["lat"])
    built_up = clusters == clusters[centre_cell]
    assert float(people[built_up].sum()) > 0.75 * float(people[city].sum())
    assert (depth[built_up] == 0).all()
    exposed = float(people[city & (np.nan_to_num(depth) > DAMAGING_DEPTH_M)].sum())
    assert exposed < CITY_PEOPLE_IN_10_YEAR_FLOOD, exposed
    # Outside the dikes the recorded ice-jam reach floods: damaging depth over at least
    # 1.5 % of the district, a "high" river-flood hazard (ThinkHazard! needs 1 %).
    rp10, transform, shape_ = _read(sample / "flood_rp10.tif")
    district = _labels(sample, "flood_rp10.tif", geometries)[KYZYLORDA_CITY]
    deep = district & (np.nan_to_num(rp10) > DAMAGING_DEPTH_M)
    share = float(_cell_areas_km2(transform, shape_)[deep].sum()) / float(
        facts["district_extents"]["by_pcode"][KYZYLORDA_CITY]["area_km2"]
    )
    assert share >= 1.5 * HIGH_HAZARD_AREA_SHARE, share


def test_hundred_year_flood_reaches_about_the_people_at_ice_jam_risk(
    sample: Path, facts: dict[str, Any]
) -> None:
    # In 2017, 70,000 people in 29 riverside villages were at ice-jam risk: the 100-year
    # flood's damaging depth reaches that many within a factor of 2, and its whole extent
    # (any depth) between half as many and 200,000 people.
    at_risk = _people_at_ice_jam_risk(facts)
    people, depth = _depth_where_people_live(sample, "flood_rp100.tif")
    damaging = float(people[np.nan_to_num(depth) >= DAMAGING_DEPTH_M].sum())
    assert at_risk / 2 <= damaging <= 2 * at_risk, damaging
    anywhere = float(people[np.nan_to_num(depth) > 0].sum())
    assert at_risk / 2 <= anywhere <= 200_000, anywhere
    assert anywhere > damaging


def test_utm_rasters_cover_the_oblast_in_metres(sample: Path) -> None:
    elevation, _, _ = _read(sample / "elevation.tif")
    salinity, _, _ = _read(sample / "groundwater_salinity.tif")
    assert 25 < np.nanmin(elevation) < 53 < np.nanmax(elevation) < 600
    assert 0.2 < np.nanmin(salinity) < 1.5 and 30 < np.nanmax(salinity) <= 150


# ----------------------------------------------------------------------------- climate


def test_climate_is_cf_daily_and_packed(sample: Path) -> None:
    path = sample / "climate.nc"
    assert path.stat().st_size < 8e6
    with netCDF4.Dataset(path) as ds:
        assert ds.Conventions == "CF-1.8"
        assert ds.illustrative == "true"
        assert "ILLUSTRATIVE" in ds.comment
        assert ds["time"].calendar == "standard"
        assert ds["lat"].units == "degrees_north" and ds["lat"].standard_name == "latitude"
        assert ds["lon"].units == "degrees_east" and ds["lon"].standard_name == "longitude"
        tasmax, pr = ds["tasmax"], ds["pr"]
        assert (tasmax.standard_name, tasmax.units, tasmax.cell_methods) == (
            "air_temperature",
            "K",
            "time: maximum",
        )
        assert (pr.standard_name, pr.units) == ("precipitation_flux", "kg m-2 s-1")
        for var in (tasmax, pr):
            assert var.dtype == np.int16
            assert {"scale_factor", "add_offset"} <= set(var.ncattrs())
            filters = var.filters()
            assert filters["zlib"] and filters["shuffle"]
        lat, lon = ds["lat"][:], ds["lon"][:]
        assert np.allclose(np.diff(lon), 0.25) and np.allclose(np.diff(lat), -0.25)
        assert lon.min() <= 59.015 and lon.max() >= 68.166 - 0.125
        assert lat.min() <= 42.398 + 0.125 and lat.max() >= 47.845 - 0.125


def test_climate_time_axis(climate: xr.Dataset) -> None:
    time = climate["time"].values
    assert time[0] == np.datetime64("1991-01-01") and time[-1] == np.datetime64("2020-12-31")
    assert len(time) == 10958
    assert (np.diff(time) == np.timedelta64(1, "D")).all()


def _at(ds: xr.Dataset | xr.DataArray, lonlat: tuple[float, float]) -> Any:
    return ds.sel(lon=lonlat[0], lat=lonlat[1], method="nearest")


def test_climate_normals_match_the_published_ranges(
    climate: xr.Dataset, facts: dict[str, Any]
) -> None:
    published = facts["climate"]
    centres = {
        c["centre"]: (c["lon"], c["lat"]) for c in facts["district_centres"]["by_pcode"].values()
    }
    tasmax_c = climate["tasmax"] - 273.15
    monthly = tasmax_c.groupby("time.month").mean()
    # Kyzylorda's published day temperatures are daily maxima; their day-night
    # differences give the diurnal range that turns maxima into means elsewhere.
    kyz_jul_day, kyz_jul_night = published["kyzylorda_city_july_day_night_c"]
    kyz_jan_day, kyz_jan_night = published["kyzylorda_city_jan_day_night_c"]
    half_dtr_jul = (kyz_jul_day - kyz_jul_night) / 2
    half_dtr_jan = (kyz_jan_day - kyz_jan_night) / 2
    kyz = _at(monthly, centres["Kyzylorda"])
    assert float(kyz.sel(month=7)) == pytest.approx(kyz_jul_day, abs=1.5)
    assert float(kyz.sel(month=1)) == pytest.approx(kyz_jan_day, abs=1.5)
    aral = _at(monthly, centres["Aral (Aralsk)"])
    jan_low, jan_high = published["aral_jan_mean_c"]
    assert jan_low <= float(aral.sel(month=1)) - half_dtr_jan <= jan_high
    jul_low, jul_high = published["aral_july_mean_c"]
    assert jul_low <= float(aral.sel(month=7)) - half_dtr_jul <= jul_high
    annual_low, annual_high = published["aral_annual_mean_c"]
    annual = (
        float(_at(tasmax_c, centres["Aral (Aralsk)"]).mean()) - (half_dtr_jan + half_dtr_jul) / 2
    )
    assert annual_low <= annual <= annual_high
    july_mean = monthly.sel(month=7) - half_dtr_jul
    nw, se = published["july_mean_c"]["northwest"], published["july_mean_c"]["southeast"]
    assert nw - 0.5 <= float(july_mean.min()) and float(july_mean.max()) <= se + 0.5
    pr_mm = climate["pr"] * 86400.0
    annual_pr = float(pr_mm.groupby("time.year").sum().mean())
    assert annual_pr == pytest.approx(published["annual_precip_mm"], rel=0.15)


def test_kyzylorda_july_maximum_is_the_published_day_temperature(
    climate: xr.Dataset, facts: dict[str, Any]
) -> None:
    centre = facts["district_centres"]["by_pcode"][KYZYLORDA_CITY]
    day, _night = facts["climate"]["kyzylorda_city_july_day_night_c"]
    tasmax_c = _at(climate["tasmax"], (centre["lon"], centre["lat"])) - 273.15
    july = float(tasmax_c[tasmax_c["time.month"] == 7].mean())
    assert july == pytest.approx(day, abs=0.5)


def _cells_in(climate: xr.Dataset, geom: shapely.Geometry) -> np.ndarray:
    """Climate cells whose centre lies in ``geom``, shape (lat, lon)."""
    lon, lat = np.meshgrid(climate["lon"].values, climate["lat"].values)
    return np.asarray(shapely.contains_xy(geom, lon, lat))


def test_rainfall_has_no_trend_but_wet_and_dry_years(
    climate: xr.Dataset,
    geometries: dict[str, shapely.Geometry],
    names: dict[str, str],
    facts: dict[str, Any],
) -> None:
    # About 175 mm a year (facts.json "climate"), with no trend over 1991-2020.
    annual = (climate["pr"] * 86400.0).groupby("time.year").sum()
    years, totals = annual["year"].values, annual.values  # (year, lat, lon), mm

    def change(series: np.ndarray) -> np.ndarray:
        """2011-2020 mean against the 1991-2000 mean, minus 1."""
        return np.asarray(
            series[years >= 2011].mean(axis=0) / series[years <= 2000].mean(axis=0) - 1
        )

    oblast_cells = _cells_in(climate, shapely.union_all(list(geometries.values())))
    oblast = totals[:, oblast_cells].mean(axis=1)
    assert abs(float(oblast.mean()) - facts["climate"]["annual_precip_mm"]) <= 15.0
    assert abs(float(change(oblast))) <= 0.10
    assert linregress(years, oblast).pvalue > 0.05
    cells = totals[:, oblast_cells]
    assert float(np.abs(change(cells)).max()) <= 0.15
    means = {}
    for code, geom in geometries.items():
        inside = _cells_in(climate, geom)
        if not inside.any():  # Baikonur holds no 0.25-degree cell centre
            continue
        district = totals[:, inside].mean(axis=1)
        means[code] = float(district.mean())
        assert abs(float(change(district))) <= 0.15, code
        assert 0.2 <= float(district.std() / district.mean()) <= 0.45, code
    # Realistic year-to-year variability: dry years exist.
    assert 0.25 <= float(oblast.std() / oblast.mean()) <= 0.35
    assert float(oblast.min()) < 0.6 * float(oblast.mean())
    # Drier in the north-west (Aral) than in the south-east (Zhanakorgan).
    assert means[names["Aral"]] + 30 < means[names["Zhanakorgan"]]


def test_climate_warms_about_0_3_degrees_per_decade(climate: xr.Dataset) -> None:
    annual = (climate["tasmax"] - 273.15).groupby("time.year").mean().mean(["lat", "lon"])
    slope = np.polyfit(annual["year"].values, annual.values, 1)[0] * 10
    assert 0.2 <= slope <= 0.4


def test_climate_has_dry_spells_winter_rain_and_hot_days(
    climate: xr.Dataset, facts: dict[str, Any]
) -> None:
    pr_mm = climate["pr"] * 86400.0
    assert float((pr_mm == 0).mean()) > 0.6
    share = pr_mm.groupby("time.month").sum() / pr_mm.sum()
    assert float(share.sel(month=[6, 7, 8]).sum()) < 0.15
    assert float(share.sel(month=[11, 12, 1, 2, 3, 4]).sum()) > 0.5
    centres = {
        c["centre"]: (c["lon"], c["lat"]) for c in facts["district_centres"]["by_pcode"].values()
    }
    dry = (_at(pr_mm, centres["Kyzylorda"]).values == 0).astype(int)
    longest = current = 0
    for day in dry:
        current = current + 1 if day else 0
        longest = max(longest, current)
    assert longest > 60
    tasmax_c = climate["tasmax"] - 273.15
    south = _at(tasmax_c, centres["Shieli"])
    hot_days = (south > 35).groupby("time.year").sum()
    assert 10 <= float(hot_days.mean()) <= 90
    assert int(hot_days.max()) > int(hot_days.min())


# ----------------------------------------------------------------------------- table, readme


def test_vulnerability_table(sample: Path, facts: dict[str, Any]) -> None:
    lines = (sample / "vulnerability.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# illustrative")
    assert lines[1] == VULNERABILITY_HEADER
    rows = [line.split(",") for line in lines[2:]]
    assert {r[0] for r in rows} == set(facts["district_extents"]["by_pcode"])
    ranges = [(10, 13), (5, 9), (3, 5), (5, 15), (30, 80), (15, 45), (10, 120)]
    for row in rows:
        assert row[1] == facts["district_extents"]["by_pcode"][row[0]]["name_en"]
        for value, (low, high) in zip(row[2:], ranges, strict=True):
            assert low <= float(value) <= high, row
    travel = {r[1]: float(r[-1]) for r in rows}
    assert travel["Kyzylorda"] < 20 and travel["Aral"] > 90 and travel["Karmakshy"] > 90


def test_readme_explains_the_set(sample: Path) -> None:
    text = (sample / "README.md").read_text(encoding="utf-8")
    assert "ILLUSTRATIVE" in text
    assert "aralrisk sample --out data/sample" in text
    for name in GENERATED[1:]:
        assert f"`{name}`" in text, name
    for source in ("HDX COD-AB", "OpenStreetMap", "Natural Earth", "Orlovsky", "Zakirova", "IRIN"):
        assert source in text
    # The facts the floods, rainfall, heat and Baikonur follow are named.
    for fact in ("590 km2", "2,079", "70,000", "dikes", "no trend", "36 degC", "leased"):
        assert fact in text, fact


def test_every_file_marks_itself_illustrative(sample: Path) -> None:
    for name in GENERATED:
        path = sample / name
        if name in REAL:
            assert json.loads(path.read_text(encoding="utf-8"))["illustrative"] is False
            continue
        if name.endswith(".geojson"):
            assert json.loads(path.read_text(encoding="utf-8"))["illustrative"] is True
        elif name.endswith(".tif"):
            with rasterio.open(path) as ds:
                assert ds.tags()["illustrative"] == "true"
        elif name.endswith(".nc"):
            with netCDF4.Dataset(path) as ds:
                assert ds.illustrative == "true"
                for variable in ("tasmax", "pm10", "dis24", "mx2t24"):
                    if variable in ds.variables:
                        assert ds[variable].illustrative == "true"
        elif name.endswith(".csv"):
            assert path.read_text(encoding="utf-8").startswith("# illustrative")
        else:
            assert "ILLUSTRATIVE" in path.read_text(encoding="utf-8")


def test_places_are_the_real_osm_points_with_their_licence(sample: Path) -> None:
    copy = json.loads((sample / "places.geojson").read_text(encoding="utf-8"))
    reference = REPO / "data" / "reference" / "places" / "kyzylorda_places_osm_hotosm.geojson"
    original = json.loads(reference.read_text(encoding="utf-8"))
    assert copy["features"] == original["features"]  # untouched: 449 OSM points
    assert len(copy["features"]) == 449
    assert copy["attribution"] == "© OpenStreetMap contributors"
    assert copy["license"].startswith("ODbL")
    config = tomllib.loads((sample / "build.toml").read_text(encoding="utf-8"))
    assert config["inputs"]["places"]["path"] == "places.geojson"
    assert "© OpenStreetMap contributors (ODbL)" in config["attribution"]


# ----------------------------------------------------------------------------- reproducibility


def _checksums(folder: Path) -> dict[str, str]:
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in GENERATED}


def test_the_set_is_small(sample: Path) -> None:
    assert sum((sample / name).stat().st_size for name in GENERATED) < 15e6


# Regenerating is deterministic: this session's sample equals the committed one (below),
# and so does the one the installed wheel's `aralrisk sample` writes in another process
# (tests/test_wheel.py), so a second generation here would prove nothing more.


def test_committed_sample_is_up_to_date(sample: Path) -> None:
    missing = [name for name in GENERATED if not (COMMITTED / name).is_file()]
    assert not missing, f"data/sample lacks {missing}: run `aralrisk sample --out data/sample`"
    committed, fresh = _checksums(COMMITTED), _checksums(sample)
    stale = sorted(name for name in GENERATED if committed[name] != fresh[name])
    assert not stale, f"data/sample is stale ({stale}): run `aralrisk sample --out data/sample`"
    extra = {p.name for p in COMMITTED.iterdir()} - set(GENERATED)
    assert not extra, f"data/sample holds files the generator does not write: {sorted(extra)}"
