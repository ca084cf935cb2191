"""The layer registry: the catalog (``catalog.toml``) validated into immutable objects.

A :class:`LayerSpec` says everything about one indicator: what it measures, in which
units, where it comes from, how it is computed, how it is scored, its level thresholds and
its colours. A :class:`Profile` is a named set of hazard weights. The :class:`Registry`
holds both; it is immutable, and adding a layer whose id exists is an error unless
``overwrite=True`` is asked for explicitly.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from geo import index
from geo.errors import ConfigError, NotFoundError
from layers.units import parse_units

#: The catalog shipped with the package.
DEFAULT_CATALOG = Path(__file__).with_name("catalog.toml")

Role = Literal["hazard", "exposure", "vulnerability", "coping"]
Indicator = Literal[
    "raster", "heat_days", "drought_frequency", "warming_trend", "population_density", "column"
]
Statistic = Literal["mean", "weighted_mean", "p90", "max", "sum"]

#: Colours of the INFORM classes (very low .. very high) for scores, composites and risk.
SCORE_COLORS: tuple[str, ...] = ("#1a9641", "#a6d96a", "#ffffbf", "#fdae61", "#d7191c")

_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


class LegendClass(BaseModel):
    """One class of a legend: its colour, its label and its value range (``None`` = open)."""

    model_config = ConfigDict(frozen=True)

    color: str
    label: str
    min: float | None
    max: float | None


class LayerSpec(BaseModel):
    """One indicator of the catalog."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    title: str
    role: Role
    group: str
    units: str = Field(description="pint expression of the raw values' units")
    units_label: str = Field(description="units as shown to people")
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

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("ids are lower-case letters, digits and underscores")
        return value

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
        spatial = self.indicator != "column"
        if spatial and (self.levels is None or self.colors is None):
            raise ValueError("a spatial layer needs level thresholds and colours")
        if self.role == "hazard" and self.group in {"exposure", "vulnerability", "coping"}:
            raise ValueError(f"hazard group {self.group!r} is reserved for another role")
        if self.role != "hazard" and self.group != self.role:
            raise ValueError(f"the group of a {self.role} layer is {self.role!r}")
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
            LegendClass(color=c, label=f"{name}: {_range_label(lo, hi, u)}", min=lo, max=hi)
            for c, name, (lo, hi) in zip(self.colors, labels, bounds, strict=True)
        ]


def score_legend() -> list[LegendClass]:
    """Legend of 0-10 scores, composites and risk: the INFORM classes."""
    breaks = index.RISK_CLASS_BREAKS
    bounds = list(zip((0.0, *breaks), (*breaks, 10.0), strict=True))
    return [
        LegendClass(color=c, label=f"{name}: {_range_label(lo, hi, '')}", min=lo, max=hi)
        for c, name, (lo, hi) in zip(SCORE_COLORS, index.RISK_CLASS_LABELS, bounds, strict=True)
    ]


def _number(value: float) -> str:
    return f"{value:g}"


def _range_label(low: float | None, high: float | None, units: str) -> str:
    suffix = f" {units}" if units else ""
    if low is None and high is not None:
        return f"below {_number(high)}{suffix}"
    if high is None and low is not None:
        return f"{_number(low)}{suffix} and above"
    return f"{_number(low or 0.0)}–{_number(high or 0.0)}{suffix}"


class Profile(BaseModel):
    """A named set of hazard weights; hazards not listed take ``default``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    title: str
    description: str
    default: float = Field(ge=0.0)
    weights: dict[str, float] = Field(default_factory=dict)

    @field_validator("weights")
    @classmethod
    def _valid_weights(cls, value: dict[str, float]) -> dict[str, float]:
        for layer, w in value.items():
            if not math.isfinite(w) or w < 0:
                raise ValueError(f"weight of {layer!r} must be finite and non-negative")
        return value


class Registry(Mapping[str, LayerSpec]):
    """Immutable mapping of layer id to :class:`LayerSpec`, with the weight profiles."""

    __slots__ = ("_layers", "_profiles")

    def __init__(self, layers: Mapping[str, LayerSpec], profiles: Mapping[str, Profile]) -> None:
        self._layers = dict(layers)
        self._profiles = dict(profiles)
        for profile in self._profiles.values():
            self._check_profile(profile)

    def __getitem__(self, layer_id: str) -> LayerSpec:
        try:
            return self._layers[layer_id]
        except KeyError:
            raise NotFoundError(
                f"unknown layer {layer_id!r}; known layers: {', '.join(self._layers)}"
            ) from None

    def __contains__(self, layer_id: object) -> bool:
        return layer_id in self._layers

    def __iter__(self) -> Iterator[str]:
        return iter(self._layers)

    def __len__(self) -> int:
        return len(self._layers)

    def __repr__(self) -> str:
        return f"Registry({len(self)} layers, profiles={list(self._profiles)})"

    @property
    def profiles(self) -> Mapping[str, Profile]:
        """The weight profiles by id (read-only view)."""
        return dict(self._profiles)

    def by_role(self, role: Role) -> list[LayerSpec]:
        """Layers of one role, in catalog order."""
        return [spec for spec in self._layers.values() if spec.role == role]

    @property
    def hazards(self) -> list[LayerSpec]:
        """Hazard layers in catalog order."""
        return self.by_role("hazard")

    def with_layer(self, spec: LayerSpec, *, overwrite: bool = False) -> Registry:
        """A new registry with ``spec`` added; an existing id needs ``overwrite=True``."""
        if spec.id in self._layers and not overwrite:
            raise ConfigError(
                f"layer {spec.id!r} is already registered; pass overwrite=True to replace it"
            )
        return Registry({**self._layers, spec.id: spec}, self._profiles)

    def with_profile(self, profile: Profile, *, overwrite: bool = False) -> Registry:
        """A new registry with ``profile`` added; an existing id needs ``overwrite=True``."""
        if profile.id in self._profiles and not overwrite:
            raise ConfigError(
                f"profile {profile.id!r} already exists; pass overwrite=True to replace it"
            )
        return Registry(self._layers, {**self._profiles, profile.id: profile})

    def subset(self, layer_ids: list[str]) -> Registry:
        """A registry restricted to ``layer_ids`` (unknown ids raise :class:`ConfigError`)."""
        unknown = [i for i in layer_ids if i not in self._layers]
        if unknown:
            raise ConfigError(
                f"unknown layers {', '.join(map(repr, unknown))}; "
                f"known layers: {', '.join(self._layers)}"
            )
        kept = set(layer_ids)
        # Profiles keep their weights of the layers that remain (a profile names layers
        # of the full catalog; a build of fewer layers still offers every profile).
        profiles = {
            name: p.model_copy(
                update={"weights": {k: w for k, w in p.weights.items() if k in kept}}
            )
            for name, p in self._profiles.items()
        }
        return Registry({i: self._layers[i] for i in layer_ids}, profiles)

    def _check_profile(self, profile: Profile) -> None:
        hazard_ids = {spec.id for spec in self.hazards}
        unknown = sorted(set(profile.weights) - set(self._layers))
        if unknown:
            raise ConfigError(
                f"profile {profile.id!r} weights unknown layers {', '.join(map(repr, unknown))}"
            )
        not_hazard = sorted(set(profile.weights) - hazard_ids)
        if not_hazard:
            raise ConfigError(
                f"profile {profile.id!r} weights non-hazard layers: {', '.join(not_hazard)}"
            )

    def resolve_weights(
        self, profile: str | None = None, overrides: Mapping[str, float] | None = None
    ) -> dict[str, float]:
        """Realised hazard weights: a profile, then per-layer overrides, normalised to sum 1.

        Args:
            profile: Profile id (default ``"equal"``).
            overrides: Weights per hazard layer id that replace the profile's.

        Raises:
            ConfigError: For an unknown profile or layer, a layer that is not a hazard, a
                negative or non-finite weight, or weights that are all zero.
        """
        name = profile or "equal"
        if name not in self._profiles:
            raise ConfigError(
                f"unknown weight profile {name!r}; choose one of {', '.join(self._profiles)}"
            )
        chosen = self._profiles[name]
        hazard_ids = [spec.id for spec in self.hazards]
        raw = {i: chosen.weights.get(i, chosen.default) for i in hazard_ids}
        for layer_id, weight in (overrides or {}).items():
            if layer_id not in self._layers:
                raise ConfigError(
                    f"unknown layer {layer_id!r} in weights; hazard layers: {', '.join(hazard_ids)}"
                )
            if layer_id not in raw:
                raise ConfigError(
                    f"layer {layer_id!r} is not a hazard and cannot be weighted; "
                    f"hazard layers: {', '.join(hazard_ids)}"
                )
            if not math.isfinite(weight) or weight < 0:
                raise ConfigError(
                    f"the weight of {layer_id!r} must be a finite number >= 0, got {weight}"
                )
            raw[layer_id] = float(weight)
        total = sum(raw.values())
        if total <= 0:
            raise ConfigError("all weights are zero; give at least one hazard a positive weight")
        return {i: w / total for i, w in raw.items()}


def parse_weights(text: str) -> dict[str, float]:
    """Parse ``"dust_days:2,flood_rp100:1"`` into a dict (values not yet validated).

    Raises:
        ConfigError: If an item is not ``layer:number``.
    """
    weights: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        layer, sep, value = item.partition(":")
        try:
            if not sep or not layer.strip():
                raise ValueError
            weights[layer.strip()] = float(value)
        except ValueError:
            raise ConfigError(
                f"cannot read weight {item[:40]!r}: write layer:number, e.g. dust_days:2"
            ) from None
    if not weights:
        raise ConfigError("no weights given: write layer:number pairs, e.g. dust_days:2")
    return weights


def _format_validation(exc: ValidationError, where: str) -> str:
    first = exc.errors()[0]
    location = ".".join(str(part) for part in first["loc"])
    return f"{where}: {location}: {first['msg']}"


def load_catalog(path: Path | None = None) -> Registry:
    """Load and validate a catalog TOML file (the packaged catalog, cached, by default).

    Raises:
        ConfigError: With the file, the entry and what is wrong with it.
    """
    return _default_catalog() if path is None else _load(Path(path))


@cache
def _default_catalog() -> Registry:
    return _load(DEFAULT_CATALOG)


def _load(source: Path) -> Registry:
    where = f"catalog {source.name}"
    try:
        document: dict[str, Any] = tomllib.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{where} not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where} is not valid TOML: {exc}") from None
    layers: dict[str, LayerSpec] = {}
    profiles: dict[str, Profile] = {}
    for layer_id, entry in document.get("layers", {}).items():
        try:
            layers[layer_id] = LayerSpec(id=layer_id, **entry)
        except ValidationError as exc:
            raise ConfigError(_format_validation(exc, f"{where}, layer {layer_id!r}")) from None
    for profile_id, entry in document.get("profiles", {}).items():
        try:
            profiles[profile_id] = Profile(id=profile_id, **entry)
        except ValidationError as exc:
            raise ConfigError(_format_validation(exc, f"{where}, profile {profile_id!r}")) from None
    if "equal" not in profiles:
        raise ConfigError(f"{where} must define the 'equal' weight profile")
    return Registry(layers, profiles)
