"""Preparedness guidance per hazard topic and level, read from ``guidance.toml``.

The text is data (written for Kyzylorda oblast) validated at load; a district report
asks :func:`guidance_for` what to recommend for the levels the district reached. A
topic's level is the highest level among its layers, as ThinkHazard! reports one level
per hazard.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from geo import index
from geo.errors import ConfigError

GUIDANCE_FILE = Path(__file__).with_name("guidance.toml")

LevelKey = Literal["no_data", "very_low", "low", "medium", "high"]
#: Level code (geo.index) -> key of the guidance file.
LEVEL_KEYS: dict[int, LevelKey] = {
    index.NO_DATA: "no_data",
    index.VERY_LOW: "very_low",
    index.LOW: "low",
    index.MEDIUM: "medium",
    index.HIGH: "high",
}


class LevelAdvice(BaseModel):
    """What a level means for a district and what to prepare."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    meaning: str = Field(min_length=1)
    actions: tuple[str, ...] = Field(min_length=1)


class Topic(BaseModel):
    """One hazard topic: its title, the catalog layers it covers and advice per level."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str
    layers: tuple[str, ...] = Field(min_length=1)
    about: str
    levels: dict[LevelKey, LevelAdvice]

    @model_validator(mode="after")
    def _every_level(self) -> Topic:
        # A report must never show a level it has no advice for.
        missing = set(LEVEL_KEYS.values()) - set(self.levels)
        if missing:
            raise ValueError(f"topic {self.title!r} lacks advice for {sorted(missing)}")
        return self


class Guidance(BaseModel):
    """Every topic of the guidance file, in file order."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    topics: dict[str, Topic]


@dataclass(frozen=True)
class TopicAdvice:
    """The advice of one topic for one district.

    Attributes:
        id: Topic id (``flood``, ``dust``, ...).
        title: Topic title.
        about: What the hazard is in this region.
        level: The topic's level code (the highest of its layers).
        level_label: Its label (``"high"``, ``"no data"``, ...).
        layers: The ids of the district's layers the level comes from.
        advice: Meaning and actions for that level.
    """

    id: str
    title: str
    about: str
    level: int
    level_label: str
    layers: tuple[str, ...]
    advice: LevelAdvice


def load_guidance(path: Path = GUIDANCE_FILE) -> Guidance:
    """Read and validate a guidance file.

    Raises:
        ConfigError: The file is not valid TOML or misses advice; says where.
    """
    try:
        return Guidance.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise ConfigError(f"invalid guidance file {path.name}: {exc}") from None


@cache
def default_guidance() -> Guidance:
    """The guidance shipped with the package (read once)."""
    return load_guidance()


def topic_level(levels: Mapping[str, int], layers: tuple[str, ...]) -> tuple[int, tuple[str, ...]]:
    """The level of a topic from its layers' levels, and the layers present.

    ``not applicable`` layers are ignored; a topic whose layers all lack data is
    ``no data`` (not ``very low``: no data is not no hazard).
    """
    present = tuple(layer for layer in layers if layer in levels)
    usable = [levels[layer] for layer in present if levels[layer] >= index.VERY_LOW]
    return (max(usable) if usable else index.NO_DATA), present


def guidance_for(levels: Mapping[str, int], guidance: Guidance | None = None) -> list[TopicAdvice]:
    """The advice of every topic that has a layer in ``levels``, highest level first.

    Args:
        levels: Layer id -> level code of one district (``geo.index`` codes).
        guidance: The guidance to use (default: the package's).
    """
    guidance = guidance or default_guidance()
    out = []
    for topic_id, topic in guidance.topics.items():
        level, present = topic_level(levels, topic.layers)
        if not present:
            continue  # the build has none of the topic's layers
        out.append(
            TopicAdvice(
                id=topic_id,
                title=topic.title,
                about=topic.about,
                level=level,
                level_label=index.LEVEL_LABELS[level],
                layers=present,
                advice=topic.levels[LEVEL_KEYS[level]],
            )
        )
    # Stable sort: equal levels keep the file's order.
    return sorted(out, key=lambda t: -t.level)
