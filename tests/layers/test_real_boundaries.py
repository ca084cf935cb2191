"""End to end on the official district boundaries (HDX COD-AB 2024) with the sample rasters."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rio_cogeo.cogeo import cog_validate

from aralrisk.layers.config import load_config
from aralrisk.layers.pipeline import DEFAULT_CONFIG, build
from aralrisk.layers.result import open_build

# The official boundaries, kept in the repository with their licence (data/reference).
REAL = Path(__file__).resolve().parents[2] / "data" / "reference" / "boundaries"
ADM2 = REAL / "kyzylorda_adm2.geojson"


@pytest.mark.real_data
@pytest.mark.slow
def test_real_boundaries_get_finite_results(tmp_path: Path) -> None:
    cfg = load_config(DEFAULT_CONFIG).with_districts(ADM2, "ADM2_PCODE", "ADM2_EN")
    result = build(cfg, out=tmp_path, progress=False)
    table = result.table()
    assert len(table) == 9
    assert "KZ433200" in table.index  # Aral, drawn in two parts
    assert any("baik" in str(name).lower() or "bayk" in str(name).lower() for name in table["name"])
    columns = ("risk", "hazard", "hazard_exposure", "vulnerability", "lack_of_coping")
    for column in (*columns, "dust_days_value", "people_exposed"):
        assert np.isfinite(table[column].to_numpy(dtype=float)).all(), column
    hazards = [h.id for h in result.registry.hazards]
    assert np.isfinite(table[[f"{h}_score" for h in hazards]].to_numpy(dtype=float)).all()
    assert table[[f"{h}_level" for h in hazards]].isin([0, 1, 2, 3]).all().all()
    assert sorted(table["rank"]) == list(range(1, 10))
    # The enclave (about 38 km2, a few 0.01-degree cells) still has its own population.
    baikonur = table[table["name"].str.lower().str.contains("baik|bayk")].iloc[0]
    assert baikonur["population"] > 0
    assert 10 < baikonur["area_km2"] < 80


@pytest.mark.slow
def test_sample_build_is_complete_and_consistent(sample_build_root: Path) -> None:
    result = open_build(sample_build_root)  # the sample's data/sample/build.toml, built
    table = result.table()
    assert len(table) == 9
    assert sorted(table["rank"]) == list(range(1, 10))
    manifest = result.manifest
    assert {"districts", "climate", "population", "vulnerability"} <= set(manifest["inputs"])
    assert all(meta["sha256"] for meta in manifest["inputs"].values())
    for spec in result.registry.values():
        values = table[f"{spec.id}_value"].to_numpy(dtype=float)
        assert np.isfinite(values).all(), spec.id
        if spec.role == "hazard" and spec.levels is not None:
            levels = table[f"{spec.id}_level"].to_numpy()
            assert set(levels) <= {0, 1, 2, 3}, spec.id
    for hazard in result.registry.hazards:
        assert set(table[f"{hazard.id}_level"]) <= {0, 1, 2, 3}, hazard.id
    # The population is a head count, labelled as people (not people per km2).
    assert result.registry["population"].district_units_label == "people"
    assert table["population_value"].sum() == pytest.approx(table["population"].sum(), rel=1e-6)
    for path in result.path.rglob("*.tif"):
        valid, errors, _ = cog_validate(str(path), quiet=True)
        assert valid, (path.name, errors)
    # The sample follows the published dust gradient: Aral's dust level is the highest.
    assert table.loc["KZ433200", "dust_days_level"] == table["dust_days_level"].max()
    assert table.loc["KZ433200", "dust_days_value"] > table.loc["KZ434000", "dust_days_value"]
