"""The build's memory: layers masked in their own chunks."""

from __future__ import annotations

import numpy as np
import xarray as xr

from aralrisk.layers import pipeline


def test_within_keeps_the_layer_chunks_and_equals_where() -> None:
    rng = np.random.default_rng(3)
    layer = xr.DataArray(rng.random((50, 70)), dims=("y", "x")).chunk(20)
    inside = xr.DataArray(rng.random((50, 70)) > 0.4, dims=("y", "x")).chunk(8)
    masked = pipeline._within(layer, inside)
    assert masked.chunks == layer.chunks
    expected = layer.where(inside)
    assert expected.chunks != layer.chunks  # what xarray alone does: the finer chunks
    np.testing.assert_array_equal(masked.to_numpy(), expected.to_numpy())
    # An in-memory layer is masked as before.
    plain = pipeline._within(layer.compute(), inside)
    np.testing.assert_array_equal(plain.to_numpy(), expected.to_numpy())
