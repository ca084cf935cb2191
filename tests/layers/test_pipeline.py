"""End-to-end builds of the tiny synthetic world: outputs, numbers, publishing."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rio_cogeo.cogeo import cog_validate

from geo import index
from geo.errors import ConfigError, InputError
from layers import scoring
from layers.config import load_config
from layers.pipeline import build
from layers.result import BuildResult, open_build
from tests import world

HAZARDS = world.HAZARDS


# ``world_dir`` and ``built`` are the session fixtures of tests/conftest.py: the tiny
# world built once with the real pipeline.


def test_publishes_current_with_a_complete_manifest(built: BuildResult) -> None:
    root = built.path.parent.parent
    assert (root / "current").is_symlink()
    assert (root / "current").resolve() == built.path
    manifest = json.loads((built.path / "manifest.json").read_text())
    assert manifest["version"] == built.version
    assert set(manifest["inputs"]) >= {"districts", "flood_rp10", "climate", "vulnerability"}
    for meta in manifest["inputs"].values():
        assert meta["size"] > 0
    assert manifest["inputs"]["flood_rp10"]["sha256"] is not None
    assert manifest["scoring"]["method"] == "geometric"
    assert sum(manifest["scoring"]["weights"].values()) == pytest.approx(1.0)
    assert manifest["grid"]["crs"] == "EPSG:4326"
    for rel, meta in manifest["outputs"].items():
        assert (built.path / rel).stat().st_size == meta["size"]
    expected = {
        "districts.gpkg",
        "districts.geojson",
        "districts.parquet",
        "districts.csv",
        "composite.tif",
        "risk.tif",
        "people.tif",
        "zones.tif",
        "basemap/hillshade.tif",
        "basemap/hydrography.geojson",
    }
    expected |= {f"layers/{h}.tif" for h in HAZARDS} | {f"layers/{h}.score.tif" for h in HAZARDS}
    assert expected <= set(manifest["outputs"])
    assert set(manifest["timings"]) >= {"districts", "risk", "flood_rp10"}


def test_every_raster_is_a_valid_cog_with_overviews_or_small(built: BuildResult) -> None:
    for path in sorted(built.path.rglob("*.tif")):
        valid, errors, _ = cog_validate(str(path), quiet=True)
        assert valid, (path.name, errors)
        with rasterio.open(path) as ds:
            assert ds.crs.to_epsg() == 4326
            assert ds.tags().get("build") == built.version


def test_every_district_has_every_layer(built: BuildResult) -> None:
    table = built.table()
    assert sorted(table.index) == list(world.IDS)
    for layer in (*HAZARDS, "population", "children_under5", "hospital_access"):
        assert np.isfinite(table[f"{layer}_score"]).all(), layer
        assert table[f"{layer}_score"].between(0, 10).all(), layer
    assert np.isfinite(table["risk"]).all()
    assert sorted(table["rank"]) == [1, 2, 3, 4]


def test_flood_levels_follow_thresholds_and_area_fraction(built: BuildResult) -> None:
    table = built.table()
    spec = built.registry["flood_rp10"]
    assert spec.levels is not None
    # A: the strip is 0.2 of 1 degree wide (20 % of the area) at 1.2 m > the high
    # threshold, far above the 1 % area fraction: high. Elsewhere there is no water.
    assert FLOOD_HIGH <= world.FLOOD_RP10_DEPTH
    assert table.loc["A", "flood_rp10_level"] == index.HIGH
    assert (table.loc[["B", "C", "D"], "flood_rp10_level"] == index.VERY_LOW).all()
    # People in high-level flood cells: the rural carpet under the strip only.
    assert table.loc["A", "flood_rp10_people_high"] > 0
    assert table.loc["B", "flood_rp10_people_high"] == 0
    # Non-hazard layers are "not applicable", never "very low".
    assert (table["population_level"] == index.NOT_APPLICABLE).all()
    assert (table["poverty_level"] == index.NOT_APPLICABLE).all()


FLOOD_HIGH = 0.5


def test_small_enclave_gets_values_from_its_cell(built: BuildResult) -> None:
    table = built.table()
    # D lies in C's dust value region (30 d/yr) and has no river: same values as C.
    assert table.loc["D", "dust_days_value"] == pytest.approx(30.0, abs=0.5)
    assert table.loc["D", "flood_rp10_value"] == pytest.approx(0.0, abs=1e-6)
    assert table.loc["D", "dust_days_coverage"] == pytest.approx(1.0)


def test_district_areas_are_the_polygons_areas(built: BuildResult) -> None:
    from geo.vectors import geodesic_area_km2

    table = built.table()
    for row in built.districts.itertuples():
        expected = geodesic_area_km2(row.geometry)
        assert table.loc[row.code, "area_km2"] == pytest.approx(expected, abs=1e-3), row.code
    # The enclave D (0.02 x 0.02 degrees) is smaller than the 0.05-degree cell it is
    # given (about 22 km2): its area is its own.
    assert table.loc["D", "area_km2"] == pytest.approx(3.51, abs=0.05)


def test_population_totals_are_preserved(built: BuildResult) -> None:
    table = built.table()
    rural = world.RURAL_PEOPLE_PER_CELL * 100 * 100  # 1 x 1 degree = 100 x 100 cells
    assert table.loc["A", "population"] == pytest.approx(rural + world.TOWN_PEOPLE, rel=0.01)
    assert table.loc["B", "population"] == pytest.approx(rural / 2, rel=0.01)
    assert table["population"].sum() == pytest.approx(2 * rural + world.TOWN_PEOPLE, rel=0.005)


def test_dimensions_combine_as_inform(built: BuildResult) -> None:
    table = built.table()
    he = np.sqrt(table["hazard"] * table["exposure"])
    expected = np.cbrt(he * table["vulnerability"] * table["coping"])
    np.testing.assert_allclose(table["risk"], expected, rtol=1e-9)
    assert (table["hazard_max"] >= table["hazard_geometric"] - 1e-9).all()
    assert list(table["risk_class"]) == index.risk_class_label(table["risk"])
    # Rank 1 has the highest risk.
    assert table.sort_values("rank")["risk"].is_monotonic_decreasing
    vuln = [f"{s.id}_score" for s in built.registry.by_role("vulnerability")]
    np.testing.assert_allclose(table["vulnerability"], table[vuln].mean(axis=1))


def test_drivers_explain_the_composite(built: BuildResult) -> None:
    table = built.table()
    weights = built.manifest["scoring"]["weights"]
    for code, row in table.iterrows():
        drivers = row["drivers"]
        assert 1 <= len(drivers) <= scoring.TOP_DRIVERS, code
        shares = [d["contribution"] for d in drivers]
        assert shares == sorted(shares, reverse=True)
        top = drivers[0]
        weighted = {h: row[f"{h}_score"] * weights[h] for h in HAZARDS}
        assert top["layer"] == max(weighted, key=weighted.get)  # type: ignore[arg-type]
    assert table.loc["A", "confidence"] == "high"


def test_rescore_changes_weights_not_layer_scores(built: BuildResult) -> None:
    flood_only = built.rescore(weights={h: (1.0 if h == "flood_rp10" else 0.0) for h in HAZARDS})
    table = flood_only.set_index("code")
    assert json.loads(table.loc["A", "weights"])["flood_rp10"] == pytest.approx(1.0)
    np.testing.assert_allclose(table["hazard"], table.loc[:, "flood_rp10_score"], atol=1e-9)
    np.testing.assert_allclose(
        table["flood_rp10_score"], built.table().loc[table.index, "flood_rp10_score"]
    )
    maxed = built.rescore(method="max").set_index("code")
    np.testing.assert_allclose(maxed["hazard"], maxed["hazard_max"])
    assert (maxed["method"] == "max").all()


def test_layers_dataset_is_lazy_and_on_one_grid(built: BuildResult) -> None:
    ds = built.layers
    assert {"flood_rp10", "flood_rp10_score", "composite", "risk", "people"} <= set(ds)
    assert ds["flood_rp10"].chunks is not None
    assert ds.sizes == {"y": 20, "x": 40}
    composite = ds["composite"].values
    assert np.nanmax(composite) <= 10 and np.nanmin(composite) >= 0


def test_failed_build_keeps_the_previous_one(
    built: BuildResult, world_dir: Path, tmp_path: Path
) -> None:
    root = built.path.parent.parent
    before = (root / "current").resolve()
    broken = tmp_path / "broken"
    world.make_world(broken)
    (broken / "dust.tif").write_bytes((broken / "dust.tif").read_bytes()[:300])
    with pytest.raises(InputError, match=r"dust\.tif"):
        build(broken / "build.toml", out=root, progress=False)
    assert (root / "current").resolve() == before
    assert not any((root / ".staging").iterdir())
    assert open_build(root).version == built.version


def test_unknown_layer_in_config_is_one_sentence(world_dir: Path, tmp_path: Path) -> None:
    text = (world_dir / "build.toml").read_text()
    (world_dir / "bad.toml").write_text(text.replace('title = "Tiny world"', 'layers = ["lava"]'))
    with pytest.raises(ConfigError, match="unknown layers 'lava' in the configuration"):
        build(world_dir / "bad.toml", out=tmp_path, progress=False)
    assert not (tmp_path / "current").exists()


def test_units_are_converted(world_dir: Path, tmp_path: Path) -> None:
    # The same flood raster declared in centimetres scores a hundred times shallower.
    with rasterio.open(world_dir / "flood_rp10.tif") as src:
        profile, data = src.profile, src.read(1)
    with rasterio.open(tmp_path / "flood_cm.tif", "w", **profile) as dst:
        dst.write(np.where(data == -9999.0, data, data * 100.0), 1)
        dst.update_tags(units="cm")
    cfg = load_config(world_dir / "build.toml")
    inputs = dict(cfg.inputs)
    inputs["flood_rp10"] = inputs["flood_rp10"].model_copy(
        update={"path": tmp_path / "flood_cm.tif"}
    )
    cfg = cfg.model_copy(update={"inputs": inputs, "layers": ["flood_rp10", "population"]})
    result = build(cfg, out=tmp_path / "out", progress=False)
    assert result.table().loc["A", "flood_rp10_value"] == pytest.approx(
        open_build(os.fspath(result.path)).table().loc["A", "flood_rp10_value"]
    )
    with rasterio.open(result.raster("flood_rp10")) as ds:
        assert np.nanmax(ds.read(1, masked=True).filled(np.nan)) == pytest.approx(
            world.FLOOD_RP10_DEPTH, rel=0.01
        )


def test_composite_and_risk_rasters_combine_the_score_rasters(
    built: BuildResult, world_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ds = built.layers
    scores = {h: ds[f"{h}_score"].to_numpy() for h in HAZARDS}
    expected = scoring.composite_cells(scores, built.registry, built.weighting())
    np.testing.assert_allclose(ds["composite"].to_numpy(), expected, rtol=1e-6, equal_nan=True)
    risk = scoring.risk_cells(
        ds["composite"].to_numpy(),
        ds["population_score"].to_numpy(),
        ds["vulnerability"].to_numpy(),
        ds["coping"].to_numpy(),
    )
    np.testing.assert_allclose(ds["risk"].to_numpy(), risk, rtol=1e-6, equal_nan=True)
    # Chunks are combined in strips of rows; strips of one row give the same rasters.
    monkeypatch.setattr("layers.pipeline.STRIP_CELLS", 1)
    stripped = build(world_dir / "build.toml", out=tmp_path, progress=False).layers
    for name in ("composite", "risk", "dust_days_score"):
        np.testing.assert_array_equal(stripped[name].to_numpy(), ds[name].to_numpy())
