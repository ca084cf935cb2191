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

#: The public Python API: the modules analysts import (notebooks/README.md). Each names
#: its functions and classes in ``__all__``; every one of them has an example, run as a
#: doctest (tests/test_doctests.py), and a page in the API reference (docs/reference).
PUBLIC_MODULES: tuple[str, ...] = (
    "aralrisk.geo.io",
    "aralrisk.geo.grid",
    "aralrisk.geo.zonal",
    "aralrisk.geo.index",
    "aralrisk.geo.errors",
    "aralrisk.layers.pipeline",
    "aralrisk.layers.result",
    "aralrisk.layers.config",
    "aralrisk.layers.registry",
    "aralrisk.layers.scoring",
    "aralrisk.layers.indicators",
    "aralrisk.layers.compare",
    "aralrisk.layers.sensitivity",
    "aralrisk.layers.series",
    "aralrisk.layers.profiles",
    "aralrisk.layers.transfer",
    "aralrisk.layers.own_fields",
    "aralrisk.layers.qgis",
    "aralrisk.layers.qgis_symbols",
    "aralrisk.layers.qgis_project",
    "aralrisk.layers.qgis_qgs",
)

__all__ = ["PUBLIC_MODULES", "__version__"]
