"""The catalog: ``/layers``, ``/layers/{id}``, ``/hazards`` and ``/profiles``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response

from aralrisk.api import encoding, hazards, i18n, openapi
from aralrisk.api.caching import cached, not_modified
from aralrisk.api.features import STATISTIC_LABELS, statistic
from aralrisk.api.hazards import level_label
from aralrisk.api.i18n import N_, Translator
from aralrisk.api.problems import ApiError
from aralrisk.api.schemas import Catalog, Hazards, LayerDetail, Profiles
from aralrisk.api.state import current_build
from aralrisk.api.tiles.sources import SURFACES, Surface
from aralrisk.geo.errors import ConfigError, NotFoundError
from aralrisk.geo.index import LEVEL_LABELS
from aralrisk.layers.registry import LayerSpec, score_legend
from aralrisk.layers.result import BuildResult, classes_from_manifest
from aralrisk.layers.specs import exposed_legend

router = APIRouter(tags=["catalog"])
JSON = "application/json"

LayerId = Annotated[
    str,
    Path(
        pattern=r"^[a-z][a-z0-9_]{0,63}$",
        description="Layer id from `GET /layers`",
        examples=["flood_rp10"],
    ),
]


def _has_raster(build: BuildResult, layer_id: str) -> bool:
    return "raw" in build.manifest.get("layers", {}).get(layer_id, {})


def _links(request: Request, layer_id: str, has_tiles: bool) -> dict[str, str | None]:
    """Tile and TileJSON URLs built from this router's own route.

    ``url_for`` honours the root path and the scheme/host the proxy forwarded, so the
    URLs work behind ``--root-path`` and a reverse proxy.
    """
    if not has_tiles:
        return {"tiles": None, "tilejson": None}
    base = str(request.url_for("layer", layer_id=layer_id))
    return {"tiles": base + "/tiles/{z}/{x}/{y}.png", "tilejson": base + "/tilejson.json"}


def _hazard_id(build: BuildResult, spec: LayerSpec) -> str | None:
    if spec.role != "hazard":
        return None
    try:
        return build.registry.hazard_of(spec.id).id
    except NotFoundError:
        return None


def _tr(tr: Translator | None) -> Translator:
    return tr or i18n.translator(i18n.DEFAULT_LANG)


def layer_summary(
    build: BuildResult, spec: LayerSpec, tr: Translator | None = None
) -> dict[str, Any]:
    """One layer as ``GET /layers`` lists it, without its tile URLs.

    Machine fields (ids, units, statistic) stay English; the title, description and
    legend labels are in ``tr``'s language (English by default).
    """
    tr = _tr(tr)
    classes = classes_from_manifest(build.manifest)
    return {
        "id": spec.id,
        "title": tr(spec.title),
        "role": spec.role,
        "group": spec.group,
        "category": spec.category,
        "hazard": _hazard_id(build, spec),
        "units": spec.units_label,
        "district_units": spec.district_units_label or spec.units_label,
        "statistic": statistic(spec),
        "statistic_label": STATISTIC_LABELS[statistic(spec)],
        "description": tr(spec.description),
        "source": spec.source,
        "spatial": _has_raster(build, spec.id),
        "thresholds": list(spec.levels) if spec.levels is not None else None,
        "area_fraction": spec.area_fraction if spec.levels is not None else None,
        "goalposts": list(spec.goalposts),
        "legend": i18n.localize_legend(
            [c.model_dump() for c in spec.legend()], spec.units_label, tr
        ),
        "score_legend": i18n.localize_legend(
            [c.model_dump() for c in score_legend(classes)], "", tr
        ),
    }


def surface_legend(
    build: BuildResult, surface: Surface, tr: Translator | None = None
) -> list[dict[str, Any]]:
    """The legend of a derived surface: density classes, or the build's score classes."""
    exposed = surface.kind == "exposed"
    classes = exposed_legend() if exposed else score_legend(classes_from_manifest(build.manifest))
    return i18n.localize_legend(
        [c.model_dump() for c in classes], surface.units if exposed else "", _tr(tr)
    )


def surface_summaries(build: BuildResult, tr: Translator | None = None) -> list[dict[str, Any]]:
    """The build's derived surfaces (composite, exposed, ...) with their legends."""
    rasters = build.manifest.get("rasters", {})
    tr = _tr(tr)
    return [
        {
            "id": surface_id,
            "title": tr(surface.title),
            "units": surface.units,
            "description": tr(surface.description),
            "legend": surface_legend(build, surface, tr),
        }
        for surface_id, surface in SURFACES.items()
        if surface_id in rasters
    ]


def _summary(
    request: Request, build: BuildResult, spec: LayerSpec, tr: Translator
) -> dict[str, Any]:
    links = _links(request, spec.id, _has_raster(build, spec.id))
    return {**layer_summary(build, spec, tr), **links}


def _localized(request: Request, build: BuildResult, body: Any, lang: str) -> Response:
    """A cached JSON answer in ``lang``: the ETag and ``Vary`` name the language too."""
    response = cached(request, build.version, encoding.dumps(body), JSON, extra=lang)
    response.headers["Vary"] = "Accept-Encoding, Accept-Language"
    response.headers["Content-Language"] = lang
    return response


def _spec(build: BuildResult, layer_id: str) -> LayerSpec:
    if layer_id not in build.registry:
        raise ApiError(
            404, N_("unknown layer {layer}; the layers are listed at /layers"), layer=repr(layer_id)
        )
    return build.registry[layer_id]


def realised_profile(build: BuildResult, profile: str) -> dict[str, dict[str, float]]:
    """A profile's weights over the build's hazards, and of each layer within its hazard."""
    try:
        resolved = build.registry.resolve_weights(profile)
    except ConfigError:
        # A profile that weights none of this build's hazards cannot be used here.
        return {"weights": {}, "layer_weights": {}}
    return {"weights": resolved.hazards, "layer_weights": resolved.layers}


@router.get(
    "/layers",
    response_model=Catalog,
    summary="The layer catalog",
    responses=openapi.errors(404),
)
def layers(request: Request, build: Annotated[BuildResult, Depends(current_build)]) -> Response:
    """Every layer of the served build, and the surfaces derived from them.

    What each layer measures, the hazard it belongs to, its units (of the cells and of
    the district value), the district statistic it is scored on, its source, legends
    (classes with colours, labels and thresholds) and its tile and TileJSON URLs. The
    derived surfaces are the composite hazard, the people exposed to a hazard (per
    km2), vulnerability and lack of coping capacity.
    """
    lang = i18n.request_lang(request)
    if (unchanged := not_modified(request, build.version, lang)) is not None:
        return unchanged
    tr = i18n.translator(lang)
    body = {
        "build": build.version,
        "level_labels": {str(k): v for k, v in LEVEL_LABELS.items()},
        "classes": classes_from_manifest(build.manifest).name,
        "layers": [_summary(request, build, spec, tr) for spec in build.registry.values()],
        "surfaces": [
            {**surface, **_links(request, surface["id"], True)}
            for surface in surface_summaries(build, tr)
        ],
    }
    return _localized(request, build, body, lang)


@router.get(
    "/layers/{layer_id}",
    name="layer",
    response_model=LayerDetail,
    summary="One layer with its statistics and district values",
    responses=openapi.errors(404, 422),
)
def layer(
    request: Request,
    layer_id: LayerId,
    build: Annotated[BuildResult, Depends(current_build)],
) -> Response:
    """A layer of the catalog with its statistics.

    Adds the layer's statistics over the districts and every district's value (the
    scored statistic), area and population-weighted means, score, level and coverage.
    """
    spec = _spec(build, layer_id)
    lang = i18n.request_lang(request)
    if (unchanged := not_modified(request, build.version, lang)) is not None:
        return unchanged
    meta = build.manifest.get("layers", {}).get(layer_id, {})
    statistics = (
        {k: encoding.number(meta.get(k)) for k in ("min", "max", "mean_of_districts")}
        if _has_raster(build, layer_id)
        else None
    )
    districts = []
    for row in build.districts.to_dict("records"):
        level = hazards.level_code(row.get(f"{layer_id}_level"))
        districts.append(
            {
                "code": str(row["code"]),
                "name": str(row["name"]),
                "value": encoding.number(row.get(f"{layer_id}_value")),
                "mean": encoding.number(row.get(f"{layer_id}_mean")),
                "pop_mean": encoding.number(row.get(f"{layer_id}_pop_mean")),
                "score": encoding.number(row.get(f"{layer_id}_score")),
                "level": level,
                "level_label": level_label(level),
                "coverage": encoding.number(row.get(f"{layer_id}_coverage")),
                "people_high": encoding.number(row.get(f"{layer_id}_people_high")),
            }
        )
    body = {
        **_summary(request, build, spec, i18n.translator(lang)),
        "build": build.version,
        "statistics": statistics,
        "districts": districts,
    }
    return _localized(request, build, body, lang)


@router.get(
    "/hazards",
    response_model=Hazards,
    summary="The hazards and their level rules",
    responses=openapi.errors(404),
)
def hazard_catalog(
    request: Request, build: Annotated[BuildResult, Depends(current_build)]
) -> Response:
    """The hazards of the served build: what weights name (one hazard, one vote).

    Each with its layers (and their weights within it), its ThinkHazard! level rule in
    words and as low, medium and high criteria (a layer above a threshold over a share
    of the district), who counts as exposed, and its realised weight. Context hazards
    (warming, recent drought status) are shown but weigh nothing unless weighted.
    """
    lang = i18n.request_lang(request)
    if (unchanged := not_modified(request, build.version, lang)) is not None:
        return unchanged
    tr = i18n.translator(lang)
    weights = build.manifest.get("scoring", {}).get("weights", {})
    found = [
        hazards.summary(build.registry, hazard, encoding.number(weights.get(hazard.id)))
        for hazard in build.registry.hazards
    ]
    body = {
        "build": build.version,
        "level_labels": {str(k): v for k, v in LEVEL_LABELS.items()},
        "hazards": [
            {**h, "title": tr(h["title"]), "description": tr(h["description"])} for h in found
        ],
    }
    return _localized(request, build, body, lang)


@router.get(
    "/profiles",
    response_model=Profiles,
    summary="Weight profiles",
    responses=openapi.errors(404),
)
def profiles(request: Request, build: Annotated[BuildResult, Depends(current_build)]) -> Response:
    """The named weight profiles.

    Each with its hazard weights realised over the build's hazards (normalised to sum
    1) and the weight of each hazard layer within its hazard; `default` and `method`
    are the build's. Use a profile id as `?profile=` on `/districts`, `/zonal` and the
    composite tiles.
    """
    lang = i18n.request_lang(request)
    if (unchanged := not_modified(request, build.version, lang)) is not None:
        return unchanged
    tr = i18n.translator(lang)
    scoring = build.manifest.get("scoring", {})
    body = {
        "build": build.version,
        "default": scoring.get("profile", "equal"),
        "method": scoring.get("method", "geometric"),
        "profiles": [
            {
                "id": p.id,
                "title": tr(p.title),
                "description": tr(p.description),
                **realised_profile(build, p.id),
            }
            for p in build.registry.profiles.values()
        ],
    }
    return _localized(request, build, body, lang)
