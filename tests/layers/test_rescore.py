"""Rescoring without frames equals rescoring with them.

:func:`layers.scoring.combine_columns` and :meth:`BuildResult.rescore` avoid pandas work
per call; here they are checked against the frame-by-frame computation they replace.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal

from aralrisk.layers import scoring
from aralrisk.layers.result import COMBINED, BuildResult

HAZARDS = ("river_flood", "salinity", "dust", "heat", "drought")
WEIGHTS = [
    (None, None, None),
    (None, None, "max"),
    ("public_health", None, None),
    (None, {h: (1.0 if h == "river_flood" else 0.0) for h in HAZARDS}, "geometric"),
    ("agriculture", {"heat": 5.0, "dust": 0.5, "flood_rp100": 2.0}, "max"),
    (None, {"warming": 1.0}, None),
]


def rescore_with_frames(build: BuildResult, weighting: scoring.Weighting) -> gpd.GeoDataFrame:
    """:meth:`BuildResult.rescore` as it was written first: combine, drop, concat, sort."""
    base = build.districts.set_index("code")
    combined = scoring.combine(base, build.registry, weighting)
    out = base.drop(columns=[c for c in base.columns if c in combined.columns or c in COMBINED])
    out = pd.concat([out, combined], axis=1)
    out["weights"] = json.dumps(weighting.to_dict()["weights"])
    gdf = gpd.GeoDataFrame(out.reset_index(), geometry="geometry", crs=build.districts.crs)
    return gdf.sort_values("rank", kind="stable", na_position="last").reset_index(drop=True)


@pytest.mark.parametrize(("profile", "weights", "method"), WEIGHTS)
def test_rescore_equals_the_frame_computation(
    built: BuildResult,
    profile: str | None,
    weights: dict[str, float] | None,
    method: str | None,
) -> None:
    got = built.rescore(profile, weights, method)
    expected = rescore_with_frames(built, built.weighting(profile, weights, method))
    assert_geodataframe_equal(got, expected)
    pd.testing.assert_frame_equal(
        pd.DataFrame(got.drop(columns="geometry")),
        pd.DataFrame(expected.drop(columns="geometry")),
        check_exact=True,
    )
    assert got["drivers"].tolist() == expected["drivers"].tolist()


@pytest.mark.parametrize(("profile", "weights", "method"), WEIGHTS)
def test_combine_columns_of_arrays_equal_the_frame(
    built: BuildResult,
    profile: str | None,
    weights: dict[str, float] | None,
    method: str | None,
) -> None:
    table = built.table()
    weighting = built.weighting(profile, weights, method)
    frame = scoring.combine(table, built.registry, weighting)
    kinds = ("_score", "_coverage", "_completeness", "_level", "_exposure", "_exposed")
    arrays = {c: table[c].to_numpy() for c in table.columns if c.endswith(kinds)}
    arrays["people_exposed"] = table["people_exposed"].to_numpy()
    columns = scoring.combine_columns(arrays, built.registry, weighting, len(table))
    assert list(columns) == list(frame.columns)
    for name, values in columns.items():
        expected = frame[name].tolist()
        got = [values] * len(table) if isinstance(values, str) else list(values)
        if name.endswith("_level"):
            expected, got = [int(v) for v in expected], [int(v) for v in got]
        assert len(got) == len(expected), name
        for a, b in zip(got, expected, strict=True):
            assert a == b or (a != a and b != b), (name, a, b)  # NaN is NaN


def test_rescored_columns_give_the_rescored_rows(built: BuildResult) -> None:
    weighting = built.weighting(None, {"flood_rp10": 1.0, "heat": 3.0}, "max")
    order, columns = built.rescored_columns(weighting)
    table = built.rescore(weighting.profile, weighting.overrides, weighting.method)
    assert table["code"].tolist() == built.districts["code"].to_numpy()[order].tolist()
    for name in ("hazard", "risk", "rank"):
        np.testing.assert_array_equal(table[name].to_numpy(), np.asarray(columns[name])[order])
    assert built.kept_columns[0] == "code"
    assert not set(built.kept_columns) & set(COMBINED)


def test_confidence_classes() -> None:
    got = scoring.confidence([1.0, 0.9, 0.89, 0.5, 0.49, 0.0, np.nan])
    assert got == ["high", "high", "medium", "medium", "low", "low", "low"]
