"""Many weightings at once: risk, class and rank per weight draw, and rank stability.

A sensitivity study re-scores one build under thousands of hazard weightings. Only the
hazard-weighted parts change (the composite hazard, hazard & exposure, risk, class and
rank); layer scores, hazard intensities, exposure scores, vulnerability and lack of
coping do not. So :func:`rescore_many` computes the fixed parts once and the weighted
ones for every draw at once, with the draws as a leading array axis (the AGM's weighted
sum of log gaps is one matrix product of the draws' weights): each draw's numbers are
those of :meth:`BuildResult.rescore` with that draw's weights, to a few units in the
last place (risks within 1e-12, the same classes and ranks; districts with the same
inputs tie as they do there).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd
import xarray as xr

from aralrisk.geo import index
from aralrisk.geo.errors import ConfigError
from aralrisk.layers import scoring

if TYPE_CHECKING:
    from aralrisk.layers.result import BuildResult

FloatArray = npt.NDArray[np.float64]
__all__ = ["ManyScores", "rank_stability", "rescore_many"]

#: Booleans held at once when ranking (draws x districts x districts): about 32 MB.
_RANK_CELLS = 32_000_000


@dataclass(frozen=True)
class ManyScores:
    """The weighted results of one build under many hazard weightings.

    Arrays are indexed ``[draw, district]``; districts in :attr:`codes` order (the
    build's table order), draws in the order given.

    Attributes:
        codes: District codes, shape ``(districts,)``.
        hazards: Hazard ids, one per column of :attr:`weights`.
        weights: Realised hazard weights (each row sums to 1), ``(draws, hazards)``.
        method: ``"geometric"`` or ``"max"``: how hazards combined.
        hazard: Composite hazard (intensity) 0-10, ``(draws, districts)``.
        hazard_exposure: Hazard & exposure 0-10, ``(draws, districts)``; NaN without
            exposure data or when every hazard with exposure weighs zero.
        vulnerability: Vulnerability 0-10, ``(districts,)`` (weights do not change it).
        lack_of_coping: Lack of coping capacity 0-10, ``(districts,)``.
        risk: INFORM risk 0-10, ``(draws, districts)``; NaN without a value.
        risk_class: Class index (0 = lowest of :attr:`class_labels`, -1 = no data),
            ``(draws, districts)``, int8.
        class_labels: The class names of the build's INFORM release, lowest first.
        rank: Rank 1 = highest risk (or hazard, see :attr:`rank_by`), ties share the
            best rank, NaN = not ranked; ``(draws, districts)``.
        rank_by: ``"risk"`` or ``"hazard"`` per draw, ``(draws,)``: a draw without any
            weighted hazard with exposure ranks by hazard, as :meth:`rescore` does.

    Examples:
        Made by :meth:`BuildResult.rescore_many`: here five draws, each weighing one
        hazard only (the rows of an identity matrix), over the tiny world's districts:

        >>> import numpy as np
        >>> many = result.rescore_many(np.eye(len(result.registry.hazards))[:5])
        >>> many.hazards[:5], many.draws, many.risk.shape
        (('river_flood', 'salinity', 'dust', 'heat', 'drought'), 5, (5, 4))
        >>> many.rank.tolist()
        [[1.0, 2.0, 2.0, 2.0], [1.0, 2.0, 4.0, 3.0], [1.0, 2.0, 3.0, 4.0],
         [1.0, 2.0, 2.0, 2.0], [1.0, 1.0, 1.0, 1.0]]
        >>> many.rank_stability(top=1)["rank_1"].tolist()
        [1.0, 0.2, 0.2, 0.2]
    """

    codes: tuple[str, ...]
    hazards: tuple[str, ...]
    weights: FloatArray
    method: str
    hazard: FloatArray
    hazard_exposure: FloatArray
    vulnerability: FloatArray
    lack_of_coping: FloatArray
    risk: FloatArray
    risk_class: npt.NDArray[np.int8]
    class_labels: tuple[str, ...]
    rank: FloatArray
    rank_by: npt.NDArray[np.str_]

    @property
    def draws(self) -> int:
        """Number of weightings."""
        return int(self.weights.shape[0])

    def class_label(self) -> npt.NDArray[np.str_]:
        """Class names (``"no data"`` without risk), ``(draws, districts)``."""
        labels = np.array([*self.class_labels, "no data"])
        # Index -1 (no data) picks the last entry, "no data".
        return labels[self.risk_class.astype(np.intp)]

    def to_dataset(self) -> xr.Dataset:
        """The arrays as an xarray Dataset on dims ``draw``, ``district`` and ``hazard_id``.

        ``hazard`` is the composite hazard (``draw`` x ``district``); the weights run
        along ``hazard_id``.
        """
        dims = ("draw", "district")
        return xr.Dataset(
            {
                "weights": (("draw", "hazard_id"), self.weights),
                "hazard": (dims, self.hazard),
                "hazard_exposure": (dims, self.hazard_exposure),
                "vulnerability": ("district", self.vulnerability),
                "lack_of_coping": ("district", self.lack_of_coping),
                "risk": (dims, self.risk),
                "risk_class": (dims, self.risk_class),
                "rank": (dims, self.rank),
                "rank_by": ("draw", self.rank_by),
            },
            coords={
                "draw": np.arange(self.draws),
                "district": list(self.codes),
                "hazard_id": list(self.hazards),
            },
            attrs={"method": self.method, "class_labels": list(self.class_labels)},
        )

    def rank_stability(self, top: int = 3) -> pd.DataFrame:
        """How stable each district's rank is over the draws (see :func:`rank_stability`)."""
        return rank_stability(self.rank, self.codes, top)


def rank_stability(
    ranks: npt.ArrayLike, codes: tuple[str, ...] | list[str], top: int = 3
) -> pd.DataFrame:
    """Share of draws in which each district holds each rank, and its chance of the top k.

    Args:
        ranks: Ranks ``(draws, districts)``, 1 = highest, NaN = not ranked (as
            :attr:`ManyScores.rank`).
        codes: District codes, one per column of ``ranks``.
        top: ``k`` of the ``top_k`` column.

    Returns:
        One row per district (index ``code``): ``rank_1`` .. ``rank_<n>`` (share of
        draws at that rank, 0-1; with ties several districts share a rank),
        ``top_<k>`` (share of draws ranked ``k`` or better), ``unranked`` (share without
        a rank), ``mean_rank``, ``median_rank`` and ``modal_rank`` (the most frequent; over
        the ranked draws, NaN for a district never ranked).

    Examples:
        >>> table = rank_stability([[1, 2], [2, 1], [1, 2], [1, 2]], ["A", "B"], top=1)
        >>> table.loc["A", ["rank_1", "rank_2", "top_1"]].tolist()
        [0.75, 0.25, 0.75]
        >>> table["modal_rank"].to_dict()
        {'A': 1.0, 'B': 2.0}
    """
    r = np.asarray(ranks, dtype=np.float64)
    if r.ndim != 2 or r.shape[1] != len(codes):
        raise ValueError(f"expected ranks of shape (draws, {len(codes)}), got {r.shape}")
    if top < 1:
        raise ValueError("top must be 1 or more")
    draws, n = r.shape
    ranked = np.isfinite(r)
    # One bincount over (district, rank) pairs instead of a loop over draws.
    slot = np.where(ranked, r - 1, n).astype(np.intp)
    flat = np.arange(n)[None, :] * (n + 1) + slot
    counts = np.bincount(flat.ravel(), minlength=n * (n + 1)).reshape(n, n + 1)
    share = counts / draws if draws else np.zeros((n, n + 1))
    out = pd.DataFrame(
        share[:, :n],
        index=pd.Index(list(codes), name="code"),
        columns=[f"rank_{k}" for k in range(1, n + 1)],
    )
    out[f"top_{top}"] = share[:, : min(top, n)].sum(axis=1)
    out["unranked"] = share[:, n]
    held = counts[:, :n]
    times = held.sum(axis=1)
    never = times == 0
    # From the counts, not nanmean: a district never ranked has NaN, without a warning.
    out["mean_rank"] = np.where(never, np.nan, held @ np.arange(1, n + 1) / np.maximum(times, 1))
    out["median_rank"] = [
        float(np.median(r[ranked[:, k], k])) if not never[k] else np.nan for k in range(n)
    ]
    out["modal_rank"] = np.where(never, np.nan, held.argmax(axis=1) + 1.0)
    return out


def _draw_weights(weights: npt.ArrayLike | pd.DataFrame, raw: Mapping[str, float]) -> FloatArray:
    """Raw hazard weights per draw, ``(draws, hazards)`` in ``raw``'s order.

    An array gives every hazard, in order; a frame names some hazards by column and the
    others keep their weight in ``raw`` (the profile's), as ``rescore(weights=...)``.
    """
    ids = list(raw)
    if isinstance(weights, pd.DataFrame):
        unknown = [str(c) for c in weights.columns if c not in raw]
        if unknown:
            raise ConfigError(
                f"unknown hazard {unknown[0]!r} in the weight draws; hazards: {', '.join(ids)}"
            )
        rows = len(weights)
        out = np.tile(np.array([raw[i] for i in ids], dtype=np.float64), (rows, 1))
        for column in weights.columns:
            out[:, ids.index(str(column))] = weights[column].to_numpy(dtype=np.float64)
    else:
        out = np.array(weights, dtype=np.float64)
        if out.ndim == 1:
            out = out[None, :]
        if out.ndim != 2 or out.shape[1] != len(ids):
            raise ConfigError(
                f"weight draws need shape (draws, {len(ids)}): one column per hazard "
                f"({', '.join(ids)}); got {out.shape}"
            )
    bad = ~np.isfinite(out) | (out < 0)
    if bad.any():
        draw, col = np.argwhere(bad)[0]
        raise ConfigError(f"the weight of {ids[col]!r} in draw {draw} must be a finite number >= 0")
    return out


def rescore_many(
    build: BuildResult,
    weights: npt.ArrayLike | pd.DataFrame,
    profile: str | None = None,
    method: str | None = None,
) -> ManyScores:
    """Re-score a build under many hazard weightings at once (see :meth:`BuildResult.rescore_many`).

    Args:
        build: The build.
        weights: ``(draws, hazards)`` weights, one column per hazard of
            ``build.registry.hazards`` in order; or a DataFrame whose columns name
            hazards (the others keep ``profile``'s weight). Any non-negative scale: each
            row is normalised to sum 1, as :meth:`BuildResult.rescore` normalises.
        profile: The profile unnamed hazards and layer weights within hazards come
            from (default: the build's).
        method: ``"geometric"`` or ``"max"`` (default: the build's).

    Raises:
        ConfigError: An unknown profile, method or hazard; a negative or non-finite
            weight; a draw in which every built hazard weighs zero.

    Examples:
        ``result`` is an opened build (:func:`aralrisk.layers.result.open_build`).
        Equal weights, then all the weight on the first hazard:

        >>> hazards = len(result.registry.hazards)
        >>> draws = np.vstack([np.ones(hazards), np.eye(hazards)[0]])
        >>> many = rescore_many(result, draws)
        >>> many.risk.shape == (2, len(result.districts))
        True
        >>> bool(np.allclose(many.weights.sum(axis=1), 1.0))
        True
        >>> many.rank_by.tolist()
        ['risk', 'risk']
    """
    base = build.weighting(profile, {}, method)
    registry = build.registry
    chosen = registry.profiles[base.profile]
    # The profile's raw weights, as Registry.resolve_weights starts from them.
    raw = {
        h.id: chosen.weights.get(h.id, 0.0 if h.context else chosen.default)
        for h in registry.hazards
    }
    draws = _draw_weights(weights, raw)
    # Normalise in the order Registry.resolve_weights sums (a Python sum over the
    # hazards), so that each draw's weights are those of rescore() to the last bit.
    total = np.zeros(draws.shape[0])
    for k in range(draws.shape[1]):
        total = total + draws[:, k]
    empty = np.flatnonzero(total <= 0)
    if empty.size:
        raise ConfigError(
            f"every hazard weighs zero in draw {empty[0]}; give one a positive weight"
        )
    hazard_w = draws / total[:, None]
    column = {h: k for k, h in enumerate(raw)}

    inputs = build._scoring_inputs
    rows = len(build.districts)
    groups: dict[str, list[str]] = {}
    for h in registry.hazards:
        built = [layer for layer in h.layers if f"{layer}_score" in inputs]
        if built:
            groups[h.id] = built
    if not groups:
        raise ConfigError("no hazard layer was built; configure at least one hazard input")
    # A hazard's intensity (the mean of its layers by their weights within it) does not
    # depend on the hazard weights: computed once, (districts, groups).
    intensity, group_w = [], []
    for hazard_id, members in groups.items():
        within = [base.layer_weights.get(m, 0.0) for m in members]
        values = np.stack([inputs[f"{m}_score"] for m in members], axis=-1)
        intensity.append(index.weighted_mean(values, within))
        # The hazard's weight across hazards: the sum of its built layers' shares.
        group_w.append(hazard_w[:, column[hazard_id]] * sum(within))
    gws = np.stack(group_w, axis=-1)  # (draws, groups)
    no_hazard = np.flatnonzero(~(gws > 0).any(axis=1))
    if no_hazard.size:
        raise ConfigError(
            f"every built hazard has weight zero in draw {no_hazard[0]}; give one a positive weight"
        )
    counted = [
        h
        for h in registry.hazards
        if h.id in groups and h.exposure is not None and f"{h.id}_exposure" in inputs
    ]
    exposure_w = hazard_w[:, [column[h.id] for h in counted]]
    with_exposure = (exposure_w > 0).any(axis=1)
    dims = {
        name: scoring.dimension(inputs, registry, role, rows)
        for name, role in scoring.DIMENSIONS.items()
    }
    vulnerability = np.asarray(dims["vulnerability"]["score"], dtype=np.float64)
    coping = np.asarray(dims["lack_of_coping"]["score"], dtype=np.float64)

    # Districts with the same inputs get the same numbers, bit for bit, so that they tie
    # in rank as rescore() ties them: compute once per distinct row of inputs.
    table = np.column_stack(
        [*intensity, *(inputs[f"{h.id}_exposure"] for h in counted), vulnerability, coping]
    )
    seen: dict[bytes, int] = {}
    inverse = np.array([seen.setdefault(row.tobytes(), len(seen)) for row in table])
    unique = table[np.unique(inverse, return_index=True)[1]]
    groups_n = len(intensity)
    scores_u = unique[:, :groups_n]
    exposure_u = unique[:, groups_n : groups_n + len(counted)]
    if base.method == "geometric":
        hazard_u = _agm_many(scores_u, gws)
        exposure_many = (
            _agm_many(exposure_u, exposure_w) if counted else np.full(hazard_u.shape, np.nan)
        )
    else:
        hazard_u = index.weighted_max(scores_u, gws[:, None, :])
        exposure_many = (
            index.weighted_max(exposure_u, exposure_w[:, None, :])
            if counted
            else np.full(hazard_u.shape, np.nan)
        )
    risk_u = index.risk(
        exposure_many,
        np.broadcast_to(unique[:, -2], exposure_many.shape),
        np.broadcast_to(unique[:, -1], exposure_many.shape),
    )
    hazard, exposure, risk = hazard_u[:, inverse], exposure_many[:, inverse], risk_u[:, inverse]
    all_dims = all(bool(d["categories"]) for d in dims.values())
    has_risk = np.asarray(with_exposure, dtype=bool) & all_dims
    rank = _ranks(np.where(has_risk[:, None], risk, hazard))
    return ManyScores(
        codes=tuple(str(c) for c in build.districts["code"]),
        hazards=tuple(raw),
        weights=hazard_w,
        method=base.method,
        hazard=hazard,
        hazard_exposure=exposure,
        vulnerability=vulnerability,
        lack_of_coping=coping,
        risk=risk,
        risk_class=index.risk_class(risk, base.classes),
        class_labels=tuple(base.classes.labels),
        rank=rank,
        rank_by=np.where(has_risk, "risk", "hazard"),
    )


def _agm_many(scores: FloatArray, weights: FloatArray) -> FloatArray:
    """:func:`index.adjusted_geometric_mean` of ``scores`` under every row of ``weights``.

    Args:
        scores: 0-10 scores ``(districts, parts)``, NaN = missing (drops out with its
            weight, as in the AGM).
        weights: Non-negative weights ``(draws, parts)``.

    Returns:
        ``(draws, districts)``; NaN where no weighted part has a score. Equal to the AGM
        to a few ulps: the weighted sum of log gaps is one matrix product instead of a
        sum over a ``(draws, districts, parts)`` array (10x faster at 10,000 draws).
    """
    present = np.isfinite(scores)
    gap = (index.SCORE_MAX - np.where(present, scores, 0.0)) * 0.9 + 1.0
    log_gap = np.where(present, np.log(gap), 0.0)
    total = weights @ present.T.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (weights @ log_gap.T) / total
        out = (index.SCORE_MAX - np.exp(mean)) * index.SCORE_MAX / 9.0
    return np.where(total > 0, np.clip(out, 0.0, index.SCORE_MAX), np.nan)


def _ranks(values: FloatArray) -> FloatArray:
    """:func:`index.rank_descending` along districts, in slices of draws to bound memory."""
    draws, n = values.shape
    step = max(1, _RANK_CELLS // max(1, n * n))
    if step >= draws:
        return index.rank_descending(values)
    return np.concatenate(
        [index.rank_descending(values[k : k + step]) for k in range(0, draws, step)]
    )
