"""Scoring and aggregation: goalposts, levels, INFORM composites, risk and classes.

All functions are pure and vectorised over NumPy arrays; they work the same on a zone
table (shape ``(zones,)`` or ``(zones, components)``) and on a raster (``(rows, cols)``
or ``(components, rows, cols)`` with ``axis=0``). ``NaN`` means *no data* everywhere and
is never turned into a number silently.

The methods are INFORM's (Marin-Ferrer, Vernaccini and Poljansek, *INFORM Concept and
Methodology*, JRC, 2017; INFORM Risk 2025, v0.7.0) and ThinkHazard!'s (GFDRR):

* indicators are scored 0-10 against fixed goalposts (:func:`score_goalposts`), with a
  ``log10`` transform for skewed quantities such as people;
* indicators of one category are averaged (:func:`weighted_mean`); categories,
  components and dimensions combine by INFORM's adjusted geometric mean
  (:func:`adjusted_geometric_mean`), which rescales each gap to 10 onto 1-10 first so
  that one score of 10 does not force the result to 10;
* a hazard's exposure is the mean of its absolute (log10 of the people exposed) and
  relative (share of the population) scores (:func:`exposure_score`);
* ``risk = HE ** (1/3) * V ** (1/3) * LCC ** (1/3)`` (:func:`risk`), classed with a
  named INFORM release's cut-offs on the value rounded to one decimal
  (:func:`risk_class`);
* a ThinkHazard! level needs a value threshold *and* an area fraction
  (:func:`hazard_level`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, overload

import numpy as np
import numpy.typing as npt

__all__ = [
    "HIGH",
    "INFORM_2025",
    "LEVEL_LABELS",
    "LOW",
    "MEDIUM",
    "NOT_APPLICABLE",
    "NO_DATA",
    "RISK_CLASS_BREAKS",
    "RISK_CLASS_LABELS",
    "RISK_CLASS_RELEASES",
    "SCORE_MAX",
    "VERY_LOW",
    "RiskClasses",
    "adjusted_geometric_mean",
    "composite",
    "contributions",
    "exposure_score",
    "geometric_mean",
    "hazard_level",
    "rank_descending",
    "risk",
    "risk_class",
    "risk_class_label",
    "score_goalposts",
    "value_level",
    "weighted_max",
    "weighted_mean",
]

FloatArray = npt.NDArray[np.float64]
Transform = Literal["linear", "log"]
CompositeMethod = Literal["geometric", "max"]

#: Maximum of every score.
SCORE_MAX = 10.0

#: Hazard level codes (ThinkHazard! classes). ``NO_DATA`` and ``NOT_APPLICABLE`` are kept
#: apart from ``VERY_LOW``: a district without data is not a district without hazard.
NO_DATA = -2
NOT_APPLICABLE = -1
VERY_LOW, LOW, MEDIUM, HIGH = 0, 1, 2, 3
LEVEL_LABELS: dict[int, str] = {
    NO_DATA: "no data",
    NOT_APPLICABLE: "not applicable",
    VERY_LOW: "very low",
    LOW: "low",
    MEDIUM: "medium",
    HIGH: "high",
}


@dataclass(frozen=True)
class RiskClasses:
    """Named class cut-offs of a 0-10 risk index.

    Attributes:
        name: The release the cut-offs come from, e.g. ``"INFORM Risk 2025 (v0.7.0)"``.
        breaks: Lower bounds of every class but the first, increasing (a value equal to
            a break belongs to the upper class).
        labels: One label per class, lowest first (``len(breaks) + 1`` labels).

    Examples:
        Cut-offs of a release not built in, used to class risk values:

        >>> three = RiskClasses("three classes", (3.0, 6.0), ("Low", "Medium", "High"))
        >>> risk_class([2.9, 3.0, 7.5], three), risk_class_label([2.9, 3.0, 7.5], three)
        (array([0, 1, 2], dtype=int8), ['Low', 'Medium', 'High'])
        >>> INFORM_2025.breaks
        (2.2, 3.2, 5.1, 6.9)
    """

    name: str
    breaks: tuple[float, ...]
    labels: tuple[str, ...] = ("Very Low", "Low", "Medium", "High", "Very High")

    def __post_init__(self) -> None:
        if len(self.labels) != len(self.breaks) + 1:
            raise ValueError(f"{len(self.breaks)} breaks need {len(self.breaks) + 1} labels")
        if any(b >= c for b, c in zip(self.breaks, self.breaks[1:], strict=False)):
            raise ValueError("class breaks must increase")
        if any(not 0.0 < b < SCORE_MAX for b in self.breaks):
            raise ValueError("class breaks lie strictly between 0 and 10")


#: INFORM Risk 2025 (v0.7.0): very low < 2.2 <= low < 3.2 <= medium < 5.1 <= high < 6.9
#: <= very high. INFORM revises the cut-offs between releases; builds name the release.
INFORM_2025 = RiskClasses("INFORM Risk 2025 (v0.7.0)", (2.2, 3.2, 5.1, 6.9))
#: Releases a build configuration may name.
RISK_CLASS_RELEASES: dict[str, RiskClasses] = {"INFORM 2025": INFORM_2025}
#: The default cut-offs and labels (kept as module constants for callers that draw legends).
RISK_CLASS_BREAKS: tuple[float, ...] = INFORM_2025.breaks
RISK_CLASS_LABELS: tuple[str, ...] = INFORM_2025.labels


def score_goalposts(
    values: npt.ArrayLike,
    low: float,
    high: float,
    transform: Transform = "linear",
) -> FloatArray:
    """Score raw values on 0-10 against fixed goalposts (INFORM's min-max normalisation).

    Args:
        values: Raw indicator values in the indicator's physical units, any shape.
        low: The value that scores 0. May be greater than ``high`` for indicators where
            less is worse (for example hospital beds per 10,000 people).
        high: The value that scores 10.
        transform: ``"linear"``, or ``"log"`` for skewed quantities such as counts of
            people: ``log10`` of values and goalposts, as INFORM transforms them. A value
            of 0 has no logarithm and scores as the ``low`` goalpost (nobody exposed
            scores 0).

    Returns:
        Scores in [0, 10], same shape as ``values``, ``NaN`` where the input is ``NaN``.

    Raises:
        ValueError: If the goalposts are equal, or a log transform meets goalposts <= 0
            or negative values.

    Examples:
        >>> score_goalposts([0.0, 0.75, 1.5, 3.0], 0.0, 1.5).tolist()
        [0.0, 5.0, 10.0, 10.0]
        >>> score_goalposts([1, 100, 10_000, 0], 1, 100_000, "log").tolist()
        [0.0, 4.0, 8.0, 0.0]
    """
    x = np.asarray(values, dtype=np.float64)
    if low == high:
        raise ValueError(f"goalposts must differ, got low = high = {low}")
    lo, hi = float(low), float(high)
    if transform == "log":
        if min(lo, hi) <= 0 or bool(np.any(x[np.isfinite(x)] < 0)):
            raise ValueError("a log10 transform needs goalposts above 0 and values of 0 or more")
        with np.errstate(divide="ignore"):
            x = np.log10(x)
        lo, hi = float(np.log10(lo)), float(np.log10(hi))
    elif transform != "linear":
        raise ValueError(f"unknown transform {transform!r}; use 'linear' or 'log'")
    with np.errstate(invalid="ignore"):
        scaled = (x - lo) / (hi - lo) * SCORE_MAX
    return np.clip(scaled, 0.0, SCORE_MAX)


def hazard_level(
    frac_above: npt.ArrayLike,
    area_fraction: float | Sequence[float],
    coverage: npt.ArrayLike | None = None,
    min_coverage: float = 0.0,
) -> npt.NDArray[np.int8]:
    """ThinkHazard!-style level from the area fractions above each level's threshold.

    A zone is at level *k* (1 = low, 2 = medium, 3 = high) when the share of its valid
    area above the *k*-th criterion's value threshold is at least that criterion's area
    fraction (and above zero: a fraction of 0 means "anywhere in the zone"); the highest
    level reached wins; otherwise the zone is very low (0).

    Args:
        frac_above: Fractions in [0, 1], shape ``(zones, levels)``, lowest level first;
            ``NaN`` where a zone has no valid cell.
        area_fraction: Share of the zone that must exceed each criterion, one number
            for all levels or one per level.
        coverage: Optional share of each zone's cells holding data, shape ``(zones,)``.
        min_coverage: Zones whose coverage is below this get :data:`NO_DATA`.

    Returns:
        Level codes, shape ``(zones,)``, int8; :data:`NO_DATA` where there is no data.

    Examples:
        >>> hazard_level([[0.5, 0.2, 0.005], [0.3, 0.0, 0.0]], 0.01).tolist()
        [2, 1]
        >>> hazard_level([[0.002, 0.002, 0.0]], [0.0, 0.01, 0.01]).tolist()
        [1]
    """
    frac = np.atleast_2d(np.asarray(frac_above, dtype=np.float64))
    needed = np.broadcast_to(np.asarray(area_fraction, dtype=np.float64), frac.shape[-1:])
    with np.errstate(invalid="ignore"):
        reached = (frac >= needed) & (frac > 0)
    # The highest criterion reached sets the level (index of the last True, plus one).
    top = np.where(reached.any(axis=1), frac.shape[1] - np.argmax(reached[:, ::-1], axis=1), 0)
    levels = top.astype(np.int8)
    no_data = np.isnan(frac).all(axis=1)
    if coverage is not None:
        cov = np.asarray(coverage, dtype=np.float64)
        no_data |= ~(cov >= min_coverage) | (cov == 0)
    levels[no_data] = NO_DATA
    return levels


def value_level(values: npt.ArrayLike, thresholds: Sequence[float]) -> npt.NDArray[np.int8]:
    """Level of single values (a point, a cell) against increasing thresholds.

    Returns 0 below the first threshold, *k* at or above the *k*-th, :data:`NO_DATA` for
    NaN.

    Examples:
        >>> value_level([0.0, 0.5, 2.0, float("nan")], [0.1, 0.5, 1.5]).tolist()
        [0, 2, 3, -2]
    """
    x = np.asarray(values, dtype=np.float64)
    levels = np.searchsorted(np.asarray(thresholds, dtype=np.float64), x, side="right")
    # np.where, not item assignment: a scalar input gives a 0-d array, which cannot be
    # indexed by a mask.
    return np.where(np.isnan(x), NO_DATA, levels).astype(np.int8)


def _weights(
    values: FloatArray, weights: npt.ArrayLike | None, axis: int
) -> tuple[FloatArray, FloatArray]:
    """``values`` with ``axis`` last, and weights broadcast to it, 0 where a value is NaN.

    Weights hold one number per component (shape ``(n,)``) or broadcast against the
    values with the components last (e.g. ``(draws, 1, n)`` against ``(zones, n)``: one
    result per draw and zone).
    """
    v = np.moveaxis(values, axis, -1)
    w = _checked_weights(weights, v.shape[-1])
    shape = np.broadcast_shapes(v.shape, w.shape)
    v, w = np.broadcast_to(v, shape), np.broadcast_to(w, shape)
    return v, np.where(np.isnan(v), 0.0, w)


def _checked_weights(weights: npt.ArrayLike | None, n: int) -> FloatArray:
    """``weights`` (``None``: all 1) for ``n`` components along their last axis, float64.

    Raises:
        ValueError: A last axis of another length, or a weight negative or not finite.
    """
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.ndim == 0 or w.shape[-1] != n:
        raise ValueError(f"expected {n} weights along the last axis, got shape {w.shape}")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("weights must be finite and non-negative")
    return w


def _sum_last(x: FloatArray, keepdims: bool = False) -> FloatArray:
    """``x.sum(axis=-1)``, bit for bit, fast when the last axis is short.

    NumPy reduces a short last axis (a few hazards per cell of a 65,536-cell tile) one
    tiny inner loop per cell, twenty times slower than adding whole component planes.
    Below eight components NumPy adds them in order, so adding the planes in order gives
    the same bits; from eight on its pairwise summation is kept.
    """
    n = x.shape[-1]
    if n == 0 or n >= 8:
        return np.asarray(x.sum(axis=-1, keepdims=keepdims), dtype=np.float64)
    out = _add_planes([x[..., i] for i in range(n)])
    return out[..., None] if keepdims else out


def _planes(
    values: FloatArray, weights: npt.ArrayLike | None, axis: int
) -> tuple[list[FloatArray], list[FloatArray]] | None:
    """The components of ``values`` as planes, each with its weight (0 where NaN).

    ``None`` unless there is one weight per component and fewer than eight of them
    (then :func:`_weights` broadcasts them).

    A tile's composite has a couple of hazards per cell: working plane by plane spares
    the broadcast (cells, components) temporaries, and :func:`_sum_last` adds planes in
    this same order, so the results are the same bits.
    """
    if values.ndim == 0:
        return None
    v = np.moveaxis(values, axis, -1)
    n = v.shape[-1]
    w = _checked_weights(weights, n)
    if not 0 < n < 8 or w.shape != (n,):
        return None
    planes = [v[..., i] for i in range(n)]
    return planes, [np.where(np.isnan(x), 0.0, wi) for x, wi in zip(planes, w, strict=True)]


def _add_planes(planes: Sequence[FloatArray]) -> FloatArray:
    """``planes[0] + planes[1] + ...`` in that order, as a new float64 array."""
    out = np.array(planes[0], dtype=np.float64)
    for x in planes[1:]:
        out += x
    return out


def _max_last(x: FloatArray) -> FloatArray:
    """``x.max(axis=-1)`` (NaN propagates), plane by plane when the last axis is short."""
    n = x.shape[-1]
    if n == 0 or n >= 8:
        return np.asarray(x.max(axis=-1), dtype=np.float64)
    out = np.array(x[..., 0], dtype=np.float64)
    for i in range(1, n):
        np.maximum(out, x[..., i], out=out)
    return out


def weighted_mean(
    values: npt.ArrayLike, weights: npt.ArrayLike | None = None, axis: int = -1
) -> FloatArray:
    """Weighted arithmetic mean along ``axis`` (INFORM's aggregation within a category).

    Missing (``NaN``) values drop out and the remaining weights are renormalised; the
    result is ``NaN`` only where every weighted value is missing.

    Examples:
        >>> weighted_mean([2.0, 6.0, float("nan")], [1, 3, 5]).item()
        5.0
    """
    v = np.asarray(values, dtype=np.float64)
    if (planes := _planes(v, weights, axis)) is not None:
        # The same operations in the same order, one component plane at a time.
        pv, pw = planes
        total = _add_planes(pw)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = (
                _add_planes([np.where(w > 0, x * w, 0.0) for x, w in zip(pv, pw, strict=True)])
                / total
            )
        return np.where(total > 0, out, np.nan)
    v, w = _weights(v, weights, axis)
    total = _sum_last(w)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = _sum_last(np.where(w > 0, v * w, 0.0)) / total
    return np.where(total > 0, out, np.nan)


def _check_scores(v: FloatArray) -> FloatArray:
    if v.size:
        # One pass each, skipping NaN, without copying the finite values out.
        low, high = np.fmin.reduce(v, axis=None), np.fmax.reduce(v, axis=None)
        if not (np.isfinite(low) and np.isfinite(high)):
            finite = v[np.isfinite(v)]  # infinities are clipped, not refused
            low, high = (finite.min(), finite.max()) if finite.size else (0.0, 0.0)
        if low < -1e-9 or high > SCORE_MAX + 1e-9:
            raise ValueError("scores must lie between 0 and 10")
    return np.clip(v, 0.0, SCORE_MAX)


def adjusted_geometric_mean(
    values: npt.ArrayLike, weights: npt.ArrayLike | None = None, axis: int = -1
) -> FloatArray:
    """INFORM's adjusted geometric mean of 0-10 scores, components on ``axis`` (last).

    ``AGM = (10 - prod(((10 - x_i) * 0.9 + 1) ** (w_i / sum(w)))) * 10 / 9``: each gap to
    10 is rescaled onto 1-10 before the geometric mean, so one score of 10 raises the
    result without forcing it to 10 (it is 10 only when every score is 10). Missing
    scores drop out with their weights; the result is NaN where all are missing.

    Args:
        values: Scores 0-10, components along ``axis``.
        weights: Non-negative weights (``None``: equal), one per component or
            broadcasting against ``values`` with the components last (2-D weights give
            one result per row of weights).
        axis: The component axis of ``values``.

    Returns:
        The index 0-10, ``values`` without ``axis`` (broadcast with the weights).

    Examples:
        Scores 10 and 0 give 7.6, not 10: ``(10 - sqrt(1 * 10)) * 10 / 9``.

        >>> round(adjusted_geometric_mean([10.0, 0.0]).item(), 4)
        7.5975

        Scores 4 and 6: gaps 6.4 and 4.6, ``(10 - sqrt(6.4 * 4.6)) * 10 / 9``.

        >>> round(adjusted_geometric_mean([4.0, 6.0], [1, 1]).item(), 4)
        5.0824

        One row of scores per district, or one row of weights per draw:

        >>> adjusted_geometric_mean([[7.0, 7.0], [0.0, 0.0]]).round(9).tolist()
        [7.0, 0.0]
        >>> adjusted_geometric_mean([10.0, 0.0], [[1, 0], [0, 1]]).round(9).tolist()
        [10.0, 0.0]
    """
    scores = _check_scores(np.asarray(values, dtype=np.float64))
    if (planes := _planes(scores, weights, axis)) is not None:
        # The same operations in the same order, one component plane at a time.
        pv, pw = planes
        total = _add_planes(pw)
        terms = []
        with np.errstate(invalid="ignore", divide="ignore"):
            for x, w in zip(pv, pw, strict=True):
                share = w / total
                gap = (SCORE_MAX - np.where(np.isnan(x), 0.0, x)) * 0.9 + 1.0
                terms.append(np.where(share > 0, np.log(gap) * share, 0.0))
            out = (SCORE_MAX - np.exp(_add_planes(terms))) * SCORE_MAX / 9.0
        return np.where(total > 0, np.clip(out, 0.0, SCORE_MAX), np.nan)
    v, w = _weights(scores, weights, axis)
    total = _sum_last(w, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = w / total
        gap = (SCORE_MAX - np.where(np.isnan(v), 0.0, v)) * 0.9 + 1.0
        log_mean = _sum_last(np.where(share > 0, np.log(gap) * share, 0.0))
        out = (SCORE_MAX - np.exp(log_mean)) * SCORE_MAX / 9.0
    # Clip rounding noise: (10 - exp(log 1)) * 10/9 may come out a few ulps off 10 or 0.
    out = np.clip(out, 0.0, SCORE_MAX)
    return np.where(np.squeeze(total, axis=-1) > 0, out, np.nan)


def weighted_max(
    values: npt.ArrayLike, weights: npt.ArrayLike | None = None, axis: int = -1
) -> FloatArray:
    """Maximum along ``axis`` over the values whose weight is positive (NaN skipped).

    Examples:
        >>> weighted_max([3.0, 9.0, 5.0], [1, 0, 1]).item()
        5.0
    """
    v, w = _weights(np.asarray(values, dtype=np.float64), weights, axis)
    out = _max_last(np.where(w > 0, v, -np.inf))
    return np.where(np.isfinite(out), out, np.nan)


def composite(
    values: npt.ArrayLike,
    groups: Sequence[str],
    weights: npt.ArrayLike,
    method: CompositeMethod = "geometric",
    axis: int = -1,
) -> tuple[FloatArray, dict[str, FloatArray]]:
    """Two-level INFORM composite: arithmetic mean within groups, ``method`` across them.

    A group is an INFORM category or a hazard with several indicators (a flood scored
    at two return periods); its weight across groups is the sum of its members' weights.

    Args:
        values: Scores 0-10 with the indicators along ``axis``.
        groups: The group of each indicator.
        weights: Non-negative weight of each indicator; groups whose weights are all
            zero drop out.
        method: ``"geometric"`` (INFORM's adjusted geometric mean) or ``"max"``.
        axis: The indicator axis.

    Returns:
        The composite (indicator axis removed) and the score of each group.

    Raises:
        ValueError: Weights of the wrong shape, negative, NaN or all zero; an unknown
            method.

    Examples:
        >>> total, parts = composite([[2.0, 4.0, 10.0]], ["flood", "flood", "dust"], [1, 1, 2])
        >>> parts["flood"].tolist(), round(total.item(), 4)
        ([3.0], 8.1091)
    """
    v = np.moveaxis(np.asarray(values, dtype=np.float64), axis, -1)
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (v.shape[-1],):
        raise ValueError(f"expected {v.shape[-1]} weights, got shape {w.shape}")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("weights must be finite and non-negative")
    if len(groups) != v.shape[-1]:
        raise ValueError(f"expected {v.shape[-1]} group names, got {len(groups)}")
    if not np.any(w > 0):
        raise ValueError("at least one weight must be positive")
    group_scores: dict[str, FloatArray] = {}
    group_weights: list[float] = []
    for name in dict.fromkeys(groups):
        members = [i for i, g in enumerate(groups) if g == name]
        gw = float(w[members].sum())
        if gw == 0:
            continue
        group_scores[name] = weighted_mean(v[..., members], w[members])
        group_weights.append(gw)
    stacked = np.stack(list(group_scores.values()), axis=-1)
    if method == "geometric":
        total = adjusted_geometric_mean(stacked, group_weights)
    elif method == "max":
        total = weighted_max(stacked, group_weights)
    else:
        raise ValueError(f"unknown composite method {method!r}; use 'geometric' or 'max'")
    return total, group_scores


def contributions(
    values: npt.ArrayLike, weights: npt.ArrayLike | None = None, axis: int = -1
) -> FloatArray:
    """Share of each component in the weighted sum of scores (sums to 1 along ``axis``).

    This is how drivers are named: the components with the largest share push a
    district's composite up. Missing scores contribute 0.

    Examples:
        >>> contributions([2.0, 6.0, float("nan")]).tolist()
        [0.25, 0.75, 0.0]
    """
    v, w = _weights(np.asarray(values, dtype=np.float64), weights, axis)
    part = np.where(np.isnan(v), 0.0, v) * w
    total = _sum_last(part, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(total > 0, part / total, 0.0)
    return np.moveaxis(shares, -1, axis)


def exposure_score(
    exposed: npt.ArrayLike,
    population: npt.ArrayLike,
    absolute: tuple[float, float] = (1.0, 100_000.0),
    relative: tuple[float, float] = (0.0, 1.0),
) -> FloatArray:
    """INFORM's physical exposure score of one hazard: mean of absolute and relative.

    The absolute score is ``log10`` of the people exposed against ``absolute`` goalposts
    (people); the relative score is the share of the population exposed against
    ``relative`` goalposts (0-1). INFORM averages the two so that neither a populous
    place (many people, small share) nor a small one (few people, all of them) is lost.

    Args:
        exposed: People living where the hazard reaches its threshold, any shape.
        population: People living in the same zones, same shape.
        absolute: Goalposts of the people exposed (log10 scale), people.
        relative: Goalposts of the share exposed, 0-1.

    Returns:
        Scores 0-10; NaN where ``exposed`` is NaN; where nobody lives, the share is 0.

    Examples:
        10,000 of 40,000 people: absolute 8.0, relative 2.5, exposure 5.25.

        >>> exposure_score(10_000, 40_000).item()
        5.25
    """
    people = np.asarray(exposed, dtype=np.float64)
    total = np.asarray(population, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, people / total, np.where(np.isnan(people), np.nan, 0.0))
    absolute_score = score_goalposts(people, *absolute, transform="log")
    relative_score = score_goalposts(share, *relative)
    return (absolute_score + relative_score) / 2.0


def geometric_mean(*dimensions: npt.ArrayLike) -> FloatArray:
    """Unweighted geometric mean of equally shaped 0-10 dimensions (NaN if any is NaN).

    Examples:
        >>> geometric_mean(8.0, 1.0, 8.0).item()
        4.0
    """
    stacked = np.stack([np.asarray(d, dtype=np.float64) for d in dimensions])
    clipped = np.clip(stacked, 0.0, None)
    with np.errstate(divide="ignore", invalid="ignore"):
        # Clip rounding noise so that the geometric mean of 10s is exactly 10.
        result: FloatArray = np.clip(np.exp(np.log(clipped).mean(axis=0)), 0.0, clipped.max(axis=0))
    return np.where(np.isnan(stacked).any(axis=0), np.nan, result)


def risk(
    hazard_exposure: npt.ArrayLike, vulnerability: npt.ArrayLike, lack_of_coping: npt.ArrayLike
) -> FloatArray:
    """INFORM risk: ``HE ** (1/3) * V ** (1/3) * LCC ** (1/3)`` on 0-10.

    Args:
        hazard_exposure: The hazard & exposure dimension, 0-10.
        vulnerability: The vulnerability dimension, 0-10.
        lack_of_coping: The lack of coping capacity dimension, 0-10.

    Returns:
        Risk 0-10 (NaN where a dimension is NaN); 0 when any dimension is 0.

    Examples:
        >>> round(risk(6.4, 5.2, 7.1).item(), 4)
        6.1823
    """
    return geometric_mean(hazard_exposure, vulnerability, lack_of_coping)


def _round_half_up(x: FloatArray) -> FloatArray:
    # INFORM rounds in spreadsheets, half away from zero on the decimal value: 2.15 is
    # 2.2 there, while the binary float nearest 2.15 rounds to 2.1. The nudge of 1e-9
    # brings decimal halves over the line without moving any other value.
    return np.floor(x * 10.0 + 0.5 + 1e-9) / 10.0


def risk_class(risk: npt.ArrayLike, classes: RiskClasses = INFORM_2025) -> npt.NDArray[np.int8]:
    """Class index 0-4 (very low .. very high) of risk values; -1 for NaN.

    The value is rounded to one decimal first, as INFORM publishes and classes it.

    Examples:
        >>> risk_class([2.1, 2.15, 3.2, 5.04, 6.9, float("nan")]).tolist()
        [0, 1, 2, 2, 4, -1]
    """
    x = np.asarray(risk, dtype=np.float64)
    rounded = _round_half_up(x)
    classes_found = np.searchsorted(np.asarray(classes.breaks), rounded, side="right")
    return np.where(np.isnan(x), -1, classes_found).astype(np.int8)


@overload
def risk_class_label(risk: float, classes: RiskClasses = ...) -> str: ...
@overload
def risk_class_label(risk: npt.ArrayLike, classes: RiskClasses = ...) -> str | list[str]: ...
def risk_class_label(risk: npt.ArrayLike, classes: RiskClasses = INFORM_2025) -> str | list[str]:
    """Class names of risk values (INFORM spelling; ``"no data"`` for NaN).

    A single number gives one label; an array (or list) gives a flat list of labels.

    Examples:
        >>> risk_class_label(5.1)
        'High'
        >>> risk_class_label([1.0, 7.0, float("nan")])
        ['Very Low', 'Very High', 'no data']
    """
    codes = risk_class(risk, classes)
    labels = [classes.labels[c] if c >= 0 else "no data" for c in codes.ravel()]
    return labels[0] if codes.ndim == 0 else labels


def rank_descending(values: npt.ArrayLike, axis: int = -1) -> FloatArray:
    """Rank 1 for the highest value; ties share the best rank; NaN has no rank (NaN).

    Competition ranking ("1224") among the values that exist: a district without a
    value is not ranked last, it is not ranked. Values of any shape are ranked along
    ``axis`` (e.g. ``(draws, districts)``: one ranking per draw); memory is
    ``values.size x values.shape[axis]`` booleans, so rank long stacks in slices.

    Examples:
        >>> rank_descending([3.0, float("nan"), 5.0, 3.0]).tolist()
        [2.0, nan, 1.0, 2.0]
        >>> rank_descending([[1.0, 2.0], [2.0, 1.0]]).tolist()
        [[2.0, 1.0], [1.0, 2.0]]
    """
    x = np.moveaxis(np.asarray(values, dtype=np.float64), axis, -1)
    key = np.where(np.isnan(x), -np.inf, x)
    # [..., i, j] is key[j] > key[i]: how many values beat value i.
    greater = (key[..., None, :] > key[..., :, None]).sum(axis=-1)
    return np.moveaxis(np.where(np.isnan(x), np.nan, greater + 1.0), -1, axis)
