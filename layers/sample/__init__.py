"""The illustrative Kyzylorda sample data set, generated from published facts.

:func:`make_sample` draws the oblast once (:mod:`layers.sample.world`) and writes
every file of the set; ``aralrisk sample --out DIR`` calls it. The output is
deterministic: a fixed seed, and writers that record no timestamps, so two runs
give byte-identical files. See the generated ``README.md`` for what each file is.
"""

from __future__ import annotations

from pathlib import Path

import shapely

from aralrisk.geo.vectors import geodesic_area_km2
from aralrisk.layers.sample.forecasts import write_forecasts
from aralrisk.layers.sample.outputs import (
    write_climate,
    write_districts,
    write_hazards,
    write_hydrography,
    write_population,
    write_terrain,
    write_vulnerability,
)
from aralrisk.layers.sample.places import write_places
from aralrisk.layers.sample.readme import write_readme
from aralrisk.layers.sample.world import make_world

__all__ = ["make_sample"]


def make_sample(out: Path) -> list[Path]:
    """Generate the illustrative sample data set into ``out``.

    Args:
        out: Folder to write into (created if missing). Files of the same names
            are overwritten; other files are left alone.

    Returns:
        The paths written: ``districts.geojson``, ``hydrography.geojson``,
        ``elevation.tif``, ``groundwater_salinity.tif``, ``flood_rp10.tif``,
        ``flood_rp100.tif``, ``dust_days.tif``, ``population.tif``,
        ``climate.nc``, ``vulnerability.csv``, ``places.geojson`` (real OpenStreetMap
        settlements, ODbL), the illustrative forecasts ``forecast_dust_cams.nc``,
        ``forecast_discharge_glofas.nc`` (with ``discharge_rp2.nc``, ``discharge_rp5.nc``,
        ``discharge_rp20.nc``) and ``forecast_heat_ecmwf.nc`` (``aralrisk alerts``
        reads them), ``README.md`` and ``build.toml`` (the build configuration of the
        set, shipped with the package).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    world = make_world()
    aralkum_in_oblast = geodesic_area_km2(shapely.intersection(world.sea.aralkum, world.oblast))
    return [
        write_districts(out, world),
        write_hydrography(out, world),
        *write_terrain(out, world),
        *write_hazards(out, world),
        write_population(out, world),
        write_climate(out, world),
        write_vulnerability(out),
        write_places(out),
        *write_forecasts(out, world),
        write_readme(out, geodesic_area_km2(world.oblast), aralkum_in_oblast),
        write_build_config(out),
    ]


def write_build_config(out: Path) -> Path:
    """Write the sample's build configuration (``build.toml``, a package file) into ``out``."""
    path = out / "build.toml"
    path.write_bytes((Path(__file__).parent / "build.toml").read_bytes())
    return path
