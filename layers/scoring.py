"""From per-layer scores to INFORM's dimensions, risk, class, rank and drivers.

One implementation for every caller: the build (per district and per cell), the API
(districts and composite tiles recomputed on the fly with a planner's weights) and the
notebooks. Inputs are plain tables and arrays; nothing here reads files. The structure
is INFORM's (docs/methodology.md):

* a hazard's intensity score is the weighted mean of its layers' scores; the composite
  **hazard** (ThinkHazard!'s view: how intense, not who is hit) combines the hazards by
  the adjusted geometric mean (default) or the weighted maximum;
* **hazard & exposure** combines, by the same method, each hazard's exposure score: the
  mean of the absolute (log10 people) and relative (share of the people) scores of the
  people living where the hazard reaches its threshold (computed by the build);
* **vulnerability** and **lack of coping capacity**: arithmetic mean of the indicators of
  each INFORM category, then the adjusted geometric mean of the categories;
* **risk** = HE^(1/3) x V^(1/3) x LCC^(1/3), classed with a named INFORM release.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from aralrisk.geo import index
from aralrisk.geo.errors import ConfigError
from aralrisk.geo.index import CompositeMethod, RiskClasses
from aralrisk.layers.registry import HazardSpec, Registry

__all__ = ["DIMENSIONS", "Weighting", "combine", "composite_cells", "drivers_text", "weighting"]

#: Number of drivers named per district.
TOP_DRIVERS = 3
#: Coverage (share of a district's cells with data) of the confidence classes.
CONFIDENCE_BREAKS = {"high": 0.9, "medium": 0.5}
METHODS: tuple[CompositeMethod, ...] = ("geometric", "max")
#: The dimensions of risk besides hazard & exposure, with the role of their indicators.
DIMENSIONS = {"vulnerability": "vulnerability", "lack_of_coping": "coping"}


@dataclass(frozen=True)
class Weighting:
    """The realised weights of one result.

    Attributes:
        profile: The weight profile the weights start from.
        method: How hazards combine: ``"geometric"`` (INFORM) or ``"max"``.
        weights: Hazard id -> weight, normalised to sum 1 over the registry's hazards
            (context hazards 0 unless weighted).
        layer_weights: Hazard layer id -> weight within its hazard (sum 1 per hazard).
        overrides: The weights the user gave on top of the profile (hazards or layers).
        classes: The risk class cut-offs, named by their INFORM release.

    Examples:
        Made by :func:`weighting`; equal weights with dust weighed twice:

        >>> chosen = weighting(result.registry, "equal", {"dust": 2})
        >>> chosen.profile, chosen.method, chosen.classes.name
        ('equal', 'geometric', 'INFORM Risk 2025 (v0.7.0)')
        >>> chosen.to_dict()["weights"]
        {'river_flood': 0.166667, 'salinity': 0.166667, 'dust': 0.333333, 'heat': 0.166667,
         'drought': 0.166667, 'warming': 0.0, 'drought_status': 0.0}
    """

    profile: str
    method: CompositeMethod
    weights: dict[str, float]
    layer_weights: dict[str, float] = field(default_factory=dict)
    overrides: dict[str, float] = field(default_factory=dict)
    classes: RiskClasses = index.INFORM_2025

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as reported with every result."""
        return {
            "profile": self.profile,
            "method": self.method,
            "weights": {k: round(v, 6) for k, v in self.weights.items()},
            "layer_weights": {k: round(v, 6) for k, v in self.layer_weights.items()},
            "overrides": self.overrides,
            "classes": classes_dict(self.classes),
        }


def classes_dict(classes: RiskClasses) -> dict[str, Any]:
    """A release's class cut-offs as reported in manifests and by the API."""
    return {"name": classes.name, "breaks": list(classes.breaks), "labels": list(classes.labels)}


def weighting(
    registry: Registry,
    profile: str | None = None,
    overrides: Mapping[str, float] | None = None,
    method: str = "geometric",
    classes: RiskClasses = index.INFORM_2025,
) -> Weighting:
    """Resolve a profile plus overrides (by hazard or layer) into realised weights.

    Raises:
        ConfigError: Unknown profile, hazard, layer or method; negative, NaN or all-zero
            weights.

    Examples:
        >>> from aralrisk.layers.registry import load_catalog
        >>> chosen = weighting(load_catalog(), "equal", {"dust": 2}, method="max")
        >>> chosen.method, round(chosen.weights["dust"], 3), chosen.overrides
        ('max', 0.333, {'dust': 2})
        >>> weighting(load_catalog(), "nope")
        Traceback (most recent call last):
        ...
        aralrisk.geo.errors.ConfigError: unknown weight profile 'nope'; choose one of equal, ...
    """
    if method not in METHODS:
        raise ConfigError(
            f"unknown composite method {method!r}; choose one of {', '.join(METHODS)}"
        )
    resolved = registry.resolve_weights(profile, overrides)
    chosen: CompositeMethod = "max" if method == "max" else "geometric"
    return Weighting(
        profile or "equal",
        chosen,
        resolved.hazards,
        resolved.layers,
        dict(overrides or {}),
        classes,
    )


#: A district table as its columns: a DataFrame, or column name -> 1-D array.
Columns = pd.DataFrame | Mapping[str, npt.ArrayLike]


def _column(table: Columns, name: str) -> npt.NDArray[np.float64]:
    return np.asarray(table[name], dtype=np.float64)


def _hazard_layers(
    scores: Mapping[str, Any], registry: Registry, weighting: Weighting
) -> tuple[list[str], list[str], list[float]]:
    """The built hazard layers, the hazard of each, and each one's share of the whole."""
    ids, groups, weights = [], [], []
    for hazard in registry.hazards:
        for layer in hazard.layers:
            if layer in scores:
                ids.append(layer)
                groups.append(hazard.id)
                weights.append(
                    weighting.weights.get(hazard.id, 0.0) * weighting.layer_weights.get(layer, 0.0)
                )
    if not ids:
        raise ConfigError("no hazard layer was built; configure at least one hazard input")
    if not any(w > 0 for w in weights):
        raise ConfigError("every built hazard has weight zero; give one a positive weight")
    return ids, groups, weights


def composite_cells(
    scores: Mapping[str, npt.ArrayLike], registry: Registry, weighting: Weighting
) -> npt.NDArray[np.float64]:
    """Composite hazard score (0-10) of every cell from the hazard layers' score arrays.

    Args:
        scores: Hazard layer id -> score array (any shape, all equal); NaN = no data.
            Layers of other roles are ignored.
        registry: The layers and hazards of the build.
        weighting: Realised weights and method.

    Returns:
        Array of the common shape; NaN where every weighted hazard is NaN.

    Examples:
        Two cells scored for dust and heat only (the other hazards have no data there):

        >>> import numpy as np
        >>> from aralrisk.layers.registry import load_catalog
        >>> catalog = load_catalog()
        >>> scores = {"dust_days": np.array([[2.0, 8.0]]), "heat_days": np.array([[6.0, 6.0]])}
        >>> composite_cells(scores, catalog, weighting(catalog)).round(2)
        array([[4.29, 7.12]])
    """
    ids, groups, w = _hazard_layers(scores, registry, weighting)
    stacked = np.stack([np.asarray(scores[i], dtype=np.float64) for i in ids], axis=-1)
    total, _ = index.composite(stacked, groups, w, weighting.method)
    return total


def dimension(table: Columns, registry: Registry, role: str, rows: int) -> dict[str, Any]:
    """A dimension from its indicators: category means, then their AGM.

    Returns:
        ``{"score": (rows,), "categories": {category: (rows,)}}``; NaN where no
        indicator of the dimension has a value.
    """
    categories: dict[str, npt.NDArray[np.float64]] = {}
    for name, specs in registry.categories(role).items():  # type: ignore[arg-type]
        cols = [f"{s.id}_score" for s in specs if f"{s.id}_score" in table]
        if cols:
            categories[name] = index.weighted_mean(
                np.stack([_column(table, c) for c in cols], axis=-1)
            )
    if not categories:
        return {"score": np.full(rows, np.nan), "categories": {}}
    score = index.adjusted_geometric_mean(np.stack(list(categories.values()), axis=-1))
    return {"score": score, "categories": categories}


def confidence(coverage: npt.ArrayLike) -> list[str]:
    """Confidence flag from the lowest data coverage of a district's hazard layers."""
    cov = np.asarray(coverage, dtype=np.float64)
    flags = np.where(
        cov >= CONFIDENCE_BREAKS["high"],
        "high",
        np.where(cov >= CONFIDENCE_BREAKS["medium"], "medium", "low"),
    )
    return [str(flag) for flag in flags.ravel()]


def combine(table: pd.DataFrame, registry: Registry, weighting: Weighting) -> pd.DataFrame:
    """Hazard, hazard & exposure, dimensions, risk, class, ranks and drivers per district.

    Args:
        table: One row per district with, per built layer, ``<layer>_score`` (0-10,
            NaN = no data) and for spatial layers ``<layer>_coverage`` (0-1) and
            optionally ``<layer>_completeness`` (share of the time series kept by the
            missing-data checks); per hazard ``<hazard>_level``, ``<hazard>_exposed``
            (people) and ``<hazard>_exposure`` (score 0-10); ``people_exposed``.
        registry: The layers and hazards of the build.
        weighting: Realised weights and method (see :func:`weighting`).

    Returns:
        A frame on ``table``'s index with the columns of :func:`combine_columns`.

    Examples:
        The tiny world's districts combined again under other weights (what
        :meth:`BuildResult.rescore` does):

        >>> chosen = weighting(result.registry, "equal", {"dust": 2})
        >>> combined = combine(result.table(), result.registry, chosen)
        >>> combined[["risk", "risk_class", "rank"]].round(2)
              risk risk_class  rank
        code
        A     7.51  Very High   1.0
        B     4.04     Medium   2.0
        C     2.50        Low   3.0
        D     2.25        Low   4.0
        >>> drivers_text(combined.loc["A", "drivers"])
        'Dust and salt storms (45%), Salty groundwater (22%), Extreme heat (21%)'
    """
    return pd.DataFrame(combine_columns(table, registry, weighting, len(table)), index=table.index)


def combine_columns(
    table: Columns, registry: Registry, weighting: Weighting, rows: int
) -> dict[str, Any]:
    """The columns of :func:`combine` (same names, order and values), without a frame.

    ``<hazard>_score`` per hazard (intensity 0-10); ``hazard`` (by ``weighting.method``),
    ``hazard_geometric``, ``hazard_max``; ``hazard_level`` (the highest level of a
    non-context hazard, -2 without any) and ``hazard_level_hazards`` (the hazards at that
    level); ``hazard_exposure``; ``vulnerability`` and ``lack_of_coping`` with their
    ``<dimension>_<category>`` scores; ``risk``; ``risk_class`` (label of
    ``weighting.classes``); ``rank`` (1 = highest risk, or highest hazard in a build
    without the other dimensions; NaN without a value) and ``rank_by``; ``rank_hazard``
    and ``rank_exposed`` (by people exposed); ``drivers``; ``min_coverage``,
    ``confidence`` and ``confidence_note``; ``method``, ``profile`` and ``classes``.

    Arrays or lists of ``rows`` values, except ``method``, ``profile``, ``rank_by`` and
    ``classes``: one string each, the same for every row. For callers that need no
    frame: the API rescores a build per request.
    """
    scores = {
        spec.id: _column(table, f"{spec.id}_score")
        for spec in registry.hazard_layers
        if f"{spec.id}_score" in table
    }
    ids, groups, w = _hazard_layers(scores, registry, weighting)
    stacked = np.stack([scores[i] for i in ids], axis=-1)
    results = {m: index.composite(stacked, groups, w, m) for m in METHODS}
    total, per_hazard = results[weighting.method]
    built = [h for h in registry.hazards if h.id in dict.fromkeys(groups)]
    out: dict[str, Any] = {}
    # Every built hazard's intensity, weighted or not (a zero weight drops it from the
    # composite, not from the table).
    for hazard in built:
        members = [k for k, g in enumerate(groups) if g == hazard.id]
        within = [weighting.layer_weights.get(ids[k], 0.0) for k in members]
        out[f"{hazard.id}_score"] = (
            per_hazard[hazard.id]
            if hazard.id in per_hazard
            else index.weighted_mean(stacked[:, members], within)
        )
    out["hazard"] = total
    for method in METHODS:
        out[f"hazard_{method}"] = results[method][0]
    out |= _headline_level(table, registry, rows)
    exposure = _exposure(table, built, weighting, rows)
    out["hazard_exposure"] = exposure["score"]
    dims = {name: dimension(table, registry, role, rows) for name, role in DIMENSIONS.items()}
    for name, dim in dims.items():
        out[name] = dim["score"]
        for category, values in dim["categories"].items():
            out[f"{name}_{category}"] = values
    out["risk"] = index.risk(out["hazard_exposure"], out["vulnerability"], out["lack_of_coping"])
    out["risk_class"] = index.risk_class_label(np.atleast_1d(out["risk"]), weighting.classes)
    has_risk = exposure["available"] and all(dim["categories"] for dim in dims.values())
    out["rank"] = index.rank_descending(out["risk"] if has_risk else out["hazard"])
    out["rank_by"] = "risk" if has_risk else "hazard"
    out["rank_hazard"] = index.rank_descending(out["hazard"])
    people = (
        _column(table, "people_exposed") if "people_exposed" in table else np.full(rows, np.nan)
    )
    out["rank_exposed"] = index.rank_descending(people)
    out["drivers"] = _drivers(table, out, built, weighting, exposure["available"], rows)
    out |= _confidence(table, registry, ids, w, out, dims, exposure["available"], rows)
    out["method"] = weighting.method
    out["profile"] = weighting.profile
    out["classes"] = weighting.classes.name
    return out


def _headline_level(table: Columns, registry: Registry, rows: int) -> dict[str, Any]:
    """The highest ThinkHazard! level of the non-context hazards, and which hazards."""
    hazards = [h for h in registry.weighted_hazards if f"{h.id}_level" in table]
    if not hazards:
        return {
            "hazard_level": np.full(rows, index.NO_DATA, dtype=np.int64),
            "hazard_level_hazards": _object_column([[] for _ in range(rows)]),
        }
    levels = np.stack([_column(table, f"{h.id}_level") for h in hazards], axis=-1)
    top = levels.max(axis=-1).astype(np.int64)
    at_top = [
        [h.id for h, level in zip(hazards, row, strict=True) if level == best and best >= index.LOW]
        for row, best in zip(levels, top, strict=True)
    ]
    return {"hazard_level": top, "hazard_level_hazards": _object_column(at_top)}


def _exposure(
    table: Columns, hazards: list[HazardSpec], weighting: Weighting, rows: int
) -> dict[str, Any]:
    """Hazard & exposure: the weighted hazards' exposure scores combined by the method."""
    counted = [h for h in hazards if h.exposure is not None and f"{h.id}_exposure" in table]
    weights = [weighting.weights.get(h.id, 0.0) for h in counted]
    if not counted or not any(v > 0 for v in weights):
        return {"score": np.full(rows, np.nan), "available": False}
    values = np.stack([_column(table, f"{h.id}_exposure") for h in counted], axis=-1)
    combine = (
        index.adjusted_geometric_mean if weighting.method == "geometric" else index.weighted_max
    )
    return {"score": combine(values, weights), "available": True}


def _object_column(items: list[Any]) -> npt.NDArray[np.object_]:
    """An object array (not a list) so that a frame takes it as one column of lists."""
    out = np.empty(len(items), dtype=object)
    for k, item in enumerate(items):
        out[k] = item
    return out


def _drivers(
    table: Columns,
    combined: Mapping[str, Any],
    hazards: list[HazardSpec],
    weighting: Weighting,
    with_exposure: bool,
    rows: int,
) -> npt.NDArray[np.object_]:
    """The top weighted hazards by share of the weighted exposure (or intensity) sum.

    Risk rests on hazard & exposure, so a driver is a hazard whose exposure score, times
    its weight, makes up a large share of the district's; in a build without exposure
    the intensity scores stand in. Context hazards are never drivers.
    """
    candidates = [h for h in hazards if not h.context and weighting.weights.get(h.id, 0.0) > 0]
    if with_exposure:
        candidates = [h for h in candidates if f"{h.id}_exposure" in table]
    if not candidates:
        return _object_column([[] for _ in range(rows)])

    def column(name: str) -> npt.NDArray[np.float64]:
        source = combined if name in combined else table
        return _column(source, name) if name in source else np.full(rows, np.nan)

    kind = "exposure" if with_exposure else "score"
    basis = np.stack([column(f"{h.id}_{kind}") for h in candidates], axis=-1)
    weights = [weighting.weights[h.id] for h in candidates]
    shares = index.contributions(basis, weights)
    order = np.argsort(-shares, axis=-1, kind="stable")[:, :TOP_DRIVERS]

    def value(name: str, row: int, digits: int = 3) -> float | None:
        v = float(column(name)[row])
        return round(v, digits) if np.isfinite(v) else None

    items: list[list[dict[str, Any]]] = []
    for row in range(rows):
        picked = []
        for k in order[row]:
            if not shares[row, k] > 0:
                break
            hazard = candidates[k]
            level = value(f"{hazard.id}_level", row)
            picked.append(
                {
                    "hazard": hazard.id,
                    "title": hazard.title,
                    "group": hazard.group,
                    "score": value(f"{hazard.id}_score", row),
                    "exposure": value(f"{hazard.id}_exposure", row),
                    "level": int(level) if level is not None else index.NO_DATA,
                    "people_exposed": value(f"{hazard.id}_exposed", row, 0),
                    "weight": round(weights[k], 4),
                    "contribution": round(float(shares[row, k]), 4),
                }
            )
        items.append(picked)
    return _object_column(items)


def _confidence(
    table: Columns,
    registry: Registry,
    ids: list[str],
    weights: list[float],
    out: Mapping[str, Any],
    dims: Mapping[str, Mapping[str, Any]],
    with_exposure: bool,
    rows: int,
) -> dict[str, Any]:
    """Confidence from data coverage and completeness, and a note saying what is missing."""
    parts = []
    for layer, weight in zip(ids, weights, strict=True):
        if weight <= 0 or f"{layer}_coverage" not in table:
            continue
        cov = _column(table, f"{layer}_coverage")
        if f"{layer}_completeness" in table:
            cov = cov * np.nan_to_num(_column(table, f"{layer}_completeness"), nan=0.0)
        parts.append(cov)
    min_cov = np.fmin.reduce(np.stack(parts), axis=0) if parts else np.ones(rows)
    flags = confidence(min_cov)
    # Vulnerability and coping transferred from other boundaries (layers/transfer.py)
    # are estimates: one confidence step lower, and the note says why.
    moved = (
        _column(table, "table_transferred") > 0
        if "table_transferred" in table
        else np.zeros(rows, dtype=bool)
    )
    notes: list[str] = []
    for row in range(rows):
        missing = []
        if not np.isfinite(out["hazard"][row]):
            missing.append("hazard")
        if with_exposure and not np.isfinite(out["hazard_exposure"][row]):
            missing.append("hazard & exposure")
        for name, dim in dims.items():
            if dim["categories"] and not np.isfinite(dim["score"][row]):
                missing.append(name.replace("_", " "))
        if missing:
            flags[row] = "low"
            notes.append("no data for " + ", ".join(missing))
        elif flags[row] != "high":
            notes.append(f"hazard data cover {min_cov[row]:.0%} of the district")
        else:
            notes.append("")
        if moved[row]:
            flags[row] = "medium" if flags[row] == "high" else "low"
            note = "vulnerability and coping transferred from other boundaries"
            notes[-1] = f"{notes[-1]}; {note}" if notes[-1] else note
    return {"min_coverage": min_cov, "confidence": flags, "confidence_note": notes}


def drivers_text(drivers: list[dict[str, Any]] | str) -> str:
    """A short sentence naming the drivers, e.g. ``"Dust and salt storms (41%), Heat (30%)"``.

    Examples:
        ``drivers`` as a build stores them (a JSON list) or as a list of dicts:

        >>> drivers_text(result.table().loc["A", "drivers"])
        'Salty groundwater (29%), Dust and salt storms (29%), Extreme heat (27%)'
        >>> drivers_text([{"title": "Extreme heat", "contribution": 0.5}])
        'Extreme heat (50%)'
    """
    items = json.loads(drivers) if isinstance(drivers, str) else drivers
    return ", ".join(f"{d['title']} ({round(100 * d['contribution'])}%)" for d in items)
