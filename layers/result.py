"""A published build read back: district table, lazy layers, manifest, registry.

The API, the map, the notebooks and :func:`layers.pipeline.build` all read builds
through :func:`open_build`, so there is one definition of what a build holds.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import xarray as xr

from aralrisk.geo.errors import BuildRemoved, InputError, NotFoundError
from aralrisk.geo.index import INFORM_2025, RiskClasses
from aralrisk.geo.io import read_raster
from aralrisk.layers import publish, scoring, sensitivity
from aralrisk.layers import series as series_table
from aralrisk.layers.registry import HazardSpec, IndexSettings, LayerSpec, Profile, Registry
from aralrisk.layers.sensitivity import ManyScores

__all__ = ["BuildResult", "open_build"]

#: Columns :func:`layers.scoring.combine` produces whatever the build (replaced when
#: weights change), besides ``<hazard>_score`` and ``<dimension>_<category>``.
COMBINED = (
    "hazard",
    "hazard_geometric",
    "hazard_max",
    "hazard_level",
    "hazard_level_hazards",
    "hazard_exposure",
    "vulnerability",
    "lack_of_coping",
    "risk",
    "risk_class",
    "rank",
    "rank_by",
    "rank_hazard",
    "rank_exposed",
    "drivers",
    "min_coverage",
    "confidence",
    "confidence_note",
    "method",
    "profile",
    "classes",
    "weights",
)
#: Columns holding lists, JSON-encoded where a format cannot nest them.
LIST_COLUMNS = ("drivers", "hazard_level_hazards")


def registry_from_manifest(manifest: Mapping[str, Any]) -> Registry:
    """The exact registry (layers, hazards, profiles, index) a build was made with."""
    catalog = manifest["catalog"]
    layers = {i: LayerSpec.model_validate(spec) for i, spec in catalog["layers"].items()}
    profiles = {i: Profile.model_validate(p) for i, p in catalog["profiles"].items()}
    hazards = {i: HazardSpec.model_validate(h) for i, h in catalog.get("hazards", {}).items()}
    settings = IndexSettings.model_validate(catalog.get("index", {}))
    return Registry(layers, profiles, hazards, settings)


def classes_from_manifest(manifest: Mapping[str, Any]) -> RiskClasses:
    """The risk class cut-offs a build was made with (INFORM 2025 for older builds)."""
    stored = manifest.get("scoring", {}).get("classes")
    if not stored:
        return INFORM_2025
    return RiskClasses(stored["name"], tuple(stored["breaks"]), tuple(stored["labels"]))


def _decode_list(value: Any) -> list[Any]:
    if isinstance(value, str):
        decoded: list[Any] = json.loads(value) if value else []
        return decoded
    if value is None:
        return []
    return [dict(item) if isinstance(item, Mapping) else item for item in value]


@dataclass(frozen=True)
class BuildResult:
    """One published build.

    Attributes:
        path: The build directory (``build/builds/<version>``).
        manifest: The parsed ``manifest.json`` (inputs, config, weights, outputs).
        registry: The layers and weight profiles the build was made with.
        districts: One row per district, sorted by rank (1 = highest risk; districts
            without a rank last), EPSG:4326: ``code``, ``name`` (+ ``name_kk``,
            ``name_ru``), ``note``, ``area_km2``, ``population``; per layer
            ``<id>_value`` (the scored district statistic, layer units), ``<id>_mean``
            and ``<id>_pop_mean`` (mean over the cells, population-weighted mean),
            ``<id>_score`` (0-10), ``<id>_level`` (-2 no data, -1 not applicable, 0-3
            very low..high), ``<id>_coverage``, ``<id>_people_high`` and, for climate
            layers, ``<id>_completeness``; per hazard ``<hazard>_level``,
            ``<hazard>_exposed`` (people), ``<hazard>_exposed_share``,
            ``<hazard>_exposure`` (score); ``people_exposed``; then the columns of
            :func:`layers.scoring.combine`.

    Examples:
        ``result`` is the tiny world's build (four districts, tests/world.py):

        >>> table = result.table()
        >>> table.shape, table.index.tolist()
        ((4, 156), ['A', 'B', 'C', 'D'])
        >>> table[["name", "risk", "risk_class", "rank"]].round(2)
                 name  risk risk_class  rank
        code
        A       Alpha  7.40  Very High   1.0
        B       Bravo  4.08     Medium   2.0
        C     Charlie  2.53        Low   3.0
        D       Delta  2.38        Low   4.0
        >>> result.raster("dust_days").name, result.layers["dust_days"].shape
        ('dust_days.tif', (20, 40))
    """

    path: Path
    manifest: dict[str, Any]
    registry: Registry
    districts: gpd.GeoDataFrame = field(repr=False)

    @property
    def version(self) -> str:
        """The build version (UTC time stamp plus digest)."""
        return str(self.manifest["version"])

    @property
    def name(self) -> str | None:
        """The name the build was given (``build(..., name=...)``), if any."""
        return self.manifest.get("name")

    def _check_present(self) -> None:
        if not (self.path / publish.MANIFEST).is_file():
            raise BuildRemoved(
                f"build {self.version} was removed from {self.path.parent.parent.name} since "
                "it was opened (deleted, or pruned by a later build with keep=): open the "
                "current build with open_build(), or keep builds you need with name="
            )

    def series(self, code: str | None = None) -> pd.DataFrame:
        """The yearly series behind the climate layers, per district (long table).

        Columns ``code``, ``layer``, ``variable`` (``heat_days``, ``precipitation``,
        ``spi_severe_months``, ``spi``, ``tasmax_mean``), ``year``, ``period_start``,
        ``value`` and ``units`` (:mod:`aralrisk.layers.series` says how each is made and
        how it relates to its layer's value). Empty for builds without climate layers.

        Args:
            code: Keep one district.

        Examples:
            >>> heat = result.series("A").query("variable == 'heat_days'")
            >>> bool((heat["units"] == "d").all()), heat["year"].is_monotonic_increasing
            (True, True)
        """
        self._check_present()
        table = series_table.read(self.path)
        if code is not None:
            table = table[table["code"] == code].reset_index(drop=True)
        return table

    def raster(self, name: str) -> Path:
        """Path of one raster of the build.

        ``name`` is a layer id (raw values), ``<id>_score``, or one of ``composite``,
        ``exposed``, ``people``, ``zones``, ``vulnerability``, ``lack_of_coping``,
        ``hillshade``.

        Raises:
            NotFoundError: The build has no such raster, or was removed since it was
                opened.
        """
        self._check_present()
        layers = self.manifest.get("layers", {})
        rasters = {**self.manifest.get("rasters", {}), **self.manifest.get("basemap", {})}
        if name in layers and "raw" in layers[name]:
            rel = layers[name]["raw"]
        elif name.endswith("_score") and "score" in layers.get(name[: -len("_score")], {}):
            rel = layers[name[: -len("_score")]]["score"]
        elif name in rasters and str(rasters[name]).endswith(".tif"):
            rel = rasters[name]
        else:
            raise NotFoundError(f"the build has no raster {name!r}")
        path = self.path / rel
        if not path.is_file():
            raise NotFoundError(f"the build has no raster {name!r}")
        return path

    @cached_property
    def layers(self) -> xr.Dataset:
        """Every raster of the build as lazy (dask) variables on the build grid.

        Raw layers are named by id (in their units), scores ``<id>_score`` (0-10);
        ``composite`` (hazard), ``exposed`` (people per km2 exposed to a hazard),
        ``people``, ``vulnerability`` and ``lack_of_coping`` too.
        """
        self._check_present()
        names = [i for i, meta in self.manifest.get("layers", {}).items() if "raw" in meta]
        names += [f"{i}_score" for i in list(names)]
        names += [
            n
            for n in ("composite", "exposed", "people", "vulnerability", "lack_of_coping")
            if n in self.manifest.get("rasters", {})
        ]
        return xr.Dataset({name: read_raster(self.raster(name)) for name in names})

    def table(self) -> pd.DataFrame:
        """The district results without geometry, indexed by code, in rank order."""
        return pd.DataFrame(self.districts.drop(columns="geometry")).set_index("code")

    def weighting(
        self,
        profile: str | None = None,
        weights: Mapping[str, float] | None = None,
        method: str | None = None,
    ) -> scoring.Weighting:
        """Resolve weights against this build's hazards (defaults: the build's own)."""
        default = self.manifest.get("scoring", {})
        return scoring.weighting(
            self.registry,
            profile or default.get("profile"),
            weights if weights is not None else default.get("overrides"),
            method or default.get("method", "geometric"),
            classes_from_manifest(self.manifest),
        )

    def rescore(
        self,
        profile: str | None = None,
        weights: Mapping[str, float] | None = None,
        method: str | None = None,
    ) -> gpd.GeoDataFrame:
        """The district results recomputed with other weights, sorted by the new rank.

        Per-layer scores, hazard levels and exposure do not change with weights; the
        hazards' intensity scores, the composite hazard, hazard & exposure, risk, class,
        ranks and drivers do.

        Raises:
            geo.errors.ConfigError: Unknown profile, layer or method, or bad weights.

        Examples:
            Dust weighed three times each other hazard: district A's risk rises.

            >>> dusty = result.rescore(weights={"dust": 3})
            >>> dusty[["code", "risk", "rank"]].round(2)
              code  risk  rank
            0    A  7.58   1.0
            1    B  4.01   2.0
            2    C  2.48   3.0
            3    D  2.15   4.0
        """
        chosen = self.weighting(profile, weights, method)
        order, combined = self.rescored_columns(chosen)
        combined["weights"] = json.dumps(chosen.to_dict()["weights"])
        kept = self._kept_table
        out = pd.concat([kept, pd.DataFrame(combined, index=kept.index)], axis=1)
        gdf = gpd.GeoDataFrame(out, geometry="geometry", crs=self.districts.crs)
        return gdf.take(order).reset_index(drop=True)

    def rescore_many(
        self,
        weights: npt.ArrayLike | pd.DataFrame,
        profile: str | None = None,
        method: str | None = None,
    ) -> ManyScores:
        """Hazard & exposure, risk, class and rank under many hazard weightings at once.

        Each draw's numbers are those of ``rescore(profile, weights=<the draw>, method)``,
        computed for all draws together (no loop over draws): 10,000 draws over a few
        dozen districts take a fraction of a second.

        Args:
            weights: ``(draws, hazards)``, one column per hazard of
                ``registry.hazards`` in order (any non-negative scale, each row is
                normalised); or a DataFrame whose columns name hazards (the others keep
                the profile's weight).
            profile: The profile of unnamed hazards and of the layer weights within
                hazards (default: the build's).
            method: ``"geometric"`` or ``"max"`` (default: the build's).

        Returns:
            A :class:`~aralrisk.layers.sensitivity.ManyScores` of ``(draws, districts)``
            arrays (districts in table order), with ``rank_stability()`` and
            ``to_dataset()``.

        Raises:
            geo.errors.ConfigError: Unknown profile, method or hazard; negative or
                non-finite weights; a draw in which every built hazard weighs zero.

        Examples:
            ``result`` is an opened build; 1,000 weightings drawn uniformly from the
            simplex, and each district's chance to rank in the top 3:

            >>> import numpy as np
            >>> rng = np.random.default_rng(0)
            >>> draws = rng.dirichlet(np.ones(len(result.registry.hazards)), size=1_000)
            >>> many = result.rescore_many(draws)
            >>> many.rank.shape == (1_000, len(result.districts))
            True
            >>> stability = many.rank_stability(top=3)
            >>> bool(stability["top_3"].between(0, 1).all())
            True
        """
        return sensitivity.rescore_many(self, weights, profile, method)

    def rescored_columns(
        self, weighting: scoring.Weighting
    ) -> tuple[npt.NDArray[np.intp], dict[str, Any]]:
        """The columns :meth:`rescore` recomputes, in table order, and the new row order.

        The columns are :func:`layers.scoring.combine_columns` of the district table
        under ``weighting``; ``order`` lists the table's rows by the new rank (ties in
        table order), as :meth:`rescore` sorts them. The API serialises these columns
        directly, without the frame :meth:`rescore` builds.

        Raises:
            geo.errors.ConfigError: Every built hazard has weight zero.
        """
        combined = scoring.combine_columns(
            self._scoring_inputs, self.registry, weighting, len(self.districts)
        )
        # NaN ranks (no value) last, ties in table order.
        order = np.argsort(np.nan_to_num(combined["rank"], nan=np.inf), kind="stable")
        return order, combined

    @cached_property
    def kept_columns(self) -> list[str]:
        """Columns of :attr:`districts` that weights do not change, ``code`` first.

        :meth:`rescore` keeps these and replaces the others (:data:`COMBINED`, each
        hazard's ``<hazard>_score`` and the dimensions' category scores) by recomputed
        ones.
        """
        replaced = set(COMBINED) | {f"{h.id}_score" for h in self.registry.hazards}
        replaced |= {
            f"{dimension}_{category}"
            for dimension, role in scoring.DIMENSIONS.items()
            for category in self.registry.categories(role)  # type: ignore[arg-type]
        }
        kept = [c for c in self.districts.columns if c != "code" and c not in replaced]
        return ["code", *kept]

    @cached_property
    def _kept_table(self) -> gpd.GeoDataFrame:
        """:attr:`districts` reduced to :attr:`kept_columns` (selected once per build)."""
        kept: gpd.GeoDataFrame = self.districts[self.kept_columns]
        return kept

    @cached_property
    def _scoring_inputs(self) -> dict[str, npt.NDArray[np.float64]]:
        """Per-layer score and coverage columns as float arrays, read once per build.

        Rescoring only reads these; taking them from the frame on every request would
        cost more than the arithmetic.
        """
        names = [
            f"{spec.id}_{kind}"
            for spec in self.registry.values()
            for kind in ("score", "coverage", "completeness")
        ]
        names += [
            f"{h.id}_{kind}"
            for h in self.registry.hazards
            for kind in ("level", "exposure", "exposed")
        ]
        names.append("people_exposed")
        names.append("table_transferred")  # lowers confidence (layers/transfer.py)
        return {
            name: self.districts[name].to_numpy(dtype=np.float64)
            for name in names
            if name in self.districts
        }


#: What every manifest written by :func:`layers.pipeline.build` holds.
MANIFEST_KEYS = (
    "version",
    "created",
    "districts",
    "grid",
    "bounds",
    "scoring",
    "layers",
    "outputs",
)


def open_build(path: str | Path = "build", name: str | None = None) -> BuildResult:
    """Open the build published under ``path`` (a root with ``current``, or a build).

    Args:
        path: An output root (its ``current`` build) or a build directory.
        name: Open the newest build of the root with this name instead of ``current``
            (``build(..., name="baseline")``).

    Raises:
        NotFoundError: Nothing is published there (or nothing of that name).
        InputError: The build is incomplete or damaged.

    Examples:
        ``build_root`` is where the tiny world's build was published (``current``
        points at it):

        >>> built = open_build(build_root)
        >>> built.version == result.version, built.path.parent.name, len(built.districts)
        (True, 'builds', 4)
    """
    build_dir = (
        publish.find_named(Path(path), name)
        if name is not None
        else publish.resolve_build(Path(path))
    )
    manifest = publish.read_manifest(build_dir)
    # Valid JSON is not yet a manifest: a hand-edited or truncated-and-repaired one is
    # refused here, in one sentence, rather than failing later inside a request.
    keys: object = manifest  # JSON: may be a list or a number, whatever the annotation says
    missing = [key for key in MANIFEST_KEYS if not isinstance(keys, dict) or key not in keys]
    if missing:
        raise InputError(
            f"build {build_dir.name} has a damaged {publish.MANIFEST}: it lacks "
            f"{', '.join(missing)}; build it again"
        )
    publish.verify(build_dir, manifest)
    try:
        districts = gpd.read_parquet(build_dir / "districts.parquet")
    except (OSError, ValueError) as err:
        raise InputError(f"build {build_dir.name} has an unreadable district table") from err
    for column in LIST_COLUMNS:
        if column in districts:
            districts[column] = [_decode_list(v) for v in districts[column]]
    for column in districts.columns:
        if column.endswith("_level"):
            districts[column] = districts[column].astype(np.int64)
    return BuildResult(build_dir, manifest, registry_from_manifest(manifest), districts)
