"""Zone means of many coarse fields aligned onto a fine grid, as one matrix product.

A climate layer keeps its yearly fields (thirty years of hot days, precipitation, SPI)
on the climate grid, a few hundred cells; their zone means are wanted *as if* each year
were aligned onto the build grid (half a million cells or more) and reduced there with
:meth:`~aralrisk.geo.zonal.ZoneIndex.stats`. Warping every year costs GDAL about 20 ms
per million cells; thirty years of four layers took six seconds of a sample build.

Aligning with a fixed kernel (``bilinear``, ``cubic``, ``nearest``...) is linear in the
source values as long as none is missing, and so are a zone's mean and weighted mean
of the aligned cells. So the zone means of every field are ``M @ f`` for one matrix
``M`` (zones x source cells). ``M`` is read off the warp itself, never re-derived from a
formula of GDAL's kernels: source cells are coloured by ``(row mod m, col mod m)``, so
that no grid cell's kernel reaches two cells of one colour when the kernel is at most
``m`` cells wide, and for each colour three probe fields are aligned with the same
:func:`~aralrisk.geo.grid.align` call as the data: ones on its cells (each grid cell's
weight of the one cell of that colour it sees), the cells' ``index + 1`` (which cell it
is), and a random tag per cell. A grid cell that sees one cell of a colour gives back
that cell's tag; one whose kernel blends several (a kernel wider than ``m``) does not,
and ``m`` grows.

:func:`zone_means` guards the shortcut: its first field is also aligned and reduced the
direct way and must agree, and a field with a missing value where ``M`` reads goes the
direct way. Results equal the direct way's to rounding (about 1e-12 relative).
"""

from __future__ import annotations

from dataclasses import dataclass

import dask.array
import numpy as np
import numpy.typing as npt
import scipy.sparse
import xarray as xr
from affine import Affine

from aralrisk.geo.grid import GridSpec, Resampling, align
from aralrisk.geo.zonal import ZoneIndex

#: Colour periods tried, in order: 2 serves bilinear upsampling, 4 cubic upsampling.
PERIODS = (2, 3, 4)
#: Probe values held at once while ``M`` is read (float64: 128 MB); the grid is read in
#: row strips so that a large build grid never holds more.
_PROBE_VALUES = 16_000_000
#: A cell's weight of a source cell below this is dropped: index = value / weight would
#: lose its precision, and the cell's value moves by less than this share.
_MIN_WEIGHT = 1e-9
#: Agreement asked of the shortcut with the direct way on the first field.
_RTOL = 1e-9

Floats = npt.NDArray[np.float64]
#: Weights on the grid: in memory, or lazy (dask, or a DataArray of either) on big grids.
Weights = npt.NDArray[np.float64] | dask.array.Array | xr.DataArray
#: Operators by source grid (CRS, transform, shape), resampling and whether weighted.
OperatorCache = dict[tuple[object, ...], "ZoneOperator | None"]


@dataclass(frozen=True)
class ZoneOperator:
    """The zone means of aligned fields as matrices over the source cells.

    Attributes:
        total: (zones, source cells) sparse: a zone's sum of the aligned values is
            ``total @ f`` for a flattened source field ``f``.
        count: (zones,) aligned cells with a value in each zone (its mean's divisor).
        weighted: (zones, source cells) sparse sums of weight x aligned value, or None.
        weight: (zones,) sums of the weights over those cells, or None.
        reads: (source cells,) bool: the cells ``M`` reads; a field missing one of these
            goes the direct way.
    """

    total: scipy.sparse.csr_matrix
    count: Floats
    weighted: scipy.sparse.csr_matrix | None
    weight: Floats | None
    reads: npt.NDArray[np.bool_]

    def apply(self, fields: Floats) -> tuple[Floats, Floats | None]:
        """Zone means (and weighted means) of fields shaped (n, source rows, source cols).

        Returns:
            ``(mean, weighted_mean)``, each (n, zones); NaN where a zone has no aligned
            cell (or no weight), as :meth:`ZoneIndex.stats` gives them.
        """
        flat = fields.reshape(len(fields), -1).T
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(self.count > 0, (self.total @ flat).T / self.count, np.nan)
            if self.weighted is None or self.weight is None:
                return mean, None
            has = (self.count > 0) & (self.weight != 0)
            weighted = np.where(has, (self.weighted @ flat).T / self.weight, np.nan)
        return mean, weighted


def _members(zones: ZoneIndex, rows: slice) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(cell, zone) pairs of the grid rows ``rows``: cells flat within the strip.

    The cell-centre labels, plus the one cell assigned to each zone too small to own one.
    """
    labels = zones.labels[rows]
    cells = np.flatnonzero(labels)
    owner = labels.ravel()[cells].astype(np.int64) - 1
    width = labels.shape[1]
    index = {str(code): k for k, code in enumerate(zones.ids)}
    extra = [
        ((row - rows.start) * width + col, index[code])
        for code, (row, col) in zones.small_zones.items()
        if rows.start <= row < rows.stop
    ]
    if extra:
        more = np.asarray(extra, dtype=np.int64)
        cells, owner = np.concatenate([cells, more[:, 0]]), np.concatenate([owner, more[:, 1]])
    return cells, owner


def _probes(template: xr.DataArray, period: int) -> tuple[xr.DataArray, Floats]:
    """Three probe fields per colour of ``period`` (ones, index + 1, tag) and the tags."""
    ny, nx = template.shape
    rows, cols = np.indices((ny, nx))
    index = np.arange(1, ny * nx + 1, dtype=np.float64).reshape(ny, nx)
    # Tags in [1, 2): any blend of two differs from both by far more than rounding.
    tags = np.random.default_rng(0).uniform(1.0, 2.0, (ny, nx))
    layers = []
    for a in range(period):
        for b in range(period):
            mine = (rows % period == a) & (cols % period == b)
            layers += [
                mine.astype(np.float64),
                np.where(mine, index, 0.0),
                np.where(mine, tags, 0.0),
            ]
    probe = xr.concat([template.copy(data=layer) for layer in layers], dim="probe")
    return probe.rio.write_crs(template.rio.crs), tags.ravel()


def zone_operator(
    template: xr.DataArray,
    grid: GridSpec,
    zones: ZoneIndex,
    resampling: Resampling = "bilinear",
    weights: Weights | None = None,
) -> ZoneOperator | None:
    """Read the operator of aligning fields like ``template`` onto ``grid``, per zone.

    Args:
        template: One source field, dims (y, x), with its CRS (rioxarray); only its
            grid matters.
        grid: The grid the fields are aligned onto (``zones``' grid).
        zones: The zones on ``grid``.
        resampling: The :func:`~aralrisk.geo.grid.align` resampling of the fields.
        weights: Optional weights on ``grid`` (rows, cols), e.g. people per cell, for
            weighted means; non-finite is no data. A lazy grid is read a strip at a time.

    Returns:
        The operator, or None when no colour period of :data:`PERIODS` separates the
        kernel (a kernel wider than 4 source cells, as when aligning onto a coarser grid).
    """
    ny, nx = template.shape
    for period in PERIODS:
        probe, tags = _probes(template, period)
        strip = max(1, _PROBE_VALUES // (len(probe) * grid.shape[1]))
        parts: list[tuple[Floats, ...]] = []
        for r0 in range(0, grid.shape[0], strip):
            rows = slice(r0, min(r0 + strip, grid.shape[0]))
            part = _strip(probe, tags, grid, zones, rows, resampling, weights)
            if part is None:
                break
            parts.append(part)
        else:
            return _assemble(parts, len(zones), ny * nx, weighted=weights is not None)
    return None


def _strip(
    probe: xr.DataArray,
    tags: Floats,
    grid: GridSpec,
    zones: ZoneIndex,
    rows: slice,
    resampling: Resampling,
    weights: Weights | None,
) -> tuple[Floats, ...] | None:
    """Operator entries (zone, source, weight, weight x people) of a strip of grid rows.

    None when a cell does not give back the tag of the cell it names: its kernel blends
    several cells of a colour (wider than the period).
    """
    height = rows.stop - rows.start
    sub = GridSpec(
        grid.crs, grid.transform * Affine.translation(0, rows.start), (height, grid.shape[1])
    )
    out = np.asarray(align(probe, sub, resampling), dtype=np.float64).reshape(len(probe), -1)
    cells, owner = _members(zones, rows)
    ones, index, tag = (out[k::3][:, cells] for k in range(3))
    valid = np.isfinite(ones).all(axis=0)
    cells, owner = cells[valid], owner[valid]
    ones, index, tag = ones[:, valid], index[:, valid], tag[:, valid]
    used = ones > _MIN_WEIGHT
    with np.errstate(invalid="ignore", divide="ignore"):
        source = np.where(used, np.rint(index / ones), 1.0)
        if np.any((source < 1) | (source > len(tags))):
            return None
        seen = np.where(used, tag / ones, 0.0)
    named = np.where(used, tags[source.astype(np.int64) - 1], 0.0)
    if np.any(np.abs(seen - named) > 1e-9 + 1e-12 / np.maximum(ones, _MIN_WEIGHT)):
        return None
    people = np.ones(len(cells))
    if weights is not None:
        # Sliced before it is read: a dask or DataArray grid stays lazy outside the strip.
        people = np.asarray(weights[rows], dtype=np.float64).ravel()[cells]
    has_people = np.isfinite(people)
    colour, at = np.nonzero(used)
    return (
        owner[at].astype(np.float64),
        source[colour, at] - 1,
        ones[colour, at],
        np.where(has_people[at], people[at], 0.0) * ones[colour, at],
        np.bincount(owner, minlength=1).astype(np.float64),
        np.bincount(owner, weights=np.where(has_people, people, 0.0)).astype(np.float64),
    )


def _assemble(
    parts: list[tuple[Floats, ...]], zones: int, sources: int, *, weighted: bool
) -> ZoneOperator:
    """The operator from the strips' entries."""

    def matrix(column: int) -> scipy.sparse.csr_matrix:
        rows = np.concatenate([p[0] for p in parts]).astype(np.int64)
        cols = np.concatenate([p[1] for p in parts]).astype(np.int64)
        vals = np.concatenate([p[column] for p in parts])
        return scipy.sparse.csr_matrix((vals, (rows, cols)), shape=(zones, sources))

    def per_zone(column: int) -> Floats:
        out = np.zeros(zones)
        for p in parts:
            out[: len(p[column])] += p[column]
        return out

    total = matrix(2)
    reads = np.zeros(sources, dtype=bool)
    reads[np.unique(total.indices)] = True
    return ZoneOperator(
        total=total,
        count=per_zone(4),
        weighted=matrix(3) if weighted else None,
        weight=per_zone(5) if weighted else None,
        reads=reads,
    )


def zone_means(
    fields: xr.DataArray,
    grid: GridSpec,
    zones: ZoneIndex,
    resampling: Resampling = "bilinear",
    weights: Weights | None = None,
    operators: OperatorCache | None = None,
) -> tuple[Floats, Floats | None]:
    """Each field's zone means as if aligned onto ``grid`` and reduced there.

    Equal, to rounding, to ``zones.stats(align(fields[k], grid, resampling),
    weights=weights)`` for every ``k`` (its ``mean`` and ``weighted_mean``), at the cost
    of one matrix product per field after a few probe warps (see the module docstring).

    Args:
        fields: Source fields, dims (n, y, x) on one source grid (any CRS, rioxarray
            conventions), any units; NaN is no data.
        grid: The grid they are aligned onto, ``zones``' grid.
        zones: The zones.
        resampling: The alignment's resampling (:func:`~aralrisk.geo.grid.align`).
        weights: Optional weights on ``grid`` (rows, cols), e.g. people per cell.
        operators: Operators already read, kept between calls on the same source grid,
            ``grid``, zones and weights (a dict the caller owns; one per build). One read
            with the weights serves later calls without them; pass the weighted fields
            first to read it once.

    Returns:
        ``(mean, weighted_mean)``, each (n, zones) float64 in the fields' units;
        ``weighted_mean`` is None without weights.
    """
    values = np.asarray(fields, dtype=np.float64)
    if values.ndim != 3:
        raise ValueError(f"zone_means takes fields of dims (n, y, x), got {fields.dims}")
    n = len(values)

    def direct(k: int) -> tuple[Floats, Floats]:
        stats = zones.stats(
            np.asarray(align(fields[k].astype(np.float64), grid, resampling)), weights=weights
        )
        return stats.mean, stats.weighted_mean

    operator = None
    if n > 1:
        template = fields[0]
        key = (
            str(template.rio.crs),
            tuple(template.rio.transform(recalc=True)),
            template.shape,
            resampling,
        )
        cache = {} if operators is None else operators
        # A weighted operator also holds the plain one (the same warp, the same cells):
        # read once with the weights, it serves the unweighted fields too.
        known = cache.get(key)
        if key not in cache or (
            weights is not None and known is not None and known.weighted is None
        ):
            cache[key] = zone_operator(template, grid, zones, resampling, weights)
        operator = cache[key]
    complete: npt.NDArray[np.bool_] = np.zeros(n, dtype=bool)
    if operator is not None:
        complete = np.asarray(np.isfinite(values.reshape(n, -1)[:, operator.reads]).all(axis=1))
    results: dict[int, tuple[Floats, Floats]] = {}
    if complete.any():
        assert operator is not None  # noqa: S101 - complete is only set with an operator
        quick_mean, quick_weighted = operator.apply(values[complete])
        quick = {
            int(k): (quick_mean[j], quick_mean[j] if quick_weighted is None else quick_weighted[j])
            for j, k in enumerate(np.flatnonzero(complete))
        }
        # The shortcut answers for itself: its first field is also taken the direct way.
        first = int(np.flatnonzero(complete)[0])
        results[first] = direct(first)
        pairs = list(zip(results[first], quick[first], strict=True))
        if all(_agree(a, b) for a, b in (pairs if weights is not None else pairs[:1])):
            results = quick | results
    for k in range(n):
        if k not in results:
            results[k] = direct(k)
    mean = np.stack([results[k][0] for k in range(n)])
    if weights is None:
        return mean, None
    return mean, np.stack([results[k][1] for k in range(n)])


def _agree(direct: Floats, quick: Floats) -> bool:
    """Whether the shortcut's zone values equal the direct way's, to rounding."""
    finite = np.abs(direct[np.isfinite(direct)])
    scale = float(finite.max()) if finite.size else 1.0
    return bool(np.allclose(quick, direct, rtol=_RTOL, atol=_RTOL * scale, equal_nan=True))
