"""What a district's preparedness report shows, gathered from a build (no rendering).

:func:`report_context` reads one district row and the registry and returns plain data
for the template (:mod:`api.map.report`): the headline (risk class and rank, hazard
level and hazards, people exposed, side by side), each hazard's level with the
criterion behind it and its people exposed, each layer's district value with its
statistic named beside the area and population-weighted means, vulnerability and lack
of coping capacity with their INFORM categories, and the guidance for the levels.

Every sentence is in the report's language: a :class:`~api.i18n.Translator` translates
the words (catalog titles, guidance, level labels) and formats the numbers and dates.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from aralrisk.api import hazards, i18n
from aralrisk.api.features import statistic
from aralrisk.api.i18n import N_, Translator
from aralrisk.api.map import inset
from aralrisk.api.map.guidance import LevelAdvice, TopicAdvice, guidance_for
from aralrisk.geo import index
from aralrisk.layers.registry import Criterion, HazardSpec, Registry
from aralrisk.layers.result import BuildResult, classes_from_manifest
from aralrisk.layers.scoring import DIMENSIONS

COMBINATION = {
    "geometric": N_("INFORM's adjusted geometric mean across hazards"),
    "max": N_("the maximum across hazards"),
}
#: The district statistics in a few words, for a table cell.
STATISTIC_SHORT = {
    "mean": N_("mean over the district"),
    "weighted_mean": N_("mean where people live"),
    "p90": N_("90th percentile"),
    "max": N_("highest value"),
    "sum": N_("total"),
    "people": N_("in the district"),
    "table": N_("district statistics"),
}
#: How the INFORM categories of vulnerability and lack of coping are named in print.
CATEGORY_TITLES = {
    "vulnerable_groups": N_("Vulnerable groups"),
    "socio_economic": N_("Socio-economic vulnerability"),
    "access_to_health": N_("Access to health care"),
    "physical_access": N_("Physical access"),
}
#: The district's note in the sample (data, translated where shown).
_NOTES = (
    N_("Baikonur is a city leased to Russia, and its population is not part of the oblast total."),
)


def _default(tr: Translator | None) -> Translator:
    return tr or i18n.translator(i18n.DEFAULT_LANG)


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


def fmt(value: float | None, units: str = "", tr: Translator | None = None) -> str:
    """A value for print: 3 significant-ish digits, thousands separated, with units.

    Numbers and units in ``tr``'s language (``1,234.5 m`` in English, ``1 234,5 м`` in
    Russian); English by default.
    """
    tr = _default(tr)
    if value is None:
        return tr("no data")
    digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
    text = tr.number(value, digits)
    return f"{text} {tr(units) if units else ''}".strip()


def criterion_text(registry: Registry, criterion: Criterion, tr: Translator) -> str:
    """A level criterion in words, in ``tr``'s language (as :func:`api.hazards.criterion_text`)."""
    spec = registry.get(criterion.layer)
    units = spec.units_label if spec is not None else ""
    # Translated whole, then cut: the catalogues hold the full titles, not the cut ones.
    title = hazards.short_title(tr(spec.title)) if spec is not None else criterion.layer
    digits = 0 if float(criterion.threshold).is_integer() else 2
    value = f"{tr.number(criterion.threshold, digits).rstrip('0').rstrip(',.')}"
    value = f"{value} {tr(units)}".strip() if units else value
    where = (
        tr("anywhere in the district")
        if criterion.area_fraction == 0
        else tr("on ≥ {share}% of the area", share=format(100 * criterion.area_fraction, "g"))
    )
    return tr("{layer} above {value} {where}", layer=title, value=value, where=where)


def reached_text(registry: Registry, hazard: HazardSpec, level: int, tr: Translator) -> str:
    """Why a district is at ``level`` (as :func:`api.hazards.reached_text`), translated."""
    if level < index.VERY_LOW:
        return "–"
    found = registry.criteria(hazard)
    if level == index.VERY_LOW:
        return tr("below low: {rule}", rule=criterion_text(registry, found[0], tr))
    return criterion_text(registry, found[min(level, index.HIGH) - 1], tr)


def hazard_lines(
    registry: Registry, row: dict[str, Any], tr: Translator | None = None
) -> list[HazardLine]:
    """Every hazard of the build for one district row, weighted ones first."""
    tr = _default(tr)
    lines = []
    for found in hazards.results(registry, row):
        rule = found["exposure_rule"]
        lines.append(
            HazardLine(
                id=found["id"],
                title=tr(found["title"]),
                context=found["context"],
                level=found["level"],
                level_label=tr(found["level_label"]),
                reached=reached_text(registry, registry.hazard(found["id"]), found["level"], tr),
                exposure_rule=rule["text"] if rule else "",
                people_exposed=found["people_exposed"],
                exposed_share=found["exposed_share"],
                exposure=found["exposure"],
                score=found["score"],
            )
        )
    return sorted(lines, key=lambda line: line.context)


def layer_lines(
    registry: Registry, row: dict[str, Any], tr: Translator | None = None
) -> list[LayerLine]:
    """Every spatial layer's district value, statistic named, with both means."""
    tr = _default(tr)
    lines = []
    for spec in registry.values():
        if not spec.spatial or f"{spec.id}_value" not in row:
            continue
        kind = statistic(spec)
        units = spec.district_units_label or spec.units_label
        level = hazards.level_code(row.get(f"{spec.id}_level"))
        hazard = ""
        if spec.role == "hazard":
            hazard = next((tr(h.title) for h in registry.hazards if spec.id in h.layers), "")
        lines.append(
            LayerLine(
                id=spec.id,
                title=hazards.short_title(tr(spec.title)),
                hazard=hazard,
                value=fmt(number(row.get(f"{spec.id}_value")), units, tr),
                statistic=tr(STATISTIC_SHORT[kind]),
                mean=fmt(number(row.get(f"{spec.id}_mean")), spec.units_label, tr),
                pop_mean=fmt(number(row.get(f"{spec.id}_pop_mean")), spec.units_label, tr),
                scored=kind,
                level=level,
                level_label=tr(hazards.level_label(level)),
            )
        )
    return lines


def categories(
    registry: Registry,
    row: dict[str, Any],
    role: str,
    dimension: str,
    population: float | None,
    tr: Translator | None = None,
) -> list[Category]:
    """A dimension's INFORM categories with their scores and indicators."""
    tr = _default(tr)
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
                    tr(spec.title),
                    fmt(value, spec.units_label, tr),
                    number(row.get(f"{spec.id}_score")),
                    people,
                )
            )
        if items:
            title = tr(CATEGORY_TITLES.get(name, name.replace("_", " ").capitalize()))
            out.append(Category(title, number(row.get(f"{dimension}_{name}")), items))
    return out


def _profile_title(registry: Registry, profile: Any, tr: Translator) -> str:
    """A weight profile's title in ``tr``'s language (its id when unknown)."""
    found = registry.profiles.get(str(profile)) if profile else None
    return tr(found.title) if found is not None else str(profile or "")


def _rank(row: dict[str, Any], count: int) -> dict[str, Any]:
    rank = number(row.get("rank"))
    return {
        "rank": int(rank) if rank is not None else None,
        "of": count,
        "by": str(row.get("rank_by") or "risk"),
    }


def translated_advice(advice: list[TopicAdvice], tr: Translator) -> list[TopicAdvice]:
    """The guidance in ``tr``'s language (titles, meanings, actions, level labels)."""
    return [
        TopicAdvice(
            id=t.id,
            title=tr(t.title),
            about=tr(t.about),
            level=t.level,
            level_label=tr(t.level_label),
            advice=LevelAdvice(
                meaning=tr(t.advice.meaning), actions=tuple(tr(a) for a in t.advice.actions)
            ),
        )
        for t in advice
    ]


def build_facts(build: BuildResult, tr: Translator) -> dict[str, Any]:
    """What a report says of its build: title, version, dates, attribution."""
    manifest = build.manifest
    created = manifest.get("created")
    return {
        "title": manifest.get("title"),
        "version": build.version,
        "created": str(created or "")[:10],
        "created_label": tr.date(str(created)) if created else "",
        "code_version": manifest.get("code_version"),
        "attribution": manifest.get("attribution"),
        "illustrative": bool(manifest.get("illustrative")),
    }


def report_context(build: BuildResult, code: str, tr: Translator | None = None) -> dict[str, Any]:
    """Everything the report template shows for district ``code`` (a row of the build).

    Args:
        build: The build.
        code: The district's code.
        tr: The report's language (English by default).

    Raises:
        KeyError: The build has no such district (callers check first).
    """
    tr = _default(tr)
    table = build.districts
    row = table.loc[table["code"].astype(str) == code].iloc[0].to_dict()
    registry = build.registry
    population = number(row.get("population"))
    lines = hazard_lines(registry, row, tr)
    advice = translated_advice(guidance_for({h.id: h.level for h in lines if not h.context}), tr)
    manifest = build.manifest
    scoring = manifest.get("scoring", {})
    classes = classes_from_manifest(manifest)
    method = str(row.get("method") or scoring.get("method", "geometric"))
    level = hazards.level_code(row.get("hazard_level"))
    return {
        "district": {
            "code": code,
            "name": i18n.district_name(code, tr.lang, row),
            "names": [
                (lang, i18n.district_name(code, lang, row))
                for lang in i18n.LANGUAGES
                if lang != tr.lang
            ],
            "name_kk": i18n.district_name(code, "kk", row),
            "name_ru": i18n.district_name(code, "ru", row),
            "note": tr(str(row.get("note") or "")) if row.get("note") else "",
            "population": population,
            "area_km2": number(row.get("area_km2")),
        },
        "risk": {
            "value": number(row.get("risk")),
            "class": str(row.get("risk_class") or "no data"),
            "class_label": tr(str(row.get("risk_class") or "no data")),
            "classes": classes.name,
            **_rank(row, len(table)),
            "confidence": row.get("confidence"),
            "confidence_label": tr(str(row.get("confidence") or "no data")),
            "confidence_note": str(row.get("confidence_note") or ""),
            "min_coverage": number(row.get("min_coverage")),
            "profile": row.get("profile") or scoring.get("profile"),
            "profile_title": _profile_title(
                registry, row.get("profile") or scoring.get("profile"), tr
            ),
            "method": tr(COMBINATION.get(method, method)),
        },
        "hazard": {
            "level": level,
            "level_label": tr(hazards.level_label(level)),
            "hazards": [tr(t) for t in hazards.titles(registry, row.get("hazard_level_hazards"))],
            "score": number(row.get("hazard")),
        },
        "exposed": {
            "people": number(row.get("people_exposed")),
            "share": number(row.get("people_exposed_share")),
        },
        # (key, label, value): the key picks the categories shown beside a dimension.
        "dimensions": [
            ("hazard", tr("Hazard (intensity, all hazards)"), number(row.get("hazard"))),
            ("hazard_exposure", tr("Hazard & exposure"), number(row.get("hazard_exposure"))),
            ("vulnerability", tr("Vulnerability"), number(row.get("vulnerability"))),
            ("lack_of_coping", tr("Lack of coping capacity"), number(row.get("lack_of_coping"))),
        ],
        "drivers": [{**d, "title": tr(str(d.get("title", "")))} for d in row.get("drivers") or []],
        "hazards": lines,
        "layers": layer_lines(registry, row, tr),
        "vulnerability": {
            "score": number(row.get("vulnerability")),
            "categories": categories(
                registry, row, DIMENSIONS["vulnerability"], "vulnerability", population, tr
            ),
        },
        "lack_of_coping": {
            "score": number(row.get("lack_of_coping")),
            "categories": categories(
                registry, row, DIMENSIONS["lack_of_coping"], "lack_of_coping", None, tr
            ),
        },
        "advice": advice,
        "risk_classes": [(tr(name), inset.class_color(name, classes)) for name in classes.labels],
        "sources": list(
            dict.fromkeys(short_source(spec.source) for spec in registry.values() if spec.source)
        ),
        "build": build_facts(build, tr),
    }
