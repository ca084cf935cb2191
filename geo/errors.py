"""Errors and warnings that a user can act on.

Every message is one sentence that says what is wrong and how to fix it. Messages
never contain a traceback; they may name a file by its base name only, so that the
HTTP service can pass them to clients without echoing server paths.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = [
    "BuildRemoved",
    "ConfigError",
    "InputError",
    "InputWarning",
    "NetworkError",
    "NotFoundError",
    "recording_input_warnings",
    "warn_input",
]

#: Lists that collect the InputWarning messages of the code running in this context, or
#: None while they are muted. A context variable, not ``warnings.catch_warnings``: that one
#: swaps process-wide state, and libraries entering it from worker threads (xarray does,
#: inside dask tasks) can restore it under a build that is recording, losing its warnings.
_SINKS: ContextVar[tuple[list[str], ...] | None] = ContextVar("aralrisk_input_sinks", default=())


class InputError(ValueError):
    """An input file or value is unusable; the message says how to fix it.

    Examples:
        >>> from aralrisk.geo.io import read_raster
        >>> read_raster("nowhere.tif")
        Traceback (most recent call last):
        ...
        aralrisk.geo.errors.InputError: raster nowhere.tif does not exist: check the path ...
    """


class ConfigError(InputError):
    """A build configuration, weight set or profile is invalid.

    Examples:
        >>> from aralrisk.layers.registry import check_weight
        >>> check_weight("dust", -1)
        Traceback (most recent call last):
        ...
        aralrisk.geo.errors.ConfigError: the weight of 'dust' must be a finite number >= 0 ...
        >>> issubclass(ConfigError, InputError)
        True
    """


class NotFoundError(LookupError):
    """A requested item (layer, district, build) does not exist.

    Examples:
        >>> from aralrisk.layers.registry import load_catalog
        >>> load_catalog()["nope"]
        Traceback (most recent call last):
        ...
        aralrisk.geo.errors.NotFoundError: unknown layer 'nope'; known layers: flood_rp10, ...
    """


class InputWarning(UserWarning):
    """An input had a problem that was repaired or assumed; the message says which.

    Examples:
        A raster that declares no nodata value is read with every cell valid, and says so:

        >>> import warnings, numpy as np, rasterio
        >>> from rasterio.transform import from_origin
        >>> from aralrisk.geo.io import read_raster
        >>> with rasterio.open(tmp / "no_nodata.tif", "w", driver="GTiff", width=2, height=2,
        ...                    count=1, dtype="float32", crs="EPSG:4326",
        ...                    transform=from_origin(60, 45, 0.5, 0.5)) as raster:
        ...     raster.write(np.ones((1, 2, 2), "float32"))
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     cells = read_raster(tmp / "no_nodata.tif")
        >>> caught[0].category.__name__, str(caught[0].message)
        ('InputWarning', 'no_nodata.tif has no nodata value; all cells are treated as valid ...')
    """


class NetworkError(InputError):
    """A server (a Dask scheduler, a remote input) could not be reached; not a file error.

    Examples:
        Raised by a build given ``scheduler=`` when the Dask scheduler does not answer;
        an :class:`InputError`, so one ``except InputError`` catches both:

        >>> issubclass(NetworkError, InputError)
        True
    """


class BuildRemoved(NotFoundError):
    """A build opened earlier has since been deleted (pruned, or its folder removed).

    Examples:
        ``result`` is a :class:`~aralrisk.layers.result.BuildResult`; the same build
        read from a folder that no longer exists:

        >>> import dataclasses
        >>> dataclasses.replace(result, path=tmp / "gone" / "builds" / "b1").raster("risk")
        Traceback (most recent call last):
        ...
        aralrisk.geo.errors.BuildRemoved: build ... was removed from gone since it was opened ...
    """


def warn_input(message: str, stacklevel: int = 1) -> None:
    """Emit ``message`` as an :class:`InputWarning` and hand it to every active recorder.

    ``stacklevel`` counts as for :func:`warnings.warn` from the caller's frame: 1 names the
    line calling ``warn_input``, 2 its caller. Inside :func:`recording_input_warnings`
    with ``mute=True`` the message is neither recorded nor emitted.

    Examples:
        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     warn_input("zones.tif has no nodata value")
        >>> caught[0].category.__name__, str(caught[0].message)
        ('InputWarning', 'zones.tif has no nodata value')
    """
    sinks = _SINKS.get()
    if sinks is None:
        return
    for sink in sinks:
        sink.append(message)
    warnings.warn(message, InputWarning, stacklevel=stacklevel + 1)


@contextmanager
def recording_input_warnings(*, mute: bool = False) -> Iterator[list[str]]:
    """Collect the messages :func:`warn_input` emits in this context, in order.

    The list fills whatever the process-wide warning filters say (even where a warning
    is shown only once, or ignored), and from this thread and context only, so two builds
    running side by side in threads each get their own. Recorders nest: an outer one sees
    what an inner one sees. ``mute=True`` drops the messages instead (an input read only
    for comparison, whose repairs are not the caller's): the yielded list stays empty and
    outer recorders see nothing.

    Examples:
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     with recording_input_warnings() as told:
        ...         warn_input("a.csv has no row for KZ431900")
        ...         with recording_input_warnings(mute=True):
        ...             warn_input("old.gpkg was reprojected")
        >>> told
        ['a.csv has no row for KZ431900']
    """
    sink: list[str] = []
    current = _SINKS.get()
    token = _SINKS.set(None if mute or current is None else (*current, sink))
    try:
        yield sink
    finally:
        _SINKS.reset(token)
