"""Where a build runs: the local threads, a local Dask cluster, or a distributed scheduler.

A scheduler address is checked before anything starts (:func:`scheduler_address`), so a
typo such as ``tcp://localhost`` (no port) is one sentence instead of a traceback from
deep inside :mod:`distributed`; a scheduler that cannot be reached is a
:class:`~geo.errors.NetworkError`, not a file error.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from aralrisk.geo.errors import ConfigError, NetworkError

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
