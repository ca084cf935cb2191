"""Dependencies answered on the event loop instead of in a worker thread.

FastAPI runs every dependency that is not a coroutine function in its thread pool, and
a class is never one: ``Annotated[WeightParams, Depends()]`` costs a request a thread
hop per parameter class. A hop is cheap on an idle server; under load it waits for the
interpreter lock the rendering threads hold, and three or four of them per tile were a
third of a cold tile's time at eight clients. Parameter classes only check and store
their query values, so they are built on the loop.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


def on_loop(cls: type[T]) -> Callable[..., Awaitable[T]]:
    """An async dependency that builds ``cls`` from the same parameters, on the loop.

    The dependency has ``cls``'s signature (annotations resolved, so FastAPI reads the
    same ``Query`` declarations, defaults and documentation) and returns ``cls(...)``.

    Examples:
        >>> import asyncio
        >>> from dataclasses import dataclass
        >>> @dataclass
        ... class Page:
        ...     size: int = 10
        >>> make = on_loop(Page)
        >>> str(inspect.signature(make))
        '(size: int = 10) -> None'
        >>> asyncio.run(make(size=3))
        Page(size=3)
    """

    async def build(**values: Any) -> T:
        return cls(**values)

    build.__signature__ = inspect.signature(cls, eval_str=True)  # type: ignore[attr-defined]
    build.__name__ = f"{cls.__name__}_on_loop"
    build.__doc__ = cls.__doc__
    return build
