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
    e_min = math.frexp(magnitude)[1] - 52 if magnitude else -1074
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
