"""District tables keyed to other districts: transfer them onto the build's boundaries.

Kyzylorda's districts have been renamed and redrawn over the years, and statistics
(vulnerability, coping capacity) often come keyed to another district set than the
boundaries a build uses. Without a transfer every row misses, every risk is "no data".
Two remedies, both set on the table's input in ``build.toml``:

* ``boundaries = "old_districts.geojson"`` (and ``boundaries_id_field`` when its id
  field is not the table's): the table belongs to those districts, and its values are
  **transferred by population-weighted areal interpolation**. Each new district is cut
  by the old ones (:func:`geopandas.overlay`); each piece weighs the people living in it
  (the build's population density averaged over the piece, times its area; by area
  alone where the build has no population or nobody lives in the district); a new
  district's value of an indicator is the weighted mean of the old districts' values.
  The indicators are *intensive* (shares, rates per 10,000, minutes), so a mean, not a
  sum, is right. The weights are written to ``transfer/<input>_weights.csv`` and the
  transferred table to ``transfer/<input>.csv``; every district gets
  ``table_transferred`` = 1 and its confidence is lowered one step (scoring).
* ``match = "name"`` (with ``name_field``, the table's name column): rows are matched to
  districts by name in any language the build knows (the district file's ``name_field``
  and ``names``), compared without case, punctuation or the words for "district".

Why not tobler: its intensive interpolation weighs by area (or a binary raster mask),
not by a continuous population raster; the build already holds population on its grid
and averages it over polygons with the same :class:`~aralrisk.geo.zonal.ZoneIndex` it
uses for district populations, so the weights agree with the build's own numbers
without another dependency.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import xarray as xr

from aralrisk.geo.errors import ConfigError, InputError, recording_input_warnings
from aralrisk.geo.grid import GridSpec
from aralrisk.geo.io import read_districts
from aralrisk.geo.vectors import geodesic_area_km2
from aralrisk.geo.zonal import ZoneIndex
from aralrisk.layers.config import InputConfig

__all__ = ["interpolate", "normalise_name", "overlap_weights"]

#: Folder of the transferred tables and their weights in a build.
FOLDER = "transfer"
#: Words for "district" dropped before names are compared (en, kk, ru, transliterated).
DISTRICT_WORDS = frozenset(
    {
        "district",
        "rayon",
        "raion",
        "audany",
        "audani",
        "ауданы",
        "аудан",
        "район",
        "г",
        "city",
        "қ",
        "қаласы",
    }
)


def normalise_name(name: object) -> str:
    """A name reduced for matching: lower case, no accents, punctuation or "district".

    Examples:
        >>> normalise_name("Аральский район"), normalise_name("Aral district")
        ('аральский', 'aral')
        >>> normalise_name("Қармақшы ауданы") == normalise_name("қармақшы")
        True
    """
    text = unicodedata.normalize("NFKC", str(name)).casefold()
    words = re.findall(r"\w+", text)
    return " ".join(w for w in words if w not in DISTRICT_WORDS)


def overlap_weights(
    old: gpd.GeoDataFrame,
    old_id: str,
    new: gpd.GeoDataFrame,
    new_id: str,
    grid: GridSpec | None = None,
    density: xr.DataArray | None = None,
) -> pd.DataFrame:
    """Pieces of each new district cut by the old ones, with their area and people.

    Args:
        old: The districts the table is keyed to (any CRS).
        old_id: Their id field.
        new: The build's districts.
        new_id: Their id field.
        grid: The build grid (with ``density``).
        density: People per km2 on ``grid`` (the build's ``population`` layer), or None.

    Returns:
        Rows ``new``, ``old``, ``area_km2``, ``people`` (NaN without ``density``) and
        ``weight`` (the piece's share of its new district: by people where the new
        district has any, else by area); one row per piece.

    Examples:
        >>> from shapely.geometry import box
        >>> old = gpd.GeoDataFrame({"id": ["a", "b"]},
        ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs="EPSG:4326")
        >>> new = gpd.GeoDataFrame({"code": ["X"]}, geometry=[box(0.5, 0, 2, 1)], crs="EPSG:4326")
        >>> w = overlap_weights(old, "id", new, "code")
        >>> w[["new", "old"]].values.tolist(), w["weight"].round(3).tolist()
        ([['X', 'a'], ['X', 'b']], [0.333, 0.667])
    """
    left = gpd.GeoDataFrame(
        {"new": new[new_id].astype(str).to_numpy()}, geometry=new.geometry.to_numpy(), crs=new.crs
    ).to_crs("EPSG:4326")
    right = gpd.GeoDataFrame(
        {"old": old[old_id].astype(str).to_numpy()}, geometry=old.geometry.to_numpy(), crs=old.crs
    ).to_crs("EPSG:4326")
    pieces = gpd.overlay(left, right, how="intersection", keep_geom_type=True)
    pieces = pieces[~pieces.geometry.is_empty].reset_index(drop=True)
    # Geodesic areas (WGS 84), as the build reports district areas.
    pieces["area_km2"] = [geodesic_area_km2(g) for g in pieces.geometry]
    pieces["people"] = np.nan
    if density is not None and grid is not None and len(pieces):
        pieces["piece"] = [f"p{k}" for k in range(len(pieces))]
        # Mean density times area: a sliver smaller than a cell gets its share of the
        # cell under it (the small-zone rule), not the whole cell's people.
        stats = ZoneIndex(pieces[["piece", "geometry"]], grid, "piece").stats(density)
        pieces["people"] = (
            np.nan_to_num(np.asarray(stats.mean, dtype=np.float64)) * pieces["area_km2"].to_numpy()
        )
    by_people = pieces.groupby("new")["people"].transform("sum")
    by_area = pieces.groupby("new")["area_km2"].transform("sum")
    pieces["weight"] = np.where(
        by_people > 0,
        pieces["people"] / by_people.where(by_people > 0),
        pieces["area_km2"] / by_area,
    )
    return pd.DataFrame(pieces[["new", "old", "area_km2", "people", "weight"]])


def interpolate(table: pd.DataFrame, weights: pd.DataFrame) -> pd.DataFrame:
    """Intensive values of the old districts (rows of ``table``) onto the new ones.

    Per indicator, a new district's value is the weighted mean over its pieces whose old
    district has a value (the weights renormalised over those); NaN if none has.

    Examples:
        >>> table = pd.DataFrame({"poverty": [10.0, 40.0]}, index=["a", "b"])
        >>> weights = pd.DataFrame({"new": ["X", "X"], "old": ["a", "b"], "weight": [0.25, 0.75]})
        >>> interpolate(table, weights).loc["X", "poverty"]
        np.float64(32.5)
    """
    values = table.reindex(weights["old"].to_numpy()).to_numpy(dtype=np.float64)
    w = weights["weight"].to_numpy(dtype=np.float64)[:, None] * np.isfinite(values)
    frame = pd.DataFrame(np.nan_to_num(values) * w, columns=table.columns)
    frame["new"] = weights["new"].to_numpy()
    sums = frame.groupby("new", sort=False).sum()
    totals = (
        pd.DataFrame(w, columns=table.columns)
        .assign(new=frame["new"])
        .groupby("new", sort=False)
        .sum()
    )
    return (sums / totals.where(totals > 0)).astype(np.float64)


def match_names(
    table_names: pd.Series, districts: gpd.GeoDataFrame, id_field: str, name_fields: Sequence[str]
) -> dict[str, str]:
    """Table row label -> district id, matching names in any of the district's languages.

    Raises:
        InputError: A table name matches two districts.
    """
    known: dict[str, str] = {}
    for field in name_fields:
        if field not in districts:
            continue
        for code, name in zip(districts[id_field].astype(str), districts[field], strict=True):
            if pd.notna(name) and normalise_name(name):
                known.setdefault(normalise_name(name), code)
    found: dict[str, str] = {}
    for label, name in table_names.items():
        key = normalise_name(name)
        if key in known:
            if known[key] in found.values():
                raise InputError(
                    f"two rows of the table match district {known[key]!r} by name "
                    f"({name!r} is one): make the names unique or match by code"
                )
            found[str(label)] = known[key]
    return found


def prepare(
    inputs: Mapping[str, InputConfig],
    names: Sequence[str],
    districts: gpd.GeoDataFrame,
    id_field: str,
    name_fields: Sequence[str],
    grid: GridSpec,
    density: xr.DataArray | None,
    work: Path,
) -> tuple[dict[str, InputConfig], dict[str, dict[str, object]]]:
    """The table inputs ``names``, transferred or matched onto the build's districts.

    Each input with ``boundaries`` or ``match = "name"`` is rewritten as a CSV keyed by
    the build's ids in ``work/transfer/`` and its config points there; others are kept.

    Returns:
        The inputs to read, and per rewritten input what was done (for the manifest):
        ``method``, ``file``, ``weights`` (areal transfer), ``transferred`` (district ids
        whose values were transferred) and ``unmatched`` (name matching).

    Raises:
        ConfigError: ``match = "name"`` without ``name_field``.
        InputError: The boundaries or the table cannot be read, or share no area.
    """
    out = dict(inputs)
    report: dict[str, dict[str, object]] = {}
    codes = districts[id_field].astype(str)
    for name in dict.fromkeys(names):
        source = inputs[name]
        if source.kind != "table" or (source.boundaries is None and source.match == "code"):
            continue
        if not source.id_field:
            raise ConfigError(f"input {name!r} is a table: set its id_field (the district code)")
        table = pd.read_csv(source.path, comment="#", dtype={source.id_field: str})
        table[source.id_field] = table[source.id_field].astype(str).str.strip()
        numeric = [c for c in table.columns if c != source.id_field and c != source.name_field]
        numeric = [c for c in numeric if pd.api.types.is_numeric_dtype(table[c])]
        folder = work / FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        if source.match == "name":
            if not source.name_field or source.name_field not in table:
                raise ConfigError(
                    f"inputs.{name}.name_field: match = 'name' needs the table's name column"
                )
            found = match_names(
                table.set_index(source.id_field)[source.name_field],
                districts,
                id_field,
                name_fields,
            )
            matched = table[table[source.id_field].isin(found)].copy()
            matched[source.id_field] = matched[source.id_field].map(found)
            unmatched = sorted(set(codes) - set(found.values()))
            rows = matched.set_index(source.id_field)[numeric]
            entry: dict[str, object] = {"method": "name", "unmatched": unmatched}
            transferred: list[str] = []
        else:
            boundaries = source.boundaries
            if boundaries is None:  # match = "code" with boundaries is the only way here
                continue
            old_id = source.boundaries_id_field or source.id_field
            # The old file's own warnings (reprojection, repairs) are not the build's.
            with recording_input_warnings(mute=True):
                old = read_districts(boundaries, old_id)
            weights = overlap_weights(old, old_id, districts, id_field, grid, density)
            if weights.empty:
                raise InputError(
                    f"{boundaries.name} and the build's districts do not overlap: "
                    f"is inputs.{name}.boundaries the file {source.path.name} belongs to?"
                )
            rows = interpolate(table.set_index(source.id_field)[numeric], weights)
            weights_file = folder / f"{name}_weights.csv"
            weights.to_csv(weights_file, index=False)
            transferred = sorted(set(rows.index))
            entry = {
                "method": "population-weighted areal interpolation",
                "boundaries": boundaries.name,
                "weights": f"{FOLDER}/{weights_file.name}",
            }
        written = folder / f"{name}.csv"
        rows.rename_axis(source.id_field).reset_index().to_csv(written, index=False)
        entry |= {"file": f"{FOLDER}/{written.name}", "transferred": transferred}
        report[name] = entry
        out[name] = source.model_copy(
            update={"path": written, "boundaries": None, "match": "code", "name_field": None}
        )
    return out, report


def transferred_flag(report: Mapping[str, Mapping[str, object]], ids: Sequence[str]) -> np.ndarray:
    """1.0 for districts whose table values were transferred from other boundaries, else 0."""
    moved: set[str] = set()
    for entry in report.values():
        moved |= {str(i) for i in entry.get("transferred", [])}  # type: ignore[attr-defined]
    return np.array([1.0 if str(i) in moved else 0.0 for i in ids])
