"""The registry: the catalog (``catalog.toml``) validated into one immutable object.

The :class:`Registry` maps layer ids to :class:`~layers.specs.LayerSpec` and holds the
hazards (:class:`~layers.specs.HazardSpec`), the weight profiles and the index
settings. It is immutable: adding a layer, hazard or profile whose id exists is an
error unless ``overwrite=True`` is asked for explicitly. Hazard and layer ids share one
namespace, since weights and district columns name both.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from aralrisk.geo.errors import ConfigError, NotFoundError
from aralrisk.layers.specs import (
    SCORE_COLORS,
    Criterion,
    ExposureRule,
    HazardSpec,
    IndexSettings,
    LayerSpec,
    LegendClass,
    Profile,
    Role,
    score_legend,
)

__all__ = [
    "DEFAULT_CATALOG",
    "MAX_WEIGHT",
    "SCORE_COLORS",
    "ExposureRule",
    "HazardSpec",
    "HazardWeights",
    "LayerSpec",
    "LegendClass",
    "Profile",
    "Registry",
    "check_weight",
    "load_catalog",
    "parse_weights",
    "score_legend",
]

#: The catalog shipped with the package.
DEFAULT_CATALOG = Path(__file__).with_name("catalog.toml")
#: Largest weight accepted. Weights are relative (normalised to sum 1), so nothing is
#: lost by the bound, and sums of a few dozen weights stay far from float overflow
#: (``dust:1e308,river_flood:1e308`` would sum to infinity and weigh every hazard 0).
MAX_WEIGHT = 1e6


def check_weight(key: str, value: object) -> float:
    """``value`` as the weight of ``key``: a finite number from 0 to :data:`MAX_WEIGHT`.

    The one check of a weight wherever weights come from (``build.toml``, the CLI,
    the API's ``weights=``), so every route answers the same sentence.

    Raises:
        ConfigError: Not a number, negative, NaN, infinite or above :data:`MAX_WEIGHT`.

    Examples:
        >>> check_weight("dust", 2)
        2.0
        >>> check_weight("dust", float("nan"))
        Traceback (most recent call last):
        ...
        aralrisk.geo.errors.ConfigError: the weight of 'dust' must be a finite number >= 0 ...
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 0 <= value <= MAX_WEIGHT
    ):
        raise ConfigError(
            f"the weight of {key!r} must be a finite number >= 0 and at most {MAX_WEIGHT:.0f} "
            "(weights are relative: dust:2,river_flood:1 weighs dust twice)"
        )
    return float(value)


@dataclass(frozen=True)
class HazardWeights:
    """Realised weights: of each hazard (sum 1) and of each layer within its hazard.

    Attributes:
        hazards: Hazard id -> weight, normalised to sum 1 over the registry's hazards.
        layers: Hazard layer id -> weight within its hazard, normalised to sum 1 per hazard.

    Examples:
        The equal profile with dust weighed twice (:meth:`Registry.resolve_weights`):

        >>> catalog = load_catalog()
        >>> weights = catalog.resolve_weights("equal", {"dust": 2})
        >>> round(weights.hazards["dust"], 3), round(weights.hazards["heat"], 3)
        (0.333, 0.167)
        >>> weights.layers["flood_rp10"], round(weights.layer_weights(catalog)["flood_rp10"], 3)
        (0.5, 0.083)
    """

    hazards: dict[str, float]
    layers: dict[str, float]

    def layer_weights(self, registry: Registry) -> dict[str, float]:
        """Each hazard layer's share of the whole: hazard weight x weight within it."""
        return {
            layer: self.hazards[h.id] * self.layers[layer]
            for h in registry.hazards
            for layer in h.layers
        }


class Registry(Mapping[str, LayerSpec]):
    """Immutable mapping of layer id to :class:`LayerSpec`, with hazards and profiles.

    Examples:
        The shipped catalogue:

        >>> catalog = load_catalog()
        >>> len(catalog), [h.id for h in catalog.hazards][:4], sorted(catalog.profiles)[:2]
        (16, ['river_flood', 'salinity', 'dust', 'heat'], ['agriculture', 'equal'])
        >>> catalog["dust_days"].units, catalog.hazard_of("dust_days").id
        ('d/yr', 'dust')
        >>> catalog.subset(["dust_days", "population"])
        Registry(2 layers, hazards=['dust'], profiles=[...])
    """

    __slots__ = ("_hazards", "_layers", "_profiles", "index")

    def __init__(
        self,
        layers: Mapping[str, LayerSpec],
        profiles: Mapping[str, Profile],
        hazards: Mapping[str, HazardSpec] | None = None,
        index: IndexSettings | None = None,
    ) -> None:
        self._layers = dict(layers)
        self._profiles = dict(profiles)
        self._hazards = dict(hazards or {})
        self.index = index or IndexSettings()
        self._check()

    # ------------------------------------------------------------------ mapping
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
        return (
            f"Registry({len(self)} layers, hazards={list(self._hazards)}, "
            f"profiles={list(self._profiles)})"
        )

    # ------------------------------------------------------------------ views
    @property
    def profiles(self) -> Mapping[str, Profile]:
        """The weight profiles by id (read-only view)."""
        return dict(self._profiles)

    @property
    def hazards(self) -> list[HazardSpec]:
        """Every hazard, context ones included, in catalog order."""
        return list(self._hazards.values())

    @property
    def weighted_hazards(self) -> list[HazardSpec]:
        """The hazards that count by default: every one but the context hazards."""
        return [h for h in self._hazards.values() if not h.context]

    def hazard(self, hazard_id: str) -> HazardSpec:
        """One hazard by id.

        Raises:
            NotFoundError: No such hazard.
        """
        try:
            return self._hazards[hazard_id]
        except KeyError:
            raise NotFoundError(
                f"unknown hazard {hazard_id!r}; hazards: {', '.join(self._hazards)}"
            ) from None

    def hazard_of(self, layer_id: str) -> HazardSpec:
        """The hazard a hazard layer belongs to."""
        for hazard in self._hazards.values():
            if layer_id in hazard.layers:
                return hazard
        raise NotFoundError(f"layer {layer_id!r} belongs to no hazard")

    @property
    def hazard_layers(self) -> list[LayerSpec]:
        """The layers of role ``hazard``, in catalog order."""
        return self.by_role("hazard")

    def by_role(self, role: Role) -> list[LayerSpec]:
        """Layers of one role, in catalog order."""
        return [spec for spec in self._layers.values() if spec.role == role]

    def categories(self, role: Role) -> dict[str, list[LayerSpec]]:
        """The INFORM categories of a dimension's indicators, each with its layers."""
        out: dict[str, list[LayerSpec]] = {}
        for spec in self.by_role(role):
            out.setdefault(spec.category or spec.id, []).append(spec)
        return out

    def criteria(self, hazard: HazardSpec) -> tuple[Criterion, Criterion, Criterion]:
        """A hazard's low, medium and high criteria."""
        return hazard.criteria(self._layers)

    def thresholds(self, layer_id: str) -> tuple[float, ...]:
        """Every value threshold of a layer the build needs area fractions or people at.

        Its own class thresholds, then those of its hazard's level criteria and exposure
        rule, sorted and without repeats.
        """
        spec = self[layer_id]
        values = set(spec.levels or ())
        for hazard in self._hazards.values():
            if layer_id not in hazard.layers:
                continue
            values |= {c.threshold for c in self.criteria(hazard) if c.layer == layer_id}
            if hazard.exposure is not None and hazard.exposure.layer == layer_id:
                values.add(hazard.exposure.threshold)
        return tuple(sorted(values))

    # ------------------------------------------------------------------ new registries
    def with_layer(
        self,
        spec: LayerSpec,
        *,
        hazard: str | None = None,
        weight: float = 1.0,
        overwrite: bool = False,
    ) -> Registry:
        """A new registry with ``spec`` added; an existing id needs ``overwrite=True``.

        A hazard layer joins the hazard ``hazard`` with ``weight`` within it (a hazard
        of several layers needs its level criteria to name the new layer to let it set
        the level; add a new hazard with :meth:`with_hazard` instead).
        """
        if spec.id in self._layers and not overwrite:
            raise ConfigError(
                f"layer {spec.id!r} is already registered; pass overwrite=True to replace it"
            )
        hazards = dict(self._hazards)
        if spec.role == "hazard":
            if hazard is None:
                if not any(spec.id in h.layers for h in hazards.values()):
                    raise ConfigError(
                        f"hazard layer {spec.id!r} needs a hazard: pass hazard='<id>' to join "
                        "an existing one, or add a new one with with_hazard()"
                    )
            else:
                target = self.hazard(hazard)
                hazards[hazard] = target.model_copy(
                    update={"layers": {**target.layers, spec.id: weight}}
                )
        return Registry({**self._layers, spec.id: spec}, self._profiles, hazards, self.index)

    def with_hazard(self, hazard: HazardSpec, *, overwrite: bool = False) -> Registry:
        """A new registry with ``hazard`` added (its layers must be registered)."""
        if hazard.id in self._hazards and not overwrite:
            raise ConfigError(
                f"hazard {hazard.id!r} already exists; pass overwrite=True to replace it"
            )
        return Registry(
            self._layers, self._profiles, {**self._hazards, hazard.id: hazard}, self.index
        )

    def with_profile(self, profile: Profile, *, overwrite: bool = False) -> Registry:
        """A new registry with ``profile`` added; an existing id needs ``overwrite=True``."""
        if profile.id in self._profiles and not overwrite:
            raise ConfigError(
                f"profile {profile.id!r} already exists; pass overwrite=True to replace it"
            )
        return Registry(
            self._layers, {**self._profiles, profile.id: profile}, self._hazards, self.index
        )

    def subset(self, layer_ids: list[str]) -> Registry:
        """A registry restricted to ``layer_ids`` (unknown ids raise :class:`ConfigError`).

        Hazards keep the layers that remain and drop out without any; the others are
        listed as ``missing``: a level criterion on one is never reached, an exposure
        rule on one gives no exposure.
        """
        unknown = [i for i in layer_ids if i not in self._layers]
        if unknown:
            raise ConfigError(
                f"unknown layers {', '.join(map(repr, unknown))}; "
                f"known layers: {', '.join(self._layers)}"
            )
        kept = set(layer_ids)
        hazards: dict[str, HazardSpec] = {}
        for hazard in self._hazards.values():
            layers = {k: w for k, w in hazard.layers.items() if k in kept}
            if not layers or not any(w > 0 for w in layers.values()):
                continue
            if layers == hazard.layers:
                hazards[hazard.id] = hazard
                continue
            levels = dict(zip(("low", "medium", "high"), self.criteria(hazard), strict=True))
            hazards[hazard.id] = hazard.model_copy(
                update={
                    "layers": layers,
                    "levels": levels,
                    "missing": tuple(k for k in hazard.layers if k not in kept),
                }
            )
        ids = set(hazards)
        # Profiles keep their weights of the hazards that remain (a profile names hazards
        # of the full catalog; a build of fewer layers still offers every profile).
        profiles = {
            name: p.model_copy(update={"weights": {k: w for k, w in p.weights.items() if k in ids}})
            for name, p in self._profiles.items()
        }
        return Registry({i: self._layers[i] for i in layer_ids}, profiles, hazards, self.index)

    # ------------------------------------------------------------------ checks
    def _check(self) -> None:
        clash = sorted(set(self._hazards) & set(self._layers))
        if clash:
            raise ConfigError(f"ids {', '.join(clash)} name both a hazard and a layer")
        owner: dict[str, str] = {}
        for hazard in self._hazards.values():
            for layer_id in hazard.layers:
                if layer_id not in self._layers:
                    raise ConfigError(f"hazard {hazard.id!r} names unknown layer {layer_id!r}")
                if self._layers[layer_id].role != "hazard":
                    raise ConfigError(
                        f"hazard {hazard.id!r} names {layer_id!r}, which is not a hazard layer"
                    )
                if layer_id in owner:
                    raise ConfigError(
                        f"layer {layer_id!r} belongs to two hazards: {owner[layer_id]!r} "
                        f"and {hazard.id!r}"
                    )
                owner[layer_id] = hazard.id
        orphans = [spec.id for spec in self.hazard_layers if spec.id not in owner]
        if orphans and self._hazards:
            raise ConfigError(f"hazard layers {', '.join(orphans)} belong to no hazard")
        for profile in self._profiles.values():
            unknown = sorted(set(profile.weights) - set(self._hazards))
            if unknown:
                raise ConfigError(
                    f"profile {profile.id!r} weights {', '.join(map(repr, unknown))}, which "
                    f"are not hazards; hazards: {', '.join(self._hazards)}"
                )

    # ------------------------------------------------------------------ weights
    def resolve_weights(
        self, profile: str | None = None, overrides: Mapping[str, float] | None = None
    ) -> HazardWeights:
        """Realised weights: a profile, then overrides by hazard or by layer, normalised.

        Args:
            profile: Profile id (default ``"equal"``).
            overrides: Weights by hazard id (replacing the profile's), or by hazard
                layer id (a layer's weight within its hazard; the hazard's weight stays).

        Raises:
            ConfigError: For an unknown profile, hazard or layer, a layer that is not a
                hazard layer, a negative or non-finite weight, or weights that are all
                zero.
        """
        name = profile or "equal"
        if name not in self._profiles:
            raise ConfigError(
                f"unknown weight profile {name!r}; choose one of {', '.join(self._profiles)}"
            )
        chosen = self._profiles[name]
        hazard_raw = {
            h.id: chosen.weights.get(h.id, 0.0 if h.context else chosen.default)
            for h in self._hazards.values()
        }
        layer_raw = {k: w for h in self._hazards.values() for k, w in h.layers.items()}
        for key, given in (overrides or {}).items():
            weight = check_weight(key, given)
            if key in hazard_raw:
                hazard_raw[key] = weight
            elif key in layer_raw:
                layer_raw[key] = weight
            else:
                raise ConfigError(self._unknown_weight(key))
        total = sum(hazard_raw.values())
        if total <= 0:
            raise ConfigError("all weights are zero; give at least one hazard a positive weight")
        layers: dict[str, float] = {}
        for hazard in self._hazards.values():
            within = sum(layer_raw[k] for k in hazard.layers)
            if within <= 0:
                raise ConfigError(
                    f"every layer of hazard {hazard.id!r} has weight zero; "
                    "give one a positive weight"
                )
            layers |= {k: layer_raw[k] / within for k in hazard.layers}
        return HazardWeights({i: w / total for i, w in hazard_raw.items()}, layers)

    def _unknown_weight(self, key: str) -> str:
        hazards = ", ".join(self._hazards)
        if key in self._layers:
            return (
                f"layer {key!r} is not a hazard layer and cannot be weighted; "
                f"weight a hazard ({hazards}) or one of its layers"
            )
        return f"unknown hazard or layer {key!r} in weights; hazards: {hazards}"


def parse_weights(text: str) -> dict[str, float]:
    """Parse ``"dust:2,river_flood:1"`` into a dict (values not yet validated).

    Raises:
        ConfigError: If an item is not ``name:number``, or an id is given twice (the
            second would silently replace the first).

    Examples:
        >>> parse_weights("dust:2, river_flood:1")
        {'dust': 2.0, 'river_flood': 1.0}
    """
    weights: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = item.partition(":")
        key = key.strip()
        try:
            if not sep or not key:
                raise ValueError
            number = float(value)
        except ValueError:
            raise ConfigError(
                f"cannot read weight {item[:40]!r}: write hazard:number, e.g. dust:2"
            ) from None
        if key in weights:
            raise ConfigError(
                f"{key[:40]!r} is given twice in weights: give each hazard or layer once"
            )
        weights[key] = number
    if not weights:
        raise ConfigError("no weights given: write hazard:number pairs, e.g. dust:2")
    return weights


def _format_validation(exc: ValidationError, where: str) -> str:
    first = exc.errors()[0]
    location = ".".join(str(part) for part in first["loc"])
    return f"{where}: {location}: {first['msg']}" if location else f"{where}: {first['msg']}"


def load_catalog(path: Path | None = None) -> Registry:
    """Load and validate a catalog TOML file (the packaged catalog, cached, by default).

    Raises:
        ConfigError: With the file, the entry and what is wrong with it.

    Examples:
        >>> catalog = load_catalog()  # the packaged catalog.toml
        >>> catalog
        Registry(16 layers, hazards=['river_flood', 'salinity', 'dust', 'heat', 'drought',
                 'warming', 'drought_status'], profiles=['equal', 'public_health',
                 'agriculture', 'infrastructure'])
        >>> load_catalog(DEFAULT_CATALOG) == catalog  # read again from the file
        True
    """
    return _default_catalog() if path is None else _load(Path(path))


@cache
def _default_catalog() -> Registry:
    return _load(DEFAULT_CATALOG)


def _entries(
    document: dict[str, Any], section: str, model: type[Any], where: str
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for entry_id, entry in document.get(section, {}).items():
        try:
            out[entry_id] = model(id=entry_id, **entry)
        except ValidationError as exc:
            kind = section.rstrip("s")
            raise ConfigError(_format_validation(exc, f"{where}, {kind} {entry_id!r}")) from None
    return out


def _load(source: Path) -> Registry:
    where = f"catalog {source.name}"
    try:
        document: dict[str, Any] = tomllib.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{where} not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where} is not valid TOML: {exc}") from None
    unknown = sorted(set(document) - {"index", "hazards", "layers", "profiles"})
    if unknown:
        raise ConfigError(f"{where}: unknown section {', '.join(unknown)}")
    layers = _entries(document, "layers", LayerSpec, where)
    hazards = _entries(document, "hazards", HazardSpec, where)
    profiles = _entries(document, "profiles", Profile, where)
    try:
        settings = IndexSettings(**document.get("index", {}))
    except ValidationError as exc:
        raise ConfigError(_format_validation(exc, f"{where}, [index]")) from None
    if "equal" not in profiles:
        raise ConfigError(f"{where} must define the 'equal' weight profile")
    return Registry(layers, profiles, hazards, settings)
