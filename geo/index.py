"""Scoring and aggregation: goalposts, levels, composites and INFORM-style risk.

All functions are pure and vectorised over NumPy arrays; they work the same on a
district table (shape ``(districts,)`` or ``(districts, indicators)``) and on a raster
(shape ``(rows, cols)`` or ``(indicators, rows, cols)`` with ``axis=0``). ``NaN`` means
*no data* everywhere and is never turned into a number silently.

Methodology (see INFORM Risk concept and methodology, JRC; ThinkHazard!, GFDRR):

* scores are on a fixed 0-10 scale against declared goalposts, never min-max over the
  data at hand, so that results stay comparable between years and data sets;
* a hazard level needs a value threshold *and* an area-fraction threshold;
* within a group of indicators the weighted arithmetic mean is used; across groups either
  the maximum or INFORM's adjusted geometric mean ``10 - prod((10 - x_i) ** w_i)``, which
  does not let one extreme hazard be averaged away;
* ``risk = (hazard_exposure * vulnerability * lack_of_coping) ** (1/3)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt

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

#: INFORM risk classes: upper bounds (exclusive) of each class on the 0-10 scale.
RISK_CLASS_BREAKS: tuple[float, ...] = (2.0, 3.5, 5.0, 6.5)
RISK_CLASS_LABELS: tuple[str, ...] = ("Very low", "Low", "Medium", "High", "Very high")


def score_goalposts(
    values: npt.ArrayLike,
    low: float,
    high: float,
    transform: Transform = "linear",
) -> FloatArray:
    """Score raw values on 0-10 against fixed goalposts.

    Args:
        values: Raw indicator values in the layer's physical units, any shape.
        low: The value that scores 0. May be greater than ``high`` for indicators
            where less is worse (for example hospital beds per 10,000 people).
        high: The value that scores 10.
        transform: ``"linear"``, or ``"log"`` for skewed quantities such as counts or
            densities (``log1p`` is applied to values and goalposts, so zero stays valid).

    Returns:
        Scores in [0, 10], same shape as ``values``, ``NaN`` where the input is ``NaN``.

    Raises:
        ValueError: If the goalposts are equal or a log transform meets values <= -1.
    """
    x = np.asarray(values, dtype=np.float64)
    if low == high:
        raise ValueError(f"goalposts must differ, got low = high = {low}")
    lo, hi = float(low), float(high)
    if transform == "log":
        if min(lo, hi) <= -1 or bool(np.any(x[np.isfinite(x)] <= -1)):
            raise ValueError("a log transform needs values and goalposts greater than -1")
        x, lo, hi = np.log1p(x), float(np.log1p(lo)), float(np.log1p(hi))
    elif transform != "linear":
        raise ValueError(f"unknown transform {transform!r}; use 'linear' or 'log'")
    with np.errstate(invalid="ignore"):
        scaled = (x - lo) / (hi - lo) * SCORE_MAX
    return np.clip(scaled, 0.0, SCORE_MAX)


def hazard_level(
    frac_above: npt.ArrayLike,
    area_fraction: float,
    coverage: npt.ArrayLike | None = None,
    min_coverage: float = 0.0,
) -> npt.NDArray[np.int8]:
    """ThinkHazard!-style level from the area fractions above each value threshold.

    A district is at level *k* (1 = low, 2 = medium, 3 = high) when at least
    ``area_fraction`` of its valid area exceeds the *k*-th value threshold; otherwise it
    is very low (0). Thresholds must be given in increasing order of severity.

    Args:
        frac_above: Fractions in [0, 1], shape ``(zones, thresholds)``; ``NaN`` where a
            zone has no valid cell.
        area_fraction: Share of the zone's area that must exceed a threshold (e.g. 0.01).
        coverage: Optional share of each zone's cells holding data, shape ``(zones,)``.
        min_coverage: Zones whose coverage is below this get :data:`NO_DATA`.

    Returns:
        Level codes, shape ``(zones,)``, int8; :data:`NO_DATA` where there is no data.
    """
    frac = np.atleast_2d(np.asarray(frac_above, dtype=np.float64))
    with np.errstate(invalid="ignore"):
        reached = frac >= area_fraction
    # The highest threshold reached sets the level (index of the last True, plus one).
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

    Returns 0 below the first threshold, *k* above the *k*-th, :data:`NO_DATA` for NaN.
    """
    x = np.asarray(values, dtype=np.float64)
    levels = np.searchsorted(np.asarray(thresholds, dtype=np.float64), x, side="right")
    # np.where, not item assignment: a scalar input gives a 0-d array, which cannot be
    # indexed by a mask.
    return np.where(np.isnan(x), NO_DATA, levels).astype(np.int8)


def _normalised_weights(weights: npt.ArrayLike, n: int) -> FloatArray:
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (n,):
        raise ValueError(f"expected {n} weights, got shape {w.shape}")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("weights must be finite and non-negative")
    return w


def _masked_weights(scores: FloatArray, w: FloatArray, axis: int) -> FloatArray:
    """Weights broadcast against ``scores`` with zero where a score is missing."""
    shape = [1] * scores.ndim
    shape[axis] = w.size
    wb = np.broadcast_to(w.reshape(shape), scores.shape)
    return np.where(np.isnan(scores), 0.0, wb)


def weighted_mean(scores: npt.ArrayLike, weights: npt.ArrayLike, axis: int = -1) -> FloatArray:
    """Weighted arithmetic mean along ``axis``, skipping missing scores.

    Missing (``NaN``) scores drop out and the remaining weights are renormalised; the
    result is ``NaN`` only where every weighted score is missing.
    """
    s = np.asarray(scores, dtype=np.float64)
    w = _masked_weights(s, _normalised_weights(weights, s.shape[axis]), axis)
    total = w.sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(np.isnan(s), 0.0, s * w).sum(axis=axis) / total
    return np.where(total > 0, out, np.nan)


def adjusted_geometric_mean(
    scores: npt.ArrayLike, weights: npt.ArrayLike, axis: int = -1
) -> FloatArray:
    """INFORM's adjusted geometric mean of 0-10 scores: ``10 - prod((10 - x) ** w)``.

    Weights are normalised to sum to one over the available scores. The result lies
    between the arithmetic mean and the maximum, reaches 10 as soon as one score is 10,
    and is 0 only if all weighted scores are 0.
    """
    s = np.asarray(scores, dtype=np.float64)
    w = _masked_weights(s, _normalised_weights(weights, s.shape[axis]), axis)
    total = w.sum(axis=axis, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        wn = w / total
        gap = np.clip(SCORE_MAX - np.where(np.isnan(s), SCORE_MAX, s), 0.0, SCORE_MAX)
        # log(0) where a score is 10: exp(-inf) = 0 gives exactly 10, as it should.
        log_gap = np.where(wn > 0, np.log(gap) * wn, 0.0)
        # Clip rounding noise: 10 - exp(log(10)) is -1.8e-15, not 0.
        out = np.clip(SCORE_MAX - np.exp(log_gap.sum(axis=axis)), 0.0, SCORE_MAX)
    return np.where(np.squeeze(total, axis=axis) > 0, out, np.nan)


def weighted_max(scores: npt.ArrayLike, weights: npt.ArrayLike, axis: int = -1) -> FloatArray:
    """Maximum along ``axis`` over the scores whose weight is positive (NaN skipped)."""
    s = np.asarray(scores, dtype=np.float64)
    w = _masked_weights(s, _normalised_weights(weights, s.shape[axis]), axis)
    masked = np.where(w > 0, s, -np.inf)
    out = masked.max(axis=axis)
    return np.where(np.isfinite(out), out, np.nan)


def composite(
    scores: npt.ArrayLike,
    groups: Sequence[str],
    weights: npt.ArrayLike,
    method: CompositeMethod = "geometric",
    axis: int = -1,
) -> tuple[FloatArray, dict[str, FloatArray]]:
    """Multi-hazard composite: arithmetic within each group, ``method`` across groups.

    Args:
        scores: Hazard scores 0-10 with the indicators along ``axis``.
        groups: The group of each indicator (e.g. ``water``, ``dust``, ``climate``).
        weights: Non-negative weight of each indicator. A group's weight in the
            across-group step is the sum of its indicators' weights; groups whose
            weights are all zero drop out.
        method: ``"geometric"`` (INFORM adjusted geometric mean) or ``"max"``.
        axis: The indicator axis.

    Returns:
        The composite (indicator axis removed) and the score of each group.
    """
    s = np.asarray(scores, dtype=np.float64)
    w = _normalised_weights(weights, s.shape[axis])
    if len(groups) != s.shape[axis]:
        raise ValueError(f"expected {s.shape[axis]} group names, got {len(groups)}")
    if not np.any(w > 0):
        raise ValueError("at least one weight must be positive")
    names = list(dict.fromkeys(groups))
    group_scores: dict[str, FloatArray] = {}
    group_weights: list[float] = []
    members_of = {g: [i for i, name in enumerate(groups) if name == g] for g in names}
    for name in names:
        members = members_of[name]
        gw = float(w[members].sum())
        if gw == 0:
            continue
        group_scores[name] = weighted_mean(np.take(s, members, axis=axis), w[members], axis=axis)
        group_weights.append(gw)
    stacked = np.stack(list(group_scores.values()), axis=-1)
    if method == "geometric":
        total = adjusted_geometric_mean(stacked, group_weights)
    elif method == "max":
        total = weighted_max(stacked, group_weights)
    else:
        raise ValueError(f"unknown composite method {method!r}; use 'geometric' or 'max'")
    return total, group_scores


def contributions(scores: npt.ArrayLike, weights: npt.ArrayLike, axis: int = -1) -> FloatArray:
    """Share of each indicator in the weighted sum of scores (sums to 1 along ``axis``).

    This is how drivers are named: the indicators with the largest share are the ones
    that push a district's composite up. Missing scores contribute 0.
    """
    s = np.asarray(scores, dtype=np.float64)
    w = _masked_weights(s, _normalised_weights(weights, s.shape[axis]), axis)
    part = np.where(np.isnan(s), 0.0, s) * w
    total = part.sum(axis=axis, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, part / total, 0.0)


def geometric_mean(*dimensions: npt.ArrayLike) -> FloatArray:
    """Unweighted geometric mean of equally shaped 0-10 dimensions (NaN if any is NaN)."""
    stacked = np.stack([np.asarray(d, dtype=np.float64) for d in dimensions])
    clipped = np.clip(stacked, 0.0, None)
    with np.errstate(divide="ignore", invalid="ignore"):
        # Clip rounding noise so that the geometric mean of 10s is exactly 10.
        result: FloatArray = np.clip(np.exp(np.log(clipped).mean(axis=0)), 0.0, clipped.max(axis=0))
    return np.where(np.isnan(stacked).any(axis=0), np.nan, result)


def hazard_exposure(hazard: npt.ArrayLike, exposure: npt.ArrayLike) -> FloatArray:
    """Hazard & exposure dimension: geometric mean of the hazard and the exposure score.

    There is no risk without people exposed, however severe the hazard: an exposure of 0
    gives 0 (INFORM merges hazard and exposure for the same reason).
    """
    return geometric_mean(hazard, exposure)


def risk(
    hazard_exposure: npt.ArrayLike, vulnerability: npt.ArrayLike, lack_of_coping: npt.ArrayLike
) -> FloatArray:
    """INFORM risk: ``HE ** (1/3) * V ** (1/3) * LCC ** (1/3)`` on 0-10."""
    return geometric_mean(hazard_exposure, vulnerability, lack_of_coping)


def risk_class(values: npt.ArrayLike) -> npt.NDArray[np.int8]:
    """INFORM class index 0-4 (very low .. very high) cut at 2.0 / 3.5 / 5.0 / 6.5; -1 for NaN."""
    x = np.asarray(values, dtype=np.float64)
    classes = np.searchsorted(np.asarray(RISK_CLASS_BREAKS), x, side="right")
    return np.where(np.isnan(x), -1, classes).astype(np.int8)


def risk_class_label(values: npt.ArrayLike) -> list[str]:
    """INFORM class names for risk values (``"no data"`` for NaN)."""
    return [RISK_CLASS_LABELS[c] if c >= 0 else "no data" for c in risk_class(values).ravel()]


def rank_descending(values: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Rank 1 for the highest value; ties share the best rank; NaN ranks last."""
    x = np.asarray(values, dtype=np.float64)
    key = np.where(np.isnan(x), -np.inf, x)
    # Competition ranking ("1224"): 1 + number of strictly greater values.
    greater: npt.NDArray[np.int64] = (key[None, :] > key[:, None]).sum(axis=1)
    return greater + 1
