"""The methodology's findings, each as a build or an indicator that once got it wrong.

Drought that tells climates apart instead of measuring sampling noise; any CF calendar;
missing days left out, not counted as dry or cool; implausible units refused; districts
without a risk value left unranked; a hazard-only build ranked by hazard; class cut-offs
named by their release.
"""

from __future__ import annotations

import shutil
import threading
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from aralrisk.geo import index
from aralrisk.geo.errors import ConfigError, InputError, InputWarning
from aralrisk.layers import indicators, pipeline
from aralrisk.layers.pipeline import build
from aralrisk.layers.registry import load_catalog
from aralrisk.layers.result import BuildResult
from tests import world

DRY = load_catalog()["dry_years"]


def _daily_precipitation(
    means_mm: np.ndarray, cv: float, seed: int, years: int = 30, calendar: str = "standard"
) -> xr.DataArray:
    """A stationary daily precipitation series on a grid of cells (kg m-2 s-1).

    Each hydrological year's total (October-September) follows a gamma distribution of
    the cell's mean and ``cv``, independently from year to year; within a year the
    anomalies are smooth in space (a Gaussian copula of a blurred random field, about
    five cells across), as wet and dry years cover whole regions. Totals are spread over
    random wet days.
    """
    from scipy.ndimage import gaussian_filter
    from scipy.stats import gamma, norm

    rng = np.random.default_rng(seed)
    time = xr.date_range(
        "1991-01-01", periods=years * 360 if calendar == "360_day" else None,
        end=None if calendar == "360_day" else f"{1990 + years}-12-31",
        freq="D", calendar=calendar, use_cftime=calendar != "standard",
    )  # fmt: skip
    hydro_year = np.asarray(time.year) + (np.asarray(time.month) >= 10)
    shape = (time.size, *means_mm.shape)
    wet = rng.random(shape) < 0.15
    amounts = np.where(wet, rng.gamma(0.7, 1.0, shape), 0.0)
    k = 1.0 / cv**2
    # The standard deviation of blurred unit white noise, from the blur's kernel.
    delta = np.zeros((33, 33))
    delta[16, 16] = 1.0
    spread = float(np.sqrt((gaussian_filter(delta, 2.5) ** 2).sum()))
    for year in np.unique(hydro_year):
        days = hydro_year == year
        field = gaussian_filter(rng.standard_normal(means_mm.shape), 2.5, mode="wrap")
        total = gamma.ppf(norm.cdf(field / spread), k, scale=means_mm / k)
        sums = amounts[days].sum(axis=0)
        amounts[days] *= np.where(sums > 0, total / np.where(sums > 0, sums, 1), 0.0)
    return xr.DataArray(
        amounts / 86_400.0,
        dims=("time", "y", "x"),
        coords={"time": time},
        attrs={"units": "kg m-2 s-1", "standard_name": "precipitation_flux"},
    ).chunk({"time": -1})


def test_a_stationary_climate_gives_no_drought_above_low_anywhere() -> None:
    # 400 cells of one climate like the oblast's (175 mm a year, CV 0.3), 30 years: a dry
    # year (under 100 mm) comes about once in 18 years, "low" (5-15 %).
    pr = _daily_precipitation(np.full((20, 20), 175.0), cv=0.3, seed=3)
    dry = indicators.dry_year_probability(pr).to_numpy()
    levels = index.value_level(dry, DRY.levels or ())
    assert levels.max() <= index.LOW
    assert 2.0 < dry.mean() < 10.0
    assert dry.max() < (DRY.levels or (0, 0))[1]
    # The SPI share of the last decade, standardised cell by cell, measures the draw, not
    # the climate: over identical climates it spreads twice as widely and reaches the old
    # hazard's "medium" (10 % of months) in many cells.
    spi = indicators.drought_frequency(pr, evaluation_years=10).to_numpy()
    assert spi.std() > 2 * dry.std()
    assert (spi >= 10.0).mean() > 0.1


def test_two_precipitation_climates_get_different_drought_hazards() -> None:
    means = np.where(np.arange(10) < 5, 105.0, 250.0)[None, :].repeat(10, axis=0)
    pr = _daily_precipitation(means, cv=0.3, seed=5)
    dry = indicators.dry_year_probability(pr).to_numpy()
    levels = index.value_level(dry, DRY.levels or ())
    assert (levels[:, :5] == index.HIGH).all()  # a dry year more than one year in three
    assert (levels[:, 5:] == index.VERY_LOW).all()  # almost never
    assert dry[:, :5].min() > 25.0 > 5.0 > dry[:, 5:].max()


@pytest.mark.parametrize("calendar", ["noleap", "360_day"])
def test_drought_indicators_work_on_model_calendars(calendar: str) -> None:
    pr = _daily_precipitation(np.full((6, 6), 160.0), cv=0.3, seed=7, calendar=calendar)
    dry = indicators.dry_year_probability(pr).to_numpy()
    spi = indicators.drought_frequency(pr, evaluation_years=10).to_numpy()
    assert np.isfinite(dry).all() and np.isfinite(spi).all()
    assert indicators.completeness(pr, "YS-OCT").to_numpy() == pytest.approx(1.0)


def _world(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    world.make_world(folder)
    return folder


def _rewrite_climate(folder: Path, change: object) -> None:
    path = folder / "climate.nc"
    with xr.open_dataset(path) as ds:
        data = ds.load()
    changed = change(data)  # type: ignore[operator]
    path.unlink()
    changed.to_netcdf(path)


def _to_360_day(ds: xr.Dataset) -> xr.Dataset:
    """The same series on a 360-day calendar (CMIP6/CORDEX), first 360 days of each year."""
    keep = ds["time"].dt.dayofyear <= 360
    ds = ds.sel(time=keep)
    years, doy = ds["time"].dt.year.to_numpy(), ds["time"].dt.dayofyear.to_numpy()
    import cftime

    dates = [cftime.Datetime360Day(int(y), 1, 1) + pd.Timedelta(days=int(d) - 1) for y, d in
             zip(years, doy, strict=True)]  # fmt: skip
    return ds.assign_coords(time=dates)


def test_a_360_day_climate_builds_with_classes_named_in_the_config(tmp_path: Path) -> None:
    folder = _world(tmp_path, "cal360")
    _rewrite_climate(folder, _to_360_day)
    config = folder / "build.toml"
    config.write_text(
        config.read_text().replace(
            'method = "geometric"',
            'method = "geometric"\n'
            'classes = { name = "earlier cut-offs", breaks = [2.0, 3.5, 5.0, 6.5] }',
        )
    )
    result = build(config, out=tmp_path / "out", progress=False)
    table = result.table()
    for layer in ("heat_days", "dry_years", "warming_trend", "spi_recent"):
        assert np.isfinite(table[f"{layer}_value"]).all(), layer
    assert result.manifest["scoring"]["classes"]["name"] == "earlier cut-offs"
    older = index.RiskClasses("earlier cut-offs", (2.0, 3.5, 5.0, 6.5))
    assert table["risk_class"].tolist() == index.risk_class_label(table["risk"].to_numpy(), older)
    assert (table["classes"] == "earlier cut-offs").all()
    # The class stays with the build when weights change.
    assert result.rescore(profile="public_health")["classes"].eq("earlier cut-offs").all()


def test_unknown_class_release_is_one_sentence(world_dir: Path, tmp_path: Path) -> None:
    text = (world_dir / "build.toml").read_text()
    bad = tmp_path / "bad.toml"
    shutil.copytree(world_dir, tmp_path / "w")
    bad = tmp_path / "w" / "build.toml"
    bad.write_text(
        text.replace('method = "geometric"', 'method = "geometric"\nclasses = "INFORM 1999"')
    )
    with pytest.raises(
        ConfigError, match="unknown risk classes 'INFORM 1999'; name one of INFORM 2025"
    ):
        build(bad, out=tmp_path / "out", progress=False)


def test_temperatures_in_celsius_tagged_kelvin_stop_the_build(tmp_path: Path) -> None:
    folder = _world(tmp_path, "mislabelled")

    def celsius_as_kelvin(ds: xr.Dataset) -> xr.Dataset:
        ds["tasmax"] = (ds["tasmax"] - 273.15).assign_attrs(units="K")
        return ds

    _rewrite_climate(folder, celsius_as_kelvin)
    with pytest.raises(
        InputError, match=r"climate\.nc: tasmax averages .* K .*which no climate has"
    ):
        build(folder / "build.toml", out=tmp_path / "out", progress=False)
    assert not (tmp_path / "out" / "current").exists()


def test_missing_climate_years_are_left_out_and_lower_the_confidence(
    built: BuildResult, tmp_path: Path
) -> None:
    folder = _world(tmp_path, "gaps")

    def summer_gaps(ds: xr.Dataset) -> xr.Dataset:
        # No summer days in 2001-2008 over the western half (district A's climate cells).
        gap = (ds["time"].dt.year >= 2001) & (ds["time"].dt.year <= 2008)
        gap = gap & ds["time"].dt.month.isin([6, 7, 8])
        west = ds["lon"] < 61.0
        ds["tasmax"] = ds["tasmax"].where(~(gap & west))
        return ds

    _rewrite_climate(folder, summer_gaps)
    with pytest.warns(InputWarning) as record:
        result = build(folder / "build.toml", out=tmp_path / "out", progress=False)
    messages = [str(w.message) for w in record]
    # One sentence per climate layer of tasmax, naming the layer and the share kept.
    assert any("left out of heat_days (as little as 73% of the years" in m for m in messages)
    assert any("left out of warming_trend" in m for m in messages)
    assert not any("dry_years" in m for m in messages)  # precipitation has no gap
    table, full = result.table(), built.table()
    # The hot summers that are missing are not counted as summers without heat: A's hot
    # days are the mean of its 22 complete years, close to the full series' mean (which
    # counting the gaps as cool days would lower by about 8/30).
    assert table.loc["A", "heat_days_value"] == pytest.approx(
        full.loc["A", "heat_days_value"], rel=0.1
    )
    assert table.loc["A", "heat_days_completeness"] == pytest.approx(22 / 30, abs=0.02)
    assert table.loc["C", "heat_days_completeness"] == pytest.approx(1.0)
    assert result.manifest["quality"]["heat_days"]["min_share_of_years"] == pytest.approx(
        22 / 30, abs=0.02
    )
    assert any("left out of heat_days" in w for w in result.manifest["warnings"])
    assert table.loc["A", "confidence"] == "medium"
    assert "cover 73%" in table.loc["A", "confidence_note"]
    assert table.loc["C", "confidence"] == "high"


def test_a_district_without_vulnerability_data_gets_no_rank(tmp_path: Path) -> None:
    folder = _world(tmp_path, "norow")
    table_csv = folder / "table.csv"
    rows = pd.read_csv(table_csv)
    rows[rows["code"] != "B"].to_csv(table_csv, index=False)
    with pytest.warns(InputWarning, match="no row for B"):
        result = build(folder / "build.toml", out=tmp_path / "out", progress=False)
    table = result.table()
    assert np.isnan(table.loc["B", "risk"])
    assert np.isnan(table.loc["B", "rank"])
    assert table.loc["B", "risk_class"] == "no data"
    assert table.loc["B", "confidence"] == "low"
    assert table.loc["B", "confidence_note"] == "no data for vulnerability, lack of coping"
    # The others are ranked 1-3 among themselves; B comes last in the table, unranked.
    assert sorted(table["rank"].dropna()) == [1.0, 2.0, 3.0]
    assert result.districts["code"].iloc[-1] == "B"
    # B still has its hazard, its hazard level and its rank by hazard.
    assert np.isfinite(table.loc["B", "hazard"]) and np.isfinite(table.loc["B", "rank_hazard"])
    assert table.loc["B", "hazard_level"] >= index.VERY_LOW


def test_the_manifest_keeps_input_warnings_while_another_thread_swaps_warning_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # warnings.catch_warnings swaps process-wide state; a thread that entered it before the
    # build and leaves it during the build (xarray does so inside dask tasks) used to put
    # back the state from before the build's own recording, and the manifest lost the
    # warnings given after that point (seen as a flaky notebook 03).
    folder = _world(tmp_path, "race")
    table_csv = folder / "table.csv"
    rows = pd.read_csv(table_csv)
    rows[rows["code"] != "B"].to_csv(table_csv, index=False)
    inside, leave = threading.Event(), threading.Event()

    def other_thread() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            inside.set()
            leave.wait(30)

    read_districts = pipeline.read_districts

    def read_then_release(*args: object, **kwargs: object) -> object:
        districts = read_districts(*args, **kwargs)  # type: ignore[arg-type]
        leave.set()
        thread.join(30)
        return districts

    monkeypatch.setattr(pipeline, "read_districts", read_then_release)
    # The thread starts inside pytest's own recorder, so what it puts back is that one.
    with pytest.warns(InputWarning, match="no row for B"):
        thread = threading.Thread(target=other_thread)
        thread.start()
        inside.wait(30)
        result = build(folder / "build.toml", out=tmp_path / "out", progress=False)
    assert not thread.is_alive()
    assert any("no row for B" in w for w in result.manifest["warnings"])


def test_a_hazard_only_build_ranks_by_hazard(world_dir: Path, tmp_path: Path) -> None:
    text = (world_dir / "build.toml").read_text()
    shutil.copytree(world_dir, tmp_path / "w")
    config = tmp_path / "w" / "build.toml"
    config.write_text(text.replace('title = "Tiny world"', 'layers = ["flood_rp100", "dust_days"]'))
    result = build(config, out=tmp_path / "out", progress=False)
    table = result.table()
    assert (table["rank_by"] == "hazard").all()
    assert sorted(table["rank"]) == sorted(index.rank_descending(table["hazard"].to_numpy()))
    assert table.sort_values("rank")["hazard"].is_monotonic_decreasing
    assert table["risk"].isna().all()
    # Without its 10-year layer, the river flood's "high" criterion cannot be reached:
    # A's strip (2 m at the 100-year flood over 40 %) is medium, not high.
    assert table.loc["A", "river_flood_level"] == index.MEDIUM
    flood = result.registry.hazard("river_flood")
    assert flood.missing == ("flood_rp10",)
    # No population: no exposure, no hazard & exposure; drivers from intensity.
    assert "river_flood_exposed" not in table
    assert table.loc["A", "drivers"][0]["hazard"] in {"river_flood", "dust"}
