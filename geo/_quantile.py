"""Per-zone percentile state for :mod:`geo.zonal`: exact values while few, a histogram beyond.

A zone's state is built chunk by chunk and merged pairwise in any order:

* ``None`` — no valid value yet;
* a 1-D array of the values themselves, while the zone has at most
  :data:`EXACT_LIMIT` valid values: the percentile is then exact;
* a :class:`Histogram` beyond that: counts on a lattice of bins of width ``2**e``
  on whole multiples of ``2**e``, with the smallest ``e`` whose bins from the
  zone's minimum to its maximum number at most :data:`HIST_BINS`.

Because the bins are nested powers of two anchored at zero, a histogram of a finer
lattice coarsens exactly onto a coarser one, so merging is exact and associative,
and the final histogram is that of the zone's whole value range whatever the chunking.
The percentile read from it is off by less than one bin width:
``2 * (max - min) / (HIST_BINS - 1)`` (about 0.05 % of the zone's value range), or
``2**-51 * max(|min|, |max|)`` when the range is that narrow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

HIST_BINS = 4096
# Up to this many valid values a zone keeps them all (4 or 8 bytes each) and its
# percentile is exact: a 1 km grid district of up to ~100,000 km2 stays exact.
EXACT_LIMIT = 1 << 17
#: Finest lattice: its scale ``2**-MIN_EXPONENT`` must be a finite float64 (a zone of
#: zeros or subnormal values would otherwise ask for ``2**1074``, which overflows).
MIN_EXPONENT = -1022


@dataclass(frozen=True)
class Histogram:
    """Counts of values on the lattice of bins ``[b * 2**exponent, (b + 1) * 2**exponent)``.

    Attributes:
        exponent: Bin width is ``2**exponent`` (value units).
        origin: Absolute bin index ``b`` of ``counts[0]``.
        counts: (HIST_BINS,) int64 counts.
    """

    exponent: int
    origin: int
    counts: np.ndarray


State = np.ndarray | Histogram | None


def lattice_exponent(lo: float, hi: float, bins: int | None = None) -> int:
    """The smallest ``e`` for which ``lo..hi`` spans at most ``bins`` bins of width ``2**e``.

    ``e`` is also kept large enough that ``|x| / 2**e < 2**52``, so absolute bin
    indices are exact integers in float64, and no smaller than :data:`MIN_EXPONENT`.
    """
    bins = HIST_BINS if bins is None else bins
    magnitude = max(abs(lo), abs(hi))
    e_min = MIN_EXPONENT
    if magnitude > 0:
        e_min = max(e_min, math.frexp(magnitude)[1] - 52)
    per_bin = (hi - lo) / bins
    # Every e below floor(log2(per_bin)) spans more than `bins` bins: start there.
    e = max(e_min, math.floor(math.log2(per_bin))) if per_bin > 0 else e_min
    while _span_bins(lo, hi, e) > bins:
        e += 1
    return e


def _span_bins(lo: float, hi: float, e: int) -> int:
    return math.floor(math.ldexp(hi, -e)) - math.floor(math.ldexp(lo, -e)) + 1


def absolute_bins(values: np.ndarray, exponent: int) -> np.ndarray:
    """Absolute bin index of each value on the lattice of width ``2**exponent``, int64."""
    return np.floor(np.ldexp(values.astype(np.float64), -exponent)).astype(np.int64)


def histogram(values: np.ndarray, lo: float, hi: float) -> Histogram:
    """The histogram of ``values`` (all within ``lo..hi``) on the lattice fitted to ``lo..hi``."""
    exponent = lattice_exponent(lo, hi)
    origin = math.floor(math.ldexp(lo, -exponent))
    counts = np.bincount(absolute_bins(values, exponent) - origin, minlength=HIST_BINS)
    return Histogram(exponent, origin, counts.astype(np.int64))


def _rebin(h: Histogram, exponent: int, origin: int) -> np.ndarray:
    """Counts of ``h`` on the coarser (or equal) lattice ``exponent`` starting at ``origin``."""
    nonzero = np.flatnonzero(h.counts)
    # Floor division by 2**shift of absolute indices nests the fine bins into the coarse
    # ones: an arithmetic right shift, and from 63 bits on every int64 index lands in
    # bin 0 or -1 (a lattice of zeros merged into one of larger values).
    shift = min(exponent - h.exponent, 63)
    target = ((h.origin + nonzero) >> shift) - origin
    return np.bincount(target, weights=h.counts[nonzero], minlength=HIST_BINS).astype(np.int64)


def merge(a: State, b: State, lo: float, hi: float) -> State:
    """Merge two states of one zone whose values together lie within ``lo..hi``."""
    if a is None:
        return b
    if b is None:
        return a
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        joined = np.concatenate([a, b])
        return joined if joined.size <= EXACT_LIMIT else histogram(joined, lo, hi)
    exponent = max(
        lattice_exponent(lo, hi),
        *(s.exponent for s in (a, b) if isinstance(s, Histogram)),
    )
    origin = math.floor(math.ldexp(lo, -exponent))
    counts = np.zeros(HIST_BINS, np.int64)
    for state in (a, b):
        if isinstance(state, Histogram) and state.exponent == exponent:
            # Same lattice (the usual case once a zone's range is known): shift and add.
            shift = state.origin - origin
            counts[shift:] += state.counts[: HIST_BINS - shift]
        elif isinstance(state, Histogram):
            counts += _rebin(state, exponent, origin)
        else:
            counts += np.bincount(absolute_bins(state, exponent) - origin, minlength=HIST_BINS)
    return Histogram(exponent, origin, counts)


def order_bins(h: Histogram, rank: int) -> tuple[int, int]:
    """Return (absolute bin, values in bins before it) of the value of 0-based ``rank``."""
    cumulative = np.cumsum(h.counts)
    index = int(np.searchsorted(cumulative, rank, side="right"))
    return h.origin + index, int(cumulative[index] - h.counts[index])


def quantile_ranks(n: int, q: float) -> tuple[int, int, float]:
    """The two 0-based ranks and the weight of linear interpolation (numpy's default)."""
    position = (n - 1) * q
    below = min(math.floor(position), n - 1)
    return below, min(below + 1, n - 1), position - below


def interpolate(x_below: float, x_above: float, fraction: float) -> float:
    """Linear interpolation between two order statistics, computed as numpy does."""
    return float(np.quantile(np.array([x_below, x_above]), fraction))


def estimate(h: Histogram, q: float, lo: float, hi: float) -> float:
    """Percentile ``q`` (0..1) from a histogram, within one bin width of the exact value.

    Inside a bin the values are taken as evenly spread; the zone's exact minimum and
    maximum bound the estimate and are exact at ``q = 0`` and ``q = 1``.
    """
    n = int(h.counts.sum())
    below, above, fraction = quantile_ranks(n, q)
    return interpolate(
        _order_statistic(h, below, n, lo, hi), _order_statistic(h, above, n, lo, hi), fraction
    )


def _order_statistic(h: Histogram, rank: int, n: int, lo: float, hi: float) -> float:
    if rank <= 0:
        return lo
    if rank >= n - 1:
        return hi
    absolute, before = order_bins(h, rank)
    inside = (rank - before + 0.5) / h.counts[absolute - h.origin]
    return min(max(math.ldexp(absolute + inside, h.exponent), lo), hi)
