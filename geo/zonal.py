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
import os
import uuid
import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
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

from geo import _quantile
from geo._zonal_kernels import accumulate, collect, label_runs
from geo.errors import InputError, InputWarning
from geo.grid import GridSpec

__all__ = ["ZonalStats", "ZoneIndex"]

# Rows of an in-memory (numpy) layer handed to one thread at a time: about 4 M cells.
_NUMPY_BLOCK_CELLS = 4 * 1024 * 1024
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


@dataclass(frozen=True, eq=False)
class _Plan:
    """What every chunk task needs: the zones as runs, and the grid's row areas."""

    n: int
    row_ptr: np.ndarray
    run_col: np.ndarray
    run_len: np.ndarray
    run_zone: np.ndarray
    row_area: np.ndarray


@dataclass(eq=False)
class _Partial:
    """Per-zone accumulators of some chunks of one layer (see ``accumulate``)."""

    count: np.ndarray
    total: np.ndarray
    vmin: np.ndarray
    vmax: np.ndarray
    valid_area: np.ndarray
    wsum: np.ndarray
    wtot: np.ndarray
    above_area: np.ndarray
    above_weight: np.ndarray
    quantiles: list[_quantile.State] = field(default_factory=list)


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
        self._plan = _plan_with_extra_cells(
            n, row_ptr, run_col, run_len, run_zone, small, grid.cell_area_km2()
        )
        # A fixed graph key for the plan (hashing its arrays on every call is wasted).
        self._plan_key = f"zone-plan-{uuid.uuid4().hex}"
        plan = self._plan
        run_rows = np.repeat(np.arange(grid.height), np.diff(plan.row_ptr))
        self._cells = np.bincount(plan.run_zone, weights=plan.run_len, minlength=n)
        self._area = np.bincount(
            plan.run_zone, weights=plan.run_len * plan.row_area[run_rows], minlength=n
        )

    def __len__(self) -> int:
        return len(self.ids)

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
            warnings.warn(
                f"zones {', '.join(outside[:5])} lie outside the grid: their statistics are "
                "NaN — build the grid from bounds that cover every zone",
                InputWarning,
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
            partial = self._reduce_lazy(data, wdata, thr)
            in_memory = data if isinstance(data, np.ndarray) else None
            p = self._percentiles(partial, q, exact_from=in_memory)
        else:
            assert isinstance(data, np.ndarray)  # noqa: S101 - not dask, so numpy
            partial = self._reduce_in_memory(data, wdata, thr)
            p = self._percentiles(partial, q, exact_from=data)
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

    def _reduce_in_memory(
        self, data: np.ndarray, wdata: np.ndarray | None, thr: np.ndarray
    ) -> _Partial:
        rows = max(1, _NUMPY_BLOCK_CELLS // max(1, data.shape[1]))
        starts = range(0, data.shape[0], rows)
        plan = self._plan

        def block(r0: int) -> _Partial:
            w = None if wdata is None else wdata[r0 : r0 + rows]
            return _chunk_partial(plan, data[r0 : r0 + rows], w, r0, 0, thr)

        with ThreadPoolExecutor(max_workers=min(len(starts), os.cpu_count() or 1)) as pool:
            partials = list(pool.map(block, starts))
        return _merge_all(partials)

    def _reduce_lazy(
        self,
        data: np.ndarray | dask.array.Array,
        wdata: np.ndarray | dask.array.Array | None,
        thr: np.ndarray,
    ) -> _Partial:
        if isinstance(data, dask.array.Array):
            lazy = data
        else:
            assert isinstance(wdata, dask.array.Array)  # noqa: S101 - one of them is dask
            lazy = dask.array.from_array(data, chunks=wdata.chunks)
        lazy_weights: dask.array.Array | None = None
        if isinstance(wdata, dask.array.Array):
            lazy_weights = wdata.rechunk(lazy.chunks)
        elif wdata is not None:
            lazy_weights = dask.array.from_array(wdata, chunks=lazy.chunks)
        row_starts = np.cumsum([0, *lazy.chunks[0]])
        col_starts = np.cumsum([0, *lazy.chunks[1]])
        # One graph key for the plan: a cluster ships it to each worker once.
        plan = dask.delayed(self._plan, name=self._plan_key, traverse=False)
        thresholds = dask.delayed(thr, pure=True, traverse=False)
        blocks = lazy.to_delayed()
        wblocks = None if lazy_weights is None else lazy_weights.to_delayed()
        parts = [
            dask.delayed(_chunk_partial, pure=True)(
                plan,
                blocks[i, j],
                None if wblocks is None else wblocks[i, j],
                int(row_starts[i]),
                int(col_starts[j]),
                thresholds,
            )
            for i in range(blocks.shape[0])
            for j in range(blocks.shape[1])
        ]
        # Pairwise tree: partials are merged as soon as two are ready.
        while len(parts) > 1:
            merged = [
                dask.delayed(_merge, pure=True)(parts[k], parts[k + 1])
                for k in range(0, len(parts) - 1, 2)
            ]
            parts = merged + ([parts[-1]] if len(parts) % 2 else [])
        (result,) = dask.compute(parts[0])
        assert isinstance(result, _Partial)  # noqa: S101
        return result

    def _percentiles(
        self, partial: _Partial, q: float, exact_from: np.ndarray | None
    ) -> np.ndarray:
        """Percentile per zone; with the in-memory layer, histogram zones are made exact."""
        out = np.full(len(self.ids), np.nan)
        refine: dict[int, tuple[int, int, float, int, int, int]] = {}
        for k, state in enumerate(partial.quantiles):
            if state is None:
                continue
            lo, hi = float(partial.vmin[k]), float(partial.vmax[k])
            if isinstance(state, np.ndarray):
                # In float64: numpy would interpolate float32 values in float32.
                out[k] = np.quantile(state.astype(np.float64), q)
            elif exact_from is None:
                out[k] = _quantile.estimate(state, q, lo, hi)
            else:
                below, above, fraction = _quantile.quantile_ranks(int(partial.count[k]), q)
                first, before = _quantile.order_bins(state, below)
                last, _ = _quantile.order_bins(state, above)
                refine[k] = (below, above, fraction, first, last, before)
        if refine:
            assert exact_from is not None  # noqa: S101
            self._refine(partial, exact_from, refine, out)
        return out

    def _refine(
        self,
        partial: _Partial,
        data: np.ndarray,
        refine: dict[int, tuple[int, int, float, int, int, int]],
        out: np.ndarray,
    ) -> None:
        """Make the percentiles of histogram zones exact from an in-memory layer.

        Only the cells in the histogram bins holding the two order statistics are
        copied, then sorted.
        """
        n = len(self.ids)
        mode = np.zeros(n, np.int64)
        scale = np.ones(n)
        bin_lo = np.zeros(n)
        bin_hi = np.zeros(n)
        sizes = np.zeros(n, np.int64)
        for k, (_, _, _, first, last, _) in refine.items():
            state = partial.quantiles[k]
            assert isinstance(state, _quantile.Histogram)  # noqa: S101
            mode[k] = 1
            scale[k] = math.ldexp(1.0, -state.exponent)
            bin_lo[k], bin_hi[k] = first, last
            sizes[k] = state.counts[first - state.origin : last - state.origin + 1].sum()
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        raw = np.empty(int(sizes.sum()), dtype=_float_dtype(data.dtype))
        plan = self._plan
        values = np.ascontiguousarray(_as_float(data))
        empty_hist = np.zeros((4, 1), np.int64)
        collect(
            values, 0, 0, plan.row_ptr, plan.run_col, plan.run_len, plan.run_zone, mode,
            scale, bin_lo, bin_hi, offsets, raw, np.zeros(n, np.int64), empty_hist,
        )  # fmt: skip
        for k, (below, above, fraction, _, _, before) in refine.items():
            chosen = np.sort(raw[offsets[k] : offsets[k] + sizes[k]])
            out[k] = _quantile.interpolate(
                float(chosen[below - before]), float(chosen[above - before]), fraction
            )

    def _finish(
        self,
        partial: _Partial,
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
    rows = max(1, _NUMPY_BLOCK_CELLS * 4 // grid.width)
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


def _plan_with_extra_cells(
    n: int,
    row_ptr: np.ndarray,
    run_col: np.ndarray,
    run_len: np.ndarray,
    run_zone: np.ndarray,
    extra: Mapping[int, tuple[int, int]],
    row_area: np.ndarray,
) -> _Plan:
    """Add one-cell runs for the small zones' cells, keeping runs grouped by row."""
    rows = len(row_ptr) - 1
    if extra:
        run_row = np.repeat(np.arange(rows), np.diff(row_ptr))
        zones = np.fromiter(extra, dtype=np.int64, count=len(extra))
        cells = np.array([extra[int(k)] for k in zones], dtype=np.int64).reshape(-1, 2)
        run_row = np.concatenate([run_row, cells[:, 0]])
        run_col = np.concatenate([run_col, cells[:, 1]])
        run_len = np.concatenate([run_len, np.ones(len(zones), np.int64)])
        run_zone = np.concatenate([run_zone, zones])
        order = np.lexsort((run_col, run_row))
        run_col, run_len, run_zone = run_col[order], run_len[order], run_zone[order]
        row_ptr = np.concatenate([[0], np.cumsum(np.bincount(run_row, minlength=rows))])
    return _Plan(
        n=n,
        row_ptr=row_ptr.astype(np.int64),
        run_col=run_col.astype(np.int64),
        run_len=run_len.astype(np.int64),
        run_zone=run_zone.astype(np.int64),
        row_area=np.asarray(row_area, dtype=np.float64),
    )


def _float_dtype(dtype: np.dtype[Any]) -> np.dtype[Any]:
    return _as_float(np.empty(0, dtype)).dtype


def _as_float(block: np.ndarray) -> np.ndarray:
    """A C-ordered, native-endian float32/float64 array, as the compiled loops take."""
    block = np.asarray(block)
    if block.dtype.kind != "f":
        # Integer classes and counts: every value is valid data.
        block = block.astype(np.float64)
    elif block.dtype.itemsize < 4 or not block.dtype.isnative:
        block = block.astype(np.float32 if block.dtype.itemsize <= 4 else np.float64)
    return np.ascontiguousarray(block)


def _chunk_partial(
    plan: _Plan,
    values: np.ndarray,
    weights: np.ndarray | None,
    row0: int,
    col0: int,
    thresholds: np.ndarray,
) -> _Partial:
    """The partial statistics of one chunk of a layer whose top-left cell is (row0, col0)."""
    values = _as_float(values)
    use_weights = weights is not None
    w = _as_float(weights) if weights is not None else np.zeros((1, 1), values.dtype)
    n, k = plan.n, len(thresholds)
    part = _Partial(
        count=np.zeros(n, np.int64),
        total=np.zeros(n),
        vmin=np.full(n, np.inf),
        vmax=np.full(n, -np.inf),
        valid_area=np.zeros(n),
        wsum=np.zeros(n),
        wtot=np.zeros(n),
        above_area=np.zeros((n, k)),
        above_weight=np.zeros((n, k)),
    )
    runs = (plan.row_ptr, plan.run_col, plan.run_len, plan.run_zone)
    accumulate(
        values, w, use_weights, row0, col0, *runs, plan.row_area, thresholds,
        part.count, part.total, part.vmin, part.vmax, part.valid_area, part.wsum, part.wtot,
        part.above_area, part.above_weight,
    )  # fmt: skip
    # Zones with few values keep them (exact percentile); others get a histogram.
    exact = (part.count > 0) & (part.count <= _quantile.EXACT_LIMIT)
    binned = np.flatnonzero(part.count > _quantile.EXACT_LIMIT)
    mode = np.where(exact, 1, 0).astype(np.int64)
    mode[binned] = 2
    scale = np.ones(n)
    bin_lo = np.full(n, -np.inf)
    bin_hi = np.full(n, np.inf)
    hist_row = np.zeros(n, np.int64)
    exponents = {}
    for r, z in enumerate(binned):
        e = _quantile.lattice_exponent(float(part.vmin[z]), float(part.vmax[z]))
        exponents[int(z)] = e
        scale[z] = math.ldexp(1.0, -e)
        bin_lo[z] = math.floor(math.ldexp(float(part.vmin[z]), -e))
        hist_row[z] = r
    sizes = np.where(exact, part.count, 0)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    raw = np.empty(int(sizes.sum()), dtype=values.dtype)
    hist = np.zeros((4 * max(len(binned), 1), _quantile.HIST_BINS), np.int64)
    collect(values, row0, col0, *runs, mode, scale, bin_lo, bin_hi, offsets, raw, hist_row, hist)
    # The kernel counts into four copies per zone (see _run_histogram): add them up.
    hist = hist.reshape(-1, 4, _quantile.HIST_BINS).sum(axis=1)
    states: list[_quantile.State] = [None] * n
    for z in np.flatnonzero(exact):
        states[z] = raw[offsets[z] : offsets[z] + sizes[z]]
    for r, z in enumerate(binned):
        states[z] = _quantile.Histogram(exponents[int(z)], int(bin_lo[z]), hist[r])
    part.quantiles = states
    return part


def _merge(a: _Partial, b: _Partial) -> _Partial:
    """Combine the partials of two disjoint sets of chunks."""
    vmin = np.minimum(a.vmin, b.vmin)
    vmax = np.maximum(a.vmax, b.vmax)
    quantiles = [
        _quantile.merge(qa, qb, float(vmin[k]), float(vmax[k]))
        for k, (qa, qb) in enumerate(zip(a.quantiles, b.quantiles, strict=True))
    ]
    return _Partial(
        count=a.count + b.count,
        total=a.total + b.total,
        vmin=vmin,
        vmax=vmax,
        valid_area=a.valid_area + b.valid_area,
        wsum=a.wsum + b.wsum,
        wtot=a.wtot + b.wtot,
        above_area=a.above_area + b.above_area,
        above_weight=a.above_weight + b.above_weight,
        quantiles=quantiles,
    )


def _merge_all(partials: list[_Partial]) -> _Partial:
    result = partials[0]
    for part in partials[1:]:
        result = _merge(result, part)
    return result
