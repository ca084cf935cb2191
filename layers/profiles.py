"""Weight profiles as data: declared in ``build.toml`` or on the command line.

A build configuration may declare its own profiles next to the catalogue's::

    [profiles.herders]
    title = "Pastoralists"
    description = "Drought and dust first: what hits grazing land."
    weights = { drought = 3, dust = 2, heat = 1 }
    default = 0.5          # every other hazard (context hazards stay 0)

    [profiles.health_plus]
    base = "public_health" # start from a catalogue profile
    weights = { salinity = 2 }

    [scoring]
    profile = "herders"

and ``aralrisk build --define-profile "herders=drought:3,dust:2,heat:1"`` does the same
from the command line. They are validated like the rest of the configuration: a weight
of an unknown hazard, a layer weighted as a hazard or a clash with a catalogue profile
is a :class:`~aralrisk.geo.errors.ConfigError` naming the key. A build records its
profiles in its manifest, so ``rescore(profile="herders")`` works on it later.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from aralrisk.geo.errors import ConfigError
from aralrisk.layers.config import ProfileConfig
from aralrisk.layers.registry import Registry, parse_weights
from aralrisk.layers.specs import Profile

__all__ = ["apply", "parse_profile"]

#: What a profile id may look like (it is a query parameter and a TOML key).
PROFILE_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def apply(registry: Registry, profiles: Mapping[str, ProfileConfig]) -> Registry:
    """``registry`` with the configuration's profiles added.

    Args:
        registry: The catalogue.
        profiles: Profile id -> its declaration (``BuildConfig.profiles``).

    Returns:
        A new registry holding the catalogue's profiles and these.

    Raises:
        ConfigError: A bad id, a clash with a catalogue profile, an unknown ``base``, or
            a weight of something that is not a hazard; the message names the key
            (``profiles.<id>.weights.<key>``).

    Examples:
        >>> from aralrisk.layers.registry import load_catalog
        >>> mine = {"herders": ProfileConfig(weights={"drought": 3, "dust": 2}, default=0)}
        >>> weights = apply(load_catalog(), mine).resolve_weights("herders").hazards
        >>> weights["drought"], weights["dust"], weights["heat"]
        (0.6, 0.4, 0.0)
        >>> storms = {"x": ProfileConfig(weights={"typhoon": 1})}
        >>> apply(load_catalog(), storms)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        aralrisk.geo.errors.ConfigError: profiles.x.weights.typhoon: unknown hazard 'typhoon'; ...
    """
    hazards = [h.id for h in registry.hazards]
    for name, declared in profiles.items():
        where = f"profiles.{name}"
        if not PROFILE_ID.match(name):
            raise ConfigError(
                f"{where}: a profile id is lower-case letters, digits and _, starting "
                "with a letter (up to 40)"
            )
        if name in registry.profiles:
            raise ConfigError(
                f"{where}: the catalogue already has a profile {name!r}; give yours another id"
            )
        for key in declared.weights:
            if key not in hazards:
                kind = (
                    f"{key!r} is a layer, not a hazard: weight its hazard "
                    f"({registry.hazard_of(key).id}) here, or the layer with --weights"
                    if key in registry and registry[key].role == "hazard"
                    else f"unknown hazard {key!r}"
                )
                raise ConfigError(f"{where}.weights.{key}: {kind}; hazards: {', '.join(hazards)}")
        weights: dict[str, float] = {}
        default = 1.0
        if declared.base is not None:
            if declared.base not in registry.profiles:
                raise ConfigError(
                    f"{where}.base: unknown profile {declared.base!r}; catalogue profiles: "
                    f"{', '.join(registry.profiles)}"
                )
            base = registry.profiles[declared.base]
            weights, default = dict(base.weights), base.default
        weights |= declared.weights
        default = declared.default if declared.default is not None else default
        if not any(w > 0 for w in weights.values()) and default <= 0:
            raise ConfigError(f"{where}: every weight is zero; give one hazard a positive weight")
        registry = registry.with_profile(
            Profile(
                id=name,
                title=declared.title or name.replace("_", " "),
                description=declared.description or "declared in the build configuration",
                default=default,
                weights=weights,
            )
        )
    return registry


def parse_profile(text: str) -> tuple[str, ProfileConfig]:
    """Read ``"NAME=hazard:weight,..."`` (``aralrisk build --define-profile``).

    Hazards not named weigh 0 (so the text says the whole profile).

    Raises:
        ConfigError: The text is not ``NAME=hazard:weight,...``.

    Examples:
        >>> name, profile = parse_profile("herders=drought:3, dust:2")
        >>> name, profile.weights, profile.default
        ('herders', {'drought': 3.0, 'dust': 2.0}, 0.0)
    """
    name, sep, weights = text.partition("=")
    if not sep or not name.strip():
        raise ConfigError(
            f"cannot read profile {text[:40]!r}: write NAME=hazard:weight,..., "
            "e.g. herders=drought:3,dust:2"
        )
    return name.strip(), ProfileConfig(weights=parse_weights(weights), default=0.0)
