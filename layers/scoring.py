"""From per-layer scores to the composite hazard, risk, class, rank and drivers.

One implementation for every caller: the build (per district and per cell), the API
(districts and composite tiles recomputed on the fly with a planner's weights) and the
notebooks. Inputs are plain tables and arrays of 0-10 scores; nothing here reads files.

INFORM's structure (DESIGN.md, methodology 4-5):

* hazard   = arithmetic mean within each group (water, dust, climate), then across groups
  the adjusted geometric mean (default) or the weighted maximum;
* exposure = the exposure layer's score (people living in the district);
* vulnerability and lack of coping capacity = mean of their indicators' scores;
* risk     = (hazard & exposure)^(1/3) x vulnerability^(1/3) x lack of coping^(1/3), with
  hazard & exposure = sqrt(hazard x exposure), classed at 2.0 / 3.5 / 5.0 / 6.5.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo import index
from geo.errors import ConfigError
from geo.index import CompositeMethod
from layers.registry import Registry

#: Number of drivers named per district.
TOP_DRIVERS = 3
#: Coverage (share of a district's cells with data) of the confidence classes.
CONFIDENCE_BREAKS = {"high": 0.9, "medium": 0.5}
METHODS: tuple[CompositeMethod, ...] = ("geometric", "max")


@dataclass(frozen=True)
class Weighting:
    """The realised weights of one result.

    Attributes:
        profile: The weight profile the weights start from.
        method: How groups combine: ``"geometric"`` (INFORM) or ``"max"``.
        weights: Hazard layer id -> weight, normalised to sum 1 over the built hazards.
        overrides: The per-layer weights the user gave on top of the profile.
    """

    profile: str
    method: CompositeMethod
    weights: dict[str, float]
    overrides: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as reported with every result."""
        return {
            "profile": self.profile,
            "method": self.method,
            "weights": {k: round(v, 6) for k, v in self.weights.items()},
            "overrides": self.overrides,
        }


def weighting(
    registry: Registry,
    profile: str | None = None,
    overrides: Mapping[str, float] | None = None,
    method: str = "geometric",
) -> Weighting:
    """Resolve a profile plus overrides into normalised weights over ``registry``'s hazards.

    Raises:
        ConfigError: Unknown profile, layer or method; negative, NaN or all-zero weights.
    """
    if method not in METHODS:
        raise ConfigError(
            f"unknown composite method {method!r}; choose one of {', '.join(METHODS)}"
        )
    weights = registry.resolve_weights(profile, overrides)
    chosen: CompositeMethod = "max" if method == "max" else "geometric"
    return Weighting(profile or "equal", chosen, weights, dict(overrides or {}))


def _hazard_matrix(
    scores: Mapping[str, npt.ArrayLike], registry: Registry, weights: Mapping[str, float]
) -> tuple[list[str], list[str], npt.NDArray[np.float64], list[float]]:
    ids = [spec.id for spec in registry.hazards if spec.id in scores]
    if not ids:
        raise ConfigError("no hazard layer was built; configure at least one hazard input")
    groups = [registry[i].group for i in ids]
    stacked = np.stack([np.asarray(scores[i], dtype=np.float64) for i in ids], axis=-1)
    w = [float(weights.get(i, 0.0)) for i in ids]
    if not any(v > 0 for v in w):
        raise ConfigError("every built hazard has weight zero; give one a positive weight")
    return ids, groups, stacked, w


def composite_cells(
    scores: Mapping[str, npt.ArrayLike], registry: Registry, weighting: Weighting
) -> npt.NDArray[np.float64]:
    """Composite hazard score (0-10) of every cell from the hazard score arrays.

    Args:
        scores: Hazard layer id -> score array (any shape, all equal); NaN = no data.
            Layers of other roles are ignored.
        registry: The layers of the build.
        weighting: Realised weights and method.

    Returns:
        Array of the common shape; NaN where every hazard is NaN.
    """
    _, groups, stacked, w = _hazard_matrix(scores, registry, weighting.weights)
    total, _ = index.composite(stacked, groups, w, weighting.method)
    return total


def risk_cells(
    hazard: npt.ArrayLike,
    exposure: npt.ArrayLike,
    vulnerability: npt.ArrayLike,
    coping: npt.ArrayLike,
) -> npt.NDArray[np.float64]:
    """INFORM risk (0-10) of cells or districts from its four dimensions, each 0-10."""
    return index.risk(index.hazard_exposure(hazard, exposure), vulnerability, coping)


#: A district table as its columns: a DataFrame, or column name -> 1-D array.
Columns = pd.DataFrame | Mapping[str, npt.ArrayLike]


def _column(table: Columns, name: str) -> npt.NDArray[np.float64]:
    return np.asarray(table[name], dtype=np.float64)


def _role_mean(table: Columns, registry: Registry, role: str, rows: int) -> npt.NDArray[np.float64]:
    cols = [f"{spec.id}_score" for spec in registry.by_role(role) if f"{spec.id}_score" in table]  # type: ignore[arg-type]
    if not cols:
        return np.full(rows, np.nan)
    values = np.stack([_column(table, c) for c in cols], axis=1)
    valid = ~np.isnan(values)
    with np.errstate(invalid="ignore"):
        return np.where(valid.any(axis=1), np.nansum(values, axis=1) / valid.sum(axis=1), np.nan)


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
    """Composite hazard, risk, class, rank, drivers and confidence of every district.

    Args:
        table: One row per district; columns ``<layer>_score`` (0-10, NaN = no data)
            for the built layers and ``<layer>_coverage`` (0-1) for the spatial hazards.
        registry: The layers of the build (its hazards define the composite).
        weighting: Realised weights and method (see :func:`weighting`).

    Returns:
        A frame on ``table``'s index with: ``hazard`` (composite by ``weighting.method``),
        ``hazard_geometric`` and ``hazard_max`` (both methods), ``hazard_<group>`` per
        group, ``exposure``, ``vulnerability``, ``coping`` (lack of coping capacity),
        ``hazard_exposure``, ``risk`` (all 0-10), ``risk_class`` (INFORM label),
        ``rank`` (1 = highest risk; ties share the better rank), ``drivers`` (list of
        ``{"layer", "title", "group", "score", "weight", "contribution"}`` dicts, the
        top three hazards by share of the weighted hazard sum), ``min_coverage``,
        ``confidence`` (``high`` >= 0.9, ``medium`` >= 0.5, else ``low``), ``method``
        and ``profile``.
    """
    return pd.DataFrame(combine_columns(table, registry, weighting, len(table)), index=table.index)


def combine_columns(
    table: Columns, registry: Registry, weighting: Weighting, rows: int
) -> dict[str, Any]:
    """The columns of :func:`combine` (same names, order and values), without a frame.

    Arrays or lists of ``rows`` values, except ``method`` and ``profile``: one string
    each, the same for every row. For callers that need no frame: the API rescores a
    build per request, where building and indexing pandas objects cost more than the
    arithmetic. ``table`` is a frame or column name -> array of ``rows`` values.
    """
    scores = {
        spec.id: _column(table, f"{spec.id}_score")
        for spec in registry.hazards
        if f"{spec.id}_score" in table
    }
    ids, groups, stacked, w = _hazard_matrix(scores, registry, weighting.weights)
    results = {m: index.composite(stacked, groups, w, m) for m in METHODS}
    total, group_scores = results[weighting.method]
    out: dict[str, Any] = {"hazard": total}
    for method in METHODS:
        out[f"hazard_{method}"] = results[method][0]
    for group, values in group_scores.items():
        out[f"hazard_{group}"] = values
    exposure = [spec.id for spec in registry.by_role("exposure") if f"{spec.id}_score" in table]
    out["exposure"] = _column(table, f"{exposure[0]}_score") if exposure else np.full(rows, np.nan)
    out["vulnerability"] = _role_mean(table, registry, "vulnerability", rows)
    out["coping"] = _role_mean(table, registry, "coping", rows)
    out["hazard_exposure"] = index.hazard_exposure(out["hazard"], out["exposure"])
    out["risk"] = index.risk(out["hazard_exposure"], out["vulnerability"], out["coping"])
    out["risk_class"] = index.risk_class_label(out["risk"])
    out["rank"] = index.rank_descending(out["risk"])
    out["drivers"] = _drivers(stacked, ids, registry, w)
    cov_cols = [f"{i}_coverage" for i in ids if f"{i}_coverage" in table]
    min_cov = (
        np.fmin.reduce(np.stack([_column(table, c) for c in cov_cols]), axis=0)
        if cov_cols
        else np.ones(rows)
    )
    out["min_coverage"] = min_cov
    out["confidence"] = confidence(min_cov)
    out["method"] = weighting.method
    out["profile"] = weighting.profile
    return out


def _drivers(
    stacked: npt.NDArray[np.float64], ids: list[str], registry: Registry, weights: list[float]
) -> npt.NDArray[np.object_]:
    """The top hazards by share of the weighted hazard sum, one list per row of ``stacked``.

    An object array (not a list) so that a frame takes it as one column of lists.
    """
    shares = index.contributions(stacked, weights)
    # Stable, so that equal shares keep catalog order (as a per-row argsort would).
    order = np.argsort(-shares, axis=-1, kind="stable")[:, :TOP_DRIVERS]
    total = sum(weights)
    specs = [registry[i] for i in ids]
    realised = [round(v / total, 4) for v in weights]
    out = np.empty(len(stacked), dtype=object)
    for row, (top, row_scores, row_shares) in enumerate(zip(order, stacked, shares, strict=True)):
        items = []
        for k in top:
            if not row_shares[k] > 0:
                break
            spec = specs[k]
            items.append(
                {
                    "layer": spec.id,
                    "title": spec.title,
                    "group": spec.group,
                    "score": round(float(row_scores[k]), 3),
                    "weight": realised[k],
                    "contribution": round(float(row_shares[k]), 4),
                }
            )
        out[row] = items
    return out


def drivers_text(drivers: list[dict[str, Any]] | str) -> str:
    """A short sentence naming the drivers, e.g. ``"Dust-storm days (41%), Heat (30%)"``."""
    items = json.loads(drivers) if isinstance(drivers, str) else drivers
    return ", ".join(f"{d['title']} ({round(100 * d['contribution'])}%)" for d in items)
