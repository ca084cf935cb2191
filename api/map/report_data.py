"""What a district's preparedness report shows, gathered from a build (no rendering).

:func:`report_context` reads one district row and the registry and returns plain data
for the template (:mod:`api.map.report`): the headline (risk class and rank, hazard
level and hazards, people exposed, side by side), each hazard's level with the
criterion behind it and its people exposed, each layer's district value with its
statistic named beside the area and population-weighted means, vulnerability and lack
of coping capacity with their INFORM categories, and the guidance for the levels.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from aralrisk.api import hazards
from aralrisk.api.features import statistic
from aralrisk.api.map import inset
from aralrisk.api.map.guidance import TopicAdvice, guidance_for
from aralrisk.layers.registry import Registry
from aralrisk.layers.result import BuildResult, classes_from_manifest
from aralrisk.layers.scoring import DIMENSIONS

COMBINATION = {
    "geometric": "INFORM's adjusted geometric mean across hazards",
    "max": "the maximum across hazards",
}
#: The district statistics in a few words, for a table cell.
STATISTIC_SHORT = {
    "mean": "mean over the district",
    "weighted_mean": "mean where people live",
    "p90": "90th percentile",
    "max": "highest value",
    "sum": "total",
    "people": "in the district",
    "table": "district statistics",
}
#: How the INFORM categories of vulnerability and lack of coping are named in print.
CATEGORY_TITLES = {
    "vulnerable_groups": "Vulnerable groups",
    "socio_economic": "Socio-economic vulnerability",
    "access_to_health": "Access to health care",
    "physical_access": "Physical access",
}


@dataclass(frozen=True)
class HazardLine:
    """One hazard of the district: level and why, people exposed, scores."""

    id: str
    title: str
    context: bool
    level: int
    level_label: str
    reached: str
    exposure_rule: str
    people_exposed: float | None
    exposed_share: float | None
    exposure: float | None
    score: float | None


@dataclass(frozen=True)
class LayerLine:
    """One layer's district value with its statistic named, and both means."""

    id: str
    title: str
    hazard: str
    value: str
    statistic: str
    mean: str
    pop_mean: str
    scored: str
    level: int
    level_label: str


@dataclass(frozen=True)
class Indicator:
    """A vulnerability or coping indicator, with the people it stands for when a share."""

    title: str
    value: str
    score: float | None
    people: float | None


@dataclass(frozen=True)
class Category:
    """An INFORM category of vulnerability or lack of coping: its score, its indicators."""

    title: str
    score: float | None
    indicators: list[Indicator]


def short_source(source: str) -> str:
    """A layer's source without what the sample made of it (the banner says so)."""
    text = re.sub(r"\s*\(sample:[^)]*\)", "", source)
    return re.sub(r";?\s*sample:.*$", "", text).strip()


def number(value: Any) -> float | None:
    """A finite float, or ``None``."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def fmt(value: float | None, units: str = "") -> str:
    """A value for print: 3 significant-ish digits, thousands separated, with units."""
    if value is None:
        return "no data"
    digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
    text = f"{value:,.{digits}f}"
    return f"{text} {units}".strip()


def hazard_lines(registry: Registry, row: dict[str, Any]) -> list[HazardLine]:
    """Every hazard of the build for one district row, weighted ones first."""
    lines = []
    for found in hazards.results(registry, row):
        rule = found["exposure_rule"]
        lines.append(
            HazardLine(
                id=found["id"],
                title=found["title"],
                context=found["context"],
                level=found["level"],
                level_label=found["level_label"],
                reached=found["reached"],
                exposure_rule=rule["text"] if rule else "",
                people_exposed=found["people_exposed"],
                exposed_share=found["exposed_share"],
                exposure=found["exposure"],
                score=found["score"],
            )
        )
    return sorted(lines, key=lambda line: line.context)


def layer_lines(registry: Registry, row: dict[str, Any]) -> list[LayerLine]:
    """Every spatial layer's district value, statistic named, with both means."""
    lines = []
    for spec in registry.values():
        if not spec.spatial or f"{spec.id}_value" not in row:
            continue
        kind = statistic(spec)
        units = spec.district_units_label or spec.units_label
        level = hazards.level_code(row.get(f"{spec.id}_level"))
        hazard = ""
        if spec.role == "hazard":
            hazard = next((h.title for h in registry.hazards if spec.id in h.layers), "")
        lines.append(
            LayerLine(
                id=spec.id,
                title=hazards.short_title(spec.title),
                hazard=hazard,
                value=fmt(number(row.get(f"{spec.id}_value")), units),
                statistic=STATISTIC_SHORT[kind],
                mean=fmt(number(row.get(f"{spec.id}_mean")), spec.units_label),
                pop_mean=fmt(number(row.get(f"{spec.id}_pop_mean")), spec.units_label),
                scored=kind,
                level=level,
                level_label=hazards.level_label(level),
            )
        )
    return lines


def categories(
    registry: Registry, row: dict[str, Any], role: str, dimension: str, population: float | None
) -> list[Category]:
    """A dimension's INFORM categories with their scores and indicators."""
    out = []
    for name, specs in registry.categories(role).items():  # type: ignore[arg-type]
        items = []
        for spec in specs:
            if f"{spec.id}_value" not in row:
                continue
            value = number(row.get(f"{spec.id}_value"))
            share = spec.units == "percent" and value is not None and population is not None
            people = value / 100.0 * population if share else None  # type: ignore[operator]
            items.append(
                Indicator(
                    spec.title,
                    fmt(value, spec.units_label),
                    number(row.get(f"{spec.id}_score")),
                    people,
                )
            )
        if items:
            title = CATEGORY_TITLES.get(name, name.replace("_", " ").capitalize())
            out.append(Category(title, number(row.get(f"{dimension}_{name}")), items))
    return out


def _rank(row: dict[str, Any], count: int) -> dict[str, Any]:
    rank = number(row.get("rank"))
    return {
        "rank": int(rank) if rank is not None else None,
        "of": count,
        "by": str(row.get("rank_by") or "risk"),
    }


def report_context(build: BuildResult, code: str) -> dict[str, Any]:
    """Everything the report template shows for district ``code`` (a row of the build).

    Raises:
        KeyError: The build has no such district (callers check first).
    """
    table = build.districts
    row = table.loc[table["code"].astype(str) == code].iloc[0].to_dict()
    registry = build.registry
    population = number(row.get("population"))
    lines = hazard_lines(registry, row)
    advice: list[TopicAdvice] = guidance_for({h.id: h.level for h in lines if not h.context})
    manifest = build.manifest
    scoring = manifest.get("scoring", {})
    classes = classes_from_manifest(manifest)
    method = str(row.get("method") or scoring.get("method", "geometric"))
    level = hazards.level_code(row.get("hazard_level"))
    return {
        "district": {
            "code": code,
            "name": row.get("name"),
            "name_kk": row.get("name_kk"),
            "name_ru": row.get("name_ru"),
            "note": str(row.get("note") or ""),
            "population": population,
            "area_km2": number(row.get("area_km2")),
        },
        "risk": {
            "value": number(row.get("risk")),
            "class": str(row.get("risk_class") or "no data"),
            "classes": classes.name,
            **_rank(row, len(table)),
            "confidence": row.get("confidence"),
            "confidence_note": str(row.get("confidence_note") or ""),
            "min_coverage": number(row.get("min_coverage")),
            "profile": row.get("profile") or scoring.get("profile"),
            "method": COMBINATION.get(method, method),
        },
        "hazard": {
            "level": level,
            "level_label": hazards.level_label(level),
            "hazards": hazards.titles(registry, row.get("hazard_level_hazards")),
            "score": number(row.get("hazard")),
        },
        "exposed": {
            "people": number(row.get("people_exposed")),
            "share": number(row.get("people_exposed_share")),
        },
        "dimensions": [
            ("Hazard (intensity, all hazards)", number(row.get("hazard"))),
            ("Hazard & exposure", number(row.get("hazard_exposure"))),
            ("Vulnerability", number(row.get("vulnerability"))),
            ("Lack of coping capacity", number(row.get("lack_of_coping"))),
        ],
        "drivers": list(row.get("drivers") or []),
        "hazards": lines,
        "layers": layer_lines(registry, row),
        "vulnerability": {
            "score": number(row.get("vulnerability")),
            "categories": categories(
                registry, row, DIMENSIONS["vulnerability"], "vulnerability", population
            ),
        },
        "lack_of_coping": {
            "score": number(row.get("lack_of_coping")),
            "categories": categories(
                registry, row, DIMENSIONS["lack_of_coping"], "lack_of_coping", None
            ),
        },
        "advice": advice,
        "risk_classes": [(name, inset.class_color(name, classes)) for name in classes.labels],
        "sources": list(
            dict.fromkeys(short_source(spec.source) for spec in registry.values() if spec.source)
        ),
        "build": {
            "title": manifest.get("title"),
            "version": build.version,
            "created": str(manifest.get("created") or "")[:10],
            "code_version": manifest.get("code_version"),
            "attribution": manifest.get("attribution"),
            "illustrative": bool(manifest.get("illustrative")),
        },
    }
