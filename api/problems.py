"""Errors as RFC 9457 problem details (``application/problem+json``).

Every 4xx/5xx the API sends has ``type``, ``title``, ``status`` and ``detail``; the
detail is one sentence a person can act on and never holds a file path or a traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from aralrisk.api import i18n
from aralrisk.api.i18n import N_
from aralrisk.api.problem_text import Text, render, validation_text
from aralrisk.api.state import RETRY_AFTER, VANISHED, BuildStore, BuildUnavailable
from aralrisk.geo.errors import BuildRemoved, ConfigError, InputError, NotFoundError

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("aralrisk.api")


class Problem(BaseModel):
    """The body of every error response."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None


#: OpenAPI description of the error responses every route may give.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "Bad request (one sentence says why)"},
    404: {"model": Problem, "description": "Unknown layer, district or tile"},
    422: {"model": Problem, "description": "Invalid parameter"},
    503: {
        "model": Problem,
        "description": "No build can be served now (none published, damaged, or its folder "
        "gone); retry after `Retry-After` seconds",
    },
}

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class ApiError(Exception):
    """An error with its HTTP status, raised by routes.

    Args:
        status: The HTTP status.
        message: The sentence with ``{name}`` placeholders, marked with ``N_`` where it
            is written (the msgid the catalogs translate); or the sentence of an error
            raised outside the API (``str(exc)``), translated by template.
        headers: Extra response headers.
        **values: The placeholders' values, inserted untranslated (quote ids with
            ``repr``); a :class:`~api.problem_text.Quantity` is written in the
            language's number format, a :class:`~api.problem_text.Text` translated.

    Attributes:
        text: The message and its values, written in the request's language later.
        detail: The English sentence.
    """

    def __init__(
        self, status: int, message: str, headers: dict[str, str] | None = None, **values: Any
    ) -> None:
        self.status = status
        self.text = Text(message, values)
        self.detail = str(self.text)
        self.headers = headers
        super().__init__(self.detail)


def problem(
    status: int,
    detail: Text | str,
    request: Request | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A problem-details response; its ``detail`` is written in the request's language."""
    lang = i18n.request_lang(request) if request is not None else i18n.DEFAULT_LANG
    body = Problem(
        title=_TITLES.get(status, "Error"),
        status=status,
        detail=render(detail, lang),
        instance=request.url.path if request is not None else None,
    )
    response = JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )
    response.headers["Content-Language"] = lang
    return response


def _http_text(request: Request, status: int, detail: Any) -> Text:
    """The sentence of a Starlette/FastAPI HTTP error (its phrase is not a sentence)."""
    phrase = _TITLES.get(status, "")
    if status == 404 and detail in ("Not Found", phrase):
        return Text(N_("no such resource: {path}"), {"path": request.url.path})
    if status == 405:
        return Text(
            N_("Method Not Allowed: {path} takes {allowed}, not {method}"),
            {
                "path": request.url.path,
                "method": request.method,
                "allowed": _allowed_methods(request),
            },
        )
    if isinstance(detail, str) and detail != phrase:
        return Text(detail)
    return Text(
        N_("the request cannot be answered ({status} {phrase})"),
        {"status": status, "phrase": phrase or "Error"},
    )


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed_methods(request: Request) -> str:
    """Every method some route of the request's path answers (RFC 9110 15.5.6).

    Starlette's 405 names only the methods of the first route matching the path, where
    two routes (``GET`` and ``POST /builds``) share it.
    """
    routes = request.app.router.routes
    return ", ".join(
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    )


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into problem details."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return problem(exc.status, exc.text, request, exc.headers)

    @app.exception_handler(ConfigError)
    async def _config_error(request: Request, exc: ConfigError) -> JSONResponse:
        return problem(400, str(exc), request)

    @app.exception_handler(InputError)
    async def _input_error(request: Request, exc: InputError) -> JSONResponse:
        return problem(400, str(exc), request)

    @app.exception_handler(NotFoundError)
    async def _not_found(request: Request, exc: NotFoundError) -> JSONResponse:
        return problem(404, str(exc).strip("'\""), request)

    @app.exception_handler(BuildRemoved)
    async def _build_removed(request: Request, exc: BuildRemoved) -> JSONResponse:
        # The build was deleted while this request read it: a moment's outage, not a 404.
        return _unavailable(request, _store_health(request) or VANISHED)

    @app.exception_handler(BuildUnavailable)
    async def _build_unavailable(request: Request, exc: BuildUnavailable) -> JSONResponse:
        return _unavailable(request, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem(422, validation_text(exc.errors()), request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": _allowed_methods(request)}
        text = _http_text(request, exc.status_code, exc.detail)
        return problem(exc.status_code, text, request, headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # A file that vanished with its build (read after the request's check): 503.
        if (reason := _store_health(request)) is not None:
            log.warning("build unavailable on %s: %s", request.url.path, reason)
            return _unavailable(request, reason)
        # Logged with the traceback for operators; the client gets one sentence.
        log.exception("unexpected error on %s", request.url.path)
        return problem(500, N_("an unexpected error occurred; it has been logged"), request)


def _unavailable(request: Request, detail: str) -> JSONResponse:
    """503 with ``Retry-After``: no build can be served now, the service itself is fine."""
    return problem(503, detail, request, {"Retry-After": str(RETRY_AFTER)})


def _store_health(request: Request) -> str | None:
    """Why the application's build store cannot serve a build now (None: it can)."""
    store: BuildStore | None = getattr(request.app.state, "builds", None)
    return store.health() if store is not None else None
