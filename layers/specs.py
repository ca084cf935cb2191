"""The catalog's entries as validated, immutable objects: layers, hazards and profiles.

A :class:`LayerSpec` says everything about one indicator: what it measures, in which
units, where it comes from, how it is computed, how it is scored, its cell classes and
colours. A :class:`HazardSpec` groups the layers that measure one hazard, carries its
weight, and says how its ThinkHazard! level and its exposure follow from them. A
:class:`Profile` is a named set of hazard weights. :mod:`layers.registry` holds them.
"""

from __future__ import annotations

import math
import re
from typing import Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from aralrisk.geo import index
from aralrisk.layers.units import parse_units

Role = Literal["hazard", "exposure", "vulnerability", "coping"]
Indicator = Literal[
    "raster",
    "heat_days",
    "dry_year_probability",
    "drought_frequency",
    "warming_trend",
    "population_density",
    "column",
]
Statistic = Literal["mean", "weighted_mean", "p90", "max", "sum"]
LevelName = Literal["low", "medium", "high"]
LEVEL_NAMES: tuple[LevelName, ...] = ("low", "medium", "high")

#: Colours of the INFORM classes (very low .. very high) for scores, composites and risk.
SCORE_COLORS: tuple[str, ...] = ("#1a9641", "#a6d96a", "#ffffbf", "#fdae61", "#d7191c")
#: People per km² living where a hazard reaches its exposure threshold: the class
#: boundaries and colours of the ``exposed`` surface (a density, not a score; cells where
#: nobody is exposed are left transparent, so the map shows where the exposed people
#: live). The map's tiles and the QGIS style of ``exposed.tif`` both draw it with these.
EXPOSED_BREAKS: tuple[float, ...] = (1.0, 10.0, 100.0, 1000.0)
EXPOSED_COLORS: tuple[str, ...] = ("#fde0ef", "#f1b6da", "#de77ae", "#c51b7d", "#8e0152")
EXPOSED_UNITS = "people/km²"
#: The ThinkHazard! hazard-level palette, kept apart from the INFORM risk-class colours
#: so that a "high" hazard is never read as a "High" risk: level code -> colour. The map
#: and the QGIS styles of the settlements both draw levels with it.
HAZARD_LEVEL_COLORS: dict[int, str] = {
    index.NO_DATA: "#eeeeee",
    index.NOT_APPLICABLE: "#eeeeee",
    index.VERY_LOW: "#ffffcc",
    index.LOW: "#fed976",
    index.MEDIUM: "#fd8d3c",
    index.HIGH: "#bd0026",
}

#: Radius in screen pixels of a settlement's dot by its OpenStreetMap ``place`` kind, on
#: the map page (``api/map/static/places.js``) and in the QGIS styles of ``places.gpkg``:
#: a city reads as a city in both. Any other kind gets :data:`OTHER_PLACE_RADIUS_PX`.
PLACE_RADIUS_PX: dict[str, float] = {
    "city": 7.0,
    "town": 6.0,
    "village": 4.0,
    "hamlet": 3.0,
    "isolated_dwelling": 2.5,
}
OTHER_PLACE_RADIUS_PX = 2.5

_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


def check_id(value: str) -> str:
    """Validate an id: lower-case letters, digits and underscores, a letter first."""
    if not _ID.match(value):
        raise ValueError("ids are lower-case letters, digits and underscores")
    return value


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LegendClass(_Frozen):
    """One class of a legend: its colour, its label and its value range (``None`` = open).

    Examples:
        >>> score_legend()[0]
        LegendClass(color='#1a9641', label='Very Low: 0–2.2', min=0.0, max=2.2)
    """

    color: str
    label: str
    min: float | None
    max: float | None


class LayerSpec(_Frozen):
    """One indicator of the catalog (a raster or a district-table column).

    Examples:
        The dust layer of the shipped catalogue, scored 0-10 against its goalposts:

        >>> from aralrisk.layers.registry import load_catalog
        >>> dust = load_catalog()["dust_days"]
        >>> dust.title, dust.role, dust.units, dust.goalposts, dust.levels
        ('Dust and salt storm days', 'hazard', 'd/yr', (10.0, 70.0), (20.0, 35.0, 50.0))
        >>> dust.score([0, 40, 200])
        array([ 0.,  5., 10.])
    """

    id: str
    title: str
    role: Role
    group: str = Field(description="display group: water, dust, climate, or the role")
    category: str | None = Field(
        default=None, description="INFORM category of a vulnerability or coping indicator"
    )
    units: str = Field(description="pint expression of the raw values' units")
    units_label: str = Field(description="units as shown to people")
    district_units_label: str | None = Field(
        default=None, description="units of the district statistic when they differ"
    )
    description: str
    source: str
    input: str = Field(description="name of the build input the indicator is computed from")
    indicator: Indicator = "raster"
    params: dict[str, str | float | int] = Field(default_factory=dict)
    resampling: Literal["bilinear", "nearest", "sum"] = "bilinear"
    goalposts: tuple[float, float]
    transform: index.Transform = "linear"
    district_statistic: Statistic = "mean"
    district_goalposts: tuple[float, float] | None = None
    levels: tuple[float, float, float] | None = None
    area_fraction: float = Field(default=0.1, gt=0.0, le=1.0)
    colors: tuple[str, str, str, str] | None = None
    plausible: tuple[float, float] | None = Field(
        default=None, description="range of values any real input lies in, layer units"
    )

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        return check_id(value)

    @field_validator("units")
    @classmethod
    def _valid_units(cls, value: str) -> str:
        parse_units(value)
        return value

    @field_validator("colors")
    @classmethod
    def _valid_colors(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is not None and not all(_HEX.match(c) for c in value):
            raise ValueError("colours are #rrggbb hex strings")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> LayerSpec:
        if self.goalposts[0] == self.goalposts[1]:
            raise ValueError("goalposts must differ")
        if self.levels is not None and not (self.levels[0] < self.levels[1] < self.levels[2]):
            raise ValueError("level thresholds must increase (low < medium < high)")
        if self.spatial and (self.levels is None or self.colors is None):
            raise ValueError("a spatial layer needs level thresholds and colours")
        if self.role == "hazard" and self.group in {"exposure", "vulnerability", "coping"}:
            raise ValueError(f"hazard group {self.group!r} is reserved for another role")
        if self.role != "hazard" and self.group != self.role:
            raise ValueError(f"the group of a {self.role} layer is {self.role!r}")
        if self.role in ("vulnerability", "coping") and self.category is None:
            raise ValueError(f"a {self.role} indicator needs its INFORM category")
        if self.plausible is not None and not self.plausible[0] < self.plausible[1]:
            raise ValueError("the plausible range must be (low, high) with low < high")
        return self

    @property
    def spatial(self) -> bool:
        """True for layers with a raster (everything but district-table columns)."""
        return self.indicator != "column"

    def score(self, values: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Score raw cell values (in :attr:`units`) on 0-10 against the goalposts."""
        low, high = self.goalposts
        return index.score_goalposts(values, low, high, self.transform)

    def score_district(self, values: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Score the district statistic (``district_goalposts`` when its units differ)."""
        low, high = self.district_goalposts or self.goalposts
        return index.score_goalposts(values, low, high, self.transform)

    def legend(self) -> list[LegendClass]:
        """Raw-value legend: very low / low / medium / high with their thresholds and units."""
        if self.levels is None or self.colors is None:
            return []
        t, u = self.levels, self.units_label
        bounds = [(None, t[0]), (t[0], t[1]), (t[1], t[2]), (t[2], None)]
        labels = [
            index.LEVEL_LABELS[k] for k in (index.VERY_LOW, index.LOW, index.MEDIUM, index.HIGH)
        ]
        return [
            LegendClass(color=c, label=f"{name}: {range_label(lo, hi, u)}", min=lo, max=hi)
            for c, name, (lo, hi) in zip(self.colors, labels, bounds, strict=True)
        ]


class Criterion(_Frozen):
    """One criterion of a ThinkHazard! level: a layer above a value over an area share."""

    layer: str
    threshold: float
    area_fraction: float = Field(
        ge=0.0, le=1.0, description="share of the district above the threshold; 0 = anywhere"
    )


class ExposureRule(_Frozen):
    """Who is exposed to a hazard: the people living where ``layer`` exceeds ``threshold``.

    Examples:
        People exposed to dust live where there are more than 35 dust days a year:

        >>> from aralrisk.layers.registry import load_catalog
        >>> load_catalog().hazard("dust").exposure
        ExposureRule(layer='dust_days', threshold=35.0)
    """

    layer: str
    threshold: float


class HazardSpec(_Frozen):
    """One hazard: the layers measuring it, its level rule, its exposure, its weight.

    Attributes:
        layers: Layer id -> weight within the hazard (its intensity score is the weighted
            mean of these layers' scores).
        levels: The low, medium and high criteria; ``None`` takes a single layer's own
            thresholds and area fraction.
        exposure: Who is exposed; required unless the hazard is ``context``.
        context: Shown, but weight 0 unless a user weights it, never a driver or the
            headline level.
        rule: The level rule in words, with its source.
        missing: Layers of the catalog's hazard that a build leaves out: criteria on them
            are never reached and an exposure rule on one has no value.

    Examples:
        >>> from aralrisk.layers.registry import load_catalog
        >>> dust = load_catalog().hazard("dust")
        >>> dust.title, dust.layers, dust.context
        ('Dust and salt storms', {'dust_days': 1.0}, False)
        >>> dust.exposure
        ExposureRule(layer='dust_days', threshold=35.0)
    """

    id: str
    title: str
    group: str
    description: str
    layers: dict[str, float]
    rule: str = ""
    levels: dict[LevelName, Criterion] | None = None
    exposure: ExposureRule | None = None
    context: bool = False
    missing: tuple[str, ...] = Field(
        default=(), description="catalog layers of the hazard this build has not made"
    )

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        return check_id(value)

    @field_validator("layers")
    @classmethod
    def _valid_layer_weights(cls, value: dict[str, float]) -> dict[str, float]:
        if not value:
            raise ValueError("a hazard needs at least one layer")
        if any(not math.isfinite(w) or w < 0 for w in value.values()) or not any(
            w > 0 for w in value.values()
        ):
            raise ValueError("layer weights are finite, >= 0, and one at least is positive")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> HazardSpec:
        if self.levels is not None:
            if set(self.levels) != set(LEVEL_NAMES):
                raise ValueError("levels need a low, a medium and a high criterion")
            unknown = {c.layer for c in self.levels.values()} - {*self.layers, *self.missing}
            if unknown:
                raise ValueError(f"level criteria name layers outside the hazard: {unknown}")
        elif len(self.layers) + len(self.missing) != 1:
            raise ValueError("a hazard of several layers needs its own `levels` criteria")
        if self.exposure is None and not self.context:
            raise ValueError("a hazard needs an `exposure` rule (or `context = true`)")
        if self.exposure is not None and self.exposure.layer not in {*self.layers, *self.missing}:
            raise ValueError("the exposure layer must be one of the hazard's layers")
        return self

    def criteria(self, layers: dict[str, LayerSpec]) -> tuple[Criterion, Criterion, Criterion]:
        """The low, medium and high criteria (a single layer's own ones by default)."""
        if self.levels is not None:
            return (self.levels["low"], self.levels["medium"], self.levels["high"])
        spec = layers[next(iter(self.layers))]
        if spec.levels is None:
            raise ValueError(f"hazard {self.id!r}: layer {spec.id!r} has no level thresholds")
        low, medium, high = (
            Criterion(layer=spec.id, threshold=t, area_fraction=spec.area_fraction)
            for t in spec.levels
        )
        return low, medium, high


class IndexSettings(_Frozen):
    """Catalog-wide settings of the index (INFORM exposure goalposts)."""

    exposure_absolute: tuple[float, float] = (1.0, 100_000.0)
    exposure_relative: tuple[float, float] = (0.0, 1.0)


class Profile(_Frozen):
    """A named set of hazard weights; hazards not listed take ``default`` (context: 0).

    Examples:
        >>> Profile(id="dust_first", title="Dust first", description="", default=1,
        ...         weights={"dust": 3})
        Profile(id='dust_first', title='Dust first', description='', default=1.0,
                weights={'dust': 3.0})
    """

    id: str
    title: str
    description: str
    default: float = Field(ge=0.0)
    weights: dict[str, float] = Field(default_factory=dict)

    @field_validator("weights")
    @classmethod
    def _valid_weights(cls, value: dict[str, float]) -> dict[str, float]:
        for hazard, w in value.items():
            if not math.isfinite(w) or w < 0:
                raise ValueError(f"weight of {hazard!r} must be finite and non-negative")
        return value


def score_legend(classes: index.RiskClasses = index.INFORM_2025) -> list[LegendClass]:
    """Legend of 0-10 scores, composites and risk: the INFORM classes of a release.

    Examples:
        >>> [(c.label, c.color) for c in score_legend()][:2]
        [('Very Low: 0–2.2', '#1a9641'), ('Low: 2.2–3.2', '#a6d96a')]
    """
    breaks = classes.breaks
    bounds = list(zip((0.0, *breaks), (*breaks, 10.0), strict=True))
    return [
        LegendClass(color=c, label=f"{name}: {range_label(lo, hi, '')}", min=lo, max=hi)
        for c, name, (lo, hi) in zip(SCORE_COLORS, classes.labels, bounds, strict=True)
    ]


def exposed_legend() -> list[LegendClass]:
    """The legend of the ``exposed`` surface: people per km² exposed, five classes.

    Examples:
        >>> [(c.label, c.color) for c in exposed_legend()][::4]
        [('below 1 people/km²', '#fde0ef'), ('1000 people/km² and above', '#8e0152')]
    """
    bounds = list(zip((None, *EXPOSED_BREAKS), (*EXPOSED_BREAKS, None), strict=True))
    return [
        LegendClass(color=c, label=range_label(lo, hi, EXPOSED_UNITS), min=lo, max=hi)
        for c, (lo, hi) in zip(EXPOSED_COLORS, bounds, strict=True)
    ]


def _number(value: float) -> str:
    return f"{value:g}"


def range_label(low: float | None, high: float | None, units: str) -> str:
    """``"below 5 m"``, ``"5–10 m"`` or ``"10 m and above"``."""
    suffix = f" {units}" if units else ""
    if low is None and high is not None:
        return f"below {_number(high)}{suffix}"
    if high is None and low is not None:
        return f"{_number(low)}{suffix} and above"
    return f"{_number(low or 0.0)}–{_number(high or 0.0)}{suffix}"
