"""Boundaries that change: a table keyed to other districts is transferred, or matched by name.

The tiny world's table is keyed to its districts A-D. Here the build runs on three
other districts (W, M, E: west, middle and east strips across all four), with the
table's own boundaries given: every new district must get finite values and risk,
transferred by population-weighted areal interpolation, marked, at lower confidence.
W lies inside A, so it takes A's values exactly; M straddles A, B and C.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from aralrisk.geo.errors import ConfigError
from aralrisk.layers.config import load_config
from aralrisk.layers.pipeline import build
from aralrisk.layers.result import BuildResult, open_build
from tests import world

TABLE_COLUMNS = ["poverty_pct", "hospital_beds_per10k", "hospital_travel_min"]


def strips() -> gpd.GeoDataFrame:
    """Three north-south strips over the world, with other ids and names."""
    return gpd.GeoDataFrame(
        {"NEW_ID": ["W", "M", "E"], "NEW_NAME": ["West", "Middle", "East"]},
        geometry=[box(60, 44, 60.6, 45), box(60.6, 44, 61.4, 45), box(61.4, 44, 62, 45)],
        crs="EPSG:4326",
    )


def config_text(world_dir: Path, districts: str, table_extra: str, table: str = "table.csv") -> str:
    text = (world_dir / "build.toml").read_text()
    text = text.replace(
        '[districts]\npath = "districts.geojson"\nid_field = "code"\nname_field = "name"\n'
        'names = { kk = "name_kk", ru = "name_ru" }',
        f"[districts]\n{districts}",
    )
    text = text.replace(
        '[inputs.vulnerability]\npath = "table.csv"\nid_field = "code"',
        f'[inputs.vulnerability]\npath = "{table}"\nid_field = "code"\n{table_extra}',
    )
    return text.replace('[inputs.places]\npath = "places.geojson"\nradius_km = 10\n', "")


@pytest.fixture(scope="module")
def transferred(world_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    folder = tmp_path_factory.mktemp("transfer")
    strips().to_file(world_dir / "strips.geojson", driver="GeoJSON")
    config = world_dir / "build_strips.toml"
    config.write_text(
        config_text(
            world_dir,
            'path = "strips.geojson"\nid_field = "NEW_ID"\nname_field = "NEW_NAME"',
            'boundaries = "districts.geojson"',
        )
    )
    build(config, out=folder / "build", progress=False)
    return open_build(folder / "build")


def test_every_new_district_gets_finite_risk_marked_as_transferred(
    transferred: BuildResult,
) -> None:
    table = transferred.table()
    assert list(table.index) == ["W", "M", "E"] or set(table.index) == {"W", "M", "E"}
    assert np.isfinite(table["risk"]).all(), table["risk"]
    assert np.isfinite(table["vulnerability"]).all() and np.isfinite(table["lack_of_coping"]).all()
    assert (table["table_transferred"] == 1.0).all()
    assert table["rank"].notna().all()
    assert (table["confidence"] != "high").all()
    assert table["confidence_note"].str.contains("transferred from other boundaries").all()
    entry = transferred.manifest["transfers"]["vulnerability"]
    assert entry["method"] == "population-weighted areal interpolation"
    assert entry["boundaries"] == "districts.geojson"
    assert sorted(entry["transferred"]) == ["E", "M", "W"]
    assert {entry["file"], entry["weights"]} <= set(transferred.manifest["outputs"])
    # Rescoring keeps the mark (the flag is one of the scoring inputs).
    again = transferred.rescore(weights={"dust": 2.0}).set_index("code")
    assert (again.loc[table.index, "confidence"] != "high").all()


def test_values_are_population_weighted_means_of_the_old_districts(
    transferred: BuildResult, world_dir: Path
) -> None:
    weights = pd.read_csv(transferred.path / "transfer" / "vulnerability_weights.csv")
    values = pd.read_csv(transferred.path / "transfer" / "vulnerability.csv", index_col="code")
    old = pd.read_csv(world_dir / "table.csv", index_col="code")
    # W lies inside A: A's values, exactly.
    assert weights[weights["new"] == "W"]["old"].tolist() == ["A"]
    for column in TABLE_COLUMNS:
        assert values.loc["W", column] == pytest.approx(old.loc["A", column])
    # M straddles A, B and C: the people-weighted mean of theirs.
    middle = weights[weights["new"] == "M"].set_index("old")
    assert set(middle.index) >= {"A", "B", "C"}
    assert middle["weight"].sum() == pytest.approx(1.0)
    assert (middle["people"] > 0).all()
    for column in TABLE_COLUMNS:
        expected = (middle["weight"] * old.loc[middle.index, column]).sum()
        assert values.loc["M", column] == pytest.approx(expected)
        low, high = old[column].min(), old[column].max()
        assert low <= values.loc["M", column] <= high
    # The build's district values are the transferred ones.
    table = transferred.table()
    assert table.loc["W", "poverty_value"] == pytest.approx(old.loc["A", "poverty_pct"])


def test_names_match_across_languages(world_dir: Path, tmp_path: Path) -> None:
    # The table is keyed to codes the boundaries do not use, with Russian names.
    old = pd.read_csv(world_dir / "table.csv")
    russian = dict(zip(world.IDS, world.districts()["name_ru"], strict=True))
    renamed = old.assign(
        name_ru=[f"{russian[c]} район" for c in old["code"]], code=[f"OLD{c}" for c in old["code"]]
    )
    renamed.to_csv(world_dir / "table_by_name.csv", index=False)
    config = world_dir / "build_names.toml"
    config.write_text(
        config_text(
            world_dir,
            'path = "districts.geojson"\nid_field = "code"\nname_field = "name"\n'
            'names = { kk = "name_kk", ru = "name_ru" }',
            'match = "name"\nname_field = "name_ru"',
            table="table_by_name.csv",
        )
    )
    result = build(config, out=tmp_path / "build", progress=False)
    table = result.table()
    np.testing.assert_allclose(
        table.loc[list(world.IDS), "poverty_value"],
        old.set_index("code").loc[list(world.IDS), "poverty_pct"],
    )
    assert np.isfinite(table["risk"]).all()
    assert (table["table_transferred"] == 0).all(), "matched, not transferred"
    assert not table["confidence_note"].str.contains("transferred").any()
    assert result.manifest["transfers"]["vulnerability"]["unmatched"] == []


def test_settings_are_checked(world_dir: Path, tmp_path: Path) -> None:
    config = world_dir / "build_match_without_name.toml"
    config.write_text(
        config_text(
            world_dir,
            'path = "districts.geojson"\nid_field = "code"\nname_field = "name"',
            'match = "name"',
        )
    )
    cfg = load_config(config)
    assert cfg.inputs["vulnerability"].match == "name"
    with pytest.raises(ConfigError, match=r"inputs\.vulnerability\.name_field"):
        build(cfg, out=tmp_path / "out", progress=False)
    bad = world_dir / "build_bad_match.toml"
    bad.write_text(config.read_text().replace('match = "name"', 'match = "fuzzy"'))
    with pytest.raises(ConfigError, match=r"inputs\.vulnerability\.match"):
        load_config(bad)
