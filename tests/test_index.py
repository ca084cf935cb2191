"""Scoring and aggregation (geo.index): properties and worked examples."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from geo import index

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
score = st.floats(min_value=0.0, max_value=10.0, allow_nan=False)
positive_weight = st.floats(min_value=0.01, max_value=100.0, allow_nan=False)


@given(
    a=finite,
    b=finite,
    low=st.floats(min_value=-100, max_value=100, allow_nan=False),
    span=st.floats(min_value=0.1, max_value=1000, allow_nan=False),
    inverse=st.booleans(),
)
def test_linear_score_is_monotone_and_bounded(
    a: float, b: float, low: float, span: float, inverse: bool
) -> None:
    lo, hi = (low + span, low) if inverse else (low, low + span)
    sa, sb = index.score_goalposts([a, b], lo, hi)
    assert 0.0 <= sa <= 10.0 and 0.0 <= sb <= 10.0
    if a <= b:
        assert (sa >= sb) if inverse else (sa <= sb)


@given(
    a=st.floats(min_value=0, max_value=1e7, allow_nan=False),
    b=st.floats(min_value=0, max_value=1e7, allow_nan=False),
)
def test_log_score_is_monotone_and_bounded(a: float, b: float) -> None:
    sa, sb = index.score_goalposts([a, b], 1.0, 5000.0, transform="log")
    assert 0.0 <= sa <= 10.0 and 0.0 <= sb <= 10.0
    if a <= b:
        assert sa <= sb


def test_score_goalposts_worked_values() -> None:
    s = index.score_goalposts([0.0, 1.0, 2.0, 4.0, np.nan], 0.0, 2.0)
    np.testing.assert_allclose(s[:4], [0.0, 5.0, 10.0, 10.0])
    assert np.isnan(s[4])
    # Fewer hospital beds is worse: low goalpost above the high one.
    np.testing.assert_allclose(index.score_goalposts([80, 60, 20], 80, 20), [0, 10 / 3, 10])
    # log1p makes the midpoint in log space score 5.
    mid = np.expm1((np.log1p(10) + np.log1p(1000)) / 2)
    np.testing.assert_allclose(index.score_goalposts([mid], 10, 1000, "log"), [5.0])


def test_score_goalposts_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="goalposts must differ"):
        index.score_goalposts([1.0], 2.0, 2.0)
    with pytest.raises(ValueError, match="unknown transform"):
        index.score_goalposts([1.0], 0.0, 2.0, transform="sqrt")  # type: ignore[arg-type]


@given(
    scores=arrays(np.float64, st.integers(1, 6), elements=score),
    data=st.data(),
)
def test_max_geq_adjusted_geometric_geq_mean_geq_min(
    scores: np.ndarray, data: st.DataObject
) -> None:
    weights = np.array(
        data.draw(st.lists(positive_weight, min_size=scores.size, max_size=scores.size))
    )
    agm = float(index.adjusted_geometric_mean(scores, weights))
    mean = float(index.weighted_mean(scores, weights))
    tol = 1e-9
    assert scores.max() + tol >= agm >= mean - tol >= scores.min() - 2 * tol


def test_adjusted_geometric_mean_worked_values() -> None:
    # 10 - sqrt((10-4) * (10-6)) = 10 - sqrt(24)
    np.testing.assert_allclose(index.adjusted_geometric_mean([4.0, 6.0], [1, 1]), 10 - 24**0.5)
    # One extreme hazard is not averaged away.
    assert float(index.adjusted_geometric_mean([10.0, 0.0, 0.0], [1, 1, 1])) == 10.0
    assert float(index.adjusted_geometric_mean([0.0, 0.0], [1, 1])) == 0.0
    # Missing scores drop out with their weight.
    np.testing.assert_allclose(index.adjusted_geometric_mean([5.0, np.nan], [1, 3]), 5.0)
    assert np.isnan(index.adjusted_geometric_mean([np.nan, np.nan], [1, 1]))


@given(
    he=score,
    v=score,
    lcc=score,
    zero_at=st.integers(0, 2),
)
def test_risk_is_zero_when_any_dimension_is_zero(
    he: float, v: float, lcc: float, zero_at: int
) -> None:
    dims = [he, v, lcc]
    dims[zero_at] = 0.0
    assert float(index.risk(*dims)) == 0.0


@given(he=score, v=score, lcc=score)
def test_risk_is_bounded_and_between_dimensions(he: float, v: float, lcc: float) -> None:
    r = float(index.risk(he, v, lcc))
    assert 0.0 <= r <= 10.0
    assert min(he, v, lcc) - 1e-9 <= r <= max(he, v, lcc) + 1e-9


def test_risk_worked_value_and_nan() -> None:
    np.testing.assert_allclose(index.risk(8.0, 1.0, 8.0), 4.0)
    assert np.isnan(index.risk(np.nan, 5.0, 5.0))
    np.testing.assert_allclose(index.hazard_exposure(9.0, 4.0), 6.0)


def test_risk_classes_cut_at_inform_breaks() -> None:
    values = [0.0, 1.99, 2.0, 3.49, 3.5, 4.99, 5.0, 6.49, 6.5, 10.0, np.nan]
    assert index.risk_class(values).tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, -1]
    assert index.risk_class_label([1.0, 7.0, np.nan]) == ["Very low", "Very high", "no data"]
    # A single value (one district, one point) works as well as an array.
    assert int(index.risk_class(5.2)) == 3
    assert int(index.risk_class(np.nan)) == -1
    assert index.risk_class_label(6.5) == ["Very high"]


def test_hazard_level_needs_value_and_area_thresholds() -> None:
    frac = np.array(
        [
            [0.50, 0.20, 0.005],  # above "medium" on 20%, "high" only on 0.5%: medium
            [0.00, 0.00, 0.000],  # nowhere above any threshold: very low
            [0.30, 0.10, 0.020],  # high
            [np.nan, np.nan, np.nan],  # no valid cell: no data, not very low
        ]
    )
    levels = index.hazard_level(frac, area_fraction=0.01)
    assert levels.tolist() == [index.MEDIUM, index.VERY_LOW, index.HIGH, index.NO_DATA]
    low_cov = index.hazard_level(frac, 0.01, coverage=[1.0, 0.2, 1.0, 0.0], min_coverage=0.5)
    assert low_cov.tolist() == [index.MEDIUM, index.NO_DATA, index.HIGH, index.NO_DATA]


def test_value_level() -> None:
    levels = index.value_level([0.0, 0.1, 0.5, 0.6, 2.0, np.nan], [0.1, 0.5, 1.5])
    assert levels.tolist() == [0, 1, 2, 2, 3, index.NO_DATA]
    assert int(index.value_level(0.7, [0.1, 0.5, 1.5])) == 2
    assert int(index.value_level(float("nan"), [0.1, 0.5, 1.5])) == index.NO_DATA


def test_composite_within_and_across_groups() -> None:
    scores = np.array([[2.0, 4.0, 8.0], [6.0, 6.0, 0.0]])
    groups = ["water", "water", "dust"]
    total, by_group = index.composite(scores, groups, [1, 1, 1], method="max")
    np.testing.assert_allclose(by_group["water"], [3.0, 6.0])
    np.testing.assert_allclose(by_group["dust"], [8.0, 0.0])
    np.testing.assert_allclose(total, [8.0, 6.0])
    geo_total, _ = index.composite(scores, groups, [1, 1, 1], method="geometric")
    # group weights 2 (water) and 1 (dust): 10 - (7 ** (2/3) * 2 ** (1/3))
    np.testing.assert_allclose(geo_total[0], 10 - 7 ** (2 / 3) * 2 ** (1 / 3))
    # A zero-weighted group drops out entirely.
    only_dust, groups_used = index.composite(scores, groups, [0, 0, 1], method="geometric")
    np.testing.assert_allclose(only_dust, [8.0, 0.0])
    assert list(groups_used) == ["dust"]


def test_composite_on_rasters_along_axis_zero() -> None:
    cube = np.stack([np.full((2, 3), 2.0), np.full((2, 3), 8.0)])
    total, _ = index.composite(cube, ["water", "dust"], [1, 1], method="max", axis=0)
    assert total.shape == (2, 3)
    np.testing.assert_allclose(total, 8.0)


def test_composite_rejects_bad_weights() -> None:
    with pytest.raises(ValueError, match="at least one weight"):
        index.composite([[1.0, 2.0]], ["a", "b"], [0, 0])
    with pytest.raises(ValueError, match="non-negative"):
        index.composite([[1.0, 2.0]], ["a", "b"], [1, -1])
    with pytest.raises(ValueError, match="non-negative"):
        index.composite([[1.0, 2.0]], ["a", "b"], [1, np.nan])


def test_contributions_name_the_drivers() -> None:
    shares = index.contributions([[2.0, 6.0, 0.0, np.nan]], [1, 1, 1, 1])
    np.testing.assert_allclose(shares, [[0.25, 0.75, 0.0, 0.0]])
    np.testing.assert_allclose(index.contributions([[0.0, 0.0]], [1, 1]), [[0.0, 0.0]])


@given(arrays(np.float64, st.integers(1, 30), elements=st.floats(0, 10, allow_nan=False)))
def test_rank_descending_is_competition_ranking(values: np.ndarray) -> None:
    ranks = index.rank_descending(values)
    for v, r in zip(values, ranks, strict=True):
        assert r == 1 + int((values > v).sum())
    if len(set(values.tolist())) == values.size:
        assert sorted(ranks.tolist()) == list(range(1, values.size + 1))


def test_rank_puts_nan_last() -> None:
    assert index.rank_descending([3.0, np.nan, 5.0]).tolist() == [2, 3, 1]
