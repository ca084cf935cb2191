"""Compiled loops behind :mod:`geo.zonal`: run-length zones and per-chunk accumulation.

The label raster is stored as runs: for every row, the maximal stretches of cells
with the same non-zero label (``row_ptr`` indexes the runs of each row, CSR-style).
The loops walk those runs over a chunk of values, so cells outside every zone cost
nothing, and each run is summed in registers before one update of its zone — the
per-cell work is a load, a finiteness test and a few adds, with no temporaries.
A run may overlap another (the extra one-cell runs of zones smaller than a cell),
which is how one cell counts for two zones.

All functions are compiled with numba, release the GIL (dask threads run them in
parallel) and cache their machine code next to this file.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba
import numpy as np

_F = TypeVar("_F", bound=Callable[..., Any])


def _jit(func: _F) -> _F:
    return cast(_F, numba.njit(nogil=True, cache=True)(func))


@_jit
def label_runs(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Run-length encode the non-zero labels of a (rows, cols) raster, row by row.

    Returns:
        ``row_ptr`` (rows + 1,) int64: runs of row ``i`` are ``row_ptr[i]:row_ptr[i+1]``;
        ``run_col`` (runs,) int64: first column; ``run_len`` (runs,) int64: length in
        cells; ``run_zone`` (runs,) int64: zone index, i.e. label - 1.
    """
    rows, cols = labels.shape
    row_ptr = np.zeros(rows + 1, np.int64)
    for i in range(rows):
        runs = 0
        previous = 0
        for j in range(cols):
            label = int(labels[i, j])
            if label != previous:
                if label != 0:
                    runs += 1
                previous = label
        row_ptr[i + 1] = row_ptr[i] + runs
    total = row_ptr[rows]
    run_col = np.empty(total, np.int64)
    run_len = np.empty(total, np.int64)
    run_zone = np.empty(total, np.int64)
    for i in range(rows):
        p = row_ptr[i]
        j = 0
        while j < cols:
            label = int(labels[i, j])
            if label == 0:
                j += 1
                continue
            start = j
            while j < cols and int(labels[i, j]) == label:
                j += 1
            run_col[p] = start
            run_len[p] = j - start
            run_zone[p] = label - 1
            p += 1
    return row_ptr, run_col, run_len, run_zone


@_jit
def _run_stats(
    values: np.ndarray, i: int, start: int, stop: int
) -> tuple[int, float, float, float]:
    """Count, sum, min and max of the finite values of ``values[i, start:stop]``."""
    n = 0
    # Four partial sums: one float64 add chain would take 4 cycles per cell.
    s0 = s1 = s2 = s3 = 0.0
    lo = math.inf
    hi = -math.inf
    j = start
    while j + 3 < stop:
        x0, x1, x2, x3 = values[i, j], values[i, j + 1], values[i, j + 2], values[i, j + 3]
        if math.isfinite(x0):
            n += 1
            s0 += x0
            lo = min(lo, x0)
            hi = max(hi, x0)
        if math.isfinite(x1):
            n += 1
            s1 += x1
            lo = min(lo, x1)
            hi = max(hi, x1)
        if math.isfinite(x2):
            n += 1
            s2 += x2
            lo = min(lo, x2)
            hi = max(hi, x2)
        if math.isfinite(x3):
            n += 1
            s3 += x3
            lo = min(lo, x3)
            hi = max(hi, x3)
        j += 4
    while j < stop:
        x = values[i, j]
        if math.isfinite(x):
            n += 1
            s0 += x
            lo = min(lo, x)
            hi = max(hi, x)
        j += 1
    return n, (s0 + s1) + (s2 + s3), lo, hi


@_jit
def _run_histogram(
    values: np.ndarray,
    i: int,
    start: int,
    stop: int,
    scale: float,
    origin: float,
    hist: np.ndarray,
    row: int,
) -> None:
    """Count the finite values of ``values[i, start:stop]`` into ``hist[row:row + 4]``.

    Bin ``floor(x * scale) - origin``, computed as ``int(x * scale - origin)``: both
    terms are exact and the difference is non-negative, so truncation is the floor.
    Four interleaved copies of the histogram: neighbouring cells often share a bin,
    and four independent counters let their increments overlap instead of waiting
    on each other (2.5x faster); the caller adds the copies up.
    """
    top = hist.shape[1] - 1
    j = start
    while j + 3 < stop:
        for c in range(4):
            x = values[i, j + c]
            if math.isfinite(x):
                # Clipped for safety only: the lattice spans the values' min..max.
                hist[row + c, min(max(int(x * scale - origin), 0), top)] += 1
        j += 4
    while j < stop:
        x = values[i, j]
        if math.isfinite(x):
            hist[row, min(max(int(x * scale - origin), 0), top)] += 1
        j += 1


@_jit
def accumulate(
    values: np.ndarray,
    weights: np.ndarray,
    use_weights: bool,
    row0: int,
    col0: int,
    row_ptr: np.ndarray,
    run_col: np.ndarray,
    run_len: np.ndarray,
    run_zone: np.ndarray,
    row_area: np.ndarray,
    thresholds: np.ndarray,
    count: np.ndarray,
    total: np.ndarray,
    vmin: np.ndarray,
    vmax: np.ndarray,
    valid_area: np.ndarray,
    wsum: np.ndarray,
    wtot: np.ndarray,
    above_area: np.ndarray,
    above_weight: np.ndarray,
) -> None:
    """Add one chunk's cells to the per-zone accumulators (updated in place).

    Args:
        values: (rows, cols) chunk whose top-left cell is (``row0``, ``col0``) of the
            grid; non-finite values are no data.
        weights: Same shape as ``values`` when ``use_weights``; non-finite is no data.
        use_weights: Whether ``weights`` holds data (else it is a dummy).
        row0: Grid row of the chunk's first row.
        col0: Grid column of the chunk's first column.
        row_ptr: Runs index from :func:`label_runs` (plus any extra runs).
        run_col: First column of each run.
        run_len: Length of each run in cells.
        run_zone: Zone index of each run.
        row_area: (grid rows,) cell area of each grid row, km2.
        thresholds: (k,) value thresholds for the "above" accumulators.
        count: (n,) int64 number of valid cells.
        total: (n,) float64 sum of valid values.
        vmin: (n,) float64 minimum (start at +inf).
        vmax: (n,) float64 maximum (start at -inf).
        valid_area: (n,) float64 km2 of valid cells.
        wsum: (n,) float64 sum of weight * value where both are valid.
        wtot: (n,) float64 sum of weights where both are valid.
        above_area: (n, k) float64 km2 of valid cells with value > threshold.
        above_weight: (n, k) float64 sum of valid weights in cells with value > threshold.
    """
    rows, cols = values.shape
    col1 = col0 + cols
    n_thresholds = thresholds.shape[0]
    for i in range(rows):
        row = row0 + i
        area = row_area[row]
        for p in range(row_ptr[row], row_ptr[row + 1]):
            start = max(run_col[p], col0) - col0
            stop = min(run_col[p] + run_len[p], col1) - col0
            if start >= stop:
                continue
            zone = run_zone[p]
            n, s, lo, hi = _run_stats(values, i, start, stop)
            if n == 0:
                continue
            count[zone] += n
            total[zone] += s
            vmin[zone] = min(vmin[zone], lo)
            vmax[zone] = max(vmax[zone], hi)
            valid_area[zone] += n * area
            for t in range(n_thresholds):
                threshold = thresholds[t]
                n_above = 0
                w_above = 0.0
                for j in range(start, stop):
                    x = values[i, j]
                    # NaN compares False, so no-data cells are never above.
                    if x > threshold and math.isfinite(x):
                        n_above += 1
                        if use_weights:
                            w = weights[i, j]
                            if math.isfinite(w):
                                w_above += w
                above_area[zone, t] += n_above * area
                above_weight[zone, t] += w_above
            if use_weights:
                ws = 0.0
                wt = 0.0
                for j in range(start, stop):
                    x = values[i, j]
                    w = weights[i, j]
                    if math.isfinite(x) and math.isfinite(w):
                        ws += w * x
                        wt += w
                wsum[zone] += ws
                wtot[zone] += wt


@_jit
def collect(
    values: np.ndarray,
    row0: int,
    col0: int,
    row_ptr: np.ndarray,
    run_col: np.ndarray,
    run_len: np.ndarray,
    run_zone: np.ndarray,
    mode: np.ndarray,
    scale: np.ndarray,
    bin_lo: np.ndarray,
    bin_hi: np.ndarray,
    raw_offset: np.ndarray,
    raw: np.ndarray,
    hist_row: np.ndarray,
    hist: np.ndarray,
) -> None:
    """Gather the values of each zone for its percentile, as raw values or a histogram.

    The histogram lattice of zone ``z`` has bins of width ``1 / scale[z]`` (a power of
    two) on whole multiples of that width: the absolute bin of ``x`` is
    ``floor(x * scale[z])``, exact in float64 because ``scale`` is a power of two.

    Args:
        values: (rows, cols) chunk at (``row0``, ``col0``) of the grid.
        row0: Grid row of the chunk's first row.
        col0: Grid column of the chunk's first column.
        row_ptr: Runs index (see :func:`accumulate`).
        run_col: First column of each run.
        run_len: Length of each run in cells.
        run_zone: Zone index of each run.
        mode: (n,) int64 per zone: 0 skip, 1 copy finite values with an absolute bin
            in ``bin_lo..bin_hi`` into ``raw``, 2 count them into row ``hist_row`` of
            ``hist`` at column ``bin - bin_lo``.
        scale: (n,) float64 reciprocal bin width.
        bin_lo: (n,) float64 first absolute bin kept (``-inf`` keeps all).
        bin_hi: (n,) float64 last absolute bin kept (``+inf`` keeps all).
        raw_offset: (n,) int64 where each mode-1 zone's values start in ``raw``; the
            caller sized each zone's slot to the number of values it will receive.
        raw: Output buffer of copied values.
        hist_row: (n,) int64 histogram number of each mode-2 zone: its counts are
            the sum of rows ``4 * hist_row .. 4 * hist_row + 3`` of ``hist``.
        hist: (4 * h, bins) int64 counts, updated in place.
    """
    rows, cols = values.shape
    col1 = col0 + cols
    filled = np.zeros(mode.shape[0], np.int64)
    for i in range(rows):
        row = row0 + i
        for p in range(row_ptr[row], row_ptr[row + 1]):
            zone = run_zone[p]
            kind = mode[zone]
            if kind == 0:
                continue
            start = max(run_col[p], col0) - col0
            stop = min(run_col[p] + run_len[p], col1) - col0
            sc = scale[zone]
            lo = bin_lo[zone]
            hi = bin_hi[zone]
            if kind == 1:
                at = raw_offset[zone] + filled[zone]
                for j in range(start, stop):
                    x = values[i, j]
                    if math.isfinite(x):
                        b = np.floor(x * sc)
                        if lo <= b <= hi:
                            raw[at] = x
                            at += 1
                filled[zone] = at - raw_offset[zone]
            else:
                _run_histogram(values, i, start, stop, sc, lo, hist, 4 * hist_row[zone])
