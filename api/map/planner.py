"""Page 2 of a district report: settlements at risk, contacts, season calendar, data dates.

What a planner asks after the one-page summary: *which villages, how many people,
whom do I call, what do I prepare this month, how old are these numbers?* The
settlements come from the build (:mod:`layers.places`); contacts, the calendar and the
data dates from ``planner.toml`` beside this module, an editable data file validated
here (every text in Kazakh, Russian and English; a contact without a published source is
marked to be verified locally).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from aralrisk.geo import index
from aralrisk.geo.errors import ConfigError
from aralrisk.layers import places
from aralrisk.layers.result import BuildResult

PLANNER_FILE = Path(__file__).with_name("planner.toml")
LANGS = ("kk", "ru", "en")
#: Settlements listed on the report at most (the rest are counted; places.csv has all).
MAX_SETTLEMENTS = 15


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Texts(_Model):
    """One text in the three languages."""

    kk: str = Field(min_length=1)
    ru: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        """The text in ``lang`` (English for another language)."""
        return str(getattr(self, lang, self.en)) if lang in LANGS else self.en


class Contact(_Model):
    """Whom to call: a name and role, a phone with its source, or "verify locally"."""

    id: str
    name: Texts
    role: Texts
    phone: str = ""
    source: str = ""
    verify: bool = True

    @field_validator("source")
    @classmethod
    def _sourced(cls, value: str, info: Any) -> str:
        # A number nobody published must not look authoritative on a printed report.
        if info.data.get("phone") and not value:
            raise ValueError("a phone number needs the `source` that publishes it")
        return value


class SeasonTask(_Model):
    """A seasonal task of one hazard: its months and what to do."""

    hazard: str
    months: tuple[int, ...] = Field(min_length=1)
    what: Texts

    @field_validator("months")
    @classmethod
    def _months(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(not 1 <= m <= 12 for m in value):
            raise ValueError("months are 1 (January) to 12 (December)")
        return value


class Validity(_Model):
    """The date one kind of data is valid for."""

    what: Texts
    when: Texts


class PlannerData(_Model):
    """The whole ``planner.toml``."""

    contacts: tuple[Contact, ...]
    calendar: tuple[SeasonTask, ...]
    valid_for: tuple[Validity, ...]


@cache
def load_planner(path: Path = PLANNER_FILE) -> PlannerData:
    """Read and validate the planner data file.

    Raises:
        ConfigError: The file is missing, not TOML, or has a wrong entry (one sentence).
    """
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
        return PlannerData.model_validate(document)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path.name} cannot be read: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{path.name}: {where}: {first['msg']}") from None


@dataclass(frozen=True)
class SettlementLine:
    """A settlement of the district in a high-hazard area, as the report prints it."""

    id: str
    name: str
    other_names: str
    place: str
    hazards: list[str]
    people: float | None
    people_exposed: float | None
    children_under5: float | None
    elderly_over65: float | None


def _number(value: Any) -> float | None:
    try:
        found = float(value)
    except (TypeError, ValueError):
        return None
    return found if np.isfinite(found) else None


def _name(row: Mapping[Any, Any], lang: str) -> tuple[str, str]:
    """The settlement's name in ``lang`` (its OSM ``name`` when untagged) and the others."""
    own = str(row.get(f"name_{lang}") or row.get("name") or "")
    others = [
        str(row.get(f"name_{other}") or "")
        for other in LANGS
        if other != lang and row.get(f"name_{other}")
    ]
    return own, " · ".join(dict.fromkeys(n for n in others if n and n != own))


def settlements_at_risk(
    build: BuildResult, code: str, lang: str = "en"
) -> tuple[list[SettlementLine], int, dict[str, Any]] | None:
    """The district's settlements with a hazard high within the radius, most exposed first.

    Ranked by people exposed, then people; at most :data:`MAX_SETTLEMENTS`.

    Returns:
        The lines, how many such settlements there are in all, and the build's places
        entry (radius, count); ``None`` for a build without settlements.
    """
    table = places.built_places(build.path, build.manifest)
    if table is None:
        return None
    titles = {h.id: h.title for h in build.registry.hazards}
    mine = table[(table["district"] == code) & (table["hazard_level_around"] == index.HIGH)]
    mine = mine.assign(
        _exposed=mine["people_exposed"].fillna(-1.0), _people=mine["people"].fillna(-1.0)
    ).sort_values(["_exposed", "_people", "name"], ascending=[False, False, True], kind="stable")
    lines = []
    for row in mine.head(MAX_SETTLEMENTS).to_dict("records"):
        name, others = _name(row, lang)
        lines.append(
            SettlementLine(
                id=str(row["id"]),
                name=name,
                other_names=others,
                place=str(row.get("place") or ""),
                hazards=[titles.get(h, h) for h in row["high_hazards"]],
                people=_number(row.get("people")),
                people_exposed=_number(row.get("people_exposed")),
                children_under5=_number(row.get("children_under5")),
                elderly_over65=_number(row.get("elderly_over65")),
            )
        )
    return lines, len(mine), dict(build.manifest.get("places") or {})


def month_names(lang: str, width: Literal["abbreviated", "narrow"] = "abbreviated") -> list[str]:
    """January..December in ``lang``: ``abbreviated`` ("янв.") or ``narrow`` ("Я").

    Babel's CLDR stand-alone names. The calendar's twelve narrow columns head with the
    narrow names (the abbreviated ones ran into each other: "мартапр."), the
    abbreviated one as each column's title.
    """
    from babel.dates import get_month_names

    names = get_month_names(width, context="stand-alone", locale=lang)
    return [str(names[m]) for m in range(1, 13)]


def planner_context(build: BuildResult, code: str, lang: str = "en") -> dict[str, Any]:
    """What page 2 of district ``code``'s report shows, in language ``lang``.

    ``settlements`` (``None`` without places), ``settlements_total``, ``radius_km`` (text),
    ``contacts``, ``calendar`` (tasks of the hazards the district reaches, level low or
    above, each with twelve month flags), ``valid_for`` and ``built`` (the build date).

    Raises:
        ConfigError: ``planner.toml`` is wrong.
    """
    data = load_planner()
    row = build.districts.loc[build.districts["code"].astype(str) == code].iloc[0]
    titles = {h.id: h.title for h in build.registry.hazards}
    found = settlements_at_risk(build, code, lang)
    calendar = []
    for task in data.calendar:
        level = row.get(f"{task.hazard}_level")
        level = int(level) if level is not None and np.isfinite(float(level)) else index.NO_DATA
        if level < index.LOW:
            continue
        calendar.append(
            {
                "hazard": task.hazard,
                "title": titles.get(task.hazard, task.hazard),
                "level": level,
                "level_label": index.LEVEL_LABELS[level],
                "months": [m in task.months for m in range(1, 13)],
                "what": task.what.get(lang),
            }
        )
    return {
        "settlements": found[0] if found else None,
        "settlements_total": found[1] if found else 0,
        "radius_km": f"{found[2].get('radius_km', places.DEFAULT_RADIUS_KM):g}" if found else "",
        "contacts": [
            {
                "id": c.id,
                "name": c.name.get(lang),
                "role": c.role.get(lang),
                "phone": c.phone,
                "source": c.source,
                "verify": c.verify,
            }
            for c in data.contacts
        ],
        "calendar": calendar,
        "months": month_names(lang),
        "months_narrow": month_names(lang, "narrow"),
        "valid_for": [{"what": v.what.get(lang), "when": v.when.get(lang)} for v in data.valid_for],
        "built": str(build.manifest.get("created") or "")[:10],
    }
