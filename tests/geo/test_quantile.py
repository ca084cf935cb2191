"""geo._quantile: the mergeable percentile state behind ZoneIndex.stats."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aralrisk.geo import _quantile

finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_subnormal=False)


@given(a=finite, b=finite)
def test_lattice_is_the_finest_that_fits(a: float, b: float) -> None:
    lo, hi = min(a, b), max(a, b)
    e = _quantile.lattice_exponent(lo, hi)
    assert _quantile._span_bins(lo, hi, e) <= _quantile.HIST_BINS
    magnitude = max(abs(lo), abs(hi))
    e_min = _quantile.MIN_EXPONENT
    if magnitude:
        e_min = max(e_min, math.frexp(magnitude)[1] - 52)
    assert e == e_min or _quantile._span_bins(lo, hi, e - 1) > _quantile.HIST_BINS
    # Bins are narrow: less than 2 * range / (bins - 1), or float precision.
    assert math.ldexp(1.0, e) < max(
        2 * (hi - lo) / (_quantile.HIST_BINS - 1), math.ldexp(1.0, e_min + 1)
    )


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    split=st.integers(1, 999),
    scale=st.sampled_from([1e-6, 1.0, 1e3, 1e9]),
    offset=st.sampled_from([0.0, -50.0, 1e4]),
)
def test_merging_histograms_equals_the_histogram_of_all_values(
    seed: int, split: int, scale: float, offset: float
) -> None:
    rng = np.random.default_rng(seed)
    values = rng.gamma(2.0, 1.0, 1000) * scale + offset * scale
    a, b = values[:split], values[split:]
    whole = _quantile.histogram(values, values.min(), values.max())
    merged = _quantile.merge(
        _quantile.histogram(a, a.min(), a.max()),
        _quantile.histogram(b, b.min(), b.max()),
        values.min(),
        values.max(),
    )
    assert isinstance(merged, _quantile.Histogram)
    assert (merged.exponent, merged.origin) == (whole.exponent, whole.origin)
    np.testing.assert_array_equal(merged.counts, whole.counts)
    # Raw values merge into the same histogram too.
    mixed = _quantile.merge(a, _quantile.histogram(b, b.min(), b.max()), values.min(), values.max())
    assert isinstance(mixed, _quantile.Histogram)
    np.testing.assert_array_equal(mixed.counts, whole.counts)
    # The estimate is within one bin of the exact percentile.
    width = math.ldexp(1.0, whole.exponent)
    for q in (0.0, 0.1, 0.5, 0.9, 1.0):
        exact = np.quantile(values, q)
        estimate = _quantile.estimate(whole, q, values.min(), values.max())
        assert abs(estimate - exact) <= width * (1 + 1e-9)


def test_few_values_stay_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    merged = _quantile.merge(np.array([3.0, 1.0]), np.array([2.0]), 1.0, 3.0)
    assert isinstance(merged, np.ndarray) and sorted(merged) == [1.0, 2.0, 3.0]
    assert _quantile.merge(None, merged, 1.0, 3.0) is merged
    monkeypatch.setattr(_quantile, "EXACT_LIMIT", 2)
    assert isinstance(
        _quantile.merge(np.array([1.0]), np.array([2.0, 3.0]), 1.0, 3.0), _quantile.Histogram
    )


def test_constant_values() -> None:
    h = _quantile.histogram(np.full(10, 7.5), 7.5, 7.5)
    assert h.counts.sum() == 10
    assert _quantile.estimate(h, 0.9, 7.5, 7.5) == 7.5


@pytest.mark.parametrize("value", [0.0, 5e-324, -2.5e-310])
def test_zeros_and_subnormals_get_a_finite_lattice(value: float) -> None:
    # A zone of zeros asked for bins of 2**-1074: the scale 2**1074 overflowed
    # (OverflowError in a 0.005-degree sample build, a year with no drought month).
    h = _quantile.histogram(np.full(10, value), value, value)
    assert h.exponent == _quantile.MIN_EXPONENT
    assert math.isfinite(math.ldexp(1.0, -h.exponent))
    assert h.counts.sum() == 10
    assert _quantile.estimate(h, 0.5, value, value) == value


def test_a_lattice_of_zeros_merges_into_a_coarse_one() -> None:
    values = np.linspace(0.0, 5.0, 1001)
    zeros = _quantile.histogram(np.zeros(7), 0.0, 0.0)
    spread = _quantile.histogram(values, 0.0, 5.0)
    merged = _quantile.merge(zeros, spread, 0.0, 5.0)
    whole = _quantile.histogram(np.concatenate([np.zeros(7), values]), 0.0, 5.0)
    assert isinstance(merged, _quantile.Histogram)
    assert (merged.exponent, merged.origin) == (whole.exponent, whole.origin)
    np.testing.assert_array_equal(merged.counts, whole.counts)
    # Negative subnormals floor into bin -1 of the coarse lattice.
    negative = _quantile.histogram(np.full(3, -5e-324), -5e-324, -5e-324)
    merged = _quantile.merge(negative, spread, -5e-324, 5.0)
    assert isinstance(merged, _quantile.Histogram) and merged.counts.sum() == 1004
    assert merged.origin == -1 and merged.counts[0] == 3
