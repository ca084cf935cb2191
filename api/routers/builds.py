"""``POST /builds`` rebuilds in the background; ``GET /builds`` shows how it went.

Both are mounted only when an API key is set, and both need it.

The API is read-only by default; this is its one state-changing route. The key is
compared in constant time (:func:`hmac.compare_digest`) and never logged. The rebuild
uses the served build's own configuration (the same inputs, read again); with no build
served there is nothing to rebuild (409: a service never builds the sample into its
folder). It is published atomically as any build:
requests in flight keep their snapshot, later ones see the new build. A failed rebuild
leaves the published build served; its one-sentence reason and time are kept in
``<root>/.rebuild.json`` (so every worker process shows it) and shown by ``GET /builds``.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import os
import re
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from aralrisk.api import openapi
from aralrisk.api.i18n import N_
from aralrisk.api.problem_text import Text
from aralrisk.api.problems import ApiError
from aralrisk.api.settings import Settings
from aralrisk.api.state import BuildStore, BuildUnavailable
from aralrisk.geo.errors import InputError, NotFoundError
from aralrisk.layers import publish
from aralrisk.layers.config import BuildConfig

#: The outcome of the last rebuild, beside the builds (shared by every worker process).
STATUS_FILE = ".rebuild.json"

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
        self.started: str | None = None

    @property
    def running(self) -> bool:
        """True while a rebuild is in progress."""
        return self.thread is not None and self.thread.is_alive()

    def start(self, config: BuildConfig) -> bool:
        """Start a rebuild unless one is running; return whether it started."""
        with self._lock:
            if self.running:
                return False
            self.started = _now()
            self.thread = threading.Thread(
                target=self._run, args=(config,), name="aralrisk-rebuild", daemon=True
            )
            self.thread.start()
            return True

    def _run(self, config: BuildConfig) -> None:
        from aralrisk.layers.pipeline import build

        version = None
        try:
            version = build(config, out=self.root, progress=False).version
            self.last_error = None
        except (InputError, NotFoundError) as exc:
            # The previous build stays published; the reason is kept for operators. The
            # library's sentences name files by their base name only: no server paths.
            self.last_error = " ".join(str(exc).split())
            log.warning("rebuild failed: %s", exc)
        except OSError as exc:
            self.last_error = f"a file could not be read or written: {exc.strerror or 'I/O error'}"
            log.exception("rebuild failed")
        except Exception:
            self.last_error = "an unexpected error occurred; it has been logged"
            log.exception("rebuild failed")
        self._record(version)

    def _record(self, version: str | None) -> None:
        """Write the outcome to ``<root>/.rebuild.json`` atomically (best effort)."""
        status = {
            "started": self.started,
            "finished": _now(),
            "version": version,
            "error": _one_sentence(self.last_error),
        }
        tmp = self.root / f".{STATUS_FILE}.{os.getpid()}.tmp"
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(status), encoding="utf-8")
            os.replace(tmp, self.root / STATUS_FILE)
        except OSError:
            log.exception("could not record the rebuild's outcome")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _last_rebuild(root: Path) -> dict[str, Any]:
    """The recorded outcome of the last rebuild of ``root`` (empty if none or unreadable)."""
    with contextlib.suppress(OSError, ValueError):
        status = json.loads((root / STATUS_FILE).read_text(encoding="utf-8"))
        if isinstance(status, dict):
            return status
    return {}


def _served_config(request: Request) -> tuple[BuildConfig, str]:
    """The served build's configuration and version: what a rebuild builds again.

    Raises:
        ApiError: 409 when no build is served or it does not record its configuration;
            the service never falls back to building something else (such as the
            sample) into the operator's folder.
    """
    try:
        served = request.app.state.builds.get()
    except (BuildUnavailable, NotFoundError, InputError) as exc:
        raise ApiError(
            409,
            N_(
                "nothing to rebuild: no build is served ({reason}); publish one with "
                "`aralrisk build` first"
            ),
            reason=Text(str(exc)),
        ) from None
    try:
        return BuildConfig.model_validate(served.manifest["config"]), served.version
    except (KeyError, ValidationError):
        raise ApiError(
            409,
            N_(
                "build {build} does not record its configuration: rebuild it with "
                "`aralrisk build --config FILE`"
            ),
            build=served.version,
        ) from None


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
        raise ApiError(404, N_("no such resource: {path}"), path="/builds")
    expected = settings.api_key.get_secret_value().encode("utf-8")
    if not hmac.compare_digest((given or "").encode("utf-8"), expected):
        raise ApiError(
            401, N_("a valid X-API-Key header is required"), {"WWW-Authenticate": "X-API-Key"}
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
    previous build is served (`GET /builds` says why it failed). Answers 409 while a
    rebuild runs, and when no build is served (nothing to rebuild).
    """
    _check_key(request, x_api_key)
    config, previous = _served_config(request)
    if not _rebuilder(request).start(config):
        raise ApiError(409, N_("a rebuild is already running; try again when it has finished"))
    return JSONResponse(BuildJob(previous=previous).model_dump(), status_code=202)


class PublishedBuild(BaseModel):
    """One build under the output root."""

    version: str
    name: str | None = Field(description="the name it was built with (never pruned)")
    created: str | None
    current: bool = Field(description="whether it is the published (served) build")


class RebuildStatus(BaseModel):
    """The background rebuild: running now, and how the last one ended."""

    running: bool = Field(description="a rebuild started by this service runs now")
    started: str | None = Field(description="when the last rebuild started (UTC, ISO 8601)")
    finished: str | None = Field(description="when the last rebuild ended (UTC, ISO 8601)")
    version: str | None = Field(description="the build the last rebuild published, if any")
    error: str | None = Field(
        description="why the last rebuild failed, in one sentence (null if it succeeded); "
        "the build published before it is still served"
    )


class BuildsStatus(BaseModel):
    """The builds of the service's output root and the state of rebuilds."""

    current: str | None = Field(description="version of the served build (null if none)")
    problem: str | None = Field(
        description="why no build can be served (null while one is), as /healthz says"
    )
    builds: list[PublishedBuild] = Field(description="published builds, newest first")
    rebuild: RebuildStatus


def _published(root: Path) -> list[PublishedBuild]:
    folder = root / publish.BUILDS
    current = publish.CURRENT
    try:
        served = os.path.basename(os.readlink(root / current))
    except OSError:
        served = None
    found = []
    with contextlib.suppress(OSError):
        for path in sorted(folder.iterdir(), reverse=True):
            if not (path / publish.MANIFEST).is_file():
                continue  # a half-written or removed build is not a build
            manifest: dict[str, Any] = {}
            with contextlib.suppress(InputError):
                manifest = publish.read_manifest(path)
            found.append(
                PublishedBuild(
                    version=path.name,
                    name=manifest.get("name"),
                    created=manifest.get("created"),
                    current=path.name == served,
                )
            )
    return found


@router.get(
    "/builds",
    response_model=BuildsStatus,
    summary="Published builds and the last rebuild (needs the API key)",
    responses=openapi.errors(401),
)
def builds_status(
    request: Request,
    x_api_key: Annotated[
        str | None, Header(description="The service's API key", max_length=512)
    ] = None,
) -> BuildsStatus:
    """The published builds, the served one, the running rebuild and the last one's end.

    Builds are listed newest first. The last rebuild is shown with when it started and
    ended, what it published, and why it failed if it did.

    A failed rebuild publishes nothing: the build published before it stays served.
    Every sentence is one line without server paths.
    """
    _check_key(request, x_api_key)
    settings: Settings = request.app.state.settings
    store: BuildStore = request.app.state.builds
    root = Path(settings.build_dir)
    problem = store.health()
    current = None
    if problem is None:
        with contextlib.suppress(BuildUnavailable):
            current = store.get().version
    rebuilder: Rebuilder | None = getattr(request.app.state, "rebuilder", None)
    last = _last_rebuild(root)
    running = rebuilder is not None and rebuilder.running
    return BuildsStatus(
        current=current,
        problem=problem,
        builds=_published(root),
        rebuild=RebuildStatus(
            running=running,
            started=rebuilder.started if running and rebuilder else last.get("started"),
            finished=None if running else last.get("finished"),
            version=None if running else last.get("version"),
            error=None if running else _one_sentence(last.get("error")),
        ),
    )


def _one_sentence(text: Any) -> str | None:
    """A recorded error as one line, with any absolute path cut to its base name."""
    if not isinstance(text, str) or not text:
        return None
    return _PATH.sub(r"\1", " ".join(text.split()))[:500]


#: An absolute path (``/a/b/c``), to be shown by its last part only.
_PATH = re.compile(r"(?<![\w:/])/(?:[^\s/'\"]+/)+([^\s/'\")]+)")
