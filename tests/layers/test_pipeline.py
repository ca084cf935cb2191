"""End-to-end builds of the tiny synthetic world: outputs, numbers, publishing."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rio_cogeo.cogeo import cog_validate

from aralrisk.geo import index
from aralrisk.geo.errors import ConfigError, InputError
from aralrisk.layers import scoring
from aralrisk.layers.config import load_config
from aralrisk.layers.pipeline import build
from aralrisk.layers.result import BuildResult, open_build
from tests import world

HAZARD_LAYERS = world.HAZARD_LAYERS
WEIGHTED = world.WEIGHTED_HAZARDS


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
        "exposed.tif",
        "vulnerability.tif",
        "lack_of_coping.tif",
        "people.tif",
        "zones.tif",
        "basemap/hillshade.tif",
        "basemap/hydrography.geojson",
    }
    expected |= {f"layers/{h}.tif" for h in HAZARD_LAYERS}
    expected |= {f"layers/{h}.score.tif" for h in HAZARD_LAYERS}
    assert expected <= set(manifest["outputs"])
    # No cell-level risk: risk is a district index.
    assert "risk.tif" not in manifest["outputs"]
    assert set(manifest["timings"]) >= {"districts", "hazards", "risk", "flood_rp10"}
    # The class cut-offs are named by their INFORM release; the hazards are stored.
    assert manifest["scoring"]["classes"]["name"] == "INFORM Risk 2025 (v0.7.0)"
    assert manifest["scoring"]["classes"]["breaks"] == [2.2, 3.2, 5.1, 6.9]
    assert set(manifest["catalog"]["hazards"]) == set(world.HAZARDS)
    assert manifest["quality"]["heat_days"]["min_share_of_years"] == 1.0
    assert manifest["warnings"] == []


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
    for layer in (*HAZARD_LAYERS, "children_under5", "hospital_access"):
        assert np.isfinite(table[f"{layer}_score"]).all(), layer
        assert table[f"{layer}_score"].between(0, 10).all(), layer
    for hazard in world.HAZARDS:
        assert table[f"{hazard}_level"].between(0, 3).all(), hazard
        assert table[f"{hazard}_score"].between(0, 10).all(), hazard
    assert np.isfinite(table["risk"]).all()
    assert sorted(table["rank"]) == [1, 2, 3, 4]
    assert (table["rank_by"] == "risk").all()


def test_flood_levels_follow_thresholds_and_area_fraction(built: BuildResult) -> None:
    table = built.table()
    spec = built.registry["flood_rp10"]
    assert spec.levels is not None
    # A: the strip is 0.2 of 1 degree wide (20 % of the area) at 1.2 m > the high
    # threshold, far above the 1 % area fraction: high. Elsewhere there is no water.
    assert FLOOD_DAMAGING <= world.FLOOD_RP10_DEPTH
    assert table.loc["A", "flood_rp10_level"] == index.HIGH
    assert (table.loc[["B", "C", "D"], "flood_rp10_level"] == index.VERY_LOW).all()
    # The hazard follows ThinkHazard!'s rule: 0.5 m over >= 1 % in the 10-year flood.
    assert table.loc["A", "river_flood_level"] == index.HIGH
    assert (table.loc[["B", "C", "D"], "river_flood_level"] == index.VERY_LOW).all()
    # People in high-level flood cells: the rural carpet under the strip only.
    assert table.loc["A", "flood_rp10_people_high"] > 0
    assert table.loc["B", "flood_rp10_people_high"] == 0
    # Non-hazard layers are "not applicable", never "very low".
    assert (table["population_level"] == index.NOT_APPLICABLE).all()
    assert (table["poverty_level"] == index.NOT_APPLICABLE).all()


FLOOD_DAMAGING = 0.5


def test_people_exposed_per_hazard(built: BuildResult) -> None:
    table = built.table()
    # River flood: the people where the 100-year depth exceeds 0.5 m, in A a strip of
    # lon 60.30-60.70 (8 of the 20 columns of 0.05 degree) of rural carpet, 2 people per
    # 0.01-degree cell: 8 x 20 cells x 50 people = 8,000, give or take a column of 1,000
    # at the blurred edges of the bilinear resampling.
    assert table.loc["A", "river_flood_exposed"] == pytest.approx(8_000, abs=1_000)
    assert (table.loc[["B", "C", "D"], "river_flood_exposed"] == 0).all()
    # Dust: A's 60 storm days pass the 35-day exposure threshold everywhere, C's 30 nowhere
    # but in its first column on A's side, where the bilinear resampling of the 0.1-degree
    # field blurs 60 into 30 (10 cells of 50 people).
    assert table.loc["A", "dust_exposed"] == pytest.approx(table.loc["A", "population"], rel=1e-6)
    assert table.loc["C", "dust_exposed"] == pytest.approx(500, abs=1)
    assert table.loc["D", "dust_exposed"] == 0
    assert table.loc["A", "dust_exposed_share"] == pytest.approx(1.0)
    # INFORM exposure: mean of log10 people on 1..100,000 and of the share on 0..1.
    people, share = (
        table.loc["A", "river_flood_exposed"],
        table.loc["A", "river_flood_exposed_share"],
    )
    expected = (np.log10(people) / 5 * 10 + share * 10) / 2
    assert table.loc["A", "river_flood_exposure"] == pytest.approx(expected)
    assert table.loc["D", "dust_exposure"] == 0.0
    # People exposed to any hazard lie between the largest single hazard and everyone.
    exposed = table[[f"{h}_exposed" for h in WEIGHTED]].max(axis=1)
    assert (table["people_exposed"] >= exposed - 1e-6).all()
    assert (table["people_exposed"] <= table["population"] + 0.1).all()  # rounded to 0.1
    # Context hazards have a level but no exposure.
    assert "warming_exposed" not in table
    assert table["warming_level"].between(0, 3).all()


def test_small_enclave_gets_values_from_its_cell(built: BuildResult) -> None:
    table = built.table()
    # D lies in C's dust value region (30 d/yr) and has no river: same values as C.
    assert table.loc["D", "dust_days_value"] == pytest.approx(30.0, abs=0.5)
    assert table.loc["D", "flood_rp10_value"] == pytest.approx(0.0, abs=1e-6)
    assert table.loc["D", "dust_days_coverage"] == pytest.approx(1.0)


def test_district_areas_are_the_polygons_areas(built: BuildResult) -> None:
    from aralrisk.geo.vectors import geodesic_area_km2

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


def _agm(values: np.ndarray, weights: list[float]) -> np.ndarray:
    """INFORM's adjusted geometric mean by hand, one row per district."""
    w = np.asarray(weights) / np.sum(weights)
    gaps = (10.0 - values) * 0.9 + 1.0
    return (10.0 - np.prod(gaps**w, axis=1)) * 10.0 / 9.0


def test_dimensions_combine_as_inform(built: BuildResult) -> None:
    table = built.table()
    # Each hazard's intensity: the mean of its layers' scores (equal weights within).
    np.testing.assert_allclose(
        table["river_flood_score"], (table["flood_rp10_score"] + table["flood_rp100_score"]) / 2
    )
    np.testing.assert_allclose(table["dust_score"], table["dust_days_score"])
    # The composite hazard: AGM over the five weighted hazards, context ones left out.
    intensity = table[[f"{h}_score" for h in WEIGHTED]].to_numpy()
    np.testing.assert_allclose(table["hazard"], _agm(intensity, [1] * 5), rtol=1e-9)
    # Hazard & exposure: AGM of the hazards' exposure scores.
    exposure = table[[f"{h}_exposure" for h in WEIGHTED]].to_numpy()
    np.testing.assert_allclose(table["hazard_exposure"], _agm(exposure, [1] * 5), rtol=1e-9)
    # Vulnerability: socio-economic (poverty) and vulnerable groups (the mean of the three
    # group indicators), combined by the AGM.
    groups = table[["children_under5_score", "elderly_over65_score", "disability_score"]]
    vulnerability = _agm(np.column_stack([table["poverty_score"], groups.mean(axis=1)]), [1, 1])
    np.testing.assert_allclose(table["vulnerability"], vulnerability, rtol=1e-9)
    np.testing.assert_allclose(table["vulnerability_vulnerable_groups"], groups.mean(axis=1))
    # Lack of coping: access to health (beds, physicians) and physical access (travel).
    health = table[["hospital_beds_score", "physicians_score"]].mean(axis=1)
    lcc = _agm(np.column_stack([health, table["hospital_access_score"]]), [1, 1])
    np.testing.assert_allclose(table["lack_of_coping"], lcc, rtol=1e-9)
    # Risk: the cube root of the three dimensions' product.
    expected = np.cbrt(table["hazard_exposure"] * table["vulnerability"] * table["lack_of_coping"])
    np.testing.assert_allclose(table["risk"], expected, rtol=1e-9)
    assert (table["hazard_max"] >= table["hazard_geometric"] - 1e-9).all()
    assert list(table["risk_class"]) == index.risk_class_label(table["risk"].to_numpy())
    assert (table["classes"] == "INFORM Risk 2025 (v0.7.0)").all()
    # Rank 1 has the highest risk; ranks by hazard and by people exposed too.
    assert table.sort_values("rank")["risk"].is_monotonic_decreasing
    assert table.sort_values("rank_hazard")["hazard"].is_monotonic_decreasing
    assert table.sort_values("rank_exposed")["people_exposed"].is_monotonic_decreasing


def test_headline_hazard_level_is_the_highest_non_context_level(built: BuildResult) -> None:
    table = built.table()
    levels = table[[f"{h}_level" for h in WEIGHTED]]
    assert (table["hazard_level"] == levels.max(axis=1)).all()
    for code, row in table.iterrows():
        at_top = [h for h in WEIGHTED if row[f"{h}_level"] == row["hazard_level"]]
        assert row["hazard_level_hazards"] == at_top, code
    # A's flood is high (the 10-year strip) and is named among its top hazards.
    assert table.loc["A", "hazard_level"] == index.HIGH
    assert "river_flood" in table.loc["A", "hazard_level_hazards"]


def test_drivers_are_hazards_by_weighted_exposure(built: BuildResult) -> None:
    table = built.table()
    weights = built.manifest["scoring"]["weights"]
    # One hazard, one vote: the five hazards weigh a fifth each, context hazards nothing.
    assert weights == {**dict.fromkeys(WEIGHTED, 0.2), "warming": 0.0, "drought_status": 0.0}
    for code, row in table.iterrows():
        drivers = row["drivers"]
        assert 1 <= len(drivers) <= scoring.TOP_DRIVERS, code
        shares = [d["contribution"] for d in drivers]
        assert shares == sorted(shares, reverse=True)
        weighted = {h: row[f"{h}_exposure"] * weights[h] for h in WEIGHTED}
        assert drivers[0]["hazard"] == max(weighted, key=weighted.get)  # type: ignore[arg-type]
        assert {d["hazard"] for d in drivers} <= set(WEIGHTED)  # never a context hazard
        assert drivers[0]["people_exposed"] == round(row[f"{drivers[0]['hazard']}_exposed"])
    assert table.loc["A", "confidence"] == "high"
    assert table.loc["A", "confidence_note"] == ""


def test_rescore_by_hazard_and_by_layer_within_a_hazard(built: BuildResult) -> None:
    flood_only = built.rescore(weights={h: (1.0 if h == "river_flood" else 0.0) for h in WEIGHTED})
    table = flood_only.set_index("code")
    assert json.loads(table.loc["A", "weights"])["river_flood"] == pytest.approx(1.0)
    np.testing.assert_allclose(table["hazard"], table["river_flood_score"], atol=1e-9)
    np.testing.assert_allclose(table["hazard_exposure"], table["river_flood_exposure"], atol=1e-9)
    np.testing.assert_allclose(
        table["flood_rp10_score"], built.table().loc[table.index, "flood_rp10_score"]
    )
    # A layer's weight within its hazard: the 10-year flood three times the 100-year.
    within = built.rescore(weights={"flood_rp10": 3.0}).set_index("code")
    np.testing.assert_allclose(
        within["river_flood_score"],
        0.75 * within["flood_rp10_score"] + 0.25 * within["flood_rp100_score"],
    )
    # A context hazard weighs only when weighted, and is never a driver.
    warmed = built.rescore(weights={"warming": 5.0}).set_index("code")
    assert not np.allclose(warmed["hazard"], built.table().loc[warmed.index, "hazard"])
    assert all(d["hazard"] != "warming" for drivers in warmed["drivers"] for d in drivers)
    maxed = built.rescore(method="max").set_index("code")
    np.testing.assert_allclose(maxed["hazard"], maxed["hazard_max"])
    assert (maxed["method"] == "max").all()
    with pytest.raises(ConfigError, match="hazards: river_flood"):
        built.rescore(weights={"lava": 1.0})
    with pytest.raises(ConfigError, match="not a hazard layer"):
        built.rescore(weights={"poverty": 1.0})


def test_layers_dataset_is_lazy_and_on_one_grid(built: BuildResult) -> None:
    ds = built.layers
    assert {"flood_rp10", "flood_rp10_score", "composite", "exposed", "people"} <= set(ds)
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


def test_composite_and_exposed_rasters_follow_the_layers(
    built: BuildResult, world_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ds = built.layers
    scores = {h: ds[f"{h}_score"].to_numpy() for h in HAZARD_LAYERS}
    expected = scoring.composite_cells(scores, built.registry, built.weighting())
    np.testing.assert_allclose(ds["composite"].to_numpy(), expected, rtol=1e-6, equal_nan=True)
    # Exposed: people per km2 where any counted hazard passes its exposure threshold.
    above = np.zeros(ds["people"].shape, dtype=bool)
    for hazard in built.registry.hazards:
        if hazard.exposure is not None:
            raw = ds[hazard.exposure.layer].to_numpy()
            above |= np.nan_to_num(raw, nan=-np.inf) > hazard.exposure.threshold
    people = ds["people"].to_numpy()
    exposed = ds["exposed"].to_numpy()
    assert np.all(exposed[~above & np.isfinite(people)] == 0)
    assert np.all(exposed[above & (people > 0)] > 0)
    # Its district sums are the people exposed to any hazard.
    table = built.table()
    assert table.loc["A", "people_exposed"] == pytest.approx(table.loc["A", "population"])
    # Chunks are combined in strips of rows; strips of one row give the same rasters.
    monkeypatch.setattr("aralrisk.layers.rasters.STRIP_CELLS", 1)
    stripped = build(world_dir / "build.toml", out=tmp_path, progress=False).layers
    for name in ("composite", "exposed", "dust_days_score"):
        np.testing.assert_array_equal(stripped[name].to_numpy(), ds[name].to_numpy())


def _retagged(source: Path, target: Path, factor: np.ndarray | float, units: str) -> Path:
    """A copy of a raster with its values multiplied and another units tag."""
    with rasterio.open(source) as src:
        profile, data = src.profile, src.read(1)
    with rasterio.open(target, "w", **profile) as dst:
        dst.write(np.where(data == profile["nodata"], data, data * factor).astype("float32"), 1)
        dst.update_tags(units=units)
    return target


def test_cf_units_and_population_densities_are_converted(
    built: BuildResult, world_dir: Path, tmp_path: Path
) -> None:
    from aralrisk.geo.grid import GridSpec

    # Salinity in mg L-1 (CF style, pint alone could not read it) gives the same g/L.
    salinity = _retagged(
        world_dir / "salinity_utm.tif", tmp_path / "salinity_mg.tif", 1000.0, "mg L-1"
    )
    # People as a density (person/km**2) are multiplied back by each cell's area, not
    # summed as heads.
    grid = GridSpec.from_raster(world_dir / "population.tif")
    area = grid.cell_area_km2()[:, None]
    density = _retagged(
        world_dir / "population.tif", tmp_path / "density.tif", 1 / area, "person/km**2"
    )
    cfg = load_config(world_dir / "build.toml")
    inputs = dict(cfg.inputs)
    inputs["groundwater_salinity"] = inputs["groundwater_salinity"].model_copy(
        update={"path": salinity}
    )
    inputs["population"] = inputs["population"].model_copy(update={"path": density})
    cfg = cfg.model_copy(
        update={"inputs": inputs, "layers": ["groundwater_salinity", "population"]}
    )
    table = build(cfg, out=tmp_path / "out", progress=False).table()
    expected = built.table()
    np.testing.assert_allclose(
        table["groundwater_salinity_value"], expected["groundwater_salinity_value"], rtol=1e-5
    )
    np.testing.assert_allclose(table["population"], expected["population"], rtol=1e-5)
