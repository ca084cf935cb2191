"""OpenAPI helpers: error responses that say they are ``application/problem+json``.

FastAPI documents every response ``model`` under the route's media type (JSON,
GeoJSON, CSV); errors are problem details whatever the route serves. :func:`install`
rewrites the generated document so that every 4xx/5xx response is documented as
``application/problem+json`` with the :class:`~api.problems.Problem` schema, which is
what clients (and schema-conformance checks) receive.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse

from aralrisk.api.problems import PROBLEM_JSON, Problem

#: What each error status means on this API (used by :func:`errors`).
ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "Bad request (one sentence says why)",
    401: "Missing or wrong API key",
    404: "Unknown layer or district, or no build is published yet",
    409: "A rebuild is already running",
    413: "The request body is larger than the service accepts",
    415: "The body is not JSON, or is compressed (send it uncompressed as application/json)",
    422: "Invalid parameter or body (one sentence says which and why)",
}


class GeoJSONResponse(JSONResponse):
    """Documents a route's body as ``application/geo+json`` (RFC 7946)."""

    media_type = "application/geo+json"


class CSVResponse(Response):
    """Documents a route's body as ``text/csv`` (UTF-8)."""

    media_type = "text/csv"


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entry of a route that can fail with ``statuses``."""
    return {
        status: {"model": Problem, "description": ERROR_DESCRIPTIONS[status]} for status in statuses
    }


def _problem_content(document: dict[str, Any]) -> None:
    ref = {"$ref": "#/components/schemas/Problem"}
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            for status, response in operation.get("responses", {}).items():
                if str(status)[0] in "45":
                    response["content"] = {PROBLEM_JSON: {"schema": ref}}


def install(app: FastAPI) -> None:
    """Make ``app.openapi()`` document errors as problem details (cached like FastAPI's)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            _problem_content(document)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
