"""Where a build runs: the local threads, a local Dask cluster, or a distributed scheduler.

A scheduler address is checked before anything starts (:func:`scheduler_address`), so a
typo such as ``tcp://localhost`` (no port) is one sentence instead of a traceback from
deep inside :mod:`distributed`; a scheduler that cannot be reached is a
:class:`~geo.errors.NetworkError`, not a file error.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Iterator
from contextlib import contextmanager

from aralrisk.geo.errors import ConfigError, NetworkError

#: During a build on a grid of at least :data:`LARGE_GRID_CELLS` cells, glibc maps blocks
#: of this many bytes or more on their own and unmaps them when freed: the chunk arrays
#: (4-34 MB), not the many small ones.
MMAP_THRESHOLD = 4 * 1024 * 1024
#: Four chunks of 2,048 x 2,048 cells: from here on chunk arrays are large.
LARGE_GRID_CELLS = 4 * 2048 * 2048
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number (glibc's malloc.h)
#: Environment variables by which the user already tunes glibc's allocator.
_MALLOC_ENV = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_")

#: Protocols of :mod:`distributed` whose addresses are ``HOST:PORT``.
SCHEMES = ("tcp", "tls", "ws", "wss", "ucx")
_FORM = "write it as tcp://HOST:PORT, e.g. tcp://localhost:8786"


def scheduler_address(address: str) -> str:
    """Check a Dask scheduler address and return it with its protocol.

    ``HOST:PORT`` alone means ``tcp://HOST:PORT``; an IPv6 host is written in brackets
    (``tcp://[::1]:8786``). An ``inproc://`` address (an in-process cluster's) is passed
    on as it is.

    >>> scheduler_address("localhost:8786")
    'tcp://localhost:8786'

    Raises:
        ConfigError: No port, a port out of range, an unknown protocol, or no host;
            the sentence shows the form to use.
    """
    text = address.strip()
    scheme, sep, location = text.partition("://")
    if not sep:
        scheme, location = "tcp", text
    scheme = scheme.lower()
    if scheme == "inproc" and location:
        return text  # an in-process cluster's own address (LocalCluster(processes=False))
    if scheme not in SCHEMES:
        raise ConfigError(
            f"scheduler address {address!r} has an unknown protocol {scheme!r} "
            f"(known: {', '.join(SCHEMES)}): {_FORM}"
        )
    location = location.rstrip("/")
    if location.startswith("["):
        host, bracket, tail = location[1:].partition("]")
        if not bracket or (tail and not tail.startswith(":")):
            raise ConfigError(f"scheduler address {address!r} is not HOST:PORT: {_FORM}")
        port = tail[1:] if tail else ""
        shown = f"[{host}]"
    else:
        host, colon, port = location.rpartition(":")
        if not colon:
            host, port = location, ""
        if ":" in host:
            raise ConfigError(
                f"scheduler address {address!r} is not HOST:PORT: write an IPv6 host in "
                "brackets, e.g. tcp://[::1]:8786"
            )
        shown = host
    if not host or "/" in host or any(c.isspace() for c in host):
        raise ConfigError(f"scheduler address {address!r} has no valid host: {_FORM}")
    if not port:
        raise ConfigError(
            f"scheduler address {address!r} has no port: {_FORM} (8786 is Dask's default)"
        )
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ConfigError(
            f"scheduler address {address!r} has an invalid port {port!r}: use a port "
            f"from 1 to 65535; {_FORM}"
        )
    return f"{scheme}://{shown}:{int(port)}"


@contextmanager
def dask_client(scheduler: str | None, workers: int | None) -> Iterator[None]:
    """Run the enclosed computation on ``scheduler``, on ``workers`` local processes, or here.

    Raises:
        NetworkError: The scheduler could not be reached (refused, unknown host, timed
            out); the sentence names its address.
    """
    if scheduler is None and not workers:
        yield
        return
    from distributed import Client, LocalCluster

    if scheduler is not None:
        address = scheduler_address(scheduler)
        try:
            client = Client(address)
        except OSError as err:  # refused, timed out, name not resolved (all OSError)
            raise NetworkError(
                f"network error: could not connect to the Dask scheduler at {address} "
                f"({err}): check that the scheduler runs and that its host and port are right"
            ) from None
        with client:
            yield
        return
    with (
        LocalCluster(n_workers=workers, threads_per_worker=1, processes=True) as cluster,
        Client(cluster),
    ):
        yield


def release_freed_memory(cells: int) -> bool:
    """Let glibc return the freed chunk arrays of a large build to the system.

    A build frees arrays of 4-34 MB by the thousand, from several threads. glibc raises
    its mmap threshold to the largest block freed so far (up to 32 MB), so such arrays
    are then carved out of per-thread heaps, whose free space stays resident while a
    block above it is in use: at 16,000 x 8,800 cells the process held 200-450 MB more
    than it used, and its peak moved by 200 MB from one run to the next. A fixed
    threshold (:data:`MMAP_THRESHOLD`) maps every chunk array on its own instead, for
    some system time per array. A grid of fewer than :data:`LARGE_GRID_CELLS` cells
    has small arrays and little to gain (the sample build would only get slower), so
    nothing is changed for it. Values computed are the same either way; the setting
    lasts for the rest of the process.

    Args:
        cells: Cells of the build's grid.

    Returns:
        True if the threshold was set; False for a small grid, on another system or C
        library, or when the environment sets one of glibc's ``MALLOC_*_`` thresholds
        (which then wins).
    """
    if cells < LARGE_GRID_CELLS or not _glibc():
        return False
    if any(name in os.environ for name in _MALLOC_ENV):
        return False
    libc = ctypes.CDLL(None)  # the C library the interpreter runs on
    return bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))


def _glibc() -> bool:
    """True when the interpreter runs on GNU libc (``mallopt`` and its parameters)."""
    try:
        version = os.confstr("CS_GNU_LIBC_VERSION")
    except (AttributeError, ValueError, OSError):  # not Unix, or a libc without the name
        return False
    return (version or "").startswith("glibc")
