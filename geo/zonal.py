"""Zonal statistics: zones burned once into a label raster, then one pass per layer.

:class:`ZoneIndex` rasterizes the zones (districts) onto a :class:`~geo.grid.GridSpec`
once. :meth:`ZoneIndex.stats` then computes every statistic of one layer for every
zone in a single streaming pass over its chunks: each chunk yields small per-zone
partials (counts, sums, extremes, areas, percentile states) that are merged at the
end, so a dask-backed layer is never held in memory as a whole.

Rules, stated once:

* **Cell-centre rule.** A cell belongs to the zone whose polygon contains the cell's
  centre (:func:`rasterio.features.rasterize` with ``all_touched=False``). Zones are
  assumed not to overlap; where they do, the zone later in the input wins the cell.
* **Small-zone rule.** A zone that owns no cell — it contains no cell centre, like a
  38 km2 enclave on a coarse grid, or lost all its cells to a later overlapping zone —
  is assigned the one cell containing its representative point
  (:func:`shapely.point_on_surface`). That cell still counts for the zone owning its
  centre as well, so the large zone loses nothing. A zone whose representative point
  lies outside the grid gets no cell and NaN statistics (with a warning).
* **Statistics.** ``mean``, ``min``, ``max``, ``sum``, ``count`` and the percentile are
  plain statistics of the zone's cells (not weighted by cell area) — what
  exactextract gives with full-coverage cells. ``coverage`` and ``frac_above`` are
  area-weighted: in a geographic CRS rows nearer the pole have smaller cells.
  Non-finite values (NaN, ±inf) are no data.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import dask
import dask.array
import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.features
import shapely
import xarray as xr
from affine import Affine
from dask.array.core import normalize_chunks

from aralrisk.geo._zonal_kernels import label_runs
from aralrisk.geo._zonal_pass import (
    Partial,
    percentiles,
    plan_with_extra_cells,
    reduce_in_memory,
    reduce_lazy,
)
from aralrisk.geo.errors import InputError, warn_input
from aralrisk.geo.grid import GridSpec

__all__ = ["ZonalStats", "ZoneIndex"]

# Label rows burned at once: about 16 M cells, GDAL's working copy.
_BURN_CELLS = 16 * 1024 * 1024
# Coordinates of an array within this share of a cell of the grid's are the grid's.
_COORD_TOLERANCE = 1e-6

ArrayLike = xr.DataArray | np.ndarray | dask.array.Array


@dataclass(frozen=True, eq=False)
class ZonalStats:
    """Statistics of one layer per zone; every array has shape (n,) or (n, k), float64.

    Statistics of a zone without any valid cell are NaN, except ``count`` (0),
    ``cells`` and ``coverage`` (0, or NaN for a zone with no cell at all).

    Attributes:
        ids: (n,) zone ids, in the order of the zones given to :class:`ZoneIndex`.
        count: Valid (finite) cells.
        cells: All cells of the zone, valid or not.
        coverage: Area of valid cells / area of all cells of the zone (0..1).
        mean: Mean of valid cell values (plain, not area-weighted), layer units.
        min: Minimum valid value.
        max: Maximum valid value.
        sum: Sum of valid values.
        p90: The ``percentile``-th percentile of valid values (linear interpolation
            between order statistics, numpy's and exactextract's definition). Exact
            for in-memory layers and for zones of up to 131,072 valid cells; for
            larger zones of dask-backed layers, off by less than
            (max - min) / 2047 of the zone (see :mod:`geo._quantile`).
        weighted_mean: Sum(weight * value) / sum(weight) over cells where both are
            valid; NaN without weights or where the weights sum to 0.
        frac_above: (n, k) area fraction of the valid cells with value > threshold k.
        weight_above: (n, k) sum of valid weights (e.g. people) in cells with value >
            threshold k; NaN without weights.
        thresholds: The k thresholds, in layer units.
        percentile: The percentile held in ``p90`` (0..100).

    Examples:
        Made by :meth:`ZoneIndex.stats`; two zones of four cells each:

        >>> import geopandas as gpd, numpy as np
        >>> from shapely.geometry import box
        >>> grid = GridSpec.from_bounds((60.0, 44.0, 62.0, 45.0), 0.5, "EPSG:4326")
        >>> zones = gpd.GeoDataFrame({"code": ["W", "E"]}, crs="EPSG:4326",
        ...                          geometry=[box(60, 44, 61, 45), box(61, 44, 62, 45)])
        >>> stats = ZoneIndex(zones, grid, "code").stats(np.arange(8.0).reshape(2, 4))
        >>> stats.ids, stats.count, stats.mean, stats.max
        (array(['W', 'E'], dtype='<U1'), array([4., 4.]), array([2.5, 4.5]), array([5., 7.]))
        >>> list(stats.to_frame().columns[:4])
        ['count', 'cells', 'coverage', 'mean']
    """

    ids: np.ndarray
    count: np.ndarray
    cells: np.ndarray
    coverage: np.ndarray
    mean: np.ndarray
    min: np.ndarray
    max: np.ndarray
    sum: np.ndarray
    p90: np.ndarray
    weighted_mean: np.ndarray
    frac_above: np.ndarray
    weight_above: np.ndarray
    thresholds: tuple[float, ...] = ()
    percentile: float = 90.0

    def to_frame(self) -> pd.DataFrame:
        """One row per zone, indexed by ``id``.

        Columns: ``count``, ``cells``, ``coverage``, ``mean``, ``min``, ``max``,
        ``sum``, ``p90`` (named ``p{percentile}``, e.g. ``p95``), ``weighted_mean``,
        then ``frac_above_{t}`` and ``weight_above_{t}`` for each threshold ``t``.
        """
        columns: dict[str, np.ndarray] = {
            "count": self.count,
            "cells": self.cells,
            "coverage": self.coverage,
            "mean": self.mean,
            "min": self.min,
            "max": self.max,
            "sum": self.sum,
            f"p{self.percentile:g}": self.p90,
            "weighted_mean": self.weighted_mean,
        }
        for k, threshold in enumerate(self.thresholds):
            columns[f"frac_above_{threshold:g}"] = self.frac_above[:, k]
        for k, threshold in enumerate(self.thresholds):
            columns[f"weight_above_{threshold:g}"] = self.weight_above[:, k]
        return pd.DataFrame(columns, index=pd.Index(self.ids, name="id"))


class ZoneIndex:
    """Zones burned once onto a grid, for fast zonal statistics of any layer on it.

    See the module docstring for the cell-centre and small-zone rules.

    Args:
        zones: Zone polygons with a CRS (reprojected to the grid's CRS if it differs).
        grid: The analysis grid every layer is aligned to.
        id_field: Column with unique zone ids; the frame's index when ``None``.

    Attributes:
        grid: The grid.
        ids: (n,) zone ids as strings, in input order.
        labels: (rows, cols) label raster, uint8 for up to 255 zones, else uint16 or
            uint32: 0 = no zone, ``k + 1`` = zone ``k`` (cell-centre rule only; cells
            assigned by the small-zone rule are in ``small_zones``).
        small_zones: Read-only mapping of the id of each zone that owns no cell to
            the (row, col) of the cell assigned to it.

    Raises:
        InputError: No zones, no CRS, a missing id field, duplicate or empty ids, or
            a zone without geometry.

    Warns:
        InputWarning: A zone lies outside the grid (its statistics are NaN).

    Examples:
        Two districts on a 2 x 4 grid of half-degree cells; a layer's statistics per
        district, the share of each district's area above 2.5, the district of a point:

        >>> import geopandas as gpd, numpy as np
        >>> from shapely.geometry import box
        >>> grid = GridSpec.from_bounds((60.0, 44.0, 62.0, 45.0), 0.5, "EPSG:4326")
        >>> zones = gpd.GeoDataFrame({"code": ["W", "E"]}, crs="EPSG:4326",
        ...                          geometry=[box(60, 44, 61, 45), box(61, 44, 62, 45)])
        >>> index = ZoneIndex(zones, grid, "code")
        >>> index.labels
        array([[1, 1, 2, 2],
               [1, 1, 2, 2]], dtype=uint8)
        >>> stats = index.stats(np.arange(8.0).reshape(2, 4), thresholds=(2.5,))
        >>> stats.mean, stats.frac_above.round(2)
        (array([2.5, 4.5]), array([[0.5 ], [0.75]]))
        >>> index.zone_of(61.5, 44.5), index.area_km2().round(-2)
        ('E', array([8800., 8800.]))
    """

    def __init__(self, zones: gpd.GeoDataFrame, grid: GridSpec, id_field: str | None = None):
        self.grid = grid
        self.ids = _zone_ids(zones, id_field)
        if zones.crs is None:
            raise InputError("the zones have no CRS: set one with `gdf.set_crs(...)`")
        geoms = zones.geometry.to_crs(grid.crs).to_numpy()
        missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
        if missing.any():
            raise InputError(
                f"zones {', '.join(self.ids[missing][:5])} have no geometry: draw their "
                "polygons or remove them"
            )
        self._geoms = geoms
        self._tree: shapely.STRtree | None = None
        n = len(self.ids)
        dtype = np.uint8 if n < 2**8 else np.uint16 if n < 2**16 else np.uint32
        self.labels: np.ndarray = _burn(geoms, grid, dtype)
        row_ptr, run_col, run_len, run_zone = label_runs(self.labels)
        owned = np.bincount(run_zone, weights=run_len, minlength=n)
        small = self._assign_small_zones(np.flatnonzero(owned == 0))
        self.small_zones: Mapping[str, tuple[int, int]] = MappingProxyType(
            {str(self.ids[k]): cell for k, cell in small.items()}
        )
        self._plan = plan_with_extra_cells(
            n, row_ptr, run_col, run_len, run_zone, small, grid.cell_area_km2()
        )
        # Fixed graph keys for the plan and the labels (hashing their arrays on every
        # call is wasted).
        self._token = uuid.uuid4().hex
        self._plan_key = f"zone-plan-{self._token}"
        plan = self._plan
        run_rows = np.repeat(np.arange(grid.height), np.diff(plan.row_ptr))
        self._cells = np.bincount(plan.run_zone, weights=plan.run_len, minlength=n)
        self._area = np.bincount(
            plan.run_zone, weights=plan.run_len * plan.row_area[run_rows], minlength=n
        )

    def __len__(self) -> int:
        return len(self.ids)

    def lazy_labels(self, chunks: int = 1024) -> xr.DataArray:
        """:attr:`labels` as a lazy (dask) DataArray on the grid, sharing its memory.

        ``xr.DataArray(labels).chunk(...)`` would copy the raster first
        (:func:`dask.array.from_array` copies numpy input): 141 MB more for the whole of
        a 16,000 x 8,800 build. Here every chunk is a slice of :attr:`labels`, which
        is held once, under one graph key (a distributed cluster receives it once).

        Args:
            chunks: Chunk size in cells along both axes.

        Returns:
            A DataArray of dims (y, x), shape ``grid.shape``, the labels' dtype, with the
            grid's coordinates, CRS and transform.
        """
        rows, cols = self.grid.shape
        shared = dask.delayed(self.labels, name=f"zone-labels-{self._token}", traverse=False)
        data = dask.array.map_blocks(
            _label_window,
            shared,
            chunks=normalize_chunks(chunks, (rows, cols)),
            dtype=self.labels.dtype,
            meta=np.empty((0, 0), self.labels.dtype),
            name=f"zone-labels-{self._token}-{chunks}",
        )
        return self.grid.write_georeference(xr.DataArray(data, dims=("y", "x")))

    def _assign_small_zones(self, zones: np.ndarray) -> dict[int, tuple[int, int]]:
        assigned: dict[int, tuple[int, int]] = {}
        outside = []
        inverse = ~self.grid.transform
        for k in zones:
            point = shapely.point_on_surface(self._geoms[k])
            col_f, row_f = inverse @ (point.x, point.y)
            row, col = math.floor(row_f), math.floor(col_f)
            if 0 <= row < self.grid.height and 0 <= col < self.grid.width:
                assigned[int(k)] = (row, col)
            else:
                outside.append(str(self.ids[k]))
        if outside:
            warn_input(
                f"zones {', '.join(outside[:5])} lie outside the grid: their statistics are "
                "NaN — build the grid from bounds that cover every zone",
                stacklevel=3,
            )
        return assigned

    def area_km2(self) -> np.ndarray:
        """(n,) total area in km2 of the cells assigned to each zone.

        Cell areas come from :meth:`GridSpec.cell_area_km2` (per row); a small zone's
        area is that of its one assigned cell.
        """
        return self._area.copy()

    def zone_of(self, x: float, y: float) -> str | None:
        """Id of the zone at a point given in the grid's CRS, or None.

        The zone whose polygon contains the point (the later one where zones overlap),
        so a point inside a zone smaller than a cell gets that zone. A point in no
        polygon — on a border, or in a gap thinner than a cell — gets the zone of the
        grid cell it falls in, if any.
        """
        if self._tree is None:
            self._tree = shapely.STRtree(self._geoms)
        hits = self._tree.query(shapely.Point(x, y), predicate="intersects")
        if len(hits):
            return str(self.ids[int(np.max(hits))])
        col_f, row_f = ~self.grid.transform @ (x, y)
        row, col = math.floor(row_f), math.floor(col_f)
        if 0 <= row < self.grid.height and 0 <= col < self.grid.width:
            label = int(self.labels[row, col])
            if label:
                return str(self.ids[label - 1])
        return None

    def stats(
        self,
        values: ArrayLike,
        *,
        weights: ArrayLike | None = None,
        thresholds: Sequence[float] = (),
        percentile: float = 90.0,
    ) -> ZonalStats:
        """All statistics of one layer for every zone, in one pass over its cells.

        A dask-backed layer is streamed chunk by chunk with dask's current scheduler
        (a distributed client if one is active): each chunk yields per-zone partials
        that are merged, and only the partials are kept. An in-memory layer is
        processed in row blocks on all cores, and its percentiles are always exact.

        Args:
            values: Layer of exactly ``grid``'s shape (rows, cols): a numpy array, a
                dask array or a DataArray of either, whose x/y coordinates (if any)
                must be the grid's. Any units; non-finite values are no data.
            weights: Optional weights on the same grid, e.g. people per cell, for
                ``weighted_mean`` and ``weight_above``. Non-finite is no data.
            thresholds: Values (layer units) for ``frac_above``/``weight_above``.
            percentile: The percentile (0..100) reported as ``p90``.

        Returns:
            A :class:`ZonalStats`.

        Raises:
            InputError: An array is not 2-D on the grid, or a parameter is invalid.
        """
        if not 0.0 <= float(percentile) <= 100.0:
            raise InputError(f"percentile {percentile} is outside 0..100: give e.g. 90")
        thr = np.asarray(tuple(thresholds), dtype=np.float64).reshape(-1)
        if not np.isfinite(thr).all():
            raise InputError(f"thresholds {tuple(thresholds)} must be finite numbers")
        data = self._on_grid(values, "values")
        wdata = None if weights is None else self._on_grid(weights, "weights")
        q = float(percentile) / 100.0
        if isinstance(data, dask.array.Array) or isinstance(wdata, dask.array.Array):
            partial = reduce_lazy(self._plan, self._plan_key, data, wdata, thr)
            in_memory = data if isinstance(data, np.ndarray) else None
            p = percentiles(self._plan, partial, q, exact_from=in_memory)
        else:
            assert isinstance(data, np.ndarray)  # noqa: S101 - not dask, so numpy
            partial = reduce_in_memory(self._plan, data, wdata, thr)
            p = percentiles(self._plan, partial, q, exact_from=data)
        return self._finish(partial, p, thr, weights is not None, float(percentile))

    def _on_grid(self, values: ArrayLike, name: str) -> np.ndarray | dask.array.Array:
        if isinstance(values, xr.DataArray):
            self._check_coords(values, name)
            data = values.data
        else:
            data = values if isinstance(values, dask.array.Array) else np.asarray(values)
        if data.shape != self.grid.shape:
            raise InputError(
                f"{name} has shape {data.shape} but the zones' grid is {self.grid.shape}: "
                "align it first with `geo.grid.align(da, grid, ...)`"
            )
        return data

    def _check_coords(self, da: xr.DataArray, name: str) -> None:
        if da.ndim != 2:
            raise InputError(
                f"{name} has dims {da.dims}: zonal statistics take one (y, x) layer — "
                "select one time step or band first"
            )
        expected = {0: (self.grid.y, abs(self.grid.res[1])), 1: (self.grid.x, self.grid.res[0])}
        for axis, (coords, step) in expected.items():
            dim = da.dims[axis]
            if dim not in da.coords or da[dim].ndim != 1 or len(coords) != da.shape[axis]:
                continue
            if not np.allclose(da[dim].to_numpy(), coords, rtol=0, atol=_COORD_TOLERANCE * step):
                raise InputError(
                    f"{name} is not on the zones' grid (its {dim} coordinates differ): align "
                    "it first with `geo.grid.align(da, grid, ...)`"
                )

    def _finish(
        self,
        partial: Partial,
        p: np.ndarray,
        thr: np.ndarray,
        weighted: bool,
        percentile: float,
    ) -> ZonalStats:
        count = partial.count.astype(np.float64)
        has = count > 0
        nan = np.full(len(self.ids), np.nan)

        def where(valid: np.ndarray, value: np.ndarray) -> np.ndarray:
            return np.where(valid, value, np.nan)

        with np.errstate(invalid="ignore", divide="ignore"):
            coverage = np.where(self._area > 0, partial.valid_area / self._area, np.nan)
            frac_above = partial.above_area / partial.valid_area[:, None]
            mean = partial.total / count
            weighted_mean = partial.wsum / partial.wtot
        return ZonalStats(
            ids=self.ids.copy(),
            count=count,
            cells=self._cells.copy(),
            coverage=coverage,
            mean=where(has, mean),
            min=where(has, partial.vmin),
            max=where(has, partial.vmax),
            sum=where(has, partial.total),
            p90=p,
            weighted_mean=where(has & (partial.wtot != 0), weighted_mean) if weighted else nan,
            frac_above=where(has[:, None], frac_above),
            weight_above=(
                where(has[:, None], partial.above_weight)
                if weighted
                else np.full(partial.above_weight.shape, np.nan)
            ),
            thresholds=tuple(float(t) for t in thr),
            percentile=percentile,
        )


def _burn(geoms: np.ndarray, grid: GridSpec, dtype: type[np.unsignedinteger[Any]]) -> np.ndarray:
    """Rasterize zone ``k`` as ``k + 1`` by the cell-centre rule, later zones on top.

    Burned in strips of rows into one array: GDAL's working copy is then one strip,
    not a second whole raster.
    """
    labels = np.zeros(grid.shape, dtype=dtype)
    rows = max(1, _BURN_CELLS // grid.width)
    for top in range(0, grid.height, rows):
        strip = labels[top : top + rows]
        rasterio.features.rasterize(
            ((geom, k + 1) for k, geom in enumerate(geoms)),
            out=strip,
            transform=grid.transform * Affine.translation(0, top),
            fill=0,
            all_touched=False,
        )
    return labels


def _label_window(labels: np.ndarray, block_info: dict[Any, Any] | None = None) -> np.ndarray:
    """The slice of ``labels`` that dask asks for: a read-only view, not a copy.

    Read-only, so that no consumer of a chunk can change the zone index's labels.
    """
    assert block_info is not None  # noqa: S101 - dask always passes it
    (row0, row1), (col0, col1) = block_info[None]["array-location"]
    window = labels[row0:row1, col0:col1]
    window.flags.writeable = False
    return window


def _zone_ids(zones: gpd.GeoDataFrame, id_field: str | None) -> np.ndarray:
    if len(zones) == 0:
        raise InputError("there are no zones: give at least one polygon")
    if id_field is None:
        raw = pd.Series(zones.index)
    elif id_field not in zones.columns:
        fields = ", ".join(str(c) for c in zones.columns if c != zones.geometry.name)
        raise InputError(f"the zones have no field {id_field!r}: pass one of {fields}")
    else:
        raw = zones[id_field]
    ids = raw.astype(str).to_numpy(dtype=str)
    bad = raw.isna().to_numpy() | (np.char.str_len(np.char.strip(ids)) == 0)
    if bad.any():
        raise InputError(
            f"zones {', '.join(map(str, np.flatnonzero(bad)[:5] + 1))} have no id: fill them in"
        )
    unique, counts = np.unique(ids, return_counts=True)
    if (counts > 1).any():
        raise InputError(
            f"zone ids {', '.join(unique[counts > 1][:5])} are duplicated: give every zone "
            "its own id"
        )
    return ids
