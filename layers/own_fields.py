"""The districts as the user gave them, with the results: every field, their CRS.

The build's ``districts.*`` files are the service's: EPSG:4326, the id as ``code`` and
the name as ``name``, rank order. An analyst joining the results back to an agency's
own boundary layer wants the opposite: every attribute of the input file kept under
its own name (the id field as ``ADM2_PCODE`` if that is what it was called), the rows
in the file's order, and the file's CRS. Every build writes that too, as
``districts_input.gpkg``, ``.parquet`` and ``.csv`` (listed in the manifest under
``districts_input``).

The CRS is ``[output] crs`` in ``build.toml`` or ``aralrisk build --output-crs``:
``"input"`` (the default: the district file's own CRS) or any CRS (``"EPSG:32641"``).
Geometries are the build's (checked and, where invalid, repaired; reprojected back
from EPSG:4326, so coordinates match the input to well under a millimetre). A result
column whose name the input already uses is written with the prefix ``aralrisk_``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
from pyproj import CRS
from pyproj.exceptions import CRSError

from aralrisk.geo.errors import ConfigError, InputError
from aralrisk.geo.vectors import write_vectors

__all__ = ["as_given", "output_crs"]

#: File stem of the output (``.gpkg``, ``.parquet``, ``.csv``).
FILE = "districts_input"
FORMATS = ("gpkg", "parquet", "csv")
#: Prefix of a result column whose name the input already uses.
CLASH_PREFIX = "aralrisk_"


def input_crs(path: Path, layer: str | None = None) -> CRS:
    """The CRS the district file is stored in (before the build reprojected it).

    Raises:
        InputError: The file has no CRS or cannot be read.
    """
    try:
        if path.suffix.lower() in (".parquet", ".geoparquet"):
            crs = gpd.read_parquet(path).crs
        else:
            crs = pyogrio.read_info(path, layer=layer)["crs"]
    except Exception as err:  # pyogrio and pyarrow raise many kinds here
        raise InputError(f"{path.name}: cannot read its CRS") from err
    if crs is None:
        raise InputError(f"{path.name} has no CRS")
    return CRS.from_user_input(crs)


def output_crs(setting: str | None, path: Path, layer: str | None = None) -> CRS:
    """The CRS to write in: ``"input"`` (or ``None``) is the district file's own.

    Examples:
        >>> output_crs("EPSG:32641", Path("unused.geojson")).to_epsg()
        32641

    Raises:
        ConfigError: ``setting`` is not a CRS pyproj knows (naming ``output.crs``).
    """
    if setting is None or setting.strip().lower() == "input":
        return input_crs(path, layer)
    try:
        return CRS.from_user_input(setting)
    except CRSError as err:
        raise ConfigError(
            f"output.crs: {setting!r} is not a CRS; write 'input' or e.g. 'EPSG:32641'"
        ) from err


def as_given(
    districts: gpd.GeoDataFrame,
    results: gpd.GeoDataFrame,
    id_field: str,
    crs: CRS,
    given: list[str] | None = None,
) -> gpd.GeoDataFrame:
    """The input districts' attributes, then the results, in the input's row order.

    Args:
        districts: The districts as read (every attribute, ``id_field`` as strings).
        results: The build's district table (``code``, ``name``, results; any order).
        id_field: The input's id field (``results.code`` holds its values).
        crs: The CRS to return.
        given: The input's attribute names (default: every column of ``districts``).

    Returns:
        One row per input district: its attributes under their own names, then every
        result column but ``code``, ``name``, ``name_<lang>`` and ``note`` (the input's
        own fields say those), prefixed with :data:`CLASH_PREFIX` where the input uses
        the name; geometry in ``crs``.

    Examples:
        >>> from shapely.geometry import box
        >>> mine = gpd.GeoDataFrame({"PCODE": ["A"], "risk": ["own"], "ha": [12.0]},
        ...                         geometry=[box(0, 0, 1, 1)], crs="EPSG:4326")
        >>> built = gpd.GeoDataFrame({"code": ["A"], "name": ["A"], "risk": [4.2]},
        ...                          geometry=[box(0, 0, 1, 1)], crs="EPSG:4326")
        >>> as_given(mine, built, "PCODE", CRS("EPSG:3857")).columns.tolist()
        ['PCODE', 'risk', 'ha', 'aralrisk_risk', 'geometry']
    """
    geometry = districts.geometry.name
    own = [c for c in (given or list(districts.columns)) if c != geometry and c in districts]
    dropped = {"code", "name", "note"} | {c for c in results.columns if c.startswith("name_")}
    keep = [c for c in results.columns if c not in dropped and c != results.geometry.name]
    table = pd.DataFrame(results[keep]).set_axis(results["code"].astype(str))
    table = table.loc[districts[id_field].astype(str)]
    table.columns = [f"{CLASH_PREFIX}{c}" if c in own else c for c in table.columns]
    frame = pd.concat(
        [pd.DataFrame(districts[own]).reset_index(drop=True), table.reset_index(drop=True)],
        axis=1,
    )
    out = gpd.GeoDataFrame(frame, geometry=districts.geometry.to_numpy(), crs=districts.crs)
    return out.to_crs(crs)


def write(
    districts: gpd.GeoDataFrame,
    results: gpd.GeoDataFrame,
    id_field: str,
    name_field: str | None,
    setting: str | None,
    path: Path,
    layer: str | None,
    folder: Path,
) -> dict[str, Any]:
    """Write :func:`as_given` as ``districts_input.*`` into ``folder``; the manifest entry."""
    crs = output_crs(setting, path, layer)
    frame = as_given(districts, results, id_field, crs)
    written = write_vectors(frame, folder / FILE, FORMATS)
    return {
        "files": [p.name for p in written],
        "crs": crs.to_string(),
        "id_field": id_field,
        "name_field": name_field,
    }
