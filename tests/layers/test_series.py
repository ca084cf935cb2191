"""Per-district yearly series: written with the build, equal to their layers, served.

The series behind each climate layer are computed the way the layer is (per year, then
aligned and averaged over the district), so the layers follow from them: the mean of
the heat days per year is the heat layer's value, the mean share of severe-drought
months over the last ten years is the drought status, and the slope of the yearly mean
Tmax is the warming trend.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from aralrisk.layers import series
from aralrisk.layers.result import BuildResult
from tests import world


def test_the_build_writes_and_lists_the_series(built: BuildResult) -> None:
    assert built.manifest["series"] == {
        "parquet": "district_series.parquet",
        "csv": "district_series.csv",
    }
    assert {"district_series.parquet", "district_series.csv"} <= set(built.manifest["outputs"])
    table = built.series()
    assert list(table.columns) == list(series.COLUMNS)
    assert sorted(table["code"].unique()) == sorted(world.IDS)
    csv = pd.read_csv(built.path / "district_series.csv", dtype={"code": str})
    pd.testing.assert_frame_equal(csv, table, check_dtype=False)
    variables = table.groupby("layer")["variable"].unique().map(sorted).to_dict()
    assert variables == {
        "heat_days": ["heat_days"],
        "dry_years": ["precipitation"],
        "spi_recent": ["spi", "spi_severe_months"],
        "warming_trend": ["tasmax_mean"],
    }
    units = table.groupby("variable")["units"].first().to_dict()
    assert units == {
        "heat_days": "d",
        "precipitation": "mm",
        "spi": "1",
        "spi_severe_months": "percent",
        "tasmax_mean": "degC",
    }
    for (_, _), part in table.groupby(["code", "variable"]):
        years = part["year"].to_numpy()
        assert (np.diff(years) == 1).all(), "one row per year, in order"
    # Hydrological years are named by the year they end in.
    rain = table[table["variable"] == "precipitation"]
    starts = pd.to_datetime(rain["period_start"])
    assert (starts.dt.month == 10).all() and (rain["year"] == starts.dt.year + 1).all()


def test_the_layers_follow_from_their_series(built: BuildResult) -> None:
    table, layers = built.series(), built.table()
    for code in world.IDS:
        hot = table[(table["code"] == code) & (table["variable"] == "heat_days")]["value"]
        assert hot.mean() == pytest.approx(layers.loc[code, "heat_days_value"], rel=1e-5, abs=1e-4)
        severe = table[(table["code"] == code) & (table["variable"] == "spi_severe_months")]
        years = built.registry["spi_recent"].params["evaluation_years"]
        recent = severe[severe["year"] > severe["year"].max() - years]["value"]
        assert recent.mean() == pytest.approx(layers.loc[code, "spi_recent_value"], abs=1e-4)
        tmax = table[(table["code"] == code) & (table["variable"] == "tasmax_mean")]
        slope = np.polyfit(tmax["year"], tmax["value"], 1)[0] * 10
        assert slope == pytest.approx(layers.loc[code, "warming_trend_value"], abs=1e-4)
        rain = table[(table["code"] == code) & (table["variable"] == "precipitation")]["value"]
        assert (rain > 0).all()
    assert table["value"].notna().all()


def test_the_endpoint_serves_the_build_file(client: TestClient, built: BuildResult) -> None:
    rows = built.series("A")
    answer = client.get("/districts/A/series")
    assert answer.status_code == 200
    body = answer.json()
    assert body["code"] == "A" and body["name"] == "Alpha" and body["build"] == built.version
    assert {(s["layer"], s["variable"]) for s in body["series"]} == set(
        zip(rows["layer"], rows["variable"], strict=True)
    )
    for item in body["series"]:
        part = rows[rows["variable"] == item["variable"]]
        assert item["years"] == part["year"].tolist()
        assert item["period_start"] == part["period_start"].tolist()
        assert item["values"] == part["value"].tolist()
        assert item["units"] == part["units"].iloc[0]
    as_csv = client.get("/districts/A/series", params={"format": "csv"})
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    served = pd.read_csv(io.StringIO(as_csv.text), dtype={"code": str})
    pd.testing.assert_frame_equal(served, rows, check_dtype=False)
    again = client.get("/districts/A/series", headers={"If-None-Match": answer.headers["etag"]})
    assert again.status_code == 304


def test_an_unknown_district_is_a_404_problem(client: TestClient) -> None:
    answer = client.get("/districts/ZZ/series")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "unknown district 'ZZ'" in json.loads(answer.text)["detail"]
    assert client.get("/districts/A/series", params={"format": "xml"}).status_code == 422
