"""Hazards explained: their level rules, criteria and exposure, and one district's levels.

Pure functions of the registry and a district row (a build table row, a rescored row
or the row ``POST /zonal`` makes), shared by ``GET /hazards``, ``/districts/{code}``,
``/zonal``, the map's popups and the district report, so that every place says the
same thing in the same words.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aralrisk.api.encoding import number
from aralrisk.geo import index
from aralrisk.layers.registry import Criterion, HazardSpec, Registry


def level_label(level: Any) -> str:
    """The label of a level code (``"no data"`` when it is missing)."""
    try:
        return index.LEVEL_LABELS[int(level)]
    except (TypeError, ValueError, KeyError):
        return index.LEVEL_LABELS[index.NO_DATA]


def level_code(value: Any) -> int:
    """A level code from a table value (:data:`~geo.index.NO_DATA` when missing)."""
    found = number(value)
    return int(found) if found is not None else index.NO_DATA


def short_title(title: str) -> str:
    """A layer title without its parenthesis: ``"Hot days"``."""
    return title.split(" (")[0]


def _units(registry: Registry, layer: str) -> str:
    return registry[layer].units_label if layer in registry else ""


def _layer_title(registry: Registry, layer: str) -> str:
    return short_title(registry[layer].title) if layer in registry else layer


def criterion_text(registry: Registry, criterion: Criterion) -> str:
    """One criterion in words: ``"Hot days above 40 days/yr on ≥ 10% of the area"``."""
    value = f"{criterion.threshold:g} {_units(registry, criterion.layer)}".strip()
    where = (
        "anywhere in the district"
        if criterion.area_fraction == 0
        else f"on ≥ {100 * criterion.area_fraction:g}% of the area"
    )
    return f"{_layer_title(registry, criterion.layer)} above {value} {where}"


def criteria(registry: Registry, hazard: HazardSpec) -> list[dict[str, Any]]:
    """The low, medium and high criteria of a hazard, each with its units and text."""
    return [
        {
            "level": index.LOW + k,
            "level_label": level_label(index.LOW + k),
            "layer": c.layer,
            "threshold": c.threshold,
            "units": _units(registry, c.layer),
            "area_fraction": c.area_fraction,
            "text": criterion_text(registry, c),
        }
        for k, c in enumerate(registry.criteria(hazard))
    ]


def exposure_rule(registry: Registry, hazard: HazardSpec) -> dict[str, Any] | None:
    """Who counts as exposed to a hazard, with the threshold's units and in words."""
    rule = hazard.exposure
    if rule is None:
        return None
    value = f"{rule.threshold:g} {_units(registry, rule.layer)}".strip()
    return {
        "layer": rule.layer,
        "threshold": rule.threshold,
        "units": _units(registry, rule.layer),
        "text": f"people living where {_layer_title(registry, rule.layer).lower()} "
        f"is above {value}",
    }


def reached_text(registry: Registry, hazard: HazardSpec, level: int) -> str:
    """Why a district is at ``level``: the criterion reached (or the lowest not reached)."""
    if level < index.VERY_LOW:
        return "–"
    found = registry.criteria(hazard)
    if level == index.VERY_LOW:
        return "below low: " + criterion_text(registry, found[0])
    return criterion_text(registry, found[min(level, index.HIGH) - 1])


def summary(registry: Registry, hazard: HazardSpec, weight: float | None) -> dict[str, Any]:
    """A hazard of the catalog as ``GET /hazards`` lists it.

    Args:
        registry: The build's registry.
        hazard: The hazard.
        weight: Its realised weight under the build's weights (sum 1 over hazards).
    """
    return {
        "id": hazard.id,
        "title": hazard.title,
        "group": hazard.group,
        "description": hazard.description,
        "rule": hazard.rule,
        "context": hazard.context,
        "weight": weight,
        "layers": [
            {"id": layer, "title": registry[layer].title, "weight": w}
            for layer, w in hazard.layers.items()
            if layer in registry
        ],
        "missing_layers": list(hazard.missing),
        "criteria": criteria(registry, hazard),
        "exposure": exposure_rule(registry, hazard),
    }


def result(registry: Registry, hazard: HazardSpec, row: Mapping[str, Any]) -> dict[str, Any]:
    """One hazard's outcome in a district row: level and why, people exposed, scores."""
    level = level_code(row.get(f"{hazard.id}_level"))
    return {
        "id": hazard.id,
        "title": hazard.title,
        "group": hazard.group,
        "context": hazard.context,
        "level": level,
        "level_label": level_label(level),
        "reached": reached_text(registry, hazard, level),
        "rule": hazard.rule,
        "criteria": criteria(registry, hazard),
        "exposure_rule": exposure_rule(registry, hazard),
        "coverage": number(row.get(f"{hazard.id}_coverage")),
        "people_exposed": number(row.get(f"{hazard.id}_exposed")),
        "exposed_share": number(row.get(f"{hazard.id}_exposed_share")),
        "exposure": number(row.get(f"{hazard.id}_exposure")),
        "score": number(row.get(f"{hazard.id}_score")),
    }


def results(registry: Registry, row: Mapping[str, Any]) -> list[dict[str, Any]]:
    """:func:`result` of every hazard the row has a level for, in catalog order."""
    return [result(registry, h, row) for h in registry.hazards if f"{h.id}_level" in row]


def titles(registry: Registry, ids: Any) -> list[str]:
    """Titles of hazard ids (unknown ids as they are)."""
    known = {h.id: h.title for h in registry.hazards}
    return [known.get(str(i), str(i)) for i in (ids or [])]
