"""Response models of the catalog and the districts, as documented in ``/docs``.

Numbers that can be missing are ``float | None``: ``null`` means *no data*, never zero.
Per-layer and per-hazard district columns depend on the build, so district properties
list the fixed fields and allow ``<layer>_value/_mean/_pop_mean/_score/_level/...`` and
``<hazard>_level/_exposed/_exposure/...`` as additional properties. The models of
``/point`` and ``/zonal`` are in :mod:`api.query_schemas`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from aralrisk.geo.index import LEVEL_LABELS

LEVEL_DESCRIPTION = "level code: " + ", ".join(f"{k} {v}" for k, v in LEVEL_LABELS.items())


class LegendClass(BaseModel):
    """One legend class: colour, label with its range, and the range (``null`` = open)."""

    color: str = Field(examples=["#034e7b"])
    label: str = Field(examples=["high: 0.5 m and above"])
    min: float | None = Field(examples=[0.5])
    max: float | None = Field(examples=[None])


class LayerStatistics(BaseModel):
    """Statistics of a layer over the districts of the build (raw units)."""

    min: float | None = Field(description="lowest district value", examples=[0.0])
    max: float | None = Field(description="highest district value", examples=[1.2])
    mean_of_districts: float | None = Field(description="mean of district values", examples=[0.3])


class LayerDistrictValue(BaseModel):
    """One district's result for one layer."""

    code: str = Field(examples=["KZ433200"])
    name: str = Field(examples=["Aral"])
    value: float | None = Field(description="the scored district statistic, district units")
    mean: float | None = Field(default=None, description="mean over the district's cells")
    pop_mean: float | None = Field(default=None, description="population-weighted mean")
    score: float | None = Field(description="0-10 against the layer's goalposts")
    level: int = Field(description=LEVEL_DESCRIPTION, examples=[3])
    level_label: str = Field(examples=["high"])
    coverage: float | None = Field(description="share of the district's cells with data")
    people_high: float | None = Field(
        default=None, description="people in cells above the high threshold (hazards)"
    )


class LayerSummary(BaseModel):
    """A layer of the catalog, as listed by ``GET /layers``."""

    id: str = Field(examples=["flood_rp10"])
    title: str = Field(examples=["River flood depth, 10-year return period"])
    role: Literal["hazard", "exposure", "vulnerability", "coping"]
    group: str = Field(examples=["water"])
    category: str | None = Field(
        description="INFORM category of a vulnerability or coping indicator",
        examples=["vulnerable_groups"],
    )
    hazard: str | None = Field(
        description="the hazard a hazard layer belongs to (see `GET /hazards`)",
        examples=["river_flood"],
    )
    units: str = Field(description="units of the cell values, as shown to people", examples=["m"])
    district_units: str = Field(
        description="units of the district value (people for population)", examples=["m"]
    )
    statistic: str = Field(
        description="the district statistic the layer is scored on: mean, weighted_mean "
        "(by people), p90, max, people, or table (a district-table column)",
        examples=["weighted_mean"],
    )
    statistic_label: str = Field(examples=["mean where people live (population-weighted)"])
    description: str
    source: str
    spatial: bool = Field(description="true when the layer is a raster (has tiles and /point)")
    thresholds: list[float] | None = Field(
        description="value thresholds of the low, medium and high levels",
        examples=[[0.1, 0.25, 0.5]],
    )
    area_fraction: float | None = Field(
        description="share of a district that must exceed a threshold to reach its level",
        examples=[0.01],
    )
    goalposts: list[float] = Field(description="raw values scoring 0 and 10", examples=[[0, 1.5]])
    legend: list[LegendClass] = Field(description="raw-value classes of the tiles")
    score_legend: list[LegendClass] = Field(
        description="0-10 score classes (the INFORM release of the build)"
    )
    tiles: str | None = Field(
        description="XYZ tile URL template (Web Mercator PNG); null for table-only layers",
        examples=["http://127.0.0.1:8000/layers/flood_rp10/tiles/{z}/{x}/{y}.png"],
    )
    tilejson: str | None = Field(
        description="TileJSON 3.0.0 URL; null for table-only layers",
        examples=["http://127.0.0.1:8000/layers/flood_rp10/tilejson.json"],
    )


class LayerDetail(LayerSummary):
    """A layer with its statistics and every district's value (``GET /layers/{id}``)."""

    build: str = Field(description="version of the build the values come from")
    statistics: LayerStatistics | None = Field(description="null for table-only layers")
    districts: list[LayerDistrictValue]


class Surface(BaseModel):
    """A raster the build derives from its layers (composite, people exposed, ...)."""

    id: str = Field(examples=["exposed"])
    title: str = Field(examples=["People exposed to a hazard (per km²)"])
    units: str = Field(examples=["people/km²"])
    description: str
    legend: list[LegendClass]
    tiles: str | None = Field(description="XYZ tile URL template")
    tilejson: str | None = Field(description="TileJSON 3.0.0 URL")


class Catalog(BaseModel):
    """The layers of the served build and the surfaces derived from them."""

    build: str = Field(examples=["20250101T000000000000Z-1a2b3c4d5e6f"])
    level_labels: dict[str, str] = Field(
        description="label of every level code",
        examples=[{str(k): v for k, v in LEVEL_LABELS.items()}],
    )
    classes: str = Field(
        description="the INFORM release whose risk classes the build uses",
        examples=["INFORM Risk 2025 (v0.7.0)"],
    )
    layers: list[LayerSummary]
    surfaces: list[Surface]


class CriterionOut(BaseModel):
    """One criterion of a ThinkHazard! level: a layer above a value over an area share."""

    level: int = Field(description=LEVEL_DESCRIPTION, examples=[3])
    level_label: str = Field(examples=["high"])
    layer: str = Field(examples=["flood_rp10"])
    threshold: float = Field(examples=[0.5])
    units: str = Field(examples=["m"])
    area_fraction: float = Field(
        description="share of the district above the threshold; 0 = anywhere", examples=[0.01]
    )
    text: str = Field(
        examples=["River flood depth, 10-year return period above 0.5 m on ≥ 1% of the district"]
    )


class ExposureRuleOut(BaseModel):
    """Who is counted as exposed to a hazard."""

    layer: str = Field(examples=["flood_rp100"])
    threshold: float = Field(examples=[0.5])
    units: str = Field(examples=["m"])
    text: str


class HazardLayer(BaseModel):
    """A layer measuring a hazard, with its default weight within the hazard."""

    id: str = Field(examples=["flood_rp10"])
    title: str
    weight: float = Field(examples=[1.0])


class HazardSummary(BaseModel):
    """A hazard of the catalog: what it is, how its level is set, who is exposed."""

    id: str = Field(examples=["river_flood"])
    title: str = Field(examples=["River flood"])
    group: str = Field(examples=["water"])
    description: str
    rule: str = Field(description="the level rule in words, with its source")
    context: bool = Field(
        description="shown for context: weight 0 unless weighted, never a driver or headline"
    )
    weight: float | None = Field(description="realised weight in the build (sum 1)")
    layers: list[HazardLayer]
    missing_layers: list[str] = Field(description="catalog layers of the hazard not built")
    criteria: list[CriterionOut] = Field(description="the low, medium and high criteria")
    exposure: ExposureRuleOut | None


class Hazards(BaseModel):
    """The hazards of the served build (what weights name)."""

    build: str
    level_labels: dict[str, str]
    hazards: list[HazardSummary]


class ProfileOut(BaseModel):
    """A weight profile with its weights realised over the build's hazards."""

    id: str = Field(examples=["public_health"])
    title: str
    description: str
    weights: dict[str, float] = Field(
        description="weight of each hazard (sum 1)", examples=[{"dust": 0.3, "heat": 0.3}]
    )
    layer_weights: dict[str, float] = Field(
        description="weight of each hazard layer within its hazard (sum 1 per hazard)",
        examples=[{"flood_rp10": 0.5, "flood_rp100": 0.5}],
    )


class Profiles(BaseModel):
    """The weight profiles; ``default`` and ``method`` are the build's own."""

    build: str
    default: str = Field(examples=["equal"])
    method: Literal["geometric", "max"]
    profiles: list[ProfileOut]


class Driver(BaseModel):
    """A hazard that drives a district's risk: a large share of its weighted exposure."""

    hazard: str = Field(examples=["dust"])
    title: str = Field(examples=["Dust and salt storms"])
    group: str = Field(examples=["dust"])
    score: float | None = Field(description="intensity 0-10", examples=[8.2])
    exposure: float | None = Field(description="INFORM exposure score 0-10", examples=[9.6])
    level: int = Field(description=LEVEL_DESCRIPTION, examples=[3])
    people_exposed: float | None = Field(examples=[40_000.0])
    weight: float = Field(examples=[0.2])
    contribution: float = Field(
        description="share of the weighted exposure (or intensity) sum", examples=[0.41]
    )


class DistrictProperties(BaseModel):
    """Results of one district; per-layer and per-hazard columns follow the fixed fields."""

    model_config = ConfigDict(extra="allow")

    code: str = Field(examples=["KZ431000"])
    name: str = Field(examples=["Kyzylorda"])
    note: str = Field(description="what a planner must know, e.g. a leased city", examples=[""])
    area_km2: float | None = Field(
        description="area of the district polygon on the WGS 84 ellipsoid, km2",
        examples=[2_235.0],
    )
    population: float | None = Field(description="people", examples=[234_000.0])
    people_exposed: float | None = Field(
        description="people living where at least one hazard reaches its exposure threshold"
    )
    people_exposed_share: float | None = Field(description="share of the population, 0-1")
    hazard: float | None = Field(description="composite hazard intensity 0-10 by `method`")
    hazard_geometric: float | None
    hazard_max: float | None
    hazard_level: int = Field(
        description="highest ThinkHazard! level of a non-context hazard; " + LEVEL_DESCRIPTION,
        examples=[3],
    )
    hazard_level_hazards: list[str] = Field(
        description="the hazards at that level", examples=[["river_flood", "heat"]]
    )
    hazard_exposure: float | None = Field(description="INFORM hazard & exposure 0-10")
    vulnerability: float | None = Field(description="INFORM vulnerability 0-10")
    lack_of_coping: float | None = Field(description="INFORM lack of coping capacity 0-10")
    risk: float | None = Field(description="INFORM risk 0-10", examples=[5.4])
    risk_class: str = Field(description="class of `classes`, or 'no data'", examples=["High"])
    rank: int | None = Field(
        description="1 = highest risk (or hazard, see `rank_by`); null = not ranked",
        examples=[1],
    )
    rank_by: Literal["risk", "hazard"]
    rank_hazard: int | None = Field(description="rank by composite hazard")
    rank_exposed: int | None = Field(description="rank by people exposed")
    drivers: list[Driver]
    min_coverage: float | None = Field(description="lowest data coverage of the hazards")
    confidence: Literal["high", "medium", "low"]
    confidence_note: str = Field(
        description="why confidence is lowered, e.g. which dimension has no data",
        examples=["no data for vulnerability"],
    )
    method: Literal["geometric", "max"]
    profile: str
    classes: str = Field(examples=["INFORM Risk 2025 (v0.7.0)"])


class Geometry(BaseModel):
    """A GeoJSON geometry (EPSG:4326 longitude/latitude)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["Polygon"])
    coordinates: list[Any]


class DistrictFeature(BaseModel):
    """One district as a GeoJSON Feature."""

    type: Literal["Feature"] = "Feature"
    id: str
    geometry: Geometry | None
    properties: DistrictProperties


class LayerResult(BaseModel):
    """One layer's result for a district or polygon, its statistic named."""

    id: str = Field(examples=["groundwater_salinity"])
    title: str
    role: str
    group: str
    hazard: str | None = Field(description="the hazard the layer measures", examples=["salinity"])
    units: str = Field(description="units of `value`", examples=["g/L"])
    cell_units: str = Field(description="units of `mean` and `pop_mean`", examples=["g/L"])
    statistic: str = Field(description="what `value` is", examples=["weighted_mean"])
    statistic_label: str = Field(examples=["mean where people live (population-weighted)"])
    value: float | None = Field(description="the scored district statistic", examples=[33.6])
    mean: float | None = Field(description="mean over the district's cells", examples=[48.3])
    pop_mean: float | None = Field(
        description="mean weighted by the people in each cell", examples=[33.6]
    )
    score: float | None = Field(description="0-10", examples=[10.0])
    level: int = Field(description=LEVEL_DESCRIPTION, examples=[3])
    level_label: str = Field(examples=["high"])
    threshold: float | None = Field(
        description="value threshold of the level reached (null below low or n/a)",
        examples=[10.0],
    )
    thresholds: list[float] | None = Field(examples=[[1.0, 2.0, 10.0]])
    area_fraction: float | None = Field(examples=[0.1])
    coverage: float | None = Field(description="share of cells with data", examples=[1.0])
    completeness: float | None = Field(
        default=None, description="share of the climate series kept by the missing-data checks"
    )
    people_high: float | None = Field(
        default=None, description="people in cells above the high threshold"
    )


class HazardResult(BaseModel):
    """One hazard's result for a district or polygon: level and why, people exposed."""

    id: str = Field(examples=["river_flood"])
    title: str = Field(examples=["River flood"])
    group: str
    context: bool
    level: int = Field(description=LEVEL_DESCRIPTION, examples=[3])
    level_label: str = Field(examples=["high"])
    reached: str = Field(description="the criterion behind the level, in words")
    rule: str
    criteria: list[CriterionOut]
    exposure_rule: ExposureRuleOut | None
    coverage: float | None
    people_exposed: float | None = Field(examples=[7_700.0])
    exposed_share: float | None = Field(description="share of the population, 0-1")
    exposure: float | None = Field(description="INFORM exposure score 0-10")
    score: float | None = Field(description="intensity score 0-10")


class DistrictDetailProperties(DistrictProperties):
    """A district's results with every layer and every hazard explained."""

    layers: list[LayerResult]
    hazards: list[HazardResult]


class DistrictDetail(BaseModel):
    """One district as a GeoJSON Feature with full detail, plus the weights used."""

    type: Literal["Feature"] = "Feature"
    id: str
    geometry: Geometry | None
    properties: DistrictDetailProperties
    build: str
    profile: str
    method: Literal["geometric", "max"]
    classes: str
    weights: dict[str, float] = Field(description="realised hazard weights (sum 1)")
    layer_weights: dict[str, float] = Field(description="weights within each hazard")


class DistrictCollection(BaseModel):
    """Every district with its results, in rank order, and the weights that made them."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[DistrictFeature]
    build: str = Field(description="version of the served build")
    profile: str = Field(examples=["equal"])
    method: Literal["geometric", "max"]
    classes: str = Field(description="the INFORM release of the risk classes")
    weights: dict[str, float] = Field(
        description="realised hazard weights (sum 1)",
        examples=[{"river_flood": 0.5, "dust": 0.5}],
    )
    layer_weights: dict[str, float] = Field(description="weights within each hazard")
    overrides: dict[str, float] = Field(description="the weights given with the request")
