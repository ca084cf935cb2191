"""aralrisk: environmental hazard and risk indices for Kyzylorda oblast (Aral Sea region).

One installed package with three parts: ``aralrisk.geo`` (the generic geospatial engine),
``aralrisk.layers`` (the hazard, exposure and vulnerability catalogue and the build
pipeline) and ``aralrisk.api`` (the HTTP service, the map and the ``aralrisk`` command).
In the repository these are the top-level folders ``geo/``, ``layers/`` and ``api/``;
``aralrisk/`` links to them so the source tree and the installed package import alike.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("aralrisk")
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
