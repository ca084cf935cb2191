"""The layer catalog and the weight profiles: ``/layers``, ``/layers/{id}``, ``/profiles``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response

from api import encoding, openapi
from api.caching import cached, not_modified
from api.features import level_label
from api.problems import ApiError
from api.schemas import Catalog, LayerDetail, Profiles
from api.state import current_build
from geo.errors import ConfigError
from geo.index import LEVEL_LABELS
from layers.registry import LayerSpec, score_legend
from layers.result import BuildResult

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


def _links(request: Request, build: BuildResult, layer_id: str) -> dict[str, str | None]:
    """Tile and TileJSON URLs built from this router's own route.

    ``url_for`` honours the root path and the scheme/host the proxy forwarded, so the
    URLs work behind ``--root-path`` and a reverse proxy.
    """
    if not _has_raster(build, layer_id):
        return {"tiles": None, "tilejson": None}
    base = str(request.url_for("layer", layer_id=layer_id))
    return {"tiles": base + "/tiles/{z}/{x}/{y}.png", "tilejson": base + "/tilejson.json"}


def layer_summary(build: BuildResult, spec: LayerSpec) -> dict[str, Any]:
    """One layer as ``GET /layers`` lists it, without its tile URLs."""
    return {
        "id": spec.id,
        "title": spec.title,
        "role": spec.role,
        "group": spec.group,
        "units": spec.units_label,
        "description": spec.description,
        "source": spec.source,
        "spatial": _has_raster(build, spec.id),
        "thresholds": list(spec.levels) if spec.levels is not None else None,
        "area_fraction": spec.area_fraction if spec.levels is not None else None,
        "goalposts": list(spec.goalposts),
        "legend": [c.model_dump() for c in spec.legend()],
        "score_legend": [c.model_dump() for c in score_legend()],
    }


def _summary(request: Request, build: BuildResult, spec: LayerSpec) -> dict[str, Any]:
    return {**layer_summary(build, spec), **_links(request, build, spec.id)}


def _spec(build: BuildResult, layer_id: str) -> LayerSpec:
    if layer_id not in build.registry:
        raise ApiError(404, f"unknown layer {layer_id!r}; the layers are listed at /layers")
    return build.registry[layer_id]


def _realised(build: BuildResult, profile: str) -> dict[str, float]:
    try:
        return build.registry.resolve_weights(profile)
    except ConfigError:
        # A profile that weights none of this build's hazards cannot be used here.
        return {}


@router.get(
    "/layers",
    response_model=Catalog,
    summary="The layer catalog",
    responses=openapi.errors(404),
)
def layers(request: Request, build: Annotated[BuildResult, Depends(current_build)]) -> Response:
    """Every layer of the served build.

    What each layer measures, its units, source, legends (classes with colours, labels
    and thresholds) and its tile and TileJSON URLs.
    """
    if (unchanged := not_modified(request, build.version)) is not None:
        return unchanged
    body = {
        "build": build.version,
        "level_labels": {str(k): v for k, v in LEVEL_LABELS.items()},
        "layers": [_summary(request, build, spec) for spec in build.registry.values()],
    }
    return cached(request, build.version, encoding.dumps(body), JSON)


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

    Adds the layer's statistics over the districts and every district's value, score,
    level and data coverage.
    """
    spec = _spec(build, layer_id)
    if (unchanged := not_modified(request, build.version)) is not None:
        return unchanged
    meta = build.manifest.get("layers", {}).get(layer_id, {})
    statistics = (
        {k: encoding.number(meta.get(k)) for k in ("min", "max", "mean_of_districts")}
        if _has_raster(build, layer_id)
        else None
    )
    districts = []
    for row in build.districts.to_dict("records"):
        level = int(row.get(f"{layer_id}_level", -2))
        districts.append(
            {
                "code": str(row["code"]),
                "name": str(row["name"]),
                "value": encoding.number(row.get(f"{layer_id}_value")),
                "score": encoding.number(row.get(f"{layer_id}_score")),
                "level": level,
                "level_label": level_label(level),
                "coverage": encoding.number(row.get(f"{layer_id}_coverage")),
                "people_high": encoding.number(row.get(f"{layer_id}_people_high")),
            }
        )
    body = {
        **_summary(request, build, spec),
        "build": build.version,
        "statistics": statistics,
        "districts": districts,
    }
    return cached(request, build.version, encoding.dumps(body), JSON)


@router.get(
    "/profiles",
    response_model=Profiles,
    summary="Weight profiles",
    responses=openapi.errors(404),
)
def profiles(request: Request, build: Annotated[BuildResult, Depends(current_build)]) -> Response:
    """The named weight profiles.

    Each with its hazard weights realised over the build's hazards (normalised to sum
    1); `default` and `method` are the build's. Use a profile id as `?profile=` on
    `/districts`, `/zonal` and the composite tiles.
    """
    if (unchanged := not_modified(request, build.version)) is not None:
        return unchanged
    scoring = build.manifest.get("scoring", {})
    body = {
        "build": build.version,
        "default": scoring.get("profile", "equal"),
        "method": scoring.get("method", "geometric"),
        "profiles": [
            {
                "id": p.id,
                "title": p.title,
                "description": p.description,
                "weights": _realised(build, p.id),
            }
            for p in build.registry.profiles.values()
        ],
    }
    return cached(request, build.version, encoding.dumps(body), JSON)
