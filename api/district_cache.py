"""District response bodies from per-build caches.

What ``/districts``, ``/districts/{code}`` and ``/districts.csv`` answer depends only on
the build, the weights, ``simplify`` and the code. With the build's own weights the
whole body is made once per build version (and ``simplify`` and code). With other
weights only the columns that weights change (:meth:`BuildResult.rescored_columns`)
are computed and written per request, and spliced between cached JSON of the
geometries (per ``simplify``) and of the properties weights do not change: building and
serialising the whole table again cost several times the arithmetic.

Every body is byte for byte what :mod:`api.features` makes of :attr:`BuildResult.districts`
or :meth:`BuildResult.rescore` (``tests/api/test_district_cache.py``). The caches are
LRUs keyed by build version (:class:`~api.map.cache.VersionedCache`): the first entry
of a new build empties them, so a rebuild is never answered with the last build's parts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from aralrisk.api import features
from aralrisk.api.encoding import dumps, join_object, members
from aralrisk.api.map.cache import VersionedCache
from aralrisk.layers.result import BuildResult
from aralrisk.layers.scoring import Weighting

#: Columns of a table row that are not district properties (see :func:`features.properties`).
_NOT_PROPERTIES = ("geometry", "weights")


@dataclass(frozen=True)
class KeptParts:
    """A build's districts as far as weights do not change them, in table order.

    Attributes:
        codes: The district codes (feature ids).
        records: Per district, the values of :attr:`BuildResult.kept_columns`
            (geometry included), as :meth:`BuildResult.rescore` rows hold them.
        properties: Per district, the JSON members of those values as properties.
    """

    codes: list[str]
    records: list[dict[str, Any]]
    properties: list[bytes]

    @classmethod
    def of(cls, build: BuildResult) -> KeptParts:
        """The parts of ``build`` (read from its table once per build version)."""
        records = build.districts[build.kept_columns].to_dict("records")
        return cls(
            codes=[str(record["code"]) for record in records],
            records=records,
            properties=[
                members({k: v for k, v in record.items() if k not in _NOT_PROPERTIES})
                for record in records
            ],
        )


_kept: VersionedCache[KeptParts] = VersionedCache(size=1)
#: Geometry JSON per district, per ``simplify`` (a map asks for one or two tolerances).
_geometries: VersionedCache[list[bytes]] = VersionedCache(size=8)
#: Whole bodies with the build's own weights: collections per ``simplify``, the CSV.
_bodies: VersionedCache[bytes] = VersionedCache(size=16)
#: Whole ``/districts/{code}`` bodies with the build's own weights, per code and ``simplify``.
_details: VersionedCache[bytes] = VersionedCache(size=256)


def kept_parts(build: BuildResult) -> KeptParts:
    """The cached :class:`KeptParts` of ``build``."""
    return _kept.get_or_make(build.version, None, lambda: KeptParts.of(build))


def has_district(build: BuildResult, code: str) -> bool:
    """Whether ``build`` has a district ``code``."""
    return code in kept_parts(build).codes


def geometries(build: BuildResult, simplify: float) -> list[bytes]:
    """The cached :func:`features.geometry_json` of every district, in table order."""

    def make() -> list[bytes]:
        records = kept_parts(build).records
        return [features.geometry_json(r.get("geometry"), simplify) for r in records]

    return _geometries.get_or_make(build.version, simplify, make)


def _rescored_rows(
    build: BuildResult, weighting: Weighting
) -> tuple[list[int], list[dict[str, Any]]]:
    """The new row order and, per table row, the recomputed values under ``weighting``.

    Raises:
        geo.errors.ConfigError: Every built hazard has weight zero.
    """
    order, columns = build.rescored_columns(weighting)
    rows = len(build.districts)
    # Python values per column (as a frame's rows would give them); strings are scalars.
    lists = {
        name: values.tolist() if isinstance(values, np.ndarray) else values
        for name, values in columns.items()
    }
    # Ranks as the properties hold them: integers, or None for "not ranked".
    for name in features.RANKS:
        if name in lists:
            lists[name] = [features.property_value(name, v) for v in lists[name]]
    values = [
        {name: v if isinstance(v, str) else v[i] for name, v in lists.items()} for i in range(rows)
    ]
    return [int(i) for i in order], values


def collection(build: BuildResult, weighting: Weighting, simplify: float, *, own: bool) -> bytes:
    """The ``/districts`` body: every district under ``weighting``, in rank order.

    Args:
        build: The served build.
        weighting: The realised weights.
        simplify: Outline tolerance in degrees (0 = exact).
        own: ``weighting`` is the build's own: its table is served as it is.

    Raises:
        geo.errors.ConfigError: Every built hazard has weight zero.
    """
    if own:
        return _bodies.get_or_make(
            build.version,
            ("collection", simplify),
            lambda: dumps(features.collection(build.districts, build.version, weighting, simplify)),
        )
    parts = kept_parts(build)
    shapes = geometries(build, simplify)
    order, values = _rescored_rows(build, weighting)
    return features.collection_json(
        (
            features.feature_json(
                parts.codes[i], shapes[i], join_object(parts.properties[i], members(values[i]))
            )
            for i in order
        ),
        build.version,
        weighting,
    )


def detail(
    build: BuildResult, code: str, weighting: Weighting, simplify: float, *, own: bool
) -> bytes:
    """The ``/districts/{code}`` body (``code`` must be a district of ``build``).

    Arguments as for :func:`collection`.

    Raises:
        geo.errors.ConfigError: Every built hazard has weight zero.
    """
    if own:

        def make() -> bytes:
            table = build.districts
            row = table.loc[table["code"].astype(str) == code].iloc[0].to_dict()
            return dumps(features.detail(row, build.registry, build.version, weighting, simplify))

        return _details.get_or_make(build.version, (code, simplify), make)
    parts = kept_parts(build)
    order, values = _rescored_rows(build, weighting)
    # The first match in rank order, as the rescored table's first such row.
    i = next(i for i in order if parts.codes[i] == code)
    row = {**parts.records[i], **values[i]}
    return dumps(features.detail(row, build.registry, build.version, weighting, simplify))


def csv(build: BuildResult, weighting: Weighting, *, own: bool) -> bytes:
    """The ``/districts.csv`` body; arguments as for :func:`collection`.

    Raises:
        geo.errors.ConfigError: Unknown profile or layer, bad weights.
    """
    if own:
        return _bodies.get_or_make(
            build.version, ("csv",), lambda: features.csv_bytes(build.districts)
        )
    table = build.rescore(weighting.profile, weighting.overrides, weighting.method)
    return features.csv_bytes(table)
