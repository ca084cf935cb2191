"""Byte-reproducible writers of the sample's files.

Nothing written here carries a timestamp, a random name or a host name: the
same arrays give the same bytes, so the committed sample can be checked
against a fresh generation by checksum. GeoJSON and CSV are written by hand
(fixed key order, fixed number formatting); rasters go through
:func:`geo.io.write_cog`; the NetCDF file through netCDF4 with fixed attributes.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import netCDF4
import numpy as np
import shapely
import xarray as xr

from aralrisk.geo.io import atomic_path, write_cog
from aralrisk.layers.sample.climate import DailyClimate
from aralrisk.layers.sample.grids import FloatArray, Grid

#: Value of the ``illustrative`` tag or attribute in every file.
ILLUSTRATIVE = "true"
#: Packing of the NetCDF variables (CF scale_factor/add_offset on int16).
TASMAX_SCALE_K = 0.1
TASMAX_OFFSET_K = 273.15
PR_SCALE = 0.1 / 86_400.0  # 0.1 mm/day in kg m-2 s-1
INT16_FILL = np.int16(-32767)
#: WKT of EPSG:4326 for the NetCDF grid mapping (fixed text: no library version in it).
WGS84_WKT = (
    'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,'
    'AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,'
    'AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],'
    'AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]'
)
#: Days of the climate series per NetCDF chunk (a year), with the whole grid.
TIME_CHUNK = 366


def write_text(path: Path, text: str) -> Path:
    """Write UTF-8 text (no BOM, newlines as given) to ``path``, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(text.encode("utf-8"))
    return path


def feature(geom: shapely.Geometry, properties: Mapping[str, Any]) -> dict[str, Any]:
    """A GeoJSON Feature (RFC 7946: exterior rings counter-clockwise)."""
    oriented = shapely.orient_polygons(geom) if geom.geom_type.endswith("Polygon") else geom
    return {
        "type": "Feature",
        "properties": dict(properties),
        "geometry": shapely.geometry.mapping(oriented),
    }


def write_geojson(
    path: Path, features: Sequence[Mapping[str, Any]], members: Mapping[str, Any]
) -> Path:
    """Write a GeoJSON FeatureCollection in EPSG:4326, one feature per line.

    Args:
        path: Target file.
        features: The features (see :func:`feature`).
        members: Extra top-level members written before the features (RFC 7946
            foreign members), e.g. ``{"illustrative": True, "description": ...}``.

    Returns:
        ``path``.
    """
    head = {"type": "FeatureCollection", **members}
    opening = json.dumps(head, ensure_ascii=False)[:-1]
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features]
    text = opening + ', "features": [\n' + ",\n".join(lines) + "\n]}\n"
    return write_text(path, text)


def write_csv(
    path: Path, comment: str, header: Sequence[str], rows: Sequence[Sequence[str | float]]
) -> Path:
    """Write a CSV file whose first line is ``comment`` (starting with ``#``)."""
    if not comment.startswith("#"):
        raise ValueError("the comment line of the CSV must start with '#'")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return write_text(path, comment + "\n" + buffer.getvalue())


def edge_exact_coords(origin: float, step: float, count: int) -> FloatArray:
    """Cell-centre coordinates from which rioxarray recomputes the exact grid.

    ``write_cog`` takes the transform from ``rio.transform(recalc=True)``, that is
    from the first and last coordinates: ``(last - first) / (count - 1)`` must
    give back ``step`` and ``first - step / 2`` the ``origin``, bit for bit. The
    last centre is moved by a few ulps to the float that does so.

    Raises:
        ValueError: No float does (choose another extent; see ``grids.py``).
    """
    coords = np.asarray(origin + (np.arange(count) + 0.5) * step, dtype=np.float64)
    first = coords[0]
    candidates = [coords[-1]]
    up = down = coords[-1]
    for _ in range(64):
        up, down = np.nextafter(up, np.inf), np.nextafter(down, -np.inf)
        candidates += [up, down]
    exact = [c for c in candidates if (c - first) / (count - 1) == step]
    if first - step / 2 != origin or not exact:
        raise ValueError(
            f"no float coordinates give back the grid (origin {origin}, step {step}, "
            f"{count} cells) exactly: choose another extent"
        )
    coords[-1] = exact[0]
    return coords


def write_raster(
    path: Path,
    values: FloatArray,
    grid: Grid,
    *,
    units: str,
    description: str,
    source: str,
) -> Path:
    """Write a float32 Cloud-Optimized GeoTIFF with NaN as nodata.

    Args:
        path: Target ``.tif``.
        values: Array of the grid's shape (rows, cols), north row first; NaN is nodata.
        grid: The grid (CRS and transform of the file).
        units: Units of the values (also the band unit).
        description: What the values are (also the band description).
        source: Where the values come from.

    Returns:
        ``path``.
    """
    if values.shape != grid.shape:
        raise ValueError(f"values of shape {values.shape} do not fit the grid {grid.shape}")
    da = xr.DataArray(
        values.astype(np.float32),
        dims=("y", "x"),
        coords={
            "y": edge_exact_coords(grid.north, -grid.res, grid.height),
            "x": edge_exact_coords(grid.west, grid.res, grid.width),
        },
    ).rio.write_crs(grid.crs)
    tags = {
        "units": units,
        "description": description,
        "illustrative": ILLUSTRATIVE,
        "source": source,
    }
    return write_cog(da, path, nodata=float("nan"), dtype="float32", tags=tags)


def _packed(values: FloatArray, scale: float, offset: float) -> np.ndarray:
    """Values packed as int16 with CF ``scale_factor``/``add_offset``; NaN to the fill value."""
    packed = np.round((values - offset) / scale)
    if np.nanmax(np.abs(packed)) >= 32767:
        raise ValueError("values do not fit int16 with this scale and offset")
    return np.where(np.isnan(packed), INT16_FILL, packed).astype(np.int16)


def write_climate_netcdf(path: Path, climate: DailyClimate, attrs: Mapping[str, str]) -> Path:
    """Write the daily climate as CF-1.8 NetCDF-4, int16-packed, zlib + shuffle.

    Args:
        path: Target ``.nc``.
        climate: The series (tasmax in degC, pr in mm/day).
        attrs: Global attributes (title, source, history, ...), written in order
            after ``Conventions``.

    Returns:
        ``path``.
    """
    with atomic_path(path) as tmp:
        _write_netcdf(tmp, climate, attrs)
    return path


def _write_netcdf(path: Path, climate: DailyClimate, attrs: Mapping[str, str]) -> None:
    start = climate.time[0]
    days = (climate.time - start).astype(np.int32)
    chunks = (min(TIME_CHUNK, len(days)), len(climate.lat), len(climate.lon))
    with netCDF4.Dataset(path, "w", format="NETCDF4") as ds:
        ds.setncattr("Conventions", "CF-1.8")
        for key, value in attrs.items():
            ds.setncattr(key, value)
        ds.createDimension("time", len(days))
        ds.createDimension("lat", len(climate.lat))
        ds.createDimension("lon", len(climate.lon))
        ds.createDimension("bnds", 2)
        time = ds.createVariable("time", "i4", ("time",))
        time.setncatts(
            {
                "standard_name": "time",
                "long_name": "time",
                "units": f"days since {start} 00:00:00",
                "calendar": "standard",
                "axis": "T",
            }
        )
        time[:] = days
        for name, values, kind in (
            ("lat", climate.lat, "latitude"),
            ("lon", climate.lon, "longitude"),
        ):
            coord = ds.createVariable(name, "f8", (name,))
            coord.setncatts(
                {
                    "standard_name": kind,
                    "long_name": kind,
                    "units": "degrees_north" if name == "lat" else "degrees_east",
                    "axis": "Y" if name == "lat" else "X",
                    "bounds": f"{name}_bnds",
                }
            )
            coord[:] = values
            step = float(np.abs(np.diff(values)).mean())
            bounds = ds.createVariable(f"{name}_bnds", "f8", (name, "bnds"))
            bounds[:] = np.column_stack([values - step / 2, values + step / 2])
        crs = ds.createVariable("crs", "i4")
        crs.setncatts(
            {
                "grid_mapping_name": "latitude_longitude",
                "longitude_of_prime_meridian": 0.0,
                "semi_major_axis": 6378137.0,
                "inverse_flattening": 298.257223563,
                "crs_wkt": WGS84_WKT,
                "epsg_code": "EPSG:4326",
            }
        )
        crs[...] = 0
        variables = (
            (
                "tasmax",
                climate.tasmax_c + TASMAX_OFFSET_K,
                TASMAX_SCALE_K,
                TASMAX_OFFSET_K,
                {
                    "standard_name": "air_temperature",
                    "long_name": "Daily maximum near-surface air temperature (illustrative)",
                    "units": "K",
                    "cell_methods": "time: maximum",
                    "coordinates": "height",
                },
            ),
            (
                "pr",
                climate.pr_mm / 86_400.0,
                PR_SCALE,
                0.0,
                {
                    "standard_name": "precipitation_flux",
                    "long_name": "Daily precipitation (illustrative); 1 kg m-2 s-1 = 86400 mm/day",
                    "units": "kg m-2 s-1",
                    "cell_methods": "time: mean",
                },
            ),
        )
        height = ds.createVariable("height", "f8")
        height.setncatts(
            {
                "standard_name": "height",
                "long_name": "height",
                "units": "m",
                "positive": "up",
                "axis": "Z",
            }
        )
        height[...] = 2.0
        for name, values, scale, offset, attributes in variables:
            var = ds.createVariable(
                name,
                "i2",
                ("time", "lat", "lon"),
                zlib=True,
                complevel=6,
                shuffle=True,
                chunksizes=chunks,
                fill_value=INT16_FILL,
            )
            var.set_auto_maskandscale(False)
            var.setncatts(
                {
                    **attributes,
                    "scale_factor": np.float64(scale),
                    "add_offset": np.float64(offset),
                    "grid_mapping": "crs",
                    "illustrative": ILLUSTRATIVE,
                }
            )
            var[:] = _packed(values, scale, offset)
