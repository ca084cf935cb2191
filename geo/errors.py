"""Errors and warnings that a user can act on.

Every message is one sentence that says what is wrong and how to fix it. Messages
never contain a traceback; they may name a file by its base name only, so that the
HTTP service can pass them to clients without echoing server paths.
"""

from __future__ import annotations


class InputError(ValueError):
    """An input file or value is unusable; the message says how to fix it."""


class ConfigError(InputError):
    """A build configuration, weight set or profile is invalid."""


class NotFoundError(LookupError):
    """A requested item (layer, district, build) does not exist."""


class InputWarning(UserWarning):
    """An input had a problem that was repaired or assumed; the message says which."""


class NetworkError(InputError):
    """A server (a Dask scheduler, a remote input) could not be reached; not a file error."""


class BuildRemoved(NotFoundError):
    """A build opened earlier has since been deleted (pruned, or its folder removed)."""
