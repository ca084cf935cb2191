"""The plane-by-plane reductions of geo/index.py give NumPy's own bits.

Cells x a few hazards are reduced by adding whole component planes (a short last axis
is slow to reduce in NumPy); the results must not move by one ulp, or a tile's pixel
or a district's rank could flip at a class break.
"""

from __future__ import annotations

import numpy as np
import pytest

from aralrisk.geo import index


@pytest.mark.parametrize("n", [1, 2, 3, 5, 7, 8, 12])
def test_sums_and_maxima_over_a_short_axis_equal_numpys_bit_for_bit(n: int) -> None:
    rng = np.random.default_rng(n)
    for shape in [(4096, n), (3, 50, n), (n,)]:
        x = rng.normal(size=shape) * 10 ** rng.uniform(-6, 6, size=shape)
        x[rng.random(shape) < 0.05] = 0.0
        assert np.array_equal(index._sum_last(x), x.sum(axis=-1))
        assert np.array_equal(index._sum_last(x, keepdims=True), x.sum(axis=-1, keepdims=True))
        # A last axis that is not contiguous (components first in memory).
        strided = np.moveaxis(np.ascontiguousarray(np.moveaxis(x, -1, 0)), 0, -1)
        assert np.array_equal(index._sum_last(strided), strided.sum(axis=-1))
        x[rng.random(shape) < 0.05] = np.nan
        assert np.array_equal(index._max_last(x), x.max(axis=-1), equal_nan=True)


def test_the_geometric_composite_of_a_tile_equals_the_formula_summed_by_numpy() -> None:
    rng = np.random.default_rng(3)
    scores = rng.uniform(0.0, 10.0, (65536, 3))
    scores[rng.random(scores.shape) < 0.1] = np.nan
    weights = np.array([0.5, 0.3, 0.2])
    w = np.where(np.isnan(scores), 0.0, weights)
    total = w.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = w / total
        gap = (10.0 - np.where(np.isnan(scores), 0.0, scores)) * 0.9 + 1.0
        log_mean = np.where(share > 0, np.log(gap) * share, 0.0).sum(axis=-1)
    expected = np.clip((10.0 - np.exp(log_mean)) * 10.0 / 9.0, 0.0, 10.0)
    expected = np.where(total[:, 0] > 0, expected, np.nan)
    got = index.adjusted_geometric_mean(scores, weights)
    assert np.array_equal(got, expected, equal_nan=True)


def test_scores_are_checked_in_one_pass_with_the_same_rules() -> None:
    ok = np.array([[0.0, np.nan], [10.0, np.inf]])
    # NaN skipped, an infinity clipped rather than refused, as before.
    assert index._check_scores(ok).tolist()[1] == [10.0, 10.0]
    assert np.isnan(index._check_scores(np.full((2, 2), np.nan))).all()
    with pytest.raises(ValueError, match="between 0 and 10"):
        index._check_scores(np.array([[1.0, 10.5], [np.nan, 2.0]]))
    with pytest.raises(ValueError, match="between 0 and 10"):
        index._check_scores(np.array([[-np.inf, 11.0]]))


@pytest.mark.parametrize("n", [1, 2, 3, 5, 7])
@pytest.mark.parametrize("shape", [(65536,), (256, 256), (9,), ()])
def test_one_plane_per_component_gives_the_broadcast_bits(n: int, shape: tuple[int, ...]) -> None:
    # One weight per component takes the plane path; the same weights as a (1, n) row
    # broadcast take the general one. Every cell must agree to the bit, NaN included.
    rng = np.random.default_rng(n * 31 + len(shape))
    values = rng.uniform(0.0, 10.0, (*shape, n))
    values[rng.random(values.shape) < 0.2] = np.nan
    values[rng.random(values.shape) < 0.05] = 10.0
    values[rng.random(values.shape) < 0.05] = 0.0
    weights = rng.uniform(0.0, 3.0, n)
    weights[rng.random(n) < 0.2] = 0.0
    assert index._planes(values, weights, -1) is not None
    assert index._planes(values, weights[None, :], -1) is None
    for reduce in (index.weighted_mean, index.adjusted_geometric_mean):
        planes = reduce(values, weights)
        # (A single cell's broadcast result keeps the row axis of the weights.)
        broadcast = reduce(values, weights[None, :]).reshape(shape)
        assert planes.shape == shape
        assert np.array_equal(planes, broadcast, equal_nan=True), reduce.__name__
        # Components first in memory, and along another axis.
        moved = np.moveaxis(values, -1, 0)
        assert np.array_equal(reduce(moved, weights, axis=0), broadcast, equal_nan=True)


def test_the_plane_path_refuses_what_the_general_path_refuses() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        index.weighted_mean([1.0, 2.0], [1.0, -1.0])
    with pytest.raises(ValueError, match="expected 2 weights"):
        index.adjusted_geometric_mean([1.0, 2.0], [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="between 0 and 10"):
        index.adjusted_geometric_mean([1.0, 12.0], [1.0, 1.0])
