"""Response models: what the data endpoints return, as documented in ``/docs``.

Numbers that can be missing are ``float | None``: ``null`` means *no data*, never zero.
Per-layer district columns depend on the build's layers, so district properties list
the fixed fields and allow the ``<layer>_value/_score/_level/_coverage/_people_high``
ones as additional properties.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from geo.index import LEVEL_LABELS

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

    code: str = Field(examples=["KZ4301"])
    name: str = Field(examples=["Aral"])
    value: float | None = Field(description="district statistic in the layer's units")
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
    units: str = Field(description="units as shown to people", examples=["m"])
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
    score_legend: list[LegendClass] = Field(description="0-10 score classes (INFORM)")
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


class Catalog(BaseModel):
    """The layers of the served build."""

    build: str = Field(examples=["20250101T000000000000Z-1a2b3c4d5e6f"])
    level_labels: dict[str, str] = Field(
        description="label of every level code",
        examples=[{str(k): v for k, v in LEVEL_LABELS.items()}],
    )
    layers: list[LayerSummary]


class ProfileOut(BaseModel):
    """A weight profile with its weights realised over the build's hazards (sum 1)."""

    id: str = Field(examples=["public_health"])
    title: str
    description: str
    weights: dict[str, float] = Field(examples=[{"dust_days": 0.4, "heat_days": 0.3}])


class Profiles(BaseModel):
    """The weight profiles; ``default`` and ``method`` are the build's own."""

    build: str
    default: str = Field(examples=["equal"])
    method: Literal["geometric", "max"]
    profiles: list[ProfileOut]


class Driver(BaseModel):
    """A hazard that pushes a district's composite up."""

    layer: str = Field(examples=["dust_days"])
    title: str = Field(examples=["Dust and salt storm days"])
    group: str = Field(examples=["dust"])
    score: float | None = Field(examples=[8.2])
    weight: float = Field(examples=[0.14])
    contribution: float = Field(description="share of the weighted hazard sum", examples=[0.41])


class DistrictProperties(BaseModel):
    """Results of one district; per-layer columns follow the fixed fields."""

    model_config = ConfigDict(extra="allow")

    code: str = Field(examples=["KZ4301"])
    name: str = Field(examples=["Aral"])
    area_km2: float | None = Field(
        description="area of the district polygon on the WGS 84 ellipsoid, km2",
        examples=[59_400.0],
    )
    population: float | None = Field(examples=[80_000.0])
    hazard: float | None = Field(description="composite hazard 0-10 by `method`")
    hazard_geometric: float | None
    hazard_max: float | None
    exposure: float | None
    vulnerability: float | None
    coping: float | None = Field(description="lack of coping capacity 0-10")
    hazard_exposure: float | None
    risk: float | None = Field(description="INFORM risk 0-10", examples=[5.4])
    risk_class: str = Field(examples=["High"])
    rank: int = Field(description="1 = highest risk", examples=[1])
    drivers: list[Driver]
    min_coverage: float | None = Field(description="lowest data coverage of the hazards")
    confidence: Literal["high", "medium", "low"]
    method: Literal["geometric", "max"]
    profile: str


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
    """One layer's result for a district or polygon, with the thresholds behind its level."""

    id: str = Field(examples=["flood_rp10"])
    title: str
    role: str
    group: str
    units: str = Field(examples=["m"])
    value: float | None = Field(description="district statistic in `units`", examples=[0.24])
    score: float | None = Field(description="0-10", examples=[1.6])
    level: int = Field(description=LEVEL_DESCRIPTION, examples=[3])
    level_label: str = Field(examples=["high"])
    threshold: float | None = Field(
        description="value threshold of the level reached (null below low or n/a)",
        examples=[0.5],
    )
    thresholds: list[float] | None = Field(examples=[[0.1, 0.25, 0.5]])
    area_fraction: float | None = Field(examples=[0.01])
    coverage: float | None = Field(description="share of cells with data", examples=[1.0])
    people_high: float | None = Field(
        default=None, description="people in cells above the high threshold"
    )


class DistrictDetailProperties(DistrictProperties):
    """A district's results with every layer explained."""

    layers: list[LayerResult]


class DistrictDetail(BaseModel):
    """One district as a GeoJSON Feature with full detail, plus the weights used."""

    type: Literal["Feature"] = "Feature"
    id: str
    geometry: Geometry | None
    properties: DistrictDetailProperties
    build: str
    profile: str
    method: Literal["geometric", "max"]
    weights: dict[str, float] = Field(description="realised hazard weights (sum 1)")


class DistrictCollection(BaseModel):
    """Every district with its results, in rank order, and the weights that made them."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[DistrictFeature]
    build: str = Field(description="version of the served build")
    profile: str = Field(examples=["equal"])
    method: Literal["geometric", "max"]
    weights: dict[str, float] = Field(
        description="realised hazard weights (sum 1)",
        examples=[{"flood_rp10": 0.5, "dust_days": 0.5}],
    )
    overrides: dict[str, float] = Field(description="the weights given with the request")


class DistrictRef(BaseModel):
    """The district a point falls in."""

    code: str = Field(examples=["KZ4301"])
    name: str = Field(examples=["Aral"])


class PointLayerValue(BaseModel):
    """One layer's value at one point (the build grid cell holding it)."""

    id: str = Field(examples=["flood_rp10"])
    title: str
    role: str
    group: str
    units: str = Field(examples=["m"])
    value: float | None = Field(description="raw value in `units`; null = no data", examples=[1.2])
    score: float | None = Field(description="0-10", examples=[8.0])
    level: int = Field(description=LEVEL_DESCRIPTION, examples=[3])
    level_label: str = Field(examples=["high"])


class PointResult(BaseModel):
    """Every spatial layer at a point, with the district and the cell it falls in."""

    lon: float = Field(examples=[61.2])
    lat: float = Field(examples=[45.6])
    build: str
    district: DistrictRef | None
    cell: list[int] = Field(description="[row, col] of the build grid cell", examples=[[12, 40]])
    composite: float | None = Field(description="composite hazard 0-10 (build weights)")
    risk: float | None = Field(description="risk 0-10 of the cell")
    layers: list[PointLayerValue]


class ZonalResult(BaseModel):
    """Statistics of a polygon, computed exactly as for a district."""

    build: str
    area_km2: float = Field(description="area of the polygon on the WGS 84 ellipsoid, km2")
    population: float | None
    hazard: float | None = Field(description="composite hazard 0-10 by `method`")
    hazard_geometric: float | None
    hazard_max: float | None
    exposure: float | None
    vulnerability: float | None = Field(description="area mean of the districts' values")
    coping: float | None = Field(description="area mean of the districts' lack of coping")
    hazard_exposure: float | None
    risk: float | None
    risk_class: str
    drivers: list[Driver]
    min_coverage: float | None
    confidence: Literal["high", "medium", "low"]
    profile: str
    method: Literal["geometric", "max"]
    weights: dict[str, float]
    layers: list[LayerResult]
