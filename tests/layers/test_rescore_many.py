"""Many weightings at once equal a loop over :meth:`BuildResult.rescore`.

:meth:`BuildResult.rescore_many` computes every draw together; each draw must give the
numbers of ``rescore(weights=<draw>)``: risks to 1e-12, classes and ranks identical.
Checked on the tiny world (every hazard built) and on its variant where one district
has no risk value (it must stay unranked in every draw).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest

from aralrisk.geo import index
from aralrisk.geo.errors import ConfigError
from aralrisk.layers import sensitivity
from aralrisk.layers.result import BuildResult, open_build
from tests import world
from tests.api.unranked import UNRANKED, unranked_root  # noqa: F401  (fixture)


def random_draws(rng: np.random.Generator, draws: int, hazards: int) -> npt.NDArray[np.float64]:
    """Draws on the simplex, with zeros and unnormalised scales mixed in."""
    out = rng.dirichlet(np.ones(hazards), size=draws)
    out[::5, rng.integers(0, hazards)] = 0.0  # a hazard left out
    out[1::7] *= 37.5  # any scale: each row is normalised
    out[2::11, :] = 0.0
    out[2::11, 0] = 1.0  # one hazard alone
    return out


def loop(
    build: BuildResult, draws: npt.NDArray[np.float64], profile: str | None, method: str | None
) -> list[pd.DataFrame]:
    """``rescore`` per draw, rows in table order."""
    ids = [h.id for h in build.registry.hazards]
    codes = build.districts["code"].tolist()
    return [
        build.rescore(profile, dict(zip(ids, row.tolist(), strict=True)), method)
        .set_index("code")
        .loc[codes]
        for row in draws
    ]


def assert_same(many: sensitivity.ManyScores, expected: list[pd.DataFrame]) -> None:
    assert many.draws == len(expected)
    for k, table in enumerate(expected):
        for name in ("hazard", "hazard_exposure", "risk"):
            got, want = getattr(many, name)[k], table[name].to_numpy(dtype=np.float64)
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-12, err_msg=f"{name}, draw {k}")
            assert np.array_equal(np.isnan(got), np.isnan(want)), (name, k)
        assert many.class_label()[k].tolist() == table["risk_class"].tolist(), k
        rank = table["rank"].to_numpy(dtype=np.float64)
        assert np.array_equal(many.rank[k], rank, equal_nan=True), (k, many.rank[k], rank)
        assert many.rank_by[k] == table["rank_by"].iloc[0], k
        np.testing.assert_allclose(many.vulnerability, table["vulnerability"], rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    ("profile", "method"),
    [(None, None), (None, "max"), ("public_health", "geometric"), ("agriculture", "max")],
)
def test_rescore_many_equals_a_loop_over_rescore(
    built: BuildResult, profile: str | None, method: str | None
) -> None:
    draws = random_draws(np.random.default_rng(15), 60, len(built.registry.hazards))
    many = built.rescore_many(draws, profile=profile, method=method)
    assert many.codes == tuple(built.districts["code"])
    assert many.hazards == tuple(h.id for h in built.registry.hazards)
    np.testing.assert_allclose(many.weights.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert_same(many, loop(built, draws, profile, method))
    # The draws do move the results: not every draw ranks or classes alike.
    assert len({tuple(r) for r in np.nan_to_num(many.rank)}) > 1
    assert np.ptp(many.risk[:, 0]) > 0.1


def test_a_frame_names_some_hazards_and_the_others_keep_the_profile(built: BuildResult) -> None:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"dust": rng.uniform(0, 3, 20), "heat": rng.uniform(0, 3, 20)})
    many = built.rescore_many(frame, profile="public_health")
    expected = [
        built.rescore("public_health", {"dust": d, "heat": h})
        .set_index("code")
        .loc[list(many.codes)]
        for d, h in zip(frame["dust"], frame["heat"], strict=True)
    ]
    assert_same(many, expected)


def test_a_district_without_risk_stays_unranked_in_every_draw(unranked_root: Path) -> None:  # noqa: F811
    build = open_build(unranked_root)
    draws = random_draws(np.random.default_rng(7), 30, len(build.registry.hazards))
    many = build.rescore_many(draws)
    assert_same(many, loop(build, draws, None, None))
    column = many.codes.index(UNRANKED)
    assert np.isnan(many.risk[:, column]).all()
    assert np.isnan(many.rank[:, column]).all()
    assert (many.risk_class[:, column] == -1).all()
    assert (many.class_label()[:, column] == "no data").all()
    stability = many.rank_stability(top=2)
    assert stability.loc[UNRANKED, "unranked"] == 1.0
    assert stability.loc[UNRANKED, "top_2"] == 0.0


def test_only_context_or_exposure_free_weights_rank_by_hazard(built: BuildResult) -> None:
    # Weight only on the context hazards (no exposure): rescore ranks by hazard.
    ids = [h.id for h in built.registry.hazards]
    draws = np.zeros((2, len(ids)))
    draws[0, ids.index("warming")] = 1.0
    draws[1, ids.index("dust")] = 1.0
    many = built.rescore_many(draws)
    assert many.rank_by.tolist() == ["hazard", "risk"]
    assert np.isnan(many.hazard_exposure[0]).all()
    assert_same(many, loop(built, draws, None, None))


def test_bad_draws_are_config_errors_naming_what_is_wrong(built: BuildResult) -> None:
    hazards = len(built.registry.hazards)
    with pytest.raises(ConfigError, match="'typhoon'"):
        built.rescore_many(pd.DataFrame({"dust": [1.0], "typhoon": [1.0]}))
    with pytest.raises(ConfigError, match=rf"\(draws, {hazards}\)"):
        built.rescore_many(np.ones((3, hazards + 1)))
    bad = np.ones((3, hazards))
    bad[2, 1] = -1.0
    with pytest.raises(ConfigError, match="'salinity' in draw 2"):
        built.rescore_many(bad)
    bad[2, 1] = np.nan
    with pytest.raises(ConfigError, match="draw 2"):
        built.rescore_many(bad)
    zero = np.ones((3, hazards))
    zero[1] = 0.0
    with pytest.raises(ConfigError, match="zero in draw 1"):
        built.rescore_many(zero)
    with pytest.raises(ConfigError, match="profile"):
        built.rescore_many(np.ones((1, hazards)), profile="nope")


def test_rank_stability_counts_ranks_per_district() -> None:
    ranks = np.array(
        [[1, 2, 3, np.nan], [2, 1, 3, np.nan], [1, 1, 3, 4], [3, 2, 1, np.nan]], dtype=float
    )
    table = sensitivity.rank_stability(ranks, ["a", "b", "c", "d"], top=2)
    draws = ranks.shape[0]
    for k, code in enumerate("abcd"):
        for r in range(1, 5):
            assert table.loc[code, f"rank_{r}"] == np.sum(ranks[:, k] == r) / draws
        assert table.loc[code, "top_2"] == np.sum(ranks[:, k] <= 2) / draws
        assert table.loc[code, "unranked"] == np.isnan(ranks[:, k]).sum() / draws
    assert table.loc["a", "mean_rank"] == pytest.approx(7 / 4)
    assert table.loc["d", "mean_rank"] == 4.0
    assert table.loc["b", "modal_rank"] == 1  # ties: 1, 1 and 2, 2; the best rank first
    row_total = table[[f"rank_{r}" for r in range(1, 5)]].sum(axis=1) + table["unranked"]
    np.testing.assert_allclose(row_total, 1.0)


def test_ranks_of_many_rows_equal_row_by_row_and_in_slices(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(1)
    values = rng.integers(0, 4, size=(50, 6)).astype(float)  # many ties
    values[rng.random(values.shape) < 0.1] = np.nan
    rows = np.stack([index.rank_descending(v) for v in values])
    assert np.array_equal(index.rank_descending(values), rows, equal_nan=True)
    assert np.array_equal(index.rank_descending(values.T, axis=0), rows.T, equal_nan=True)
    monkeypatch.setattr(sensitivity, "_RANK_CELLS", 36 * 7)  # slices of 7 draws
    assert np.array_equal(sensitivity._ranks(values), rows, equal_nan=True)


def test_the_dataset_holds_every_array(built: BuildResult) -> None:
    many = built.rescore_many(np.ones((4, len(built.registry.hazards))))
    data = many.to_dataset()
    assert dict(data.sizes) == {"draw": 4, "district": len(world.IDS), "hazard_id": 7}
    np.testing.assert_array_equal(data["risk"].values, many.risk)
    assert data["district"].values.tolist() == list(many.codes)


def test_districts_with_the_same_inputs_tie_in_every_draw(built: BuildResult) -> None:
    # B gets C's numbers: rescore ties them (same rank), and so must every draw.
    districts = built.districts.copy()
    rows = districts["code"].tolist()
    source, target = rows.index("C"), rows.index("B")
    numeric = [c for c in districts.columns if c not in ("code", "name", "geometry")]
    numeric = [c for c in numeric if districts[c].dtype.kind in "fi"]
    districts.loc[districts.index[target], numeric] = districts.iloc[source][numeric].to_numpy()
    twin = BuildResult(built.path, built.manifest, built.registry, districts)
    draws = random_draws(np.random.default_rng(11), 40, len(built.registry.hazards))
    many = twin.rescore_many(draws)
    assert_same(many, loop(twin, draws, None, None))
    b, c = many.codes.index("B"), many.codes.index("C")
    assert np.array_equal(many.rank[:, b], many.rank[:, c])
    assert np.array_equal(many.risk[:, b], many.risk[:, c])
