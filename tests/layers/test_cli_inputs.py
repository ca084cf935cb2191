"""The command line's bad-input matrix (issue 8): one sentence, non-zero exit, nothing published.

Each case breaks one thing in a copy of the tiny world and runs ``aralrisk build`` in a
subprocess, exactly as a user would. The expected sentence fragment is what a user
needs to fix the problem; no case may print a traceback or leave a build behind.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import xarray as xr
from shapely.geometry import Polygon
from typer.testing import CliRunner, Result

from aralrisk.api.cli import app
from aralrisk.geo.errors import InputWarning
from tests import world

Breaker = Callable[[Path], None]


def _districts(folder: Path) -> gpd.GeoDataFrame:
    return gpd.read_file(folder / "districts.geojson")


def _save(gdf: gpd.GeoDataFrame, folder: Path) -> None:
    (folder / "districts.geojson").unlink()
    gdf.to_file(folder / "districts.geojson", driver="GeoJSON")


def _replace_in_config(old: str, new: str) -> Breaker:
    def breaker(folder: Path) -> None:
        config = folder / "build.toml"
        text = config.read_text()
        assert old in text
        config.write_text(text.replace(old, new, 1))

    return breaker


def _no_crs(folder: Path) -> None:
    text = (folder / "districts.geojson").read_text()
    data = json.loads(text)
    data.pop("crs", None)
    # A GeoJSON without "crs" is EPSG:4326 by the RFC; a Shapefile without .prj has none.
    gdf = gpd.GeoDataFrame.from_features(data["features"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # writing without a CRS is the point
        gdf.to_file(folder / "districts.shp")
    (folder / "districts.prj").unlink(missing_ok=True)
    _replace_in_config('path = "districts.geojson"', 'path = "districts.shp"')(folder)


def _duplicate_ids(folder: Path) -> None:
    gdf = _districts(folder)
    gdf.loc[1, "code"] = "A"
    _save(gdf, folder)


def _missing_id(folder: Path) -> None:
    gdf = _districts(folder)
    gdf.loc[2, "code"] = None
    _save(gdf, folder)


def _outside(folder: Path) -> None:
    # Just east of every raster (they end by 62.2 E): the grid grows by a third.
    gdf = _districts(folder)
    gdf.loc[3, "geometry"] = Polygon([(62.5, 44.2), (62.7, 44.2), (62.7, 44.4), (62.5, 44.4)])
    _save(gdf, folder)


def _shifted_by_fifty_degrees(folder: Path) -> None:
    # A feature moved by a typo in its coordinates: the grid would be 50 times larger.
    gdf = _districts(folder)
    gdf.loc[1, "geometry"] = Polygon([(111, 44), (112, 44), (112, 44.5), (111, 44.5)])
    _save(gdf, folder)


def _rewrite_netcdf(folder: Path, change: Callable[[xr.Dataset], xr.Dataset]) -> None:
    ds = xr.open_dataset(folder / "climate.nc").load()
    ds.close()
    (folder / "climate.nc").unlink()
    change(ds).to_netcdf(folder / "climate.nc")


def _celsius_tagged_kelvin(folder: Path) -> None:
    def change(ds: xr.Dataset) -> xr.Dataset:
        ds["tasmax"] = (ds["tasmax"] - 273.15).assign_attrs(units="K")
        return ds

    _rewrite_netcdf(folder, change)


def _flood_in_cm_tagged_m(folder: Path) -> None:
    path = folder / "flood_rp10.tif"
    with rasterio.open(path, "r+") as ds:
        data = ds.read(1)
        ds.write(np.where(data == ds.nodata, data, data * 100.0), 1)


def _truncate(name: str) -> Breaker:
    def breaker(folder: Path) -> None:
        path = folder / name
        path.write_bytes(path.read_bytes()[: max(200, path.stat().st_size // 3)])

    return breaker


def _raster_no_crs(folder: Path) -> None:
    path = folder / "dust.tif"
    with rasterio.open(path) as src:
        profile, data = src.profile, src.read(1)
    profile.pop("crs")
    path.unlink()
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)


def _raster_all_nodata(folder: Path) -> None:
    path = folder / "dust.tif"
    with rasterio.open(path, "r+") as ds:
        ds.write(np.full((ds.height, ds.width), ds.nodata, dtype="float32"), 1)


def _raster_elsewhere(folder: Path) -> None:
    path = folder / "dust.tif"
    with rasterio.open(path) as src:
        profile, data = src.profile, src.read(1)
        tags = src.tags()
    profile["transform"] = rasterio.Affine(0.1, 0, 10.0, 0, -0.1, 10.0)
    path.unlink()
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
        dst.update_tags(**tags)


def _netcdf_no_time(folder: Path) -> None:
    ds = xr.open_dataset(folder / "climate.nc").load()
    ds.close()
    (folder / "climate.nc").unlink()
    ds.isel(time=0, drop=True).to_netcdf(folder / "climate.nc")


def _netcdf_bad_units(folder: Path) -> None:
    ds = xr.open_dataset(folder / "climate.nc").load()
    ds.close()
    ds["tasmax"].attrs["units"] = "furlongs per fortnight squared"
    (folder / "climate.nc").unlink()
    ds.to_netcdf(folder / "climate.nc")


# (case id, how to break the world, extra CLI arguments, expected sentence fragment)
CASES: list[tuple[str, Breaker | None, list[str], str]] = [
    ("districts missing", lambda f: (f / "districts.geojson").unlink(), [], "does not exist"),
    (
        "districts empty",
        lambda f: (f / "districts.geojson").write_text(""),
        [],
        "districts.geojson",
    ),
    (
        "districts not vector",
        lambda f: (f / "districts.geojson").write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 64),
        [],
        "districts.geojson",
    ),
    ("districts without CRS", _no_crs, [], "no CRS"),
    ("duplicate ids", _duplicate_ids, [], "duplicate"),
    ("missing id", _missing_id, [], "code"),
    ("raster missing", lambda f: (f / "dust.tif").unlink(), [], "dust.tif does not exist"),
    ("raster truncated", _truncate("dust.tif"), [], "dust.tif"),
    (
        "raster corrupt",
        lambda f: (f / "dust.tif").write_bytes(b"II*\x00garbage" * 20),
        [],
        "dust.tif",
    ),
    ("raster without CRS", _raster_no_crs, [], "no CRS"),
    ("raster all nodata", _raster_all_nodata, [], "no data over any district"),
    ("raster of another extent", _raster_elsewhere, [], "no data over any district"),
    ("netcdf truncated", _truncate("climate.nc"), [], "climate.nc is not a readable NetCDF"),
    (
        "population corrupt",
        lambda f: (f / "population.tif").write_bytes(b"II*\x00garbage" * 20),
        [],
        "population.tif",
    ),
    (
        "table not CSV",
        lambda f: (f / "table.csv").write_bytes(b"\xff\xfe\x00bad\x00,,,\n"),
        [],
        "table.csv is not a readable CSV table",
    ),
    ("netcdf without time", _netcdf_no_time, [], "time"),
    ("netcdf unknown units", _netcdf_bad_units, [], "units"),
    ("unknown layer", _replace_in_config('title = "Tiny world"', 'layers = ["lava"]'), [], "lava"),
    (
        "misspelt input",
        _replace_in_config("[inputs.dust_days]", "[inputs.dust_day]"),
        [],
        "unknown input [inputs.dust_day]: no layer reads it; did you mean [inputs.dust_days]?",
    ),
    (
        "unknown climate variable",
        _replace_in_config('variables = { tasmax = "tasmax"', 'variables = { tmax = "tasmax"'),
        [],
        "[inputs.climate] variables: unknown variable tmax",
    ),
    ("celsius tagged as kelvin", _celsius_tagged_kelvin, [], "which no climate has"),
    ("flood in cm tagged as m", _flood_in_cm_tagged_m, [], "outside the plausible 0 to 30"),
    ("district shifted by 50 degrees", _shifted_by_fifty_degrees, [], "stretch the analysis grid"),
    (
        "unknown risk classes",
        _replace_in_config('method = "geometric"', 'method = "geometric"\nclasses = "INFORM 1999"'),
        [],
        "unknown risk classes 'INFORM 1999'",
    ),
    ("negative weight", None, ["--weights", "dust_days:-1"], "dust_days"),
    ("NaN weight", None, ["--weights", "dust_days:nan"], "dust_days"),
    ("unknown profile", None, ["--profile", "tourism"], "tourism"),
    ("unknown method", None, ["--method", "median"], "median"),
    ("config missing", None, ["--config", "nowhere.toml"], "nowhere.toml"),
    (
        "config is a folder without build.toml",
        lambda f: (f / "inputs").mkdir(),
        ["--config", "inputs"],
        "inputs is a folder, not a build configuration, and holds no build.toml: pass the "
        "configuration file itself",
    ),
    (
        "scheduler without port",
        None,
        ["--scheduler", "tcp://localhost"],
        "scheduler address 'tcp://localhost' has no port: write it as tcp://HOST:PORT",
    ),
    (
        "scheduler port not a number",
        None,
        ["--scheduler", "tcp://localhost:abc"],
        "has an invalid port 'abc'",
    ),
    ("scheduler port out of range", None, ["--scheduler", "localhost:99999"], "invalid port"),
    (
        "scheduler unknown protocol",
        None,
        ["--scheduler", "http://localhost:8786"],
        "unknown protocol 'http'",
    ),
    ("scheduler IPv6 without brackets", None, ["--scheduler", "tcp://::1:8786"], "brackets"),
    (
        "input on a web server",
        _replace_in_config('path = "dust.tif"', 'path = "https://example.org/dust.tif"'),
        [],
        "inputs.dust_days.path 'https://example.org/dust.tif' is on a server",
    ),
    (
        "input through /vsicurl",
        _replace_in_config('path = "dust.tif"', 'path = "/vsicurl/http://127.0.0.1:9/dust.tif"'),
        [],
        "is on a server; builds read local files only",
    ),
    (
        "output folder is a file",
        lambda f: (f / "out").write_text("not a folder"),
        [],
        "could not read or write out: file exists; it already exists where a folder is needed",
    ),
    (
        "config not TOML",
        lambda f: (f / "build.toml").write_text("title = [unclosed"),
        [],
        "not a valid TOML",
    ),
]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pristine")
    world.make_world(folder)
    return folder


def _run(folder: Path, args: list[str]) -> Result:
    """Run ``aralrisk build`` in-process, in ``folder``, as a user would type it."""
    config = ["--config", str(folder / "build.toml")] if "--config" not in args else []
    cwd = Path.cwd()
    os.chdir(folder)
    try:
        # As outside pytest: input warnings are printed (one line each), not raised.
        with warnings.catch_warnings():
            warnings.simplefilter("always", InputWarning)
            return CliRunner().invoke(
                app, ["build", "--quiet", *config, *args, "--out", "out"], catch_exceptions=False
            )
    finally:
        os.chdir(cwd)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("breaker", "args", "fragment"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_is_one_sentence_and_publishes_nothing(
    pristine: Path,
    tmp_path: Path,
    breaker: Breaker | None,
    args: list[str],
    fragment: str,
) -> None:
    folder = tmp_path / "world"
    shutil.copytree(pristine, folder)
    if breaker is not None:
        breaker(folder)
    done = _run(folder, args)
    assert done.exit_code == 2, (done.stdout, done.stderr)
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.stderr
    assert fragment.lower() in errors[0].lower(), errors[0]
    assert "Traceback" not in done.stderr
    assert str(folder) not in errors[0], "messages name files, never their full paths"
    assert not (folder / "out" / "current").exists()
    staging = folder / "out" / ".staging"
    assert not staging.exists() or not any(staging.iterdir())


@pytest.mark.slow
def test_district_outside_every_raster_is_kept_as_no_data(pristine: Path, tmp_path: Path) -> None:
    folder = tmp_path / "world"
    shutil.copytree(pristine, folder)
    _outside(folder)
    done = _run(folder, [])
    # Not an error: the district is kept, its levels are "no data", and the user is told.
    assert done.exit_code == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning:")]
    assert any("district(s) D" in line for line in warnings), done.stderr
    assert "Traceback" not in done.stderr
    table = gpd.read_parquet(folder / "out" / "current" / "districts.parquet").set_index("code")
    assert table.loc["D", "dust_days_level"] == -2
    assert table.loc["D", "confidence"] == "low"


def test_a_real_process_prints_one_line_and_no_traceback(pristine: Path, tmp_path: Path) -> None:
    folder = tmp_path / "world"
    shutil.copytree(pristine, folder)
    (folder / "dust.tif").unlink()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "aralrisk.api.cli",
            "build",
            "-q",
            "--config",
            "build.toml",
            "--out",
            "out",
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: raster dust.tif does not exist: check the path and its spelling"
    ]


def test_a_scheduler_that_refuses_connections_is_a_network_error(
    pristine: Path, tmp_path: Path
) -> None:
    import socket

    import dask

    folder = tmp_path / "world"
    shutil.copytree(pristine, folder)
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        done = _run(folder, ["--scheduler", f"tcp://127.0.0.1:{port}"])
    assert done.exit_code == 2, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.stderr
    assert errors[0].startswith(
        f"error: network error: could not connect to the Dask scheduler at tcp://127.0.0.1:{port}"
    )
    assert "check that the scheduler runs" in errors[0]
    assert "file" not in errors[0]
    assert "Traceback" not in done.stderr
    assert not (folder / "out" / "current").exists()


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (ConnectionRefusedError(111, "Connection refused"), "network error: Connection refused"),
        (TimeoutError(110, "Connection timed out"), "network error: Connection timed out"),
        (
            FileExistsError(17, "File exists", "out"),
            "could not read or write out: File exists; it already exists where a folder",
        ),
        (
            PermissionError(13, "Permission denied", "build/current"),
            "could not read or write build/current: Permission denied; check its permissions",
        ),
        (OSError(28, "No space left on device", "big.tif"), "big.tif: No space left on device"),
    ],
    ids=["refused", "timed out", "exists", "permission", "disk full"],
)
def test_os_errors_name_the_file_or_say_network(error: OSError, says: str) -> None:
    from aralrisk.api.cli import os_error_sentence

    assert says in os_error_sentence(error)


def test_config_may_be_the_folder_holding_build_toml(pristine: Path) -> None:
    from aralrisk.layers.config import load_config

    assert load_config(pristine) == load_config(pristine / "build.toml")


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["serve", "--port", "70000"],
            "error: Invalid value for '--port': Input should be less than or equal to 65535 "
            "(see `aralrisk serve --help`)",
        ),
        (
            ["build", "--keep", "-1"],
            "error: Invalid value for '--keep': Input should be greater than or equal to 0 "
            "(see `aralrisk build --help`)",
        ),
        (
            ["biuld"],
            "error: No such command 'biuld'. Did you mean 'build'? (see `aralrisk --help`)",
        ),
    ],
    ids=["port out of range", "negative keep", "unknown command"],
)
def test_a_mistyped_option_is_one_line_from_the_real_command(
    tmp_path: Path, args: list[str], line: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "from aralrisk.api.cli import main; main()", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    # The program name as the console script shows it is `aralrisk` in real use.
    assert done.stderr.strip().replace("`-c ", "`aralrisk ") == line


@pytest.mark.parametrize(
    ("address", "normal"),
    [
        ("tcp://localhost:8786", "tcp://localhost:8786"),
        ("localhost:8786", "tcp://localhost:8786"),
        (" TCP://10.0.0.5:8786/ ", "tcp://10.0.0.5:8786"),
        ("tls://[::1]:8786", "tls://[::1]:8786"),
        ("inproc://192.0.2.2/10919/1", "inproc://192.0.2.2/10919/1"),
    ],
)
def test_good_scheduler_addresses_pass(address: str, normal: str) -> None:
    from aralrisk.layers.scheduler import scheduler_address

    assert scheduler_address(address) == normal
