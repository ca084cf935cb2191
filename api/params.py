"""Query parameters shared by routes, validated before any work is done."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Query, Request

from aralrisk.api.deps import on_loop
from aralrisk.api.i18n import N_
from aralrisk.api.problems import ApiError
from aralrisk.geo.errors import ConfigError
from aralrisk.layers import scoring
from aralrisk.layers.registry import parse_weights
from aralrisk.layers.result import BuildResult

#: Longest ``weights`` string accepted (a few dozen hazards and layers with their weights).
MAX_WEIGHTS_LENGTH = 1000
#: Largest ``simplify`` tolerance in degrees (about 5 km): beyond it districts lose shape.
MAX_SIMPLIFY_DEG = 0.05

#: The sentence of a filter value the build (or its alerts) does not know, per filter.
UNKNOWN_FILTER = {
    "district": N_("unknown district {value}; known: {known}"),
    "hazard": N_("unknown hazard {value}; known: {known}"),
    "level": N_("unknown level {value}; known: {known}"),
    "forecast": N_("unknown forecast {value}; known: {known}"),
}


async def single_valued_query(request: Request) -> None:
    """Refuse a query parameter given more than once (every parameter here takes one value).

    Frameworks keep the last of ``?weights=a:1&weights=b:2`` and drop the rest without
    a word, so a client would get results for weights it did not ask for.

    Raises:
        ApiError: 422 naming the repeated parameter.
    """
    seen: set[str] = set()
    for key, _ in request.query_params.multi_items():
        if key in seen:
            twice = (
                N_(
                    "query parameter {name} is given twice; give it once (several weights "
                    "go in one: weights=dust:2,river_flood:1)"
                )
                if key == "weights"
                else N_("query parameter {name} is given twice; give it once")
            )
            raise ApiError(422, twice, name=repr(key[:40]))
        seen.add(key)


@dataclass(frozen=True)
class WeightParams:
    """How the composite is weighted: ``profile``, ``weights`` and ``method`` (all optional)."""

    profile: Annotated[
        str | None,
        Query(
            max_length=64,
            pattern=r"^[a-z][a-z0-9_]*$",
            description="Weight profile id (see `GET /profiles`); default: the build's.",
            examples=["public_health"],
        ),
    ] = None
    weights: Annotated[
        str | None,
        Query(
            max_length=MAX_WEIGHTS_LENGTH,
            description="Weights `id:number,...` on top of the profile, each finite and "
            ">= 0: a hazard id (`GET /hazards`) sets the hazard's weight (one hazard, one "
            "vote; normalised to sum 1), a hazard layer id its weight within its hazard.",
            examples=["dust:2,river_flood:1", "flood_rp10:2"],
        ),
    ] = None
    method: Annotated[
        Literal["geometric", "max"] | None,
        Query(
            description="How hazards combine: INFORM's adjusted geometric mean or the "
            "weighted maximum; default: the build's.",
        ),
    ] = None

    @property
    def given(self) -> bool:
        """True when any parameter asks for other weights than the build's."""
        return any(v is not None for v in (self.profile, self.weights, self.method))

    def weighting(self, build: BuildResult) -> scoring.Weighting:
        """The realised weights against ``build``'s hazards.

        Raises:
            ApiError: 422 for an unknown profile, hazard or layer, or a bad weight (the
                sentence lists the hazards).
        """
        try:
            overrides = parse_weights(self.weights) if self.weights is not None else None
            return build.weighting(self.profile, overrides, self.method)
        except ConfigError as exc:
            raise ApiError(422, str(exc)) from None


#: :class:`WeightParams` as a route dependency, built on the event loop (api/deps.py).
WeightQuery = Annotated[WeightParams, Depends(on_loop(WeightParams))]


SimplifyParam = Annotated[
    float,
    Query(
        ge=0.0,
        le=MAX_SIMPLIFY_DEG,
        allow_inf_nan=False,
        description="Simplify district outlines to this tolerance in degrees (topology "
        f"preserved; 0 = exact, at most {MAX_SIMPLIFY_DEG}).",
        examples=[0.005],
    ),
]
