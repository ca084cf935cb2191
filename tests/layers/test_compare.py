"""Two builds side by side: the tiny world against a scenario with a known change.

The scenario build differs from the tiny world in two inputs only: 15 more dust-storm
days a year everywhere (a uniform shift, so bilinear resampling keeps it: +15 days in
every district) and district B's poverty rate 9 % -> 20 %. So the dust layer's value
changes by +15 days in every district; poverty changes in B only, by +11 points; no
other layer changes at all.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from typer.testing import CliRunner

from aralrisk.api.cli import app
from aralrisk.geo.errors import ConfigError
from aralrisk.layers import compare as compare_module
from aralrisk.layers.compare import change_map, compare
from aralrisk.layers.pipeline import build
from aralrisk.layers.result import BuildResult, open_build
from tests import world


@pytest.fixture(scope="module")
def scenario_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("compare-scenario")
    config = world.make_world(folder / "inputs")
    with rasterio.open(folder / "inputs" / "dust.tif", "r+") as dust:
        values = dust.read(1)
        dust.write((values + 15.0).astype("float32"), 1)
    table = pd.read_csv(folder / "inputs" / "table.csv")
    table.loc[table["code"] == "B", "poverty_pct"] = 20.0
    table.to_csv(folder / "inputs" / "table.csv", index=False)
    build(config, out=folder / "build", progress=False)
    return folder / "build"


@pytest.fixture(scope="module")
def scenario(scenario_root: Path) -> BuildResult:
    return open_build(scenario_root)


def test_layer_changes_are_the_known_ones(built: BuildResult, scenario: BuildResult) -> None:
    result = compare(built, scenario)
    layers = result.layers
    assert result.only_a == result.only_b == ()
    dust = layers.xs("dust_days", level="layer")
    np.testing.assert_allclose(dust["value_change"], 15.0, rtol=0, atol=1e-4)
    a, b = built.table(), scenario.table()
    np.testing.assert_array_equal(
        dust["score_change"],
        b.loc[dust.index, "dust_days_score"] - a.loc[dust.index, "dust_days_score"],
    )
    assert (dust["score_change"] > 0).all()
    poverty = layers.xs("poverty", level="layer")
    assert poverty.loc["B", "value_change"] == pytest.approx(11.0)
    assert (poverty.drop(index="B")["value_change"] == 0).all()
    others = layers.drop(index=["dust_days", "poverty"], level="layer")
    changed = others["value_change"].abs().fillna(0.0)
    assert (changed == 0).all(), changed[changed > 0]
    # Levels change in steps, where both sides have one.
    steps = dust["level_change"].dropna()
    assert (steps == dust["level_b"] - dust["level_a"]).loc[steps.index].all()


def test_district_changes_follow_the_two_tables(built: BuildResult, scenario: BuildResult) -> None:
    result = compare(built, scenario)
    districts = result.districts
    a, b = built.table(), scenario.table()
    assert list(districts.index) == list(a.index)
    assert (districts["present"] == "both").all()
    for column in ("risk", "hazard", "hazard_exposure", "vulnerability", "lack_of_coping"):
        np.testing.assert_array_equal(
            districts[f"{column}_change"], b.loc[a.index, column] - a[column], err_msg=column
        )
    assert districts.loc["B", "vulnerability_change"] > 0
    assert (districts.drop(index="B")["vulnerability_change"] == 0).all()
    assert (districts["lack_of_coping_change"] == 0).all()
    assert (districts["hazard_change"] > 0).all(), "more dust everywhere"
    np.testing.assert_array_equal(districts["rank_change"], b.loc[a.index, "rank"] - a["rank"])
    labels = list(built.manifest["scoring"]["classes"]["labels"])
    for code, row in districts.iterrows():
        step = labels.index(row["risk_class_b"]) - labels.index(row["risk_class_a"])
        assert row["risk_class_change"] == step, code
        assert row["risk_class_a"] == a.loc[code, "risk_class"]


def test_change_map_is_a_plottable_frame(built: BuildResult, scenario: BuildResult) -> None:
    changes = change_map(built, scenario)
    assert isinstance(changes, gpd.GeoDataFrame)
    assert changes.crs.to_epsg() == 4326
    assert changes["code"].tolist() == built.table().index.tolist()
    outlines = built.districts.set_index("code").geometry
    for code, geometry in zip(changes["code"], changes.geometry, strict=True):
        assert geometry.equals(outlines[code])
    assert {"risk_change", "dust_days_value_change", "poverty_value_a"} <= set(changes)
    assert changes.set_index("code").loc["B", "poverty_value_change"] == pytest.approx(11.0)


def test_districts_of_one_build_only_are_kept(built: BuildResult) -> None:
    fewer = BuildResult(
        built.path,
        built.manifest,
        built.registry,
        built.districts[built.districts["code"] != "D"].reset_index(drop=True),
    )
    result = compare(built, fewer)
    assert result.districts.loc["D", "present"] == "only A"
    assert np.isnan(result.districts.loc["D", "risk_b"])
    assert np.isnan(result.districts.loc["D", "risk_change"])
    assert (result.districts.drop(index="D")["risk_change"] == 0).all()


def test_cli_prints_and_writes_csv_and_geopackage(
    build_root: Path, scenario_root: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    out_csv = tmp_path / "changes.csv"
    done = runner.invoke(
        app, ["compare", str(build_root), str(scenario_root), "--out", str(out_csv)]
    )
    assert done.exit_code == 0, done.output
    assert "dust_days, poverty" in done.output or "poverty, dust_days" in done.output
    written = pd.read_csv(out_csv, index_col="code")
    assert written.loc["B", "poverty_value_change"] == pytest.approx(11.0)
    out_gpkg = tmp_path / "changes.gpkg"
    done = runner.invoke(app, ["compare", str(build_root), str(scenario_root), "-o", str(out_gpkg)])
    assert done.exit_code == 0, done.output
    layer = gpd.read_file(out_gpkg, layer="changes")
    assert len(layer) == len(world.IDS) and "risk_change" in layer
    bad = runner.invoke(app, ["compare", str(build_root), str(scenario_root), "-o", "x.txt"])
    assert bad.exit_code == 2 and ".csv or a .gpkg" in bad.output
    missing = runner.invoke(app, ["compare", str(build_root), str(tmp_path / "nothing")])
    assert missing.exit_code == 2


def test_bad_output_is_a_config_error(build_root: Path) -> None:
    with pytest.raises(ConfigError, match="gpkg"):
        compare_module.run(build_root, build_root, Path("out.shp"), print)
