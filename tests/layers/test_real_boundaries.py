"""End to end on the official district boundaries (HDX COD-AB 2024) with the sample rasters."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from layers.config import load_config
from layers.pipeline import DEFAULT_CONFIG, build

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "boundaries"
ADM2 = REAL / "kyzylorda_adm2.geojson"


@pytest.mark.real_data
@pytest.mark.slow
@pytest.mark.skipif(not ADM2.is_file(), reason="../shared/data/boundaries is not on this machine")
def test_real_boundaries_get_finite_results(tmp_path: Path) -> None:
    cfg = load_config(DEFAULT_CONFIG).with_districts(ADM2, "ADM2_PCODE", "ADM2_EN")
    result = build(cfg, out=tmp_path, progress=False)
    table = result.table()
    assert len(table) == 9
    assert "KZ433200" in table.index  # Aral, drawn in two parts
    assert any("baik" in str(name).lower() or "bayk" in str(name).lower() for name in table["name"])
    for column in ("risk", "hazard", "exposure", "vulnerability", "coping", "dust_days_value"):
        assert np.isfinite(table[column].to_numpy(dtype=float)).all(), column
    hazards = [s.id for s in result.registry.hazards]
    assert np.isfinite(table[[f"{h}_score" for h in hazards]].to_numpy(dtype=float)).all()
    assert sorted(table["rank"]) == list(range(1, 10))
    # The enclave (about 38 km2, a few 0.01-degree cells) still has its own population.
    baikonur = table[table["name"].str.lower().str.contains("baik|bayk")].iloc[0]
    assert baikonur["population"] > 0
    assert 10 < baikonur["area_km2"] < 80
