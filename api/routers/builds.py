"""``POST /builds``: rebuild in the background. Mounted only when an API key is set.

The API is read-only by default; this is its one state-changing route. The key is
compared in constant time (:func:`hmac.compare_digest`) and never logged. The rebuild
uses the served build's own configuration (the same inputs, read again), or the
sample's when nothing is published yet, and is published atomically as any build:
requests in flight keep their snapshot, later ones see the new build.
"""

from __future__ import annotations

import hmac
import logging
import threading
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from aralrisk.api import openapi
from aralrisk.api.problems import ApiError
from aralrisk.api.settings import Settings
from aralrisk.geo.errors import InputError, NotFoundError
from aralrisk.layers.config import BuildConfig

log = logging.getLogger("aralrisk.api")


class BuildJob(BaseModel):
    """State of the background rebuild."""

    status: Literal["started"] = "started"
    previous: str | None = Field(description="version served when the rebuild started")


class Rebuilder:
    """Runs at most one rebuild at a time in a daemon thread."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.last_error: str | None = None

    @property
    def running(self) -> bool:
        """True while a rebuild is in progress."""
        return self.thread is not None and self.thread.is_alive()

    def start(self, config: BuildConfig | None) -> bool:
        """Start a rebuild unless one is running; return whether it started."""
        with self._lock:
            if self.running:
                return False
            self.thread = threading.Thread(
                target=self._run, args=(config,), name="aralrisk-rebuild", daemon=True
            )
            self.thread.start()
            return True

    def _run(self, config: BuildConfig | None) -> None:
        from aralrisk.layers.pipeline import build

        try:
            build(config, out=self.root, progress=False)
            self.last_error = None
        except (InputError, NotFoundError) as exc:
            # The previous build stays published; the reason is kept for operators.
            self.last_error = str(exc)
            log.warning("rebuild failed: %s", exc)
        except Exception:
            self.last_error = "unexpected error"
            log.exception("rebuild failed")


def _served_config(request: Request) -> tuple[BuildConfig | None, str | None]:
    try:
        served = request.app.state.builds.get()
    except (NotFoundError, InputError):
        return None, None
    try:
        return BuildConfig.model_validate(served.manifest["config"]), served.version
    except (KeyError, ValidationError):
        return None, served.version


router = APIRouter(tags=["service"])


def _rebuilder(request: Request) -> Rebuilder:
    state = request.app.state
    with _STATE_LOCK:
        if getattr(state, "rebuilder", None) is None:
            settings: Settings = state.settings
            state.rebuilder = Rebuilder(settings.build_dir)
    rebuilder: Rebuilder = state.rebuilder
    return rebuilder


_STATE_LOCK = threading.Lock()


def _check_key(request: Request, given: str | None) -> None:
    settings: Settings = request.app.state.settings
    if settings.api_key is None:  # pragma: no cover - the route is not mounted then
        raise ApiError(404, "no such resource: /builds")
    expected = settings.api_key.get_secret_value().encode("utf-8")
    if not hmac.compare_digest((given or "").encode("utf-8"), expected):
        raise ApiError(
            401, "a valid X-API-Key header is required", {"WWW-Authenticate": "X-API-Key"}
        )


@router.post(
    "/builds",
    status_code=202,
    response_model=BuildJob,
    summary="Rebuild in the background (needs the API key)",
    responses=openapi.errors(401, 409),
)
def start_build(
    request: Request,
    x_api_key: Annotated[
        str | None, Header(description="The service's API key", max_length=512)
    ] = None,
) -> JSONResponse:
    """Start a rebuild with the served build's configuration.

    Exists only when the service has an API key (`ARALRISK_API_KEY`). The new build is
    published atomically when it is complete; until then, and if it fails, the
    previous build is served. Answers 409 while a rebuild runs.
    """
    _check_key(request, x_api_key)
    config, previous = _served_config(request)
    if not _rebuilder(request).start(config):
        raise ApiError(409, "a rebuild is already running; try again when it has finished")
    return JSONResponse(BuildJob(previous=previous).model_dump(), status_code=202)
