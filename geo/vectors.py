"""Vector files: read and validate district (zone) files, write result tables.

:func:`read_districts` and :func:`write_vectors` are re-exported by :mod:`geo.io`;
import them from there.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyogrio.errors import DataSourceError
from pyproj import Geod

from aralrisk.geo._files import PathLike, atomic_path, base_name, require_file
from aralrisk.geo.csvfiles import csv_bytes, csvt
from aralrisk.geo.errors import InputError, warn_input

OUTPUT_CRS = "EPSG:4326"
# Two districts may share a border digitised twice; an overlap larger than this share
# of the smaller district is a real overlap (a cell would be counted twice), not a sliver.
OVERLAP_SLIVER_FRACTION = 1e-3
_PARQUET_SUFFIXES = (".parquet", ".geoparquet")
_POLYGONAL = ("Polygon", "MultiPolygon")
_LIST_LIMIT = 5
VECTOR_FORMATS = ("gpkg", "geojson", "parquet", "csv")
#: What a district code may be: it is a URL path segment (``/districts/{code}``), a file
#: name part (``report-{code}.pdf``) and a CSV cell, so 1-64 ASCII letters, digits,
#: ``_``, ``.`` or ``-``, starting with a letter or digit (no ``/``, ``..`` at the
#: start, spaces, quotes, ``<``, control characters or formula signs).
DISTRICT_CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
_DISTRICT_CODE = re.compile(DISTRICT_CODE_PATTERN)
_WGS84 = Geod(ellps="WGS84")


def geodesic_area_km2(geometry: shapely.Geometry) -> float:
    """Area of a lon/lat (EPSG:4326) polygon or multipolygon on the WGS 84 ellipsoid, km2.

    Exact on the ellipsoid (pyproj's ``Geod``), whatever the size of the polygon or its
    latitude; holes are subtracted. A frame in another CRS: ``to_crs(4326)`` first.
    """
    return abs(_WGS84.geometry_area_perimeter(geometry)[0]) / 1e6


def read_districts(
    path: PathLike,
    id_field: str,
    name_field: str | None = None,
    *,
    layer: str | None = None,
) -> gpd.GeoDataFrame:
    """Read district polygons, check them, repair what can be repaired.

    Reads GeoJSON, GeoPackage, Shapefile (or any vector format GDAL reads through
    pyogrio) and GeoParquet (by the ``.parquet``/``.geoparquet`` suffix).

    Args:
        path: The vector file.
        id_field: Column holding a unique, non-empty district code (e.g.
            ``"ADM2_PCODE"``). It is returned as strings under the same column name.
        name_field: Optional column with a readable name, used in messages only.
        layer: Layer to read from a multi-layer file such as a GeoPackage.

    Returns:
        The districts in EPSG:4326 (longitude, latitude in degrees) with every
        attribute kept, a fresh ``RangeIndex``, and valid Polygon/MultiPolygon
        geometries in 2-D.

    Raises:
        InputError: The file is missing, unreadable or empty, has no CRS, lacks the
            id or name field, has missing or duplicate ids or ids that cannot be
            served as district codes (:data:`DISTRICT_CODE_PATTERN`), or holds empty
            or non-polygon geometries.

    Warns:
        InputWarning: The file was reprojected to EPSG:4326, an invalid geometry was
            repaired (naming the district), or two districts overlap by more than a
            sliver (naming the pair).

    Examples:
        The tiny world's four districts:

        >>> districts = read_districts(world_dir / "districts.geojson", "code", "name")
        >>> districts[["code", "name"]].values.tolist(), districts.crs.to_epsg()
        ([['A', 'Alpha'], ['B', 'Bravo'], ['C', 'Charlie'], ['D', 'Delta']], 4326)
    """
    name = base_name(path)
    require_file(path, "district file")
    gdf = _read_vector(path, layer)
    if len(gdf) == 0:
        raise InputError(f"{name} has no features: export the districts again, with their polygons")
    if gdf.crs is None:
        raise InputError(
            f"{name} has no CRS: set one, e.g. with `gdf.set_crs('EPSG:4326')` or "
            "`ogr2ogr -a_srs EPSG:4326`"
        )
    gdf = gdf.reset_index(drop=True)
    fields = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    for field, role in ((id_field, "id_field"), (name_field, "name_field")):
        if field is not None and field not in fields:
            raise InputError(
                f"{name} has no field {field!r}: pass one of {', '.join(fields) or '(none)'} "
                f"as {role}"
            )
    gdf[id_field] = _ids_as_strings(gdf[id_field], name, id_field)
    labels = _district_labels(gdf, id_field, name_field)

    geoms = shapely.force_2d(gdf.geometry.to_numpy())
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if empty.any():
        raise InputError(
            f"{name} has districts without geometry ({_list(labels[empty])}): "
            "draw their polygons or remove them"
        )
    gdf = gdf.set_geometry(geoms, crs=gdf.crs)
    if not gdf.crs.equals(OUTPUT_CRS):
        warn_input(
            f"{name} is in {gdf.crs.to_string()}; it was reprojected to {OUTPUT_CRS}",
            stacklevel=2,
        )
        gdf = gdf.to_crs(OUTPUT_CRS)
    gdf = gdf.set_geometry(_polygonal(gdf.geometry.to_numpy(), labels, name), crs=OUTPUT_CRS)
    _warn_overlaps(gdf.geometry.to_numpy(), labels, name)
    return gdf


def _read_vector(path: PathLike, layer: str | None) -> gpd.GeoDataFrame:
    name = base_name(path)
    hint = "provide GeoJSON, GeoPackage, Shapefile or GeoParquet"
    if str(path).lower().endswith(_PARQUET_SUFFIXES):
        try:
            return gpd.read_parquet(path)
        except Exception as err:  # pyarrow and geopandas raise many types here
            raise InputError(f"{name} is not a readable GeoParquet file: {hint}") from err
    try:
        layers = pyogrio.list_layers(path)
        if layer is None and len(layers) > 1:
            names = ", ".join(str(row[0]) for row in layers)
            raise InputError(f"{name} has several layers ({names}): choose one with layer=...")
        if layer is not None and layer not in {str(row[0]) for row in layers}:
            names = ", ".join(str(row[0]) for row in layers)
            raise InputError(f"{name} has no layer {layer!r}: choose one of {names}")
        frame = gpd.read_file(path, layer=layer, engine="pyogrio")
    except DataSourceError as err:
        raise InputError(f"{name} is not a readable vector file: {hint}") from err
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame.columns:
        raise InputError(f"{name} has no geometry column: {hint} with district polygons")
    return frame


def _ids_as_strings(ids: pd.Series, name: str, id_field: str) -> pd.Series:
    missing = ids.isna().to_numpy().copy()  # pandas may hand out a read-only view
    if ids.dtype.kind == "f" and not missing.any() and np.all(np.mod(ids.to_numpy(), 1) == 0):
        # Integer codes stored as floats (Shapefile, CSV joins) read back as "12", not "12.0".
        ids = ids.astype("int64")
    as_text = ids.astype(str).where(~missing, "")
    missing |= (as_text.str.strip() == "").to_numpy()
    if missing.any():
        rows = np.flatnonzero(missing) + 1
        raise InputError(
            f"{name} has features without {id_field} (feature {_list(rows)}): "
            "fill in their codes or remove them"
        )
    unservable = [code for code in as_text if not _DISTRICT_CODE.fullmatch(code)]
    if unservable:
        # Caught here, at build time: such a code could never be asked for over HTTP.
        shown = ", ".join(repr(code[:40]) for code in unservable[:_LIST_LIMIT])
        raise InputError(
            f"{name} has {id_field} values that cannot be district codes ({shown}): "
            "use 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit"
        )
    duplicated = as_text[as_text.duplicated(keep=False)].unique()
    if len(duplicated):
        raise InputError(
            f"{name} has duplicate {id_field} values ({_list(duplicated)}): "
            "give every district its own code"
        )
    return as_text


def _district_labels(gdf: gpd.GeoDataFrame, id_field: str, name_field: str | None) -> np.ndarray:
    ids = gdf[id_field].to_numpy(dtype=object)
    if name_field is None:
        return ids
    names = gdf[name_field].astype(str).to_numpy(dtype=object)
    return np.array([f"{n} ({i})" for i, n in zip(ids, names, strict=True)], dtype=object)


def _polygonal(geoms: np.ndarray, labels: np.ndarray, name: str) -> np.ndarray:
    """Return valid polygonal geometries, repairing invalid ones with a warning."""
    types = shapely.get_type_id(geoms)
    polygonal_types = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)
    collection = types == shapely.GeometryType.GEOMETRYCOLLECTION
    wrong = ~np.isin(types, polygonal_types) & ~collection
    if wrong.any():
        kinds = sorted({g.geom_type for g in geoms[wrong]})
        raise InputError(
            f"{name} has non-polygon geometries ({'/'.join(kinds)}) for {_list(labels[wrong])}: "
            "districts must be Polygon or MultiPolygon"
        )
    broken = collection | ~shapely.is_valid(geoms)
    out = geoms.copy()
    for i in np.flatnonzero(broken):
        repaired = _polygon_parts(shapely.make_valid(geoms[i], method="structure"))
        if repaired is None:
            raise InputError(
                f"{name}: district {labels[i]} has no area left after repairing its geometry: "
                "redraw its polygon"
            )
        reason = shapely.is_valid_reason(geoms[i])
        warn_input(
            f"{name}: district {labels[i]} had an invalid geometry ({reason}); it was repaired "
            "with shapely.make_valid, keeping only its polygonal parts",
            stacklevel=3,
        )
        out[i] = repaired
    return out


def _polygon_parts(geom: shapely.Geometry) -> shapely.Geometry | None:
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in _POLYGONAL and not p.is_empty]
    if not parts:
        return None
    merged = shapely.union_all(parts) if len(parts) > 1 else parts[0]
    return merged if merged.area > 0 else None


def _warn_overlaps(geoms: np.ndarray, labels: np.ndarray, name: str) -> None:
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    if not len(left):
        return
    areas = shapely.area(geoms)
    # Areas in square degrees: their ratio is what matters, and it is nearly
    # independent of latitude over one district pair.
    shared = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    share = shared / np.minimum(areas[left], areas[right])
    for i, j, s in zip(left, right, share, strict=True):
        if s > OVERLAP_SLIVER_FRACTION:
            warn_input(
                f"{name}: districts {labels[i]} and {labels[j]} overlap ({s:.1%} of the "
                "smaller one); cells there count for one district only — fix the borders",
                stacklevel=3,
            )


def _list(items: Sequence[object] | np.ndarray) -> str:
    shown = [str(x) for x in list(items)[:_LIST_LIMIT]]
    more = len(items) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def write_vectors(
    gdf: gpd.GeoDataFrame,
    stem: PathLike,
    formats: Sequence[str] = VECTOR_FORMATS,
) -> list[Path]:
    """Write one table as GeoPackage, GeoJSON, GeoParquet and/or CSV.

    Each file is written under a temporary name in its folder and renamed when
    complete. ``stem`` gets the suffix of each format (``districts`` gives
    ``districts.gpkg``, ``districts.geojson``, ``districts.parquet``, ``districts.csv``).

    * GeoPackage: in the table's CRS, layer named after ``stem``.
    * GeoJSON: RFC 7946 — EPSG:4326 longitude/latitude, counter-clockwise outer rings,
      coordinates rounded to 6 decimals (about 0.1 m).
    * GeoParquet: in the table's CRS; list and dict columns stay nested when pyarrow
      can store them.
    * CSV (UTF-8 with BOM, formula-like text escaped, :mod:`geo.csvfiles`): attributes
      without geometry, plus ``centroid_lon``/``centroid_lat`` in degrees (EPSG:4326),
      computed in a local equal-area projection; GDAL's column types go to ``.csvt``
      beside it (not among the returned paths).

    Columns holding lists or dicts are JSON-encoded in GeoPackage, GeoJSON and CSV
    (and in GeoParquet only when pyarrow cannot store them nested).

    Args:
        gdf: The table, with a CRS.
        stem: Output path without suffix; its folder is created if needed.
        formats: Any of ``"gpkg"``, ``"geojson"``, ``"parquet"``, ``"csv"``.

    Returns:
        The written paths, in the order of ``formats``.

    Raises:
        InputError: An unknown format was asked for, or ``gdf`` has no CRS.

    Examples:
        >>> import geopandas as gpd
        >>> from shapely.geometry import box
        >>> zones = gpd.GeoDataFrame({"code": ["W", "E"]}, crs="EPSG:4326",
        ...                          geometry=[box(60, 44, 61, 45), box(61, 44, 62, 45)])
        >>> [p.name for p in write_vectors(zones, tmp / "zones", ["geojson", "csv"])]
        ['zones.geojson', 'zones.csv']
        >>> import pandas as pd
        >>> pd.read_csv(tmp / "zones.csv", encoding="utf-8-sig").columns.tolist()
        ['code', 'centroid_lon', 'centroid_lat']
    """
    unknown = [f for f in formats if f not in VECTOR_FORMATS]
    if unknown:
        raise InputError(
            f"unknown vector format {', '.join(unknown)}: choose from {', '.join(VECTOR_FORMATS)}"
        )
    if gdf.crs is None:
        raise InputError("the table has no CRS: set one with `gdf.set_crs(...)` before writing")
    stem = Path(stem)
    flat = json_encode_nested(gdf)
    written = []
    for fmt in formats:
        target = stem.with_name(f"{stem.name}.{fmt}")
        with atomic_path(target) as tmp:
            if fmt == "gpkg":
                flat.to_file(tmp, driver="GPKG", layer=stem.name, engine="pyogrio")
            elif fmt == "geojson":
                flat.to_crs(OUTPUT_CRS).to_file(
                    tmp,
                    driver="GeoJSON",
                    engine="pyogrio",
                    layer=stem.name,  # else the collection is named after the temp file
                    RFC7946="YES",
                    COORDINATE_PRECISION=6,
                )
            elif fmt == "parquet":
                _write_parquet(gdf, flat, tmp)
            else:
                tmp.write_bytes(csv_bytes(csv_table(flat)))
        if fmt == "csv":
            # GDAL's column types beside the CSV, so QGIS keeps codes as text.
            with atomic_path(target.with_suffix(".csvt")) as tmp:
                tmp.write_text(csvt(csv_table(flat.head(0))), encoding="ascii")
        written.append(target)
    return written


def _is_nested(value: Any) -> bool:
    return isinstance(value, list | tuple | dict | np.ndarray)


def json_encode_nested(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A copy of ``gdf`` with list and dict columns JSON-encoded (for flat formats)."""
    out = gdf.copy()
    # Names and dtypes read once: selecting a column of a GeoDataFrame (``out.geometry``
    # too) costs about 0.1 ms, many times over for a wide table.
    geometry = gdf.geometry.name
    for column, dtype in gdf.dtypes.items():
        if column == geometry or dtype != np.dtype(object):
            continue
        if out[column].map(_is_nested).any():
            out[column] = out[column].map(
                lambda v: (
                    json.dumps(v, ensure_ascii=False, default=_json_default) if _is_nested(v) else v
                )
            )
    return out


def _json_default(value: Any) -> Any:
    if isinstance(value, np.ndarray | np.generic):
        return value.tolist()
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def _write_parquet(gdf: gpd.GeoDataFrame, flat: gpd.GeoDataFrame, path: Path) -> None:
    import pyarrow as pa

    try:
        gdf.to_parquet(path, index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        # Mixed-type lists or dicts with varying keys: store them as JSON text.
        flat.to_parquet(path, index=False)


def csv_table(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    """Attributes without geometry plus ``centroid_lon``/``centroid_lat`` in degrees."""
    table = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    if len(gdf) == 0:
        table["centroid_lon"] = pd.Series(dtype=float)
        table["centroid_lat"] = pd.Series(dtype=float)
        return table
    # Centroids in degrees are skewed; take them in an equal-area projection centred
    # on the data instead, then convert the points back to longitude/latitude.
    lon0, lat0, lon1, lat1 = gdf.to_crs(OUTPUT_CRS).total_bounds
    local = f"+proj=laea +lat_0={(lat0 + lat1) / 2} +lon_0={(lon0 + lon1) / 2} +datum=WGS84"
    centroids = gdf.geometry.to_crs(local).centroid.to_crs(OUTPUT_CRS)
    table["centroid_lon"] = centroids.x.to_numpy()
    table["centroid_lat"] = centroids.y.to_numpy()
    return table
