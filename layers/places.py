"""Settlements: who lives there, in which district, and which hazards reach them.

An optional build input (``[inputs.places]``, OpenStreetMap ``place`` points in the
sample) becomes one row per settlement, written into the build as ``places.geojson``,
``places.csv`` and ``places.gpkg`` (for QGIS, styled by layers/qgis.py; docs/methodology.md,
"Settlements"):

* **district**: the district polygon holding the point (boundary points count; a point
  outside every district is left out and counted in the manifest);
* **hazards at the point**: per hazard, the value of its exposure layer (its first layer
  when it has no exposure rule) in the build cell holding the point, and its level
  there: the highest of its low / medium / high criteria whose layer is *above* the
  criterion's threshold in that cell (the district rule without its area share), very
  low when none is, no data when its layers have no value;
* **hazards around it**: the highest such level over every build cell whose centre
  lies within ``radius_km`` of the point (or the point's own cell), so a village beside
  a flooded floodplain is flagged even if its own cell is dry;
* **people**: the build's people raster summed over the cells whose centre lies within
  ``radius_km`` of the point *and* nearer to it than to any other settlement, so two
  villages side by side never count the same people twice and a hamlet in the desert
  does not collect a town's people; ``people_exposed`` are those living in cells above
  a hazard's exposure threshold (as the district's people exposed are counted);
* **children under 5 and people over 65**: the settlement's people times its district's
  shares from the vulnerability table (no settlement-level ages exist; said so in print).

Distances are great-circle distances on a sphere of radius 6,371 km, computed as chord
lengths of unit vectors (so the grid may be in any CRS). Values are read from the
build's COGs one small window per settlement: nothing holds a whole layer in memory.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import rasterio
from pyproj import CRS, Transformer
from rasterio.windows import Window
from scipy.spatial import cKDTree

from aralrisk.geo import index
from aralrisk.geo.csvfiles import unescape, write_csv
from aralrisk.geo.errors import InputError
from aralrisk.geo.grid import GridSpec
from aralrisk.geo.vectors import write_vectors
from aralrisk.layers.registry import HazardSpec, Registry

#: The build input holding the settlements.
PLACES_INPUT = "places"
#: Radius (km) of a settlement's people and surroundings unless ``radius_km`` is set: about
#: the extent of a Kyzylorda village with its gardens, a short walk from its centre.
DEFAULT_RADIUS_KM = 3.0
#: Mean Earth radius (km, IUGG), for great-circle distances.
EARTH_RADIUS_KM = 6371.0088
#: Name fields read from the input (OpenStreetMap tags): column -> tag.
NAME_TAGS = {"name": "name", "name_kk": "name:kk", "name_ru": "name:ru", "name_en": "name:en"}
#: District vulnerability layers whose shares are applied to a settlement's people.
AGE_GROUPS = {"children_under5": "children_under5", "elderly_over65": "elderly_over65"}
WGS84 = CRS.from_epsg(4326)


def read_places(path: Path) -> gpd.GeoDataFrame:
    """Settlement points with their names, kind and id, in EPSG:4326.

    Columns: ``id`` (``osm_id`` when the file has it, else the row number), ``name``,
    ``name_kk``, ``name_ru``, ``name_en`` (empty when untagged), ``place`` (town, village,
    hamlet, isolated_dwelling...). Rows without a point geometry or a name are dropped;
    ``attrs["left_out_unnamed"]`` says how many.

    Raises:
        InputError: The file cannot be read, or holds no named point.
    """
    try:
        raw = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types for an unreadable file
        raise InputError(f"{path.name}: not a readable vector file of places ({exc})") from None
    if raw.crs is None:
        raw = raw.set_crs(WGS84)
    raw = raw.to_crs(WGS84)
    points = raw[raw.geometry.notna() & (raw.geometry.geom_type == "Point")]
    frame = pd.DataFrame(index=points.index)
    for column, tag in NAME_TAGS.items():
        values = points[tag] if tag in points else pd.Series("", index=points.index)
        frame[column] = [("" if pd.isna(v) else str(v).strip()) for v in values]
    frame = frame[frame["name"] != ""]
    if frame.empty:
        raise InputError(f"{path.name}: no named point; places need a `name` field")
    points = points.loc[frame.index]
    ids = points["osm_id"] if "osm_id" in points else pd.Series(range(len(points)), points.index)
    frame.insert(0, "id", [str(v) for v in ids])
    frame["place"] = [
        "" if pd.isna(v) else str(v) for v in points.get("place", pd.Series("", points.index))
    ]
    out = gpd.GeoDataFrame(frame, geometry=points.geometry.to_numpy(), crs=WGS84)
    out = out.reset_index(drop=True)
    # Counted for the manifest: a place without a name can be neither searched nor printed.
    out.attrs["left_out_unnamed"] = len(raw) - len(out)
    return out


def _unit_vectors(lon: npt.ArrayLike, lat: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Points on the unit sphere, shape (n, 3): chord distances give great circles."""
    lon_r, lat_r = np.radians(np.asarray(lon, float)), np.radians(np.asarray(lat, float))
    cos_lat = np.cos(lat_r)
    return np.stack([cos_lat * np.cos(lon_r), cos_lat * np.sin(lon_r), np.sin(lat_r)], axis=-1)


def chord(radius_km: float) -> float:
    """The chord length on the unit sphere of a great-circle distance in km."""
    return 2.0 * math.sin(radius_km / (2.0 * EARTH_RADIUS_KM))


@dataclass(frozen=True)
class _Cells:
    """The build cells of one settlement's window: their index and where they are."""

    window: Window
    rows: npt.NDArray[np.intp]
    cols: npt.NDArray[np.intp]
    xyz: npt.NDArray[np.float64]


class _Grid:
    """Windows of the build grid around points, and their cell centres in lon/lat."""

    def __init__(self, grid: GridSpec) -> None:
        self.grid = grid
        crs = CRS.from_user_input(grid.crs.to_wkt())
        self.geographic = crs.is_geographic
        self.to_grid = None if crs.equals(WGS84) else Transformer.from_crs(WGS84, crs, True)
        self.to_lonlat = None if crs.equals(WGS84) else Transformer.from_crs(crs, WGS84, True)

    def cell(self, lon: float, lat: float) -> tuple[int, int] | None:
        """(row, col) of the cell holding the point; ``None`` outside the grid."""
        x, y = (lon, lat) if self.to_grid is None else self.to_grid.transform(lon, lat)
        t = self.grid.transform
        col, row = math.floor((x - t.c) / t.a), math.floor((y - t.f) / t.e)
        if 0 <= row < self.grid.height and 0 <= col < self.grid.width:
            return row, col
        return None

    def around(self, lon: float, lat: float, radius_km: float) -> _Cells | None:
        """The cells of a box holding the disc of ``radius_km`` around the point."""
        t = self.grid.transform
        if self.geographic:
            # Degrees of latitude and of longitude at this latitude the radius spans.
            dy = radius_km / (math.pi * EARTH_RADIUS_KM / 180.0)
            dx = dy / max(math.cos(math.radians(lat)), 1e-6)
            x, y = (lon, lat) if self.to_grid is None else self.to_grid.transform(lon, lat)
        else:
            x, y = self.to_grid.transform(lon, lat) if self.to_grid else (lon, lat)
            dx = dy = radius_km * 1000.0  # projected grids are in metres
        col0 = max(math.floor((x - dx - t.c) / t.a), 0)
        col1 = min(math.floor((x + dx - t.c) / t.a), self.grid.width - 1)
        row0 = max(math.floor((y + dy - t.f) / t.e), 0)
        row1 = min(math.floor((y - dy - t.f) / t.e), self.grid.height - 1)
        if col0 > col1 or row0 > row1:
            return None
        rows, cols = np.meshgrid(
            np.arange(row0, row1 + 1), np.arange(col0, col1 + 1), indexing="ij"
        )
        xs = t.c + (cols + 0.5) * t.a
        ys = t.f + (rows + 0.5) * t.e
        if self.to_lonlat is not None:
            xs, ys = self.to_lonlat.transform(xs, ys)
        window = Window(col0, row0, col1 - col0 + 1, row1 - row0 + 1)
        return _Cells(window, rows.ravel(), cols.ravel(), _unit_vectors(xs, ys).reshape(-1, 3))


#: Rasters of a grid up to this size (bytes as float32, all of them together) are read
#: once into memory: every settlement reads a small window of each, and a windowed read
#: of a compressed COG decodes whole blocks (409 settlements x 15 rasters took 11 s).
IN_MEMORY_BYTES = 512 * 2**20


class _InMemory:
    """A whole single-band raster read once, answering windowed reads from memory."""

    nodata = None  # NaN marks no data, as in the build's float rasters

    def __init__(self, dataset: Any) -> None:
        values = dataset.read(1).astype(np.float32)
        if dataset.nodata is not None and not np.isnan(dataset.nodata):
            values[values == dataset.nodata] = np.nan
        self.values = values
        dataset.close()

    def read(self, band: int, window: Window) -> npt.NDArray[np.float32]:
        """``band`` 1's values in ``window`` (a view)."""
        (row0, row1), (col0, col1) = window.toranges()
        return self.values[row0:row1, col0:col1]

    def close(self) -> None:
        """Nothing to release: the file was closed after reading."""


def _read(datasets: Mapping[str, Any], window: Window) -> dict[str, npt.NDArray[np.float64]]:
    """Every raster's values in ``window``, flattened, NaN for no data.

    The build writes its float rasters with NaN as nodata, so no mask is needed (and
    masked reads cost more than the arithmetic here).
    """
    out = {}
    for name, ds in datasets.items():
        block = ds.read(1, window=window).astype(np.float64)
        if ds.nodata is not None and not np.isnan(ds.nodata):
            block[block == ds.nodata] = np.nan
        out[name] = block.ravel()
    return out


def _value_layer(hazard: HazardSpec) -> str:
    """The layer whose value a settlement shows for a hazard: its exposure layer."""
    return hazard.exposure.layer if hazard.exposure is not None else next(iter(hazard.layers))


def cell_levels(
    registry: Registry, hazard: HazardSpec, values: Mapping[str, npt.NDArray[np.float64]]
) -> npt.NDArray[np.int64]:
    """A hazard's level in each cell: its highest criterion above its threshold there.

    Args:
        registry: The build's registry.
        hazard: The hazard.
        values: Layer id -> values of the same cells (NaN = no data); a layer the build
            did not make is absent, and its criteria are never reached.

    Returns:
        Level codes: 0 (very low) .. 3 (high), :data:`~geo.index.NO_DATA` where no layer
        of the criteria has a value.
    """
    criteria = registry.criteria(hazard)
    present = [values[c.layer] for c in criteria if c.layer in values]
    if not present:
        return np.full(0, index.NO_DATA, dtype=np.int64)
    size = present[0].shape
    level = np.zeros(size, dtype=np.int64)
    known = np.zeros(size, dtype=bool)
    for k, c in enumerate(criteria, start=index.LOW):
        if c.layer not in values:
            continue
        v = values[c.layer]
        known |= np.isfinite(v)
        with np.errstate(invalid="ignore"):
            level = np.where(v > c.threshold, np.maximum(level, k), level)
    return np.where(known, level, index.NO_DATA)


def settlements(
    places: gpd.GeoDataFrame,
    districts: gpd.GeoDataFrame,
    grid: GridSpec,
    registry: Registry,
    rasters: Mapping[str, Path],
    people: Path | None,
    shares: pd.DataFrame,
    radius_km: float = DEFAULT_RADIUS_KM,
) -> tuple[gpd.GeoDataFrame, int]:
    """One row per settlement inside a district: district, hazards and people.

    Args:
        places: :func:`read_places` output (EPSG:4326).
        districts: ``code``, ``district_name`` and polygons (any CRS).
        grid: The build grid.
        registry: The build's registry (hazards and their criteria).
        rasters: Hazard layer id -> its raw COG in the build (layer units).
        people: The build's ``people.tif`` (people per cell), if it has one.
        shares: Per district code, ``children_under5`` and ``elderly_over65`` as percent
            of the population (missing columns give no data).
        radius_km: Great-circle radius (km) of a settlement's people and surroundings.

    Returns:
        The settlements (EPSG:4326, sorted by district then name), and how many places
        lay outside every district and were left out. Columns: ``id``, the names,
        ``place``, ``district``, ``district_name``, ``lon``, ``lat``, ``people``,
        ``people_exposed``, ``children_under5``, ``elderly_over65`` (people, 1
        decimal), ``hazard_level`` and ``hazard_level_around`` (highest over the
        weighted hazards), ``high_hazards`` (hazards high within the radius, comma
        separated), per hazard ``<id>_value`` (its value layer's units), ``<id>_level``,
        ``<id>_level_around`` and ``<id>_exposed`` (0/1: the point's cell above the
        exposure threshold).
    """
    outlines = districts.to_crs(WGS84)[["code", "district_name", "geometry"]]
    joined = gpd.sjoin(places, outlines, how="inner", predicate="intersects")
    # A point on a shared border belongs to the first district listed.
    joined = joined[~joined.index.duplicated(keep="first")].drop(columns="index_right")
    outside = len(places) - len(joined)
    frame = joined.rename(columns={"code": "district"}).sort_values(
        ["district", "name"], kind="stable"
    )
    frame = frame.reset_index(drop=True)
    lon = frame.geometry.x.to_numpy()
    lat = frame.geometry.y.to_numpy()
    hazards = [h for h in registry.hazards if any(c.layer in rasters for c in registry.criteria(h))]
    layers = sorted({c.layer for h in hazards for c in registry.criteria(h) if c.layer in rasters})
    layers += sorted(
        {h.exposure.layer for h in hazards if h.exposure and h.exposure.layer in rasters}
        - set(layers)
    )
    n = len(frame)
    cols: dict[str, Any] = {name: np.full(n, np.nan) for name in ("people", "people_exposed")}
    for h in hazards:
        cols[f"{h.id}_value"] = np.full(n, np.nan)
        cols[f"{h.id}_level"] = np.full(n, index.NO_DATA)
        cols[f"{h.id}_level_around"] = np.full(n, index.NO_DATA)
        cols[f"{h.id}_exposed"] = np.zeros(n, dtype=np.int64)
    tree = cKDTree(_unit_vectors(lon, lat)) if n else None
    reach = chord(radius_km)
    cells = _Grid(grid)
    with rasterio.Env():
        datasets: dict[str, Any] = {name: rasterio.open(rasters[name]) for name in layers}
        if people is not None:
            datasets["__people__"] = rasterio.open(people)
        if grid.width * grid.height * len(datasets) * 4 <= IN_MEMORY_BYTES:
            datasets = {name: _InMemory(ds) for name, ds in datasets.items()}
        try:
            for i in range(n):
                _one(
                    i,
                    lon[i],
                    lat[i],
                    cells,
                    datasets,
                    tree,
                    reach,
                    radius_km,
                    registry,
                    hazards,
                    cols,
                )
        finally:
            for ds in datasets.values():
                ds.close()
    if people is None:
        cols["people"][:] = np.nan
        cols["people_exposed"][:] = np.nan
    weighted = [h for h in hazards if not h.context]
    if weighted:
        at = np.stack([cols[f"{h.id}_level"] for h in weighted])
        around = np.stack([cols[f"{h.id}_level_around"] for h in weighted])
        cols["hazard_level"] = at.max(axis=0)
        cols["hazard_level_around"] = around.max(axis=0)
        cols["high_hazards"] = [
            ",".join(h.id for h in weighted if cols[f"{h.id}_level_around"][i] == index.HIGH)
            for i in range(n)
        ]
    out = frame.drop(columns="geometry")
    out["lon"] = np.round(lon, 6)
    out["lat"] = np.round(lat, 6)
    districts_of = out["district"].astype(str)
    out["people"] = np.round(cols.pop("people"), 1)
    out["people_exposed"] = np.round(cols.pop("people_exposed"), 1)
    for column, layer in AGE_GROUPS.items():
        share = (
            districts_of.map(shares[layer]).to_numpy(dtype=np.float64)
            if layer in shares
            else np.full(n, np.nan)
        )
        out[column] = np.round(out["people"].to_numpy() * share / 100.0, 1)
    ordered = ["hazard_level", "hazard_level_around", "high_hazards"]
    for name in ordered:
        if name in cols:
            out[name] = cols.pop(name)
    for name, values in cols.items():
        out[name] = np.round(values, 4) if name.endswith("_value") else values
    return gpd.GeoDataFrame(out, geometry=frame.geometry.to_numpy(), crs=WGS84), outside


def _one(
    i: int,
    lon: float,
    lat: float,
    cells: _Grid,
    datasets: Mapping[str, Any],
    tree: Any,
    reach: float,
    radius_km: float,
    registry: Registry,
    hazards: list[HazardSpec],
    cols: dict[str, Any],
) -> None:
    """Fill row ``i`` of ``cols``: one settlement's hazards and people."""
    own = cells.cell(lon, lat)
    box = cells.around(lon, lat, radius_km)
    if own is None or box is None:
        return
    values = _read(datasets, box.window)
    here = (box.rows == own[0]) & (box.cols == own[1])
    point = _unit_vectors([lon], [lat])[0]
    distance = np.linalg.norm(box.xyz - point, axis=1)
    near = (distance <= reach) | here  # a disc smaller than a cell still has its cell
    layer_values = {k: v for k, v in values.items() if k != "__people__"}
    exposed_any = np.zeros(near.shape, dtype=bool)
    known_any = np.zeros(near.shape, dtype=bool)
    for h in hazards:
        levels = cell_levels(registry, h, layer_values)
        cols[f"{h.id}_level"][i] = int(levels[here][0])
        ring = levels[near]
        known = ring[ring >= index.VERY_LOW]
        cols[f"{h.id}_level_around"][i] = int(known.max()) if known.size else index.NO_DATA
        shown = _value_layer(h)
        if shown in layer_values:
            cols[f"{h.id}_value"][i] = layer_values[shown][here][0]
        rule = h.exposure
        if rule is not None and rule.layer in layer_values:
            v = layer_values[rule.layer]
            with np.errstate(invalid="ignore"):
                above = v > rule.threshold
            cols[f"{h.id}_exposed"][i] = int(above[here][0])
            if not h.context:
                exposed_any |= above
                known_any |= np.isfinite(v)
    people = values.get("__people__")
    if people is None:
        return
    # The cells this settlement owns: within the radius and nearest to it of all places.
    _, nearest = tree.query(box.xyz)
    mine = near & (nearest == i)
    counted = np.where(np.isfinite(people), people, 0.0)
    cols["people"][i] = float(counted[mine].sum())
    exposed = np.where(known_any, exposed_any, False)
    cols["people_exposed"][i] = float(counted[mine & exposed].sum())


def write_places(frame: gpd.GeoDataFrame, work: Path) -> dict[str, str]:
    """Write ``places.geojson``, ``places.csv`` and ``places.gpkg`` into the build.

    All in EPSG:4326 (lon/lat in degrees); the GeoPackage's layer is ``places``.
    """
    write_vectors(frame, work / "places", ("geojson", "gpkg"))
    table = pd.DataFrame(frame.drop(columns="geometry"))
    write_csv(table, work / "places.csv")  # BOM, escaped formulas, .csvt beside
    return {"geojson": "places.geojson", "csv": "places.csv", "gpkg": "places.gpkg"}


def built_places(build_dir: Path, manifest: Mapping[str, Any]) -> pd.DataFrame | None:
    """A build's settlements (``places.csv``) as a table, ``None`` for a build without.

    ``id`` and names are strings (empty when untagged), ``high_hazards`` a list of hazard
    ids, level columns integers; numbers missing in the file are NaN.
    """
    meta = manifest.get("places")
    if not meta:
        return None
    text_columns = ["id", "name", *NAME_TAGS, "place", "district", "district_name"]
    table = pd.read_csv(
        build_dir / str(meta.get("csv", "places.csv")),
        dtype=dict.fromkeys([*text_columns, "high_hazards"], str),
        keep_default_na=False,
        na_values={c: [""] for c in ["people", "people_exposed"]},
    )
    for column in table.columns:
        if column in text_columns:
            table[column] = table[column].fillna("").astype(str).map(unescape)
        elif column == "high_hazards":
            table[column] = [[h for h in str(v).split(",") if h] for v in table[column]]
        elif column != "people_exposed" and column.endswith(("_level", "_around", "_exposed")):
            table[column] = pd.to_numeric(table[column]).fillna(index.NO_DATA).astype(np.int64)
        else:
            table[column] = pd.to_numeric(table[column], errors="coerce")
    return table


__all__ = [
    "DEFAULT_RADIUS_KM",
    "PLACES_INPUT",
    "built_places",
    "cell_levels",
    "read_places",
    "settlements",
    "write_places",
]
