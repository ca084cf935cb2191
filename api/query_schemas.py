"""Response models of the queries at a place: ``GET /point`` and ``POST /zonal``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from aralrisk.api.schemas import LEVEL_DESCRIPTION, Driver, HazardResult, LayerResult


class PointDistrict(BaseModel):
    """The district a point falls in, with its district results (the build's weights).

    Risk is a district index (it rests on the people exposed across a district), so a
    point reports its district's risk, class, rank and hazard level, not a cell's.
    """

    code: str = Field(examples=["KZ431000"])
    name: str = Field(examples=["Kyzylorda"])
    note: str = Field(examples=[""])
    risk: float | None = Field(description="the district's INFORM risk 0-10")
    risk_class: str = Field(examples=["Medium"])
    rank: int | None = Field(description="1 = highest; null = not ranked")
    hazard_level: int = Field(description="highest hazard level; " + LEVEL_DESCRIPTION)
    hazard_level_label: str = Field(examples=["high"])
    hazard_level_hazards: list[str] = Field(examples=[["river_flood"]])
    people_exposed: float | None = Field(description="people of the district exposed")


class PointExposure(BaseModel):
    """A hazard whose exposure threshold the point's cell exceeds."""

    hazard: str = Field(examples=["river_flood"])
    title: str = Field(examples=["River flood"])
    layer: str = Field(examples=["flood_rp100"])
    value: float = Field(description="the layer's value in the cell", examples=[1.1])
    threshold: float = Field(examples=[0.5])
    units: str = Field(examples=["m"])


class PointLayerValue(BaseModel):
    """One layer's value at one point (the build grid cell holding it)."""

    id: str = Field(examples=["flood_rp10"])
    title: str
    role: str
    group: str
    hazard: str | None = Field(description="the hazard the layer measures")
    units: str = Field(examples=["m"])
    value: float | None = Field(description="raw value in `units`; null = no data", examples=[1.2])
    score: float | None = Field(description="0-10", examples=[8.0])
    level: int = Field(description=LEVEL_DESCRIPTION, examples=[3])
    level_label: str = Field(examples=["high"])


class PointResult(BaseModel):
    """Every spatial layer at a point, whether its cell is exposed, and its district."""

    lon: float = Field(examples=[65.5])
    lat: float = Field(examples=[44.85])
    build: str
    district: PointDistrict | None
    cell: list[int] = Field(description="[row, col] of the build grid cell", examples=[[12, 40]])
    composite: float | None = Field(description="composite hazard 0-10 (build weights)")
    exposed: bool | None = Field(
        description="whether at least one hazard reaches its exposure threshold in the cell "
        "(null: no data)"
    )
    exposed_to: list[PointExposure] = Field(description="the hazards that do")
    people_exposed_density: float | None = Field(
        description="people per km2 living in the cell when it is exposed (0 otherwise)"
    )
    layers: list[PointLayerValue]


class ZonalResult(BaseModel):
    """Statistics of a polygon, computed exactly as for a district."""

    build: str
    area_km2: float = Field(description="area of the polygon on the WGS 84 ellipsoid, km2")
    population: float | None = Field(description="people living in the polygon's cells")
    people_exposed: float | None = Field(description="people exposed to at least one hazard")
    people_exposed_share: float | None
    hazard: float | None = Field(description="composite hazard intensity 0-10 by `method`")
    hazard_geometric: float | None
    hazard_max: float | None
    hazard_level: int = Field(description="highest hazard level; " + LEVEL_DESCRIPTION)
    hazard_level_label: str
    hazard_level_hazards: list[str]
    hazard_exposure: float | None = Field(description="INFORM hazard & exposure 0-10")
    vulnerability: float | None = Field(description="area mean of the districts' values")
    lack_of_coping: float | None = Field(description="area mean of the districts' values")
    risk: float | None
    risk_class: str
    classes: str = Field(description="the INFORM release of the risk classes")
    drivers: list[Driver]
    min_coverage: float | None
    confidence: Literal["high", "medium", "low"]
    confidence_note: str
    profile: str
    method: Literal["geometric", "max"]
    weights: dict[str, float]
    layers: list[LayerResult]
    hazards: list[HazardResult]
