"""A district's columns from the zonal statistics of its layers: values, levels, exposure.

Weights do not change any of these (they change only the composites of
:mod:`layers.scoring`), so the build computes them once. The API's ``/zonal`` calls the
same functions, so a district's own polygon gives back that district's numbers.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from aralrisk.geo import index
from aralrisk.geo.zonal import ZonalStats
from aralrisk.layers.registry import LayerSpec, Registry

FloatArray = npt.NDArray[np.float64]


def _at(stats: ZonalStats, threshold: float, what: str) -> FloatArray:
    """The zones' ``frac_above`` or ``weight_above`` at one of the stats' thresholds."""
    if not np.isfinite(threshold):  # a criterion whose layer was not built: never reached
        return np.zeros(len(stats.ids))
    k = list(stats.thresholds).index(threshold)
    return np.asarray(getattr(stats, what), dtype=np.float64)[:, k]


def _statistic(spec: LayerSpec, stats: ZonalStats, people: ZonalStats | None) -> FloatArray:
    if spec.indicator == "population_density" and people is not None:
        return np.asarray(people.sum, dtype=np.float64)
    if spec.district_statistic == "weighted_mean":
        weighted = np.asarray(stats.weighted_mean, dtype=np.float64)
        # Where nobody lives the population weighting is undefined: the area mean stands.
        return np.where(np.isfinite(weighted), weighted, stats.mean)
    return np.asarray(getattr(stats, spec.district_statistic), dtype=np.float64)


def layer_columns(
    spec: LayerSpec, stats: ZonalStats, people: ZonalStats | None, min_coverage: float
) -> dict[str, FloatArray]:
    """One spatial layer's district columns from its zonal statistics.

    ``stats`` must hold the layer's class thresholds (:meth:`Registry.thresholds`).

    Returns:
        ``<id>_value`` (the scored statistic, NaN below ``min_coverage``),
        ``<id>_mean`` (mean over the district's cells, layer units),
        ``<id>_pop_mean`` (mean weighted by the people in each cell; NaN without
        population), ``<id>_score`` (0-10; exposure layers have none), ``<id>_coverage``,
        ``<id>_level`` (a hazard layer's own classes: -2 no data, 0-3 very low..high;
        -1 not applicable for other roles) and, for hazard layers, ``<id>_people_high``
        (people above the high threshold; NaN without population).
    """
    value = _statistic(spec, stats, people)
    coverage = np.asarray(stats.coverage, dtype=np.float64)
    enough = coverage >= min_coverage
    columns: dict[str, FloatArray] = {
        f"{spec.id}_value": np.where(enough, value, np.nan),
        f"{spec.id}_mean": np.where(enough, np.asarray(stats.mean, dtype=np.float64), np.nan),
        f"{spec.id}_pop_mean": np.where(
            enough, np.asarray(stats.weighted_mean, dtype=np.float64), np.nan
        ),
    }
    if spec.role != "exposure":
        columns[f"{spec.id}_score"] = spec.score_district(columns[f"{spec.id}_value"])
    columns[f"{spec.id}_coverage"] = coverage
    if spec.role != "hazard" or spec.levels is None:
        # Density classes of the people are a map legend, not a hazard level.
        columns[f"{spec.id}_level"] = np.full(len(value), float(index.NOT_APPLICABLE))
    else:
        frac = np.stack([_at(stats, t, "frac_above") for t in spec.levels], axis=-1)
        columns[f"{spec.id}_level"] = index.hazard_level(
            frac, spec.area_fraction, coverage, min_coverage
        ).astype(np.float64)
        columns[f"{spec.id}_people_high"] = (
            _at(stats, spec.levels[-1], "weight_above")
            if people is not None
            else np.full(len(value), np.nan)
        )
    return columns


def hazard_columns(
    registry: Registry,
    stats: Mapping[str, ZonalStats],
    population: FloatArray | None,
    min_coverage: float,
) -> dict[str, FloatArray]:
    """Each hazard's ThinkHazard! level and INFORM exposure per district.

    Args:
        registry: The build's layers and hazards.
        stats: Zonal statistics of every built spatial hazard layer (with the people as
            weights when the build has a population), holding
            :meth:`Registry.thresholds` of each.
        population: People per district, or ``None`` in a build without population.
        min_coverage: Coverage below which a level is :data:`~geo.index.NO_DATA`.

    Returns:
        Per hazard ``<hazard>_level`` (code), ``<hazard>_coverage`` (of the layers its
        criteria read, the lowest), and with a population ``<hazard>_exposed`` (people
        above the exposure threshold), ``<hazard>_exposed_share`` (0-1) and
        ``<hazard>_exposure`` (score 0-10, :func:`geo.index.exposure_score`).
    """
    columns: dict[str, FloatArray] = {}
    settings = registry.index
    for hazard in registry.hazards:
        criteria = registry.criteria(hazard)
        used = [c for c in criteria if c.layer in stats]
        if not used:
            continue
        frac = np.stack(
            [
                _at(stats[c.layer], c.threshold, "frac_above")
                if c.layer in stats
                else np.zeros(len(stats[used[0].layer].ids))
                for c in criteria
            ],
            axis=-1,
        )
        coverage = np.fmin.reduce(
            np.stack([np.asarray(stats[c.layer].coverage, dtype=np.float64) for c in used]),
            axis=0,
        )
        columns[f"{hazard.id}_level"] = index.hazard_level(
            frac, [c.area_fraction for c in criteria], coverage, min_coverage
        ).astype(np.float64)
        columns[f"{hazard.id}_coverage"] = coverage
        rule = hazard.exposure
        if rule is None or rule.layer not in stats or population is None:
            continue
        exposed = _at(stats[rule.layer], rule.threshold, "weight_above")
        layer_coverage = np.asarray(stats[rule.layer].coverage, dtype=np.float64)
        exposed = np.where(layer_coverage >= min_coverage, exposed, np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(population > 0, exposed / population, 0.0)
        columns[f"{hazard.id}_exposed"] = exposed
        columns[f"{hazard.id}_exposed_share"] = np.where(np.isnan(exposed), np.nan, share)
        columns[f"{hazard.id}_exposure"] = index.exposure_score(
            exposed, population, settings.exposure_absolute, settings.exposure_relative
        )
    return columns
