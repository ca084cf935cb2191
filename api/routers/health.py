"""Liveness and the served build's identity."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from aralrisk.api.routers.alerts import summary as alerts_summary
from aralrisk.api.state import BuildStore, BuildUnavailable, current_build
from aralrisk.layers.result import BuildResult, classes_from_manifest

router = APIRouter(tags=["service"])


class Health(BaseModel):
    """Liveness answer."""

    status: str = "ok"


class Version(BaseModel):
    """Summary of the served build's manifest."""

    version: str
    created: str
    code_version: str
    title: str
    attribution: str
    illustrative: bool
    districts: int
    layers: list[str]
    hazards: list[str] = Field(description="the hazards weights name (context ones too)")
    classes: str = Field(
        description="the INFORM release whose risk classes the build uses",
        examples=["INFORM Risk 2025 (v0.7.0)"],
    )
    scoring: dict[str, Any]
    grid: dict[str, Any]
    bounds: list[float]
    alerts: dict[str, Any] | None = Field(
        default=None,
        description="the published forecast alerts (run, forecasts and their issue times, "
        "sources and licences, message count), or null",
    )


@router.get(
    "/healthz",
    response_model=Health,
    summary="Health: is a build being served (cheap, never blocked)",
)
async def healthz(request: Request) -> Health:
    """`ok` while a build is served; a 503 problem (with `Retry-After`) saying why not.

    Fails when nothing is published, the published build is damaged, or the served
    build's folder has disappeared or become unreadable: exactly when the data routes
    answer 503. Reads file metadata only (a `readlink` and a `stat`), never the build.
    """
    store: BuildStore = request.app.state.builds
    if (reason := store.health()) is not None:
        raise BuildUnavailable(reason)
    return Health()


@router.get("/version", response_model=Version, summary="The served build")
def version(build: Annotated[BuildResult, Depends(current_build)]) -> Version:
    """Version, creation time, code version, hazards, weights, risk classes and grid.

    `classes` names the INFORM release whose risk class cut-offs the build uses.
    """
    m = build.manifest
    return Version(
        version=m["version"],
        created=m["created"],
        code_version=m["code_version"],
        title=m["title"],
        attribution=m["attribution"],
        illustrative=bool(m.get("illustrative")),
        districts=int(m["districts"]["count"]),
        layers=list(build.registry),
        hazards=[h.id for h in build.registry.hazards],
        classes=classes_from_manifest(m).name,
        scoring=m["scoring"],
        grid=m["grid"],
        bounds=m["bounds"],
        alerts=alerts_summary(build.path),
    )
