"""One pass over a layer for :mod:`geo.zonal`: per-chunk partials and their merge.

Each chunk of a layer becomes a :class:`Partial` — per-zone counts, sums, extremes,
areas, threshold tallies and percentile states — computed by the compiled loops of
:mod:`geo._zonal_kernels` over the zones' runs (:class:`Plan`). Partials of disjoint
chunks merge exactly and in any order, so a dask layer is reduced as a tree of small
tasks and never held in memory as a whole.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import dask
import dask.array
import numpy as np

from aralrisk.geo import _quantile
from aralrisk.geo._zonal_kernels import accumulate, collect

# Rows of an in-memory (numpy) layer handed to one thread at a time: about 4 M cells.
_NUMPY_BLOCK_CELLS = 4 * 1024 * 1024


@dataclass(frozen=True, eq=False)
class Plan:
    """What every chunk task needs: the zones as runs, and the grid's row areas."""

    n: int
    row_ptr: np.ndarray
    run_col: np.ndarray
    run_len: np.ndarray
    run_zone: np.ndarray
    row_area: np.ndarray


@dataclass(eq=False)
class Partial:
    """Per-zone accumulators of some chunks of one layer (see ``accumulate``), (n,) or (n, k)."""

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


def reduce_in_memory(
    plan: Plan, data: np.ndarray, wdata: np.ndarray | None, thr: np.ndarray
) -> Partial:
    """Partials of an in-memory layer, in row blocks of about 4 M cells on all cores."""
    rows = max(1, _NUMPY_BLOCK_CELLS // max(1, data.shape[1]))
    starts = range(0, data.shape[0], rows)

    def block(r0: int) -> Partial:
        w = None if wdata is None else wdata[r0 : r0 + rows]
        return chunk_partial(plan, data[r0 : r0 + rows], w, r0, 0, thr)

    with ThreadPoolExecutor(max_workers=min(len(starts), os.cpu_count() or 1)) as pool:
        partials = list(pool.map(block, starts))
    return merge_all(partials)


def reduce_lazy(
    plan: Plan,
    plan_key: str,
    data: np.ndarray | dask.array.Array,
    wdata: np.ndarray | dask.array.Array | None,
    thr: np.ndarray,
) -> Partial:
    """Partials of a dask-backed layer: one task per chunk, merged pairwise in a tree.

    Computed with dask's current scheduler (a distributed client if one is active);
    ``plan_key`` names the plan's one graph key, so a cluster ships it once.
    """
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
    shared_plan = dask.delayed(plan, name=plan_key, traverse=False)
    thresholds = dask.delayed(thr, pure=True, traverse=False)
    blocks = lazy.to_delayed()
    wblocks = None if lazy_weights is None else lazy_weights.to_delayed()
    parts = [
        dask.delayed(chunk_partial, pure=True)(
            shared_plan,
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
            dask.delayed(merge, pure=True)(parts[k], parts[k + 1])
            for k in range(0, len(parts) - 1, 2)
        ]
        parts = merged + ([parts[-1]] if len(parts) % 2 else [])
    (result,) = dask.compute(parts[0])
    assert isinstance(result, Partial)  # noqa: S101
    return result


def percentiles(
    plan: Plan, partial: Partial, q: float, exact_from: np.ndarray | None
) -> np.ndarray:
    """Percentile ``q`` (0..1) per zone from the merged partial.

    Zones that kept their values are exact; histogram zones are estimated within one
    bin (see :mod:`geo._quantile`), or made exact when the layer is in memory
    (``exact_from``).
    """
    out = np.full(plan.n, np.nan)
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
        _refine(plan, partial, exact_from, refine, out)
    return out


def _refine(
    plan: Plan,
    partial: Partial,
    data: np.ndarray,
    refine: dict[int, tuple[int, int, float, int, int, int]],
    out: np.ndarray,
) -> None:
    """Make the percentiles of histogram zones exact from an in-memory layer.

    Only the cells in the histogram bins holding the two order statistics are
    copied, then sorted.
    """
    n = plan.n
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
    values = as_float(data)
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


def plan_with_extra_cells(
    n: int,
    row_ptr: np.ndarray,
    run_col: np.ndarray,
    run_len: np.ndarray,
    run_zone: np.ndarray,
    extra: Mapping[int, tuple[int, int]],
    row_area: np.ndarray,
) -> Plan:
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
    return Plan(
        n=n,
        row_ptr=row_ptr.astype(np.int64),
        run_col=run_col.astype(np.int64),
        run_len=run_len.astype(np.int64),
        run_zone=run_zone.astype(np.int64),
        row_area=np.asarray(row_area, dtype=np.float64),
    )


def _float_dtype(dtype: np.dtype[Any]) -> np.dtype[Any]:
    return as_float(np.empty(0, dtype)).dtype


def as_float(block: np.ndarray) -> np.ndarray:
    """A C-ordered, native-endian float32/float64 array, as the compiled loops take."""
    block = np.asarray(block)
    if block.dtype.kind != "f":
        # Integer classes and counts: every value is valid data.
        block = block.astype(np.float64)
    elif block.dtype.itemsize < 4 or not block.dtype.isnative:
        block = block.astype(np.float32 if block.dtype.itemsize <= 4 else np.float64)
    return np.ascontiguousarray(block)


def chunk_partial(
    plan: Plan,
    values: np.ndarray,
    weights: np.ndarray | None,
    row0: int,
    col0: int,
    thresholds: np.ndarray,
) -> Partial:
    """The partial statistics of one chunk of a layer whose top-left cell is (row0, col0)."""
    values = as_float(values)
    use_weights = weights is not None
    w = as_float(weights) if weights is not None else np.zeros((1, 1), values.dtype)
    n, k = plan.n, len(thresholds)
    part = Partial(
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


def merge(a: Partial, b: Partial) -> Partial:
    """Combine the partials of two disjoint sets of chunks."""
    vmin = np.minimum(a.vmin, b.vmin)
    vmax = np.maximum(a.vmax, b.vmax)
    quantiles = [
        _quantile.merge(qa, qb, float(vmin[k]), float(vmax[k]))
        for k, (qa, qb) in enumerate(zip(a.quantiles, b.quantiles, strict=True))
    ]
    return Partial(
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


def merge_all(partials: list[Partial]) -> Partial:
    result = partials[0]
    for part in partials[1:]:
        result = merge(result, part)
    return result
