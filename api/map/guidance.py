"""Preparedness guidance per hazard and level, read from ``guidance.toml``.

The text is data (written for Kyzylorda oblast) validated at load; each topic is a
hazard of the catalog, keyed by its id. A district report asks :func:`guidance_for`
what to recommend for the hazard levels the district reached (ThinkHazard! reports one
level per hazard; :func:`layers.district_stats.hazard_columns` sets it).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from aralrisk.geo import index
from aralrisk.geo.errors import ConfigError

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
    """One hazard's advice: its title, what it is here and what to do at each level."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str
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
    """Every topic of the guidance file (hazard id -> topic), in file order."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    topics: dict[str, Topic]


@dataclass(frozen=True)
class TopicAdvice:
    """The advice of one hazard for one district.

    Attributes:
        id: The hazard id (``river_flood``, ``dust``, ...).
        title: Topic title.
        about: What the hazard is in this region.
        level: The district's level code of the hazard.
        level_label: Its label (``"high"``, ``"no data"``, ...).
        advice: Meaning and actions for that level.
    """

    id: str
    title: str
    about: str
    level: int
    level_label: str
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


def guidance_for(levels: Mapping[str, int], guidance: Guidance | None = None) -> list[TopicAdvice]:
    """The advice of every hazard in ``levels`` that has a topic, highest level first.

    Args:
        levels: Hazard id -> level code of one district (``geo.index`` codes); a code
            that is not a level (``not applicable``) counts as ``no data``.
        guidance: The guidance to use (default: the package's).
    """
    guidance = guidance or default_guidance()
    out = []
    for hazard_id, topic in guidance.topics.items():
        if hazard_id not in levels:
            continue  # the build does not have this hazard
        level = int(levels[hazard_id])
        if level not in LEVEL_KEYS:
            level = index.NO_DATA
        out.append(
            TopicAdvice(
                id=hazard_id,
                title=topic.title,
                about=topic.about,
                level=level,
                level_label=index.LEVEL_LABELS[level],
                advice=topic.levels[LEVEL_KEYS[level]],
            )
        )
    # Stable sort: equal levels keep the file's order.
    return sorted(out, key=lambda t: -t.level)
