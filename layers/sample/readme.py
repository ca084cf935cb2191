"""The ``README.md`` written next to the sample files (generated, so it never drifts)."""

from __future__ import annotations

from pathlib import Path

from aralrisk.layers.sample.facts import (
    ANNUAL_PRECIP_MM,
    ARAL_1950S_AREA_KM2,
    ARALKUM_IN_OBLAST_KM2,
    BAIKONUR,
    DISTRICT_NOTES,
    DISTRICTS,
    DUST_DAYS_RANGE,
    ICE_JAM_AT_RISK_2017,
    ICE_JAM_VILLAGES_2017,
    NORTH_ARAL_AREA_KM2,
    OBLAST_AREA_KM2,
    SYR_DARYA_LENGTH_KM,
    WORST_FLOOD_EVACUATED,
    WORST_FLOOD_KM2,
)
from aralrisk.layers.sample.hazards import embankments
from aralrisk.layers.sample.world import SEED
from aralrisk.layers.sample.write import write_text

#: The table of files: name, what, units, CRS, grid.
FILES: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "`districts.geojson`",
        "the 9 district-level units, properties `ADM2_PCODE`, `ADM2_EN`, `ADM2_KK`, `ADM2_RU`, "
        "`KATO`, `area_km2` (geodesic area of the drawn polygon), `population` (published), "
        "`note` (empty but for Baikonur, the leased city)",
        "km2, people",
        "EPSG:4326",
        "vector",
    ),
    (
        "`hydrography.geojson`",
        "Syr Darya (`kind` = `river`), present Small Aral and the Large Aral's western basin "
        "(`sea_present`), the late-1950s sea (`sea_1950s`) and the Aralkum (`dried_seabed`); "
        "property `name`",
        "-",
        "EPSG:4326",
        "vector",
    ),
    (
        "`elevation.tif`",
        "ground elevation (water surface on the Small Aral)",
        "m",
        "EPSG:32641 (UTM 41N)",
        "1000 m",
    ),
    (
        "`groundwater_salinity.tif`",
        "mineralization (total dissolved solids) of shallow groundwater",
        "g/L",
        "EPSG:32641 (UTM 41N)",
        "1000 m",
    ),
    (
        "`flood_rp10.tif`, `flood_rp100.tif`",
        "river flood depth, 10- and 100-year return periods; 0 outside the floodplain and "
        "behind the towns' dikes",
        "m",
        "EPSG:4326",
        "0.01 degree",
    ),
    (
        "`dust_days.tif`",
        "dust- and salt-storm days per year",
        "d/yr",
        "EPSG:4326",
        "0.01 degree",
    ),
    ("`population.tif`", "people per cell", "person", "EPSG:4326", "30 arc-seconds"),
    (
        "`climate.nc`",
        "daily `tasmax` and `pr`, 1991-01-01..2020-12-31, CF-1.8, int16 packed "
        "(0.1 K, 0.1 mm/day), zlib",
        "K, kg m-2 s-1",
        "EPSG:4326",
        "0.25 degree",
    ),
    (
        "`vulnerability.csv`",
        "per district: `children_under5_pct`, `elderly_over65_pct`, `disability_pct`, "
        "`poverty_pct`, `hospital_beds_per10k`, `physicians_per10k`, `hospital_travel_min`",
        "%, per 10,000, minutes",
        "-",
        "table",
    ),
    (
        "`places.geojson`",
        "REAL OpenStreetMap settlements (449 place points: towns, villages, hamlets, isolated "
        "dwellings) with names in Kazakh, Russian and English where tagged; not illustrative; "
        'licence ODbL 1.0, attribution "© OpenStreetMap contributors"',
        "-",
        "EPSG:4326",
        "points",
    ),
    (
        "`forecast_dust_cams.nc`",
        "illustrative CAMS-like PM10 forecast (`pm10`, dims time/latitude/longitude, 3-hourly "
        "valid times, issued 2026-05-14): a dust storm off the Aralkum over Aral and Kazaly "
        "for three days",
        "kg m**-3",
        "EPSG:4326",
        "0.4 degree",
    ),
    (
        "`forecast_discharge_glofas.nc`",
        "illustrative GloFAS-like ensemble discharge forecast (`dis24`, dims "
        "number/time/latitude/longitude, 51 members, issued 2026-01-20): an ice-jam flood "
        "wave passing Kazaly on the third day",
        "m**3 s**-1",
        "EPSG:4326",
        "0.05 degree",
    ),
    (
        "`discharge_rp2.nc`, `discharge_rp5.nc`, `discharge_rp20.nc`",
        "illustrative 2-, 5- and 20-year return-period discharges on the river cells of the "
        "discharge forecast (NaN off the river), the alert thresholds",
        "m**3 s**-1",
        "EPSG:4326",
        "0.05 degree",
    ),
    (
        "`forecast_heat_ecmwf.nc`",
        "illustrative ECMWF-open-data-like maximum temperature forecast (`mx2t24`, dims "
        "step/latitude/longitude with a reference `time`, issued 2026-07-10): a heat wave "
        "in the south-east; `aralrisk alerts -f FILE ...` turns these into district alerts",
        "K",
        "EPSG:4326",
        "0.25 degree",
    ),
    (
        "`build.toml`",
        "the build configuration of this set: files, grid, weights (`aralrisk build` default)",
        "-",
        "EPSG:4326 grid",
        "0.01 deg",
    ),
)

_TEMPLATE = """\
# Kyzylorda sample data set (ILLUSTRATIVE)

**Everything in this folder is illustrative, except `places.geojson`.** It was generated
by aralrisk's own code (`layers/sample/`) from a handful of published facts, so that the
platform can be run, tested and demonstrated without downloading anything. The district
borders, rivers, shorelines, rasters, climate series and the vulnerability table are
*plausible*, not real: do not use them for decisions. Every file says so in its own
metadata too (a top-level `"illustrative": true` in the GeoJSON files, an
`illustrative=true` tag in the GeoTIFFs, an `illustrative` attribute in the NetCDF file, a
`# illustrative` first line in the CSV). The one exception, `places.geojson`, holds the
REAL OpenStreetMap settlements of the oblast (a copy of `data/reference/places`, top-level
`"illustrative": false`), licensed under the Open Database License (ODbL 1.0): "©
OpenStreetMap contributors"; its licence and attribution are also written inside the file
and into the build's map attribution.

Regenerate (deterministic, fixed seed {seed}: the same code gives byte-identical files):

```sh
aralrisk sample --out data/sample
```

The tests (`tests/test_sample.py`) check the files against the published facts and that
the committed copy equals a fresh generation. `build.toml` is the build configuration of
the set (`aralrisk build` reads it by default).

## Files

{files_table}

The rasters are Cloud-Optimized GeoTIFFs (float32, internal overviews) with NaN as nodata
outside the oblast; each carries the tags `units`, `description`, `illustrative` and
`source`. The UTM rasters are deliberately in a projected CRS so that the pipeline's
alignment onto one grid is exercised.

## Which facts each file follows

Sources as named in the project's fact sheet; numbers transcribed in
`layers/sample/facts.py`.

- **Districts**: codes, English/Kazakh/Russian names, KATO codes, areas, bounding boxes and
  part counts from HDX COD-AB Kazakhstan 2024 as corrected in geokz (CC BY 4.0); centres
  from OpenStreetMap (ODbL); populations from the national statistics office (1 Jan 2023
  unless noted: Shieli and Zhalagash from an older table, Kyzylorda the city proper,
  Baikonur the leased city). Each district is laid out around its real centre inside its
  real bounding box and fitted to its published area; together they cover
  {union:,.0f} km2 (published: {oblast_area:,.0f} km2). Baikonur is a small enclave
  cut out of Karmakshy; Aral has two parts, its small second part an exclave inside Kazaly.
  Baikonur's `note` repeats the statistics office's caveat:
  {baikonur_note}
{district_lines}
- **Syr Darya**: a meandering line through the published waypoints (Natural Earth 1:10m
  rivers, public domain), {river_km:.0f} km long in the oblast as published, passing through
  Kyzylorda, Zhalagash, Zhosaly, Ayteke Bi and Kazaly.
- **Aral Sea**: the Small Aral inside its published box with its published area
  ({small_aral:,.0f} km2, Natural Earth 1:50m lakes) holding the river mouth; the late-1950s
  sea inside its published box with its published area ({old_sea:,.0f} km2, Natural Earth
  1:10m historic lakes); the Aralkum is the difference, {aralkum_sample:,.0f} km2 of it in the
  oblast (published: {aralkum:,.0f} km2, a Natural Earth difference). The Large Aral's
  western basin, outside the oblast, is drawn without a published figure.
- **Flood depth** (IRIN; Caravan; press reports): deepest in the reaches of the recorded
  ice-jam floods near Kyzylorda city (2003-2004) and in Kazaly district near Kazaly town
  (2007), and sized by the recorded magnitudes. The worst flood (winter 2003-2004) covered
  {worst_km2:,.0f} km2 and {evacuated:,} people were evacuated: the 10-year flood is deeper
  than 0.5 m over a few hundred km2 of the oblast (between a quarter of that area and all
  of it), mostly empty floodplain where a few thousand people live. In 2017, {at_risk:,}
  people in {villages} riverside villages were at ice-jam risk: about as many (within a
  factor of 2) live where the 100-year flood is 0.5 m deep or more. Kyzylorda city is
  protected by dikes: the 10-year flood stays out of its built-up area (within
  {dike_km:.0f} km of the centre), so fewer than 5,000 of the city district's people live
  where it is deeper than 0.5 m, while the floodplain outside the dikes is flooded deeper
  than 0.5 m over more than 1.5 % of the district, a "high" river-flood hazard by the
  ThinkHazard! rule (1 % of the area). The 100-year flood overtops the dikes on the
  outskirts (beyond {core_km:.0f} km of the centre). The other towns have embankments
  scaled to their size, an assumption of the sample (the facts name only Kyzylorda's
  dikes). The 100-year flood is deeper and wider than the 10-year flood everywhere.
- **Dust-storm days**: {dust_low:.0f}-{dust_high:.0f} days per year (Orlovsky et al.; Issanova
  et al.), highest near the Aralkum and in Aral and Kazaly, falling towards Shieli and
  Zhanakorgan.
- **Climate**: July mean temperature 25.9 degC in the north-west to 28.2 degC in the
  south-east; Aral January -13.4..-11.3 degC; Kyzylorda day/night -5/-12 degC in January and
  36/21 degC in July, which also give the diurnal range used to turn mean temperatures into
  daily maxima; Kyzylorda's July mean daily maximum is the published 36 degC (a warm summer
  anomaly of the middle valley, fading over about 100 km, adds the 1.1 degC that the
  north-west to south-east gradient lacks there); annual precipitation about {precip:.0f} mm,
  140 mm in the north-west to 210 mm in the south-east, mostly October to May (encyclopedic
  entries; Zakirova 2016), with no trend: wet and dry years (a year-to-year coefficient of
  variation of about 0.3) but every decade of 1991-2020 as wet as the others in every cell.
  Warming about 0.3 degC per decade, a little more near the dried seabed.
- **Elevation, groundwater mineralization, vulnerability**: no published grid or table is
  used; the values are invented to be plausible (river falling from about 190 m to the Small
  Aral at 42 m; groundwater fresh in the valley and a brine under the Aralkum; a young
  population with long travel times to hospital in Aral and Karmakshy).
"""


def readme_text(union_km2: float, aralkum_in_oblast_km2: float) -> str:
    """The README of the sample folder, as Markdown.

    Args:
        union_km2: Area covered by the generated districts, km2.
        aralkum_in_oblast_km2: Area of the generated Aralkum inside them, km2.
    """
    district_lines = "\n".join(
        f"  - `{d.pcode}` {d.name_en}: centre {d.centre_name}, {d.area_km2:,.1f} km2, "
        f"{d.population:,} people"
        for d in DISTRICTS
    )
    rows = [("file", "what", "units", "CRS", "grid"), ("---",) * 5, *FILES]
    city_dikes = next(ring for ring in embankments() if ring.town == "Kyzylorda")
    files_table = "\n".join("| " + " | ".join(row) + " |" for row in rows)
    return _TEMPLATE.format(
        seed=SEED,
        files_table=files_table,
        oblast_area=OBLAST_AREA_KM2,
        union=union_km2,
        aralkum_sample=aralkum_in_oblast_km2,
        district_lines=district_lines,
        river_km=SYR_DARYA_LENGTH_KM,
        small_aral=NORTH_ARAL_AREA_KM2,
        old_sea=ARAL_1950S_AREA_KM2,
        aralkum=ARALKUM_IN_OBLAST_KM2,
        dust_low=DUST_DAYS_RANGE[0],
        dust_high=DUST_DAYS_RANGE[1],
        precip=ANNUAL_PRECIP_MM,
        baikonur_note=DISTRICT_NOTES[BAIKONUR],
        worst_km2=WORST_FLOOD_KM2,
        evacuated=WORST_FLOOD_EVACUATED,
        at_risk=ICE_JAM_AT_RISK_2017,
        villages=ICE_JAM_VILLAGES_2017,
        dike_km=city_dikes.radius_km,
        core_km=city_dikes.core_km,
    )


def write_readme(out: Path, union_km2: float, aralkum_in_oblast_km2: float) -> Path:
    """Write ``README.md`` into ``out`` (arguments as for :func:`readme_text`)."""
    return write_text(out / "README.md", readme_text(union_km2, aralkum_in_oblast_km2))
