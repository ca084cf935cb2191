"""Another official boundary set: the sample built on the reference districts keyed by KATO.

data/reference/boundaries/kyzylorda_adm2.geojson (HDX COD-AB, from geoKZ) identifies the
districts by their KATO codes; the sample's vulnerability table is keyed by ADM2_PCODE.
Without a transfer no row matches and no district has a risk. Given the boundaries the
table belongs to (the sample's districts), every district gets finite risk, marked as
transferred; the two boundary sets draw the same nine districts, so each transferred
value stays close to the district's own.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from aralrisk.layers.config import load_config
from aralrisk.layers.pipeline import DEFAULT_CONFIG, SAMPLE_DIR, build

ROOT = Path(__file__).resolve().parents[2]
OFFICIAL = ROOT / "data" / "reference" / "boundaries" / "kyzylorda_adm2.geojson"

pytestmark = [pytest.mark.real_data, pytest.mark.slow]


def test_official_boundaries_with_other_ids_get_transferred_values(tmp_path: Path) -> None:
    cfg = load_config(DEFAULT_CONFIG).with_districts(OFFICIAL, "KATO", "ADM2_EN")
    inputs = dict(cfg.inputs)
    inputs["vulnerability"] = inputs["vulnerability"].model_copy(
        update={"boundaries": SAMPLE_DIR / "districts.geojson", "boundaries_id_field": "ADM2_PCODE"}
    )
    inputs.pop("places", None)  # settlements are not what this test is about
    cfg = cfg.model_copy(update={"inputs": inputs})
    result = build(cfg, out=tmp_path / "build", progress=False)
    table = result.table()
    assert len(table) == 9
    assert np.isfinite(table["risk"]).all(), table["risk"]
    assert table["rank"].notna().all()
    assert (table["table_transferred"] == 1).all()
    assert table["confidence_note"].str.contains("transferred from other boundaries").all()
    # KATO -> ADM2_PCODE from the official file; the values stay near each district's own.
    official = gpd.read_file(OFFICIAL)
    pcode = dict(zip(official["KATO"].astype(str), official["ADM2_PCODE"], strict=True))
    own = pd.read_csv(SAMPLE_DIR / "vulnerability.csv", comment="#").set_index("ADM2_PCODE")
    for kato, row in table.iterrows():
        expected = own.loc[pcode[str(kato)], "poverty_pct"]
        assert row["poverty_value"] == pytest.approx(expected, rel=0.1), kato
