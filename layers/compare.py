"""Two builds side by side: what a scenario changed, per district and per layer.

A scenario is a second build (other inputs, other weights, another year's data) of the
same districts. :func:`compare` matches the two builds' districts by code and gives,
for each district, the change of the headline results (risk, its class, rank, the
dimensions, the highest hazard level, people exposed) and, for each layer both builds
have, the change of its district value, score and level. :func:`change_map` puts the
same numbers on the districts' outlines, ready to plot; ``aralrisk compare A B`` prints
them and writes them to CSV or a GeoPackage (:func:`run`).

Changes are always ``B - A``: a positive risk change means B is riskier; a negative
rank change means the district moved up the ranking (towards rank 1); a class change
counts class steps (+1: one class higher).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from aralrisk.geo.csvfiles import write_csv
from aralrisk.geo.errors import ConfigError, InputError
from aralrisk.layers.result import BuildResult, classes_from_manifest, open_build

__all__ = ["DISTRICT_NUMBERS", "LAYER_KINDS", "Comparison", "change_map", "compare"]

#: Numeric district results compared (their ``_a``, ``_b`` and ``_change`` columns).
DISTRICT_NUMBERS = (
    "risk",
    "hazard",
    "hazard_exposure",
    "vulnerability",
    "lack_of_coping",
    "people_exposed",
)
#: Per-layer quantities compared: the district value (layer units), score (0-10), level.
LAYER_KINDS = ("value", "score", "level")


@dataclass(frozen=True)
class Comparison:
    """The change from build A to build B.

    Attributes:
        a: Version (and name) of build A.
        b: Version (and name) of build B.
        districts: One row per district code of either build (index ``code``):
            ``name``; ``present`` (``"both"``, ``"only A"``, ``"only B"``); for each of
            :data:`DISTRICT_NUMBERS` ``<x>_a``, ``<x>_b`` and ``<x>_change`` (B - A);
            ``risk_class_a`` / ``_b`` (labels) and ``risk_class_change`` (class steps,
            NaN without a class on either side); ``rank_a`` / ``_b`` and
            ``rank_change`` (B - A: negative = moved up towards rank 1);
            ``hazard_level_a`` / ``_b`` (-2 no data .. 3 high) and
            ``hazard_level_change`` (NaN unless both are levels 0-3).
        layers: One row per district and layer both builds have (index ``code``,
            ``layer``): ``value_a``, ``value_b``, ``value_change`` (layer units),
            ``score_a`` .. ``score_change`` (0-10) and ``level_a``, ``level_b``,
            ``level_change`` (steps, NaN unless both are levels 0-3).
        only_a: Layer ids only build A has.
        only_b: Layer ids only build B has.

    Examples:
        Made by :func:`compare`; a build against itself changes nothing:

        >>> same = compare(result, result)
        >>> same.districts.shape, same.layers.shape, list(same.layers.index.names)
        ((4, 29), (64, 9), ['code', 'layer'])
        >>> same.layers.loc[("A", "dust_days"), ["value_a", "score_a", "score_change"]]
        value_a         59.812500
        score_a          8.302083
        score_change     0.000000
        Name: (A, dust_days), dtype: float64
        >>> same.wide().shape  # one row per district, every layer's columns beside it
        (4, 173)
    """

    a: str
    b: str
    districts: pd.DataFrame
    layers: pd.DataFrame
    only_a: tuple[str, ...]
    only_b: tuple[str, ...]

    def wide(self) -> pd.DataFrame:
        """:attr:`districts` with every layer's columns beside it (``<layer>_<kind>_a`` ...).

        One row per district: the table written by ``aralrisk compare --out``.
        """
        per_layer = pd.DataFrame(self.layers.unstack("layer"))
        pairs: list[tuple[str, str]] = list(per_layer.columns)  # type: ignore[arg-type]
        per_layer.columns = pd.Index([f"{layer}_{column}" for column, layer in pairs])
        ordered = sorted(per_layer.columns, key=lambda c: (c.rsplit("_", 2)[0], c))
        return self.districts.join(per_layer[ordered], how="left")


def _label(build: BuildResult) -> str:
    return f"{build.version} ({build.name})" if build.name else build.version


def _class_codes(build: BuildResult, labels: pd.Series) -> npt.NDArray[np.float64]:
    """Class index (0 = lowest) of each label of ``build``'s release; NaN for no data."""
    order = {label: k for k, label in enumerate(classes_from_manifest(build.manifest).labels)}
    return np.array([order.get(str(v), np.nan) for v in labels], dtype=np.float64)


def _level_change(a: pd.Series, b: pd.Series) -> pd.Series:
    """``b - a`` where both are levels 0-3 (no data and not applicable have no step)."""
    both = (a >= 0) & (b >= 0)
    return (b - a).where(both)


def compare(build_a: BuildResult, build_b: BuildResult) -> Comparison:
    """Per district and per layer, what changed from ``build_a`` to ``build_b``.

    Districts are matched by code (a district in one build only is kept, with NaN on
    the other side); layers by id (layers of one build only are listed in
    :attr:`Comparison.only_a` / :attr:`Comparison.only_b`). Every change is B - A.

    Args:
        build_a: The reference build (e.g. the baseline).
        build_b: The scenario.

    Returns:
        A :class:`Comparison`.

    Raises:
        InputError: The builds have no district code in common.

    Examples:
        A build against itself changes nothing:

        >>> same = compare(result, result)
        >>> float(same.districts["risk_change"].abs().max())
        0.0
        >>> same.districts["rank_change"].eq(0).all(), same.only_a
        (np.True_, ())
    """
    a, b = build_a.table(), build_b.table()
    common = a.index.intersection(b.index)
    if common.empty:
        raise InputError(
            f"builds {build_a.version} and {build_b.version} have no district code in "
            "common: compare builds of the same districts"
        )
    codes = a.index.union(b.index, sort=False)
    a, b = a.reindex(codes), b.reindex(codes)
    out = pd.DataFrame(index=pd.Index(codes, name="code"))
    out["name"] = b["name"].fillna(a["name"])
    out["present"] = np.where(
        a["name"].notna() & b["name"].notna(),
        "both",
        np.where(a["name"].notna(), "only A", "only B"),
    )
    for column in DISTRICT_NUMBERS:
        if column in a or column in b:
            va = a[column].astype(float) if column in a else pd.Series(np.nan, index=codes)
            vb = b[column].astype(float) if column in b else pd.Series(np.nan, index=codes)
            out[f"{column}_a"], out[f"{column}_b"], out[f"{column}_change"] = va, vb, vb - va
    out["risk_class_a"], out["risk_class_b"] = a["risk_class"], b["risk_class"]
    class_a = _class_codes(build_a, a["risk_class"])
    class_b = _class_codes(build_b, b["risk_class"])
    out["risk_class_change"] = class_b - class_a
    rank_a, rank_b = a["rank"].astype(float), b["rank"].astype(float)
    out["rank_a"], out["rank_b"], out["rank_change"] = rank_a, rank_b, rank_b - rank_a
    level_a, level_b = a["hazard_level"].astype(float), b["hazard_level"].astype(float)
    out["hazard_level_a"], out["hazard_level_b"] = level_a, level_b
    out["hazard_level_change"] = _level_change(level_a, level_b)

    ids_a = [i for i in build_a.registry if f"{i}_value" in a]
    ids_b = [i for i in build_b.registry if f"{i}_value" in b]
    shared = [i for i in ids_a if i in ids_b]
    frames = []
    for layer in shared:
        part = pd.DataFrame(index=out.index)
        for kind in LAYER_KINDS:
            column = f"{layer}_{kind}"
            va = a[column].astype(float) if column in a else pd.Series(np.nan, index=codes)
            vb = b[column].astype(float) if column in b else pd.Series(np.nan, index=codes)
            part[f"{kind}_a"], part[f"{kind}_b"] = va, vb
            part[f"{kind}_change"] = _level_change(va, vb) if kind == "level" else vb - va
        frames.append(part.assign(layer=layer).set_index("layer", append=True))
    layers = (
        pd.concat(frames)
        if frames
        else pd.DataFrame(index=pd.MultiIndex.from_tuples([], names=["code", "layer"]))
    )
    return Comparison(
        a=_label(build_a),
        b=_label(build_b),
        districts=out,
        layers=layers,
        only_a=tuple(i for i in ids_a if i not in ids_b),
        only_b=tuple(i for i in ids_b if i not in ids_a),
    )


def change_map(build_a: BuildResult, build_b: BuildResult) -> gpd.GeoDataFrame:
    """The comparison on the districts' outlines, ready to plot or write.

    Geometry is build B's (A's for a district only A has), EPSG:4326; columns are
    :meth:`Comparison.wide`'s.

    Examples:
        >>> changes = change_map(result, result)
        >>> changes.crs.to_epsg(), "risk_change" in changes, len(changes) == len(result.districts)
        (4326, True, True)

        Plot it with a diverging colour map centred on no change::

            changes.plot(column="risk_change", cmap="RdBu_r", vmin=-1, vmax=1, legend=True)
    """
    table = compare(build_a, build_b).wide()
    outlines = pd.concat(
        [
            build_b.districts.set_index("code").geometry,
            build_a.districts.set_index("code").geometry,
        ]
    )
    outlines = outlines[~outlines.index.duplicated(keep="first")]
    return gpd.GeoDataFrame(
        table, geometry=outlines.reindex(table.index).to_numpy(), crs=build_b.districts.crs
    ).reset_index()


def _open(path: Path) -> BuildResult:
    return open_build(path)


def run(a: Path, b: Path, out: Path | None, echo: Callable[[str], None]) -> None:
    """``aralrisk compare A B [--out FILE]``: print the change per district, write it.

    ``A`` and ``B`` are output roots (their ``current`` build) or build folders. ``out``
    ending in ``.csv`` gets :meth:`Comparison.wide` without geometry; ``.gpkg`` gets
    :func:`change_map` as layer ``changes``.

    Raises:
        ConfigError: ``out`` is neither ``.csv`` nor ``.gpkg``.
        NotFoundError: Nothing is published at ``a`` or ``b``.
    """
    if out is not None and out.suffix.lower() not in (".csv", ".gpkg"):
        raise ConfigError(f"--out {out.name}: write the comparison to a .csv or a .gpkg file")
    build_a, build_b = _open(a), _open(b)
    result = compare(build_a, build_b)
    echo(f"A: {result.a}")
    echo(f"B: {result.b}")
    echo("district, risk A -> B (change), class A -> B, rank A -> B:")
    table = result.districts.sort_values("rank_b", na_position="last")
    for code, row in table.iterrows():

        def number(value: float, digits: int = 1) -> str:
            return "-" if not np.isfinite(value) else f"{value:.{digits}f}"

        def rank(value: float) -> str:
            return "-" if not np.isfinite(value) else str(int(value))

        echo(
            f"  {code} {row['name']}: {number(row['risk_a'])} -> {number(row['risk_b'])} "
            f"({number(row['risk_change'], 2)}), {row['risk_class_a']} -> "
            f"{row['risk_class_b']}, {rank(row['rank_a'])} -> {rank(row['rank_b'])}"
        )
    moved = result.layers["value_change"].abs().groupby(level="layer").max()
    changed = [str(layer) for layer, top in moved.items() if top > 0]
    echo(f"layers whose district values changed: {', '.join(changed) or 'none'}")
    if result.only_a or result.only_b:
        echo(
            f"layers only in A: {', '.join(result.only_a) or '-'}; only in B: "
            f"{', '.join(result.only_b) or '-'}"
        )
    if out is None:
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        if out.suffix.lower() == ".csv":
            write_csv(result.wide().reset_index(), out)  # BOM, escaped formulas, .csvt
        else:
            change_map(build_a, build_b).to_file(out, layer="changes", driver="GPKG")
    except OSError as err:
        raise InputError(f"cannot write {out}: {err.strerror or err}") from err
    echo(f"wrote {out}")
