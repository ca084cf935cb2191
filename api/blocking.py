"""Blocking raster work off the event loop, in a bounded pool of its own.

GDAL reads hold a thread for their whole duration. Routes that read rasters run them
through :func:`run_blocking`, which uses a capacity limiter of its own (one per
application): at most :data:`GDAL_THREADS` such calls run at once, the rest wait
their turn, and the default thread pool (dependencies, ``/healthz``) keeps its threads.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from typing import ParamSpec, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from fastapi import Request

P = ParamSpec("P")
R = TypeVar("R")

#: Raster reads allowed at once per process: enough to keep the cores busy.
GDAL_THREADS = max(2, min(16, 2 * (os.cpu_count() or 1)))


def _limiter(request: Request) -> CapacityLimiter:
    # Made on first use, inside the application's event loop.
    state = request.app.state
    limiter: CapacityLimiter | None = getattr(state, "gdal_limiter", None)
    if limiter is None:
        limiter = state.gdal_limiter = CapacityLimiter(GDAL_THREADS)
    return limiter


async def run_blocking(
    request: Request, func: Callable[P, R], *args: P.args, **kwargs: P.kwargs
) -> R:
    """Run ``func(*args, **kwargs)`` in a worker thread of the bounded raster pool."""
    return await anyio.to_thread.run_sync(partial(func, *args, **kwargs), limiter=_limiter(request))
