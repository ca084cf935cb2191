"""Your fields, your CRS: districts_input.* keeps every input attribute, names and CRS."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from aralrisk.api.cli import app
from aralrisk.geo.errors import ConfigError, InputWarning
from aralrisk.layers import own_fields
from aralrisk.layers.config import OutputConfig, load_config
from aralrisk.layers.result import BuildResult, open_build
from tests import world


def test_the_default_build_writes_the_districts_as_given(built: BuildResult) -> None:
    entry = built.manifest["districts_input"]
    assert entry["files"] == [
        "districts_input.gpkg",
        "districts_input.parquet",
        "districts_input.csv",
    ]
    assert entry["crs"] == "EPSG:4326" and entry["id_field"] == "code"
    assert set(entry["files"]) <= set(built.manifest["outputs"])
    frame = gpd.read_file(built.path / "districts_input.gpkg", layer="districts_input")
    assert frame.columns[:4].tolist() == ["code", "name", "name_kk", "name_ru"]
    assert frame["code"].tolist() == list(world.IDS), "the input's row order"
    table = built.table()
    np.testing.assert_allclose(frame["risk"], table.loc[frame["code"], "risk"], rtol=0, atol=1e-12)


@pytest.fixture(scope="module")
def own_root(world_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The tiny world on boundaries in UTM 41N, with other field names and own attributes."""
    folder = tmp_path_factory.mktemp("own-fields")
    mine = (
        world.districts()
        .to_crs("EPSG:32641")
        .rename(columns={"code": "DIST_ID", "name": "DIST_NAME"})
    )
    mine["ha"] = mine.geometry.area / 1e4
    mine["risk"] = "own text field"  # a name the results use too
    mine["remarks"] = ["west", "south-east", "north-east", "enclave"]
    mine = mine.iloc[[2, 0, 3, 1]].reset_index(drop=True)  # not in code order
    boundaries = folder / "mine.gpkg"
    mine.to_file(boundaries, layer="districts")
    out = folder / "build"
    runner = CliRunner()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InputWarning)  # "reprojected to EPSG:4326"
        done = runner.invoke(
            app,
            [
                "build",
                "--config",
                str(world_dir / "build.toml"),
                "--out",
                str(out),
                "--boundaries",
                str(boundaries),
                "--id-field",
                "DIST_ID",
                "--name-field",
                "DIST_NAME",
                "--quiet",
            ],
        )
    assert done.exit_code == 0, done.output
    return boundaries, out


def test_every_field_under_its_own_name_in_the_input_crs(
    own_root: tuple[Path, Path], built: BuildResult
) -> None:
    boundaries, out = own_root
    result = open_build(out)
    mine = gpd.read_file(boundaries)
    written = gpd.read_file(result.path / "districts_input.gpkg", layer="districts_input")
    assert written.crs.to_epsg() == 32641
    assert result.manifest["districts_input"]["crs"] == "EPSG:32641"
    own = [c for c in mine.columns if c != "geometry"]
    assert written.columns[: len(own)].tolist() == own
    pd.testing.assert_frame_equal(
        pd.DataFrame(written[own]), pd.DataFrame(mine[own]), check_dtype=False
    )
    assert "code" not in written and "name" not in written
    assert "aralrisk_risk" in written and (written["risk"] == "own text field").all()
    # Same districts, same numbers as the tiny world's own build.
    expected = built.table().loc[written["DIST_ID"], "risk"].to_numpy()
    np.testing.assert_allclose(written["aralrisk_risk"], expected, rtol=1e-9)
    # Geometry back in the input's CRS: areas as in the input file.
    np.testing.assert_allclose(written.geometry.area, mine.geometry.area, rtol=1e-7)
    parquet = gpd.read_parquet(result.path / "districts_input.parquet")
    assert parquet.crs.to_epsg() == 32641 and parquet.columns[: len(own)].tolist() == own
    csv = pd.read_csv(result.path / "districts_input.csv", encoding="utf-8-sig")
    assert csv.columns[: len(own)].tolist() == own


def test_another_crs_on_request(own_root: tuple[Path, Path], tmp_path: Path) -> None:
    boundaries, out = own_root
    result = open_build(out)
    mine = gpd.read_file(boundaries)
    from aralrisk.geo.io import read_districts

    with pytest.warns(InputWarning, match="reprojected"):
        districts = read_districts(boundaries, "DIST_ID", "DIST_NAME")
    entry = own_fields.write(
        districts, result.districts, "DIST_ID", "DIST_NAME", "EPSG:3857", boundaries, None, tmp_path
    )
    assert entry["crs"] == "EPSG:3857"
    written = gpd.read_file(tmp_path / "districts_input.gpkg")
    assert written.crs.to_epsg() == 3857
    assert written["DIST_ID"].tolist() == mine["DIST_ID"].tolist()
    with pytest.raises(ConfigError, match=r"output\.crs: 'EPSG:99999'"):
        own_fields.output_crs("EPSG:99999", boundaries)
    assert own_fields.output_crs("input", boundaries).to_epsg() == 32641


def test_the_setting_is_validated_in_the_config(world_dir: Path, tmp_path: Path) -> None:
    assert OutputConfig().crs == "input"
    assert OutputConfig(crs="EPSG:32641").crs == "EPSG:32641"
    text = (
        (world_dir / "build.toml")
        .read_text()
        .replace(
            'path = "districts.geojson"', f'path = "{(world_dir / "districts.geojson").as_posix()}"'
        )
    )
    bad = tmp_path / "build.toml"
    bad.write_text(text + '\n[output]\ncrs = "EPSG:nope"\n')
    with pytest.raises(ConfigError, match=r"output\.crs"):
        load_config(bad)
