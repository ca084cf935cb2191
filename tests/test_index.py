"""Scoring and aggregation (geo.index): properties and worked examples."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from aralrisk.geo import index

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
    # log10, as INFORM: 100 lies half way between 10 and 1,000; 0 has no logarithm and
    # scores as the low goalpost.
    np.testing.assert_allclose(index.score_goalposts([100, 0, 1e4], 10, 1000, "log"), [5, 0, 10])
    # People exposed on 1..100,000 (log10): 10,000 scores 8.
    np.testing.assert_allclose(index.score_goalposts([10_000], 1, 100_000, "log"), [8.0])


def test_score_goalposts_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="goalposts must differ"):
        index.score_goalposts([1.0], 2.0, 2.0)
    with pytest.raises(ValueError, match="unknown transform"):
        index.score_goalposts([1.0], 0.0, 2.0, transform="sqrt")  # type: ignore[arg-type]


@given(
    scores=arrays(np.float64, st.integers(1, 6), elements=score),
    data=st.data(),
)
def test_adjusted_geometric_mean_lies_between_mean_and_max(
    scores: np.ndarray, data: st.DataObject
) -> None:
    weights = np.array(
        data.draw(st.lists(positive_weight, min_size=scores.size, max_size=scores.size))
    )
    agm = float(index.adjusted_geometric_mean(scores, weights))
    mean = float(index.weighted_mean(scores, weights))
    tol = 1e-9
    assert scores.max() + tol >= agm >= mean - tol >= scores.min() - 2 * tol


@given(
    scores=arrays(np.float64, st.integers(2, 6), elements=score),
    data=st.data(),
)
def test_one_ten_does_not_force_ten_unless_all_are_ten(
    scores: np.ndarray, data: st.DataObject
) -> None:
    weights = np.array(
        data.draw(st.lists(positive_weight, min_size=scores.size, max_size=scores.size))
    )
    scores[0] = 10.0
    agm = float(index.adjusted_geometric_mean(scores, weights))
    assert agm == pytest.approx(_agm_by_hand(list(scores), list(weights)), abs=1e-9)
    if np.all(scores == 10.0):
        assert agm == pytest.approx(10.0)
    elif scores.min() <= 9.0:
        # A score a point below 10, even at the smallest weight share drawn here (2e-5),
        # keeps the composite at least 1e-5 below 10: a single 10 does not force 10.
        # (Scores within a hair of 10 give a composite within rounding of 10.)
        assert agm < 10.0 - 1e-9


def _agm_by_hand(x: list[float], w: list[float]) -> float:
    """INFORM's formula written out term by term (INFORM Concept and Methodology, 2017)."""
    total = sum(w)
    product = 1.0
    for value, weight in zip(x, w, strict=True):
        product *= ((10.0 - value) * 0.9 + 1.0) ** (weight / total)
    return (10.0 - product) * 10.0 / 9.0


def test_adjusted_geometric_mean_worked_inform_examples() -> None:
    # Scores 10 and 0: gaps rescaled to 1 and 10, (10 - sqrt(10)) * 10/9 = 7.597...: 7.6,
    # not 10 (the unadjusted formula 10 - prod((10 - x) ** w) gives 10).
    assert round(float(index.adjusted_geometric_mean([10.0, 0.0], [1, 1])), 1) == 7.6
    assert float(index.adjusted_geometric_mean([10.0, 0.0])) == pytest.approx(
        (10 - 10**0.5) * 10 / 9
    )
    # 4 and 6: gaps 6.4 and 4.6; (10 - sqrt(29.44)) * 10/9 = 5.0824.
    assert float(index.adjusted_geometric_mean([4.0, 6.0], [1, 1])) == pytest.approx(
        5.082373, abs=1e-6
    )
    # A natural-hazard row of six component scores, equal weights: gaps 3.79, 5.32, 10,
    # 9.91, 7.03 and 6.04; their geometric mean 6.629; (10 - 6.629) * 10/9 = 3.7.
    row = [6.9, 5.2, 0.0, 0.1, 3.3, 4.4]
    assert float(index.adjusted_geometric_mean(row)) == pytest.approx(
        _agm_by_hand(row, [1] * 6), abs=1e-12
    )
    assert round(float(index.adjusted_geometric_mean(row)), 1) == 3.7
    # Weighted: two thirds on the first score.
    assert float(index.adjusted_geometric_mean([8.0, 2.0], [2, 1])) == pytest.approx(
        _agm_by_hand([8.0, 2.0], [2, 1])
    )
    # Bounds: all 0 is 0, all 10 is 10, equal scores give that score.
    assert float(index.adjusted_geometric_mean([0.0, 0.0], [1, 1])) == 0.0
    assert float(index.adjusted_geometric_mean([10.0, 10.0], [1, 3])) == pytest.approx(10.0)
    assert float(index.adjusted_geometric_mean([3.3, 3.3, 3.3])) == pytest.approx(3.3)
    # Missing scores drop out with their weight; all missing is missing.
    np.testing.assert_allclose(index.adjusted_geometric_mean([5.0, np.nan], [1, 3]), 5.0)
    assert np.isnan(index.adjusted_geometric_mean([np.nan, np.nan], [1, 1]))


def test_adjusted_geometric_mean_on_tables_and_two_dimensional_weights() -> None:
    values = np.array([[10.0, 0.0], [4.0, 6.0], [2.0, 2.0]])
    np.testing.assert_allclose(
        index.adjusted_geometric_mean(values),
        [_agm_by_hand(list(r), [1, 1]) for r in values],
    )
    # One row of weights per draw, broadcast against every district: (draws, districts).
    draws = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])[:, None, :]
    out = index.adjusted_geometric_mean(values, draws)
    assert out.shape == (3, 3)
    np.testing.assert_allclose(out[0], values[:, 0], atol=1e-12)
    np.testing.assert_allclose(out[1], values[:, 1], atol=1e-12)
    np.testing.assert_allclose(out[2], index.adjusted_geometric_mean(values))
    # Components on axis 0 of a raster.
    cube = np.stack([np.full((2, 3), 10.0), np.zeros((2, 3))])
    np.testing.assert_allclose(index.adjusted_geometric_mean(cube, axis=0), (10 - 10**0.5) * 10 / 9)


def test_adjusted_geometric_mean_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="between 0 and 10"):
        index.adjusted_geometric_mean([11.0, 2.0])
    with pytest.raises(ValueError, match="non-negative"):
        index.adjusted_geometric_mean([1.0, 2.0], [1, -1])
    with pytest.raises(ValueError, match="2 weights"):
        index.adjusted_geometric_mean([1.0, 2.0], [1, 1, 1])


def test_exposure_score_averages_absolute_log10_and_relative() -> None:
    # 10,000 of 40,000 people: log10(10^4) on goalposts log10(1)..log10(10^5) is 8.0,
    # a quarter of the people on 0..1 is 2.5; INFORM averages them: 5.25.
    assert float(index.exposure_score(10_000, 40_000)) == pytest.approx(5.25)
    # Everyone of 100,000: 10 and 10.
    assert float(index.exposure_score(100_000, 100_000)) == pytest.approx(10.0)
    # Nobody exposed scores 0; one person of one scores 0 absolute, 10 relative.
    assert float(index.exposure_score(0, 5_000)) == 0.0
    assert float(index.exposure_score(1, 1)) == pytest.approx(5.0)
    # Unknown exposure stays unknown.
    assert np.isnan(index.exposure_score(np.nan, 5_000))
    # Other goalposts: log10(1000) on 1..4 is 2/3 of the way; 50 % on 0..0.5 is 10.
    assert float(
        index.exposure_score(1_000, 2_000, absolute=(10.0, 1e4), relative=(0.0, 0.5))
    ) == pytest.approx((20 / 3 + 10) / 2)


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


def test_risk_worked_values_and_nan() -> None:
    # Cube root of the product of the three dimensions (INFORM).
    np.testing.assert_allclose(index.risk(8.0, 1.0, 8.0), 4.0)
    assert float(index.risk(6.4, 5.2, 7.1)) == pytest.approx((6.4 * 5.2 * 7.1) ** (1 / 3))
    # HE 3.9, V 5.1, LCC 6.2: (123.318) ** (1/3) = 4.976: 5.0 rounded.
    assert round(float(index.risk(3.9, 5.1, 6.2)), 1) == 5.0
    assert np.isnan(index.risk(np.nan, 5.0, 5.0))


def test_risk_classes_are_inform_2025_on_the_rounded_value() -> None:
    # very low < 2.2 <= low < 3.2 <= medium < 5.1 <= high < 6.9 <= very high.
    values = [0.0, 2.1, 2.2, 3.1, 3.2, 5.0, 5.1, 6.8, 6.9, 10.0, np.nan]
    assert index.risk_class(values).tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, -1]
    # Classed on the value rounded to one decimal, half up as INFORM publishes it.
    rounded = index.risk_class([2.149, 2.15, 3.1499, 5.05, 6.849, 6.85]).tolist()
    assert rounded == [0, 1, 1, 3, 3, 4]
    assert index.risk_class_label([1.0, 7.0, np.nan]) == ["Very Low", "Very High", "no data"]
    # A single value gives a single label.
    assert index.risk_class_label(5.2) == "High"
    assert index.risk_class_label(3.19) == "Medium"
    assert int(index.risk_class(np.nan)) == -1
    assert index.INFORM_2025.name == "INFORM Risk 2025 (v0.7.0)"
    assert index.RISK_CLASS_BREAKS == (2.2, 3.2, 5.1, 6.9)


def test_risk_classes_of_another_release() -> None:
    older = index.RiskClasses("older cut-offs", (2.0, 3.5, 5.0, 6.5))
    assert index.risk_class([1.94, 1.95, 6.5], older).tolist() == [0, 1, 4]
    assert index.risk_class_label(4.9, older) == "Medium"
    with pytest.raises(ValueError, match="increase"):
        index.RiskClasses("bad", (3.0, 2.0, 5.0, 6.0))
    with pytest.raises(ValueError, match="labels"):
        index.RiskClasses("bad", (2.0, 3.0), ("a", "b"))


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


def test_hazard_level_with_one_area_fraction_per_level() -> None:
    # ThinkHazard! river flood as adapted: low = anywhere (0), medium and high = 1 %.
    frac = np.array(
        [
            [0.002, 0.002, 0.0],  # damaging depth on 0.2 % in the 100-year flood: low
            [0.05, 0.05, 0.0],  # 5 % in the 100-year flood: medium
            [0.05, 0.05, 0.02],  # 2 % in the 10-year flood: high
            [0.0, 0.0, 0.0],  # nowhere: very low (a fraction of 0 needs a cell above)
        ]
    )
    levels = index.hazard_level(frac, [0.0, 0.01, 0.01])
    assert levels.tolist() == [index.LOW, index.MEDIUM, index.HIGH, index.VERY_LOW]


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
    # Group weights 2 (water, mean 3) and 1 (dust, 8): INFORM's adjusted geometric mean,
    # gaps 7 and 2 rescaled to 7.3 and 2.8: (10 - 7.3 ** (2/3) * 2.8 ** (1/3)) * 10/9.
    np.testing.assert_allclose(geo_total[0], (10 - 7.3 ** (2 / 3) * 2.8 ** (1 / 3)) * 10 / 9)
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


def test_rank_leaves_missing_values_unranked() -> None:
    ranks = index.rank_descending([3.0, np.nan, 5.0, 3.0])
    assert ranks[[0, 2, 3]].tolist() == [2.0, 1.0, 2.0]
    assert np.isnan(ranks[1])
