"""Routes that render or rank resolve their parameters on the event loop (api/deps.py).

A dependency that is not a coroutine function runs in a worker thread; under load each
such hop waits for the interpreter lock the rendering threads hold. The tile, district
and query routes must not pay one per parameter class.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from aralrisk.api.params import single_valued_query
from aralrisk.api.routers import districts, tiles
from aralrisk.api.state import BuildStore, current_build

HOT_PATHS = (
    "/composite/tiles/{z}/{x}/{y}.png",
    "/layers/{layer_id}/tiles/{z}/{x}/{y}.png",
    "/districts",
    "/districts/{code}",
)


def _calls(dependant: Dependant) -> Iterator[object]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def test_hot_routes_have_only_coroutine_dependencies() -> None:
    routes = {
        r.path: r
        for module in (tiles, districts)
        for r in module.router.routes
        if isinstance(r, APIRoute)
    }
    for path in HOT_PATHS:
        calls = list(_calls(routes[path].dependant))
        assert len(calls) >= 2, path  # the build and at least one parameter class
        blocking = [c for c in calls if not inspect.iscoroutinefunction(c)]
        assert not blocking, f"{path}: {blocking}"
    # The one dependency every route of the application gets.
    assert inspect.iscoroutinefunction(single_valued_query)


def test_a_fresh_build_is_answered_without_a_thread(
    build_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = BuildStore(build_root)
    store.check_interval = 60.0  # "a moment ago" however slow the machine
    first = store.get()

    class Request:
        class app:
            class state:
                builds = store

    def no_thread(*_: object, **__: object) -> None:
        raise AssertionError("a fresh build went through a worker thread")

    monkeypatch.setattr("anyio.to_thread.run_sync", no_thread)
    assert store.fresh() is first
    # A loop of its own, in a thread of its own: a browser test may have left one running.
    with ThreadPoolExecutor(1) as pool:
        answer = pool.submit(asyncio.run, current_build(Request())).result()  # type: ignore[arg-type]
    assert answer is first
