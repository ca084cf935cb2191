"""Weight profiles declared in build.toml and on the command line, validated like the rest."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from aralrisk.api.cli import app
from aralrisk.geo.errors import ConfigError
from aralrisk.layers import profiles
from aralrisk.layers.config import ProfileConfig, load_config
from aralrisk.layers.pipeline import build
from aralrisk.layers.registry import load_catalog
from aralrisk.layers.result import BuildResult, open_build
from tests import world


def with_profiles(world_dir: Path, folder: Path, text: str) -> Path:
    """A copy of the tiny world's build.toml (inputs where they are) plus ``text``."""
    config = (world_dir / "build.toml").read_text()
    # Relative paths stay the world's: the copy lives in another folder.
    for name in (
        "districts.geojson",
        "flood_rp10.tif",
        "flood_rp100.tif",
        "salinity_utm.tif",
        "dust.tif",
        "climate.nc",
        "population.tif",
        "table.csv",
        "places.geojson",
    ):
        config = config.replace(f'"{name}"', f'"{(world_dir / name).as_posix()}"')
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "build.toml"
    path.write_text(config + "\n" + text)
    return path


def test_profiles_are_read_from_the_configuration(world_dir: Path, tmp_path: Path) -> None:
    path = with_profiles(
        world_dir,
        tmp_path,
        """
[profiles.herders]
title = "Pastoralists"
weights = { drought = 3, dust = 2 }
default = 0

[profiles.health_plus]
base = "public_health"
weights = { salinity = 2 }
""",
    )
    cfg = load_config(path)
    assert set(cfg.profiles) == {"herders", "health_plus"}
    registry = profiles.apply(load_catalog(), cfg.profiles)
    herders = registry.resolve_weights("herders").hazards
    assert herders["drought"] == pytest.approx(0.6) and herders["dust"] == pytest.approx(0.4)
    assert sum(v for k, v in herders.items() if k not in ("drought", "dust")) == 0
    assert registry.profiles["herders"].title == "Pastoralists"
    base = load_catalog().profiles["public_health"]
    plus = registry.profiles["health_plus"]
    assert plus.default == base.default
    assert plus.weights == {**base.weights, "salinity": 2.0}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("weights = { typhoon = 1 }", r"profiles\.bad\.weights\.typhoon: unknown hazard 'typhoon'"),
        (
            "weights = { dust_days = 1 }",
            r"profiles\.bad\.weights\.dust_days: 'dust_days' is a layer",
        ),
        ('base = "nope"', r"profiles\.bad\.base: unknown profile 'nope'"),
        ("weights = { dust = 0 }\ndefault = 0", r"profiles\.bad: every weight is zero"),
    ],
)
def test_a_bad_profile_stops_the_build_naming_the_key(
    world_dir: Path, tmp_path: Path, text: str, message: str
) -> None:
    path = with_profiles(world_dir, tmp_path, f"[profiles.bad]\n{text}\n")
    with pytest.raises(ConfigError, match=message):
        build(path, out=tmp_path / "out", progress=False)
    assert not (tmp_path / "out" / "current").exists()


def test_bad_values_and_ids_are_refused(world_dir: Path, tmp_path: Path) -> None:
    path = with_profiles(world_dir, tmp_path, "[profiles.neg]\nweights = { dust = -1 }\n")
    with pytest.raises(ConfigError, match=r"profiles\.neg\.weights"):
        load_config(path)
    path = with_profiles(world_dir, tmp_path, "[profiles.typo]\nwieghts = { dust = 1 }\n")
    with pytest.raises(ConfigError, match=r"unknown setting profiles\.typo\.wieghts"):
        load_config(path)
    with pytest.raises(ConfigError, match="already has a profile 'equal'"):
        profiles.apply(load_catalog(), {"equal": ProfileConfig(weights={"dust": 1})})
    with pytest.raises(ConfigError, match=r"profiles\.Bad Name: a profile id"):
        profiles.apply(load_catalog(), {"Bad Name": ProfileConfig(weights={"dust": 1})})
    with pytest.raises(ConfigError, match="NAME=hazard:weight"):
        profiles.parse_profile("dust:2")


def test_cli_defines_a_profile_and_the_build_keeps_it(
    world_dir: Path, tmp_path: Path, built: BuildResult
) -> None:
    out = tmp_path / "out"
    done = CliRunner().invoke(
        app,
        [
            "build",
            "--config",
            str(world_dir / "build.toml"),
            "--out",
            str(out),
            "--define-profile",
            "dusty=dust:1",
            "--define-profile",
            "wet=river_flood:2,salinity:1",
            "--profile",
            "dusty",
            "--quiet",
        ],
    )
    assert done.exit_code == 0, done.output
    result = open_build(out)
    assert result.manifest["scoring"]["profile"] == "dusty"
    assert {"dusty", "wet"} <= set(result.registry.profiles)
    ids = [h.id for h in result.registry.hazards]
    only_dust = built.rescore(weights={h: float(h == "dust") for h in ids}).set_index("code")
    got = result.table()
    np.testing.assert_allclose(got["risk"], only_dust.loc[got.index, "risk"], rtol=0, atol=1e-12)
    # The recorded profile rescoring later, by name.
    wet = result.rescore(profile="wet").set_index("code")
    expected = built.rescore(
        weights={h: {"river_flood": 2.0, "salinity": 1.0}.get(h, 0.0) for h in ids}
    )
    np.testing.assert_allclose(
        wet["risk"], expected.set_index("code").loc[wet.index, "risk"], rtol=0, atol=1e-12
    )
    bad = CliRunner().invoke(
        app,
        [
            "build",
            "--config",
            str(world_dir / "build.toml"),
            "--out",
            str(tmp_path / "o2"),
            "--define-profile",
            "x=typhoon:1",
            "--quiet",
        ],
    )
    assert bad.exit_code == 2
    assert "profiles.x.weights.typhoon" in bad.output
    assert len(world.IDS) == len(got)
